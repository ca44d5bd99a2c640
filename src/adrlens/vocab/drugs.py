"""Drug names -> active ingredients: the lookups of the drug vocabulary.

FAERS drug rows carry a verbatim `drugname` ("NORVASC", "amlodipine 5mg tablets", "LOTREL") and, since
2014, `prod_ai` (FDA's active-ingredient text, combinations separated by a backslash). Both are mapped to
lower-case active-ingredient names with salts, hydrates and esters stripped, so that every report about
amlodipine counts under "amlodipine" whatever the product or salt.

Canonical names are RxNorm ingredient names (FAERS is US data), so "paracetamol" becomes "acetaminophen".
The merged name index comes from the shared vocabulary files (see `adrlens.vocab.drug_index`, which builds
and caches it); this module holds the name-cleaning helpers (`clean_name`, `strip_salts`, `denoise`) and
`DrugVocabulary`. The package's one namer on top of it is `adrlens.vocab.names`.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from adrlens import config
from adrlens.errors import DataNotFoundError

# ---------------------------------------------------------------------------------------------------------
# Salts, hydrates, esters. A name is stripped one word at a time, and stripping stops as soon as the name is
# a known ingredient, so "calcium", "calcium carbonate", "sodium chloride" or "tenofovir disoproxil" (all
# RxNorm ingredients themselves) are kept while "atorvastatin calcium trihydrate" becomes "atorvastatin".


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SALT_SUFFIXES = _words(
    """
    hydrochloride hydrochlorid dihydrochloride trihydrochloride monohydrochloride hcl hci hbr hydrobromide
    dihydrobromide hydroiodide besylate besilate mesylate mesilate dimesylate tosylate tosilate esylate
    edisylate napsylate camsylate isethionate maleate dimaleate hydrogen fumarate hemifumarate
    difumarate tartrate bitartrate hemitartrate succinate hemisuccinate citrate dihydrogen acetate
    diacetate triacetate phosphate diphosphate bromide methylbromide chloride iodide sulfate sulphate
    bisulfate hemisulfate nitrate gluconate lactate lactobionate stearate palmitate decanoate
    enanthate cypionate propionate dipropionate valerate butyrate furoate xinafoate benzoate
    pamoate embonate oxalate malate aspartate glutamate orotate saccharate carbonate bicarbonate
    sodium disodium trisodium tetrasodium monosodium potassium dipotassium calcium magnesium zinc
    lithium ammonium aluminum meglumine tromethamine trometamol olamine diolamine lysine arginine
    axetil pivoxil medoxomil cilexetil proxetil etabonate hyclate hydrate hemihydrate sesquihydrate
    monohydrate dihydrate trihydrate tetrahydrate pentahydrate hexahydrate heptahydrate anhydrous
    base salt monobasic dibasic tribasic hemipentahydrate hemiheptahydrate
    """
)
_SALT_ACIDS = _words(
    "fumaric maleic succinic tartaric citric hydrochloric hydrobromic phosphoric sulfuric acetic malic "
    "oxalic benzenesulfonic methanesulfonic toluenesulfonic lactic gluconic"
)
_STEREO_SALT_RE = re.compile(r"^\(?[slrd+\-]{1,3}\)?-(?:malate|lactate|tartrate|lysine|arginine|aspartate)$")
# Cations written before the active moiety ("sodium valproate", "potassium clavulanate").
_SALT_PREFIXES = _words("sodium disodium potassium calcium magnesium")

# ---------------------------------------------------------------------------------------------------------
# Dose, strength and dose-form noise in verbatim drug names ("amlodipine 5mg tablets").
_UNITS = (
    r"mg|mcg|µg|ug|g|gm|gram|grams|kg|ml|l|iu|i\.u\.|u|unit|units|meq|mmol|%|mg/ml|mcg/ml|mg/g|"
    r"mg/kg|mg/m2|mcg/hr|mcg/h|mg/hr|mg/24h|mg/day|mg/dose|mcg/dose|puff|puffs|gtt"
)
_DOSE_RE = re.compile(
    rf"(?<![a-z0-9.\-])\d+(?:[.,]\d+)?\s*(?:{_UNITS})(?:\s*/\s*(?:\d+(?:[.,]\d+)?\s*)?(?:{_UNITS}|h|hr|hours?|"
    rf"day|dose|actuation|spray|tab|tablet|vial))*(?![a-z])"
)
# A free-standing number ("100/33"), but not part of a name ("b12", "covid-19", "delta.8-thc").
_NUMBER_RE = re.compile(r"(?<![a-z0-9.\-])\d+(?:[.,]\d+)?(?![a-z0-9\-])")
_WHODD_RE = re.compile(r"/\s*\d{5,}\s*/")  # WHO Drug Dictionary codes: "OXYBOLDINE /06334701/"
_PAREN_RE = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")
_FORM_WORDS = _words(
    """
    tablet tablets tab tabs capsule capsules cap caps caplet caplets softgel softgels pill pills
    injection injections inj injectable injectables infusion solution solutions suspension susp
    emulsion syrup elixir drops drop oral orally cream ointment gel lotion patch patches transdermal
    spray nasal inhaler inhalation inhalant aerosol powder granules sachet suppository suppositories
    film coated film-coated chewable dispersible effervescent lozenge lozenges pen pens prefilled
    pre-filled syringe syringes autoinjector auto-injector vial vials ampoule ampule kit cartridge
    extended-release delayed-release modified-release prolonged-release sustained-release
    controlled-release immediate-release extended delayed modified prolonged sustained controlled
    immediate release er xr sr xl cr dr ir la odt ec hfa ds usp bp ph.eur eur topical ophthalmic
    intravenous iv im sc subcutaneous intramuscular lyophilized concentrate sterile generic otc
    unknown unk nos unspecified product products formulation strength dose doses daily once pf
    """
)
# Placeholders FAERS uses when the drug is not known: never an ingredient.
_PLACEHOLDERS = frozenset(
    {
        "",
        "unknown",
        "unk",
        "unknown drug",
        "unknown medication",
        "unspecified",
        "unspecified ingredient",
        "drug",
        "drugs",
        "other",
        "others",
        "none",
        "nos",
        "n/a",
        "na",
        "medication",
        "medications",
        "all other therapeutic products",
    }
)
# Separators of combination names in verbatim drug names.
_SPLIT_RE = re.compile(r"\s*(?:\\|/|\+|;|,|&|\band\b|\bwith\b|\bw/|\bplus\b)\s*")
_UNSPECIFIED_RE = re.compile(r",? (?:unspecified form|unspecified)$")  # UNII: "lactic acid, unspecified form"
_BIOSIMILAR_RE = re.compile(r"^(.+?)-[a-z]{4}$")  # FDA four-letter suffixes: infliximab-dyyb
_WS_RE = re.compile(r"\s+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A shorter name part ("z" of "...;magnesium;z", cut off) is no substance name (element, code) nor list part.
MIN_PART_CHARS = 3
_OPEN_LIST_RE = re.compile(r"[\[(]([^\[\]()]*)$")
_EDGE_JUNK = " .,;:*-_'\"`#?!"

# Methods of the merged index, by source (also the `method` of normalise() for a whole-name hit).
M_EXACT = "exact"  # an RxNorm ingredient name
M_UNII = "unii"  # an FDA UNII substance name, synonym or code
M_UNII_BRAND = "unii_brand"  # a brand name in the UNII list
M_PRODUCT = "product_map"  # openFDA FAERS product -> substance map
M_RXNORM_BRAND = "rxnorm_brand"  # RxNorm branded drug label
M_NER = "ner"  # drug-named-entity-recognition dictionary
M_BRAND = "brand"  # drugstandards brand -> generic list
M_DRUGBANK = "drugbank"  # DrugBank names and aliases
M_CURATED = "curated"  # adrlens' own short list (_drug_data.py)
_BRAND_METHODS = frozenset({M_UNII_BRAND, M_PRODUCT, M_RXNORM_BRAND, M_BRAND, M_NER, M_DRUGBANK, M_CURATED})
# Index sources trusted for a part of a longer name ("hers minoxidil"): substance names, not brands,
# since short brand names occur inside unrelated words far more often.
_SUBSTANCE_METHODS = frozenset({M_EXACT, M_UNII, "salt_strip"})


def clean_name(text: str | None) -> str:
    """Lower-case, collapse whitespace, drop trademark signs and junk at the edges ("ATORVASTATIN.")."""
    if not isinstance(text, str):  # None, or NaN from a data frame
        text = "" if text is None or text != text else str(text)
    if not text:
        return ""
    s = text.replace("®", " ").replace("™", " ").replace("\u00a0", " ")
    if not s.isascii():  # full-width and other compatibility forms ("ＮＯＲＶＡＳＣ") are the same letters
        s = unicodedata.normalize("NFKC", s)
    s = _CONTROL_RE.sub(" ", s).casefold()
    s = _WS_RE.sub(" ", s).strip(_EDGE_JUNK)
    return s


def strip_salts(name: str, known: frozenset[str] | set[str] | dict | None = None) -> str:
    """Strip salt/hydrate/ester words from a clean lower-case name, stopping at a known ingredient."""
    tokens = name.split(" ")
    while len(tokens) > 1:
        if known is not None and " ".join(tokens) in known:
            break
        last = tokens[-1].strip(",")
        # "siponimod fumaric acid": the acid of a salt, written out.
        if last == "acid" and len(tokens) > 2 and tokens[-2] in _SALT_ACIDS:
            rest = tokens[:-2]
        elif last in _SALT_SUFFIXES or last in ("(as", "as") or _STEREO_SALT_RE.match(last):
            rest = tokens[:-1]
        elif tokens[0] in _SALT_PREFIXES:
            rest = tokens[1:]
        else:
            break
        rest[-1] = rest[-1].rstrip(",")
        # Never strip down to a bare counter-ion ("sodium lactate" is not "sodium").
        if len(rest) == 1 and rest[0] in _SALT_SUFFIXES:
            break
        tokens = rest
    return " ".join(tokens)


def acid_or_salt_form(name: str, known: frozenset[str] | set[str]) -> str:
    """'alendronic acid' <-> 'alendronate': the spelling that is a known ingredient, else name itself."""
    if name in known:
        return name
    if name.endswith("ic acid"):
        alt = name[: -len("ic acid")] + "ate"
    elif name.endswith("ate") and " " not in name:
        alt = name[: -len("ate")] + "ic acid"
    else:
        return name
    return alt if alt in known else name


def denoise(name: str) -> str:
    """Remove WHO-DD codes, bracketed text, doses and dose-form words from a clean name."""
    s = _WHODD_RE.sub(" ", name)
    s = _PAREN_RE.sub(" ", s)
    s = s.replace("(", " ").replace(")", " ")
    s = _DOSE_RE.sub(" ", s)
    s = _NUMBER_RE.sub(" ", s)
    words = [w for w in s.split() if w.strip(_EDGE_JUNK) not in _FORM_WORDS]
    return clean_name(" ".join(words))


def _paren_contents(name: str) -> list[str]:
    return [c for c in (clean_name(m) for m in _PAREN_RE.findall(name)) if c]


@dataclass(frozen=True)
class DrugMatch:
    """One candidate ingredient for a user's drug name (question understanding)."""

    ingredient: str  # canonical lower-case ingredient, e.g. "amlodipine"
    matched: str  # the name that matched
    method: str  # 'exact' | 'salt' | 'brand' | 'synonym' | 'fuzzy' ...
    score: float  # 1.0 exact .. lower for fuzzy


# ---------------------------------------------------------------------------------------------------------

_LOAD_LOCK = threading.Lock()
_LOADED: dict[str, DrugVocabulary] = {}

Result = tuple[list[str], bool, str]
_MEMO_LIMIT = 2_000_000


class DrugVocabulary:
    """Maps FAERS drug names and user input to canonical active ingredients."""

    def __init__(self, canon: frozenset[str], known: frozenset[str], index: dict, brands: dict | None = None) -> None:
        self._canon = canon
        self._brands: dict[str, list[str]] = brands or {}
        self._known = known
        self._index: dict[str, tuple[tuple[str, ...], str]] = index
        self._memo: dict[tuple[str | None, str | None], tuple[tuple[str, ...], bool, str]] = {}
        self._name_memo: dict[str, tuple[tuple[str, ...], str] | None] = {}
        self._synonyms: dict[str, list[str]] | None = None
        self._choices: list[str] | None = None
        self._single_words: list[str] | None = None
        self._fuzzy_memo: dict[str, tuple[str, ...] | None] = {}
        self._name_counts: dict[str, int] | None = None

    # -- loading ----------------------------------------------------------------------------------------
    @classmethod
    def load(cls, data_dir: Path | None = None, *, rebuild: bool = False) -> DrugVocabulary:
        """The vocabulary of `data_dir/vocab/drugs` (default: the shared data folder), cached.

        The first call per source version builds the index (~10 s, `adrlens.vocab.drug_index`) and pickles
        it under config.cache_dir(); later calls load the pickle (~0.6 s), then reuse it in-process."""
        from adrlens.vocab import drug_index  # the builder imports this module's name helpers

        base = Path(data_dir) if data_dir is not None else config.data_dir()
        folder = base / "vocab" / "drugs" if (base / "vocab" / "drugs").is_dir() else base
        first = drug_index.REQUIRED[0]
        if not (folder / first).exists():
            raise DataNotFoundError(
                f"No drug vocabulary under {base} (expected vocab/drugs/{first}). "
                "Set ADRLENS_DATA to the shared data folder."
            )
        fp = drug_index.fingerprint(folder)
        with _LOAD_LOCK:
            if not rebuild and fp in _LOADED:
                return _LOADED[fp]
            data = drug_index.cached_index(folder, fp, rebuild=rebuild)
            vocab = cls(data["canon"], data["known"], data["index"], data.get("brands"))
            _LOADED[fp] = vocab
            return vocab

    # -- name lookup ------------------------------------------------------------------------------------
    def _lookup(self, key: str) -> tuple[tuple[str, ...], str] | None:
        """Whole-name hit: ingredient, index entry, or either after stripping salts."""
        if not key or key in _PLACEHOLDERS:
            return None
        if key in self._canon:
            return (key,), M_EXACT
        hit = self._index.get(key)
        if hit is not None and not (len(key) < MIN_PART_CHARS and hit[1] == M_UNII):
            return hit
        stripped = strip_salts(key, self._canon)
        if stripped != key:
            if stripped in self._canon:
                return (stripped,), "salt_strip"
            hit = self._index.get(stripped)
            if hit is not None:
                return hit[0], "salt_strip"
        m = _BIOSIMILAR_RE.match(key)
        if m and m.group(1) in self._canon:
            return (m.group(1),), "biosimilar"
        return None

    def _resolve_name(self, key: str) -> tuple[tuple[str, ...], str] | None:
        """A clean verbatim name -> ingredients, trying ever looser readings; memoised."""
        if key in self._name_memo:
            return self._name_memo[key]
        res = self._resolve_name_uncached(key)
        self._name_memo[key] = res
        return res

    def _resolve_name_uncached(self, key: str) -> tuple[tuple[str, ...], str] | None:
        hit = self._lookup(key)
        if hit:
            return hit
        if not key or key in _PLACEHOLDERS:
            return None
        core = denoise(key)
        if core and core != key:
            hit = self._lookup(core)
            if hit:
                return hit[0], "denoise" if hit[1] in (M_EXACT, M_UNII, "salt_strip") else hit[1]
        # "LIPITOR (ATORVASTATIN CALCIUM)", "BANANA BOAT (AVOBENZONE\\OCTOCRYLENE)": the bracketed text
        # is often the ingredient list itself.
        for inner in _paren_contents(key):
            hit = self._lookup(inner) or self._lookup(denoise(inner)) or self._split(inner, prefix=False)
            if hit:
                return hit[0], "paren"
        # The same list with its closing bracket cut off ("osteocare [calcium;...;z"): its last part may be cut too.
        if (m := _OPEN_LIST_RE.search(key)) and (hit := self._split(m.group(1), prefix=False, cut=True)):
            return hit[0], "paren"
        # Combinations written out: "amlodipine/valsartan", "advil dual action with acetaminophen".
        for target in dict.fromkeys((key, core)):
            hit = self._split(target, prefix=True)
            if hit:
                return hit
        tokens = (core or key).replace(",", " ").split()
        hit = self._prefix(tokens)
        if hit:
            return hit
        # Longest known trailing substance name: "good sense esomeprazole magnesium" -> esomeprazole.
        for n in range(1, len(tokens)):
            tail = " ".join(tokens[n:])
            if len(tail) < 5:
                break
            hit = self._lookup(tail)
            if hit and hit[1] in _SUBSTANCE_METHODS:
                return hit[0], "suffix"
        return self._truncated(core or key)

    def _prefix(self, tokens: list[str]) -> tuple[tuple[str, ...], str] | None:
        """Longest known leading words: "eliquis starter pack" -> eliquis."""
        for n in range(len(tokens) - 1, 0, -1):
            head = " ".join(tokens[:n])
            if len(head) < 4:
                break
            hit = self._lookup(head)
            if hit:
                return hit[0], "prefix"
        return None

    def _split(self, text: str, prefix: bool, cut: bool = False) -> tuple[tuple[str, ...], str] | None:
        """A combination written out, every part known: "amlodipine/valsartan" -> both. A last part cut off
        (a fragment, or any unknown last part when `cut`: the text's bracket never closes) is dropped."""
        parts = [p for p in (clean_name(x) for x in _SPLIT_RE.split(text)) if p]
        short = [len(p) < MIN_PART_CHARS and p not in self._canon for p in parts]  # fragments, codes ("k2")
        if len(parts) > 1 and (short[-1] or (cut and not self._lookup(parts[-1]))):
            parts, short = parts[:-1], short[:-1]  # a cut-off last name: unknown, not a guess
        if len(parts) < 2 or any(short):  # one name left would count a combination as a single drug
            return None
        ings: list[str] = []
        for p in parts:
            d = denoise(p)
            hit = self._lookup(p) or self._lookup(d) or (self._prefix(d.split()) if prefix else None)
            if not hit:
                return None
            ings.extend(hit[0])
        return tuple(sorted(set(ings))), "split"

    def _truncated(self, key: str) -> tuple[tuple[str, ...], str] | None:
        """A cut-off name ("dapaglif", "pantopraz") that starts exactly one ingredient name."""
        if len(key) < 6 or " " in key:
            return None
        names = self._single_word_ingredients()
        i = bisect.bisect_left(names, key)
        found = []
        while i < len(names) and names[i].startswith(key) and len(found) < 2:
            found.append(names[i])
            i += 1
        return ((found[0],), "truncated") if len(found) == 1 and found[0] != key else None

    def _single_word_ingredients(self) -> list[str]:
        if self._single_words is None:
            self._single_words = sorted(n for n in self._canon if " " not in n)
        return self._single_words

    def _verbatim(self, key: str) -> tuple[str, ...]:
        v = strip_salts(denoise(key) or key, self._canon) or key
        return (v,) if v else ()

    # -- public API -------------------------------------------------------------------------------------
    def normalise(self, drugname: str | None, prod_ai: str | None) -> Result:
        """-> (ingredients, mapped, method). method names which vocabulary/rule mapped it
        ('prod_ai', 'product_map', 'unii', 'unii_brand', 'rxnorm_brand', 'brand', 'ner', 'exact',
        'salt_strip', 'denoise', 'paren', 'split', 'prefix', 'prod_ai_verbatim', 'verbatim', 'empty')."""
        memo_key = (drugname, prod_ai)
        hit = self._memo.get(memo_key)
        if hit is None:
            hit = self._normalise(drugname, prod_ai)
            if len(self._memo) >= _MEMO_LIMIT:  # bound memory on whole-database runs
                self._memo.clear()
            self._memo[memo_key] = hit
        return list(hit[0]), hit[1], hit[2]

    def _normalise(self, drugname: str | None, prod_ai: str | None) -> tuple[tuple[str, ...], bool, str]:
        ai_parts = [clean_name(p) for p in (prod_ai or "").split("\\")]
        ai_parts = [p for p in ai_parts if p and p not in _PLACEHOLDERS]
        ai_unknown: list[str] = []
        if ai_parts:
            ings: list[str] = []
            for p in ai_parts:
                hit = self._resolve_name(p)
                if hit:
                    ings.extend(hit[0])
                else:
                    ai_unknown.append(p)
            if not ai_unknown:
                return tuple(sorted(set(ings))), True, "prod_ai"
        key = clean_name(drugname)
        hit = self._resolve_name(key) if key else None
        if hit:
            return tuple(sorted(set(hit[0]))), True, hit[1]
        if ai_parts:
            # prod_ai is free text (markup, cut-off lists, typing errors): an unknown part is kept, not mapped.
            out = [i for p in ai_parts for i in (self._resolve_name(p) or (self._verbatim(p), ""))[0]]
            return tuple(sorted(set(out))), False, "prod_ai_verbatim"
        if not key or key in _PLACEHOLDERS:
            return (), False, "empty"
        return self._verbatim(key), False, "verbatim"

    def normalise_many(self, pairs: Iterable[tuple[str | None, str | None]], fuzzy: bool = False) -> list[Result]:
        """normalise() over many (drugname, prod_ai) pairs; memoised, so repeated pairs cost a dict hit.

        fuzzy=True also maps misspelt names ("atorvaststin") to a single close ingredient or brand
        (similarity >= 0.9, method 'fuzzy'). It costs ~30 ms per distinct unmapped name, so it is off
        by default for bulk ingest."""
        pairs = list(pairs)
        out = [self.normalise(d, a) for d, a in pairs]
        if fuzzy:
            for i, (res, (d, _a)) in enumerate(zip(out, pairs, strict=True)):
                if not res[1] and res[2] == "verbatim":
                    hit = self.fuzzy_ingredients(d or "")
                    if hit:
                        out[i] = (list(hit), True, "fuzzy")
        return out

    def fuzzy_ingredients(self, name: str, min_score: float = 0.9) -> tuple[str, ...] | None:
        """Ingredients of the one known name closest in spelling to name, if close and unambiguous."""
        key = clean_name(name)
        if key in self._fuzzy_memo:
            return self._fuzzy_memo[key]
        result = None
        found = [(n, sc) for n, sc in self._fuzzy(key, 5) if sc >= min_score - 0.03]
        if found and found[0][1] >= min_score:
            targets = {h[0] for n, _ in found if (h := self._lookup(n))}
            if len(targets) == 1:  # every near name means the same thing: not a coin toss
                result = targets.pop()
        self._fuzzy_memo[key] = result
        return result

    def resolve(self, query: str, limit: int = 5) -> list[DrugMatch]:
        """User input -> candidate ingredients, best first (exact, salt, brand, synonym, then fuzzy)."""
        key = clean_name(query)
        if not key or key in _PLACEHOLDERS or limit <= 0:
            return []
        out: dict[str, DrugMatch] = {}

        def put(m: DrugMatch) -> None:
            old = out.get(m.ingredient)
            if old is None or m.score > old.score:
                out[m.ingredient] = m

        hit = self._resolve_name(key)
        if hit:
            ings, how = hit
            if how == M_EXACT:
                method, score = "exact", 1.0
            elif how == "salt_strip":
                method, score = "salt", 0.98
            elif how in _BRAND_METHODS:
                method, score = "brand", 0.97
            elif how == M_UNII:
                method, score = "synonym", 0.97
            else:
                method, score = how, 0.9
            for ing in ings:
                put(DrugMatch(ing, query, method, score))
        if len(out) < limit:
            # With a confident hit, only near-identical spellings are worth offering besides it.
            floor = 0.95 if out else 0.8
            for name, sc in self._fuzzy(key, limit * 3):
                h = self._lookup(name) if sc >= floor else None
                if h:
                    for ing in h[0]:
                        put(DrugMatch(ing, name, "fuzzy", round(0.95 * sc, 3)))
        return sorted(out.values(), key=lambda m: (-m.score, m.ingredient))[:limit]

    def _fuzzy(self, key: str, limit: int) -> list[tuple[str, float]]:
        """Known names close in spelling to key: (name, similarity 0..1), similarity >= 0.8."""
        if len(key) < 4:
            return []
        choices = self._fuzzy_choices()
        found = process.extract(key, choices, scorer=fuzz.ratio, limit=limit, score_cutoff=80)
        return [(name, score / 100.0) for name, score, _ in found]

    def _fuzzy_choices(self) -> list[str]:
        # Ingredient and brand-like names only: short, letters, no codes or chemical names.
        if self._choices is None:
            ok = re.compile(r"^[a-z][a-z \-]{2,30}$")
            names = {n for n in self._canon if ok.match(n)}
            names.update(n for n, (_, m) in self._index.items() if m != M_UNII and ok.match(n))
            self._choices = sorted(names)
        return self._choices

    def whole_name(self, name: str) -> tuple[str, ...]:
        """Ingredients of a name that the vocabulary knows as a whole (an ingredient, substance, salt or
        product name), without the looser readings (leading words, suffixes, cut-off names); () if none."""
        hit = self._lookup(clean_name(name))
        return hit[0] if hit else ()

    def name_counts(self) -> dict[str, int]:
        """Ingredient -> how many names (brands, product spellings, synonyms) the index has for it alone:
        a proxy for how widely used an ingredient is."""
        if self._name_counts is None:
            counts: dict[str, int] = {}
            for ings, _m in self._index.values():
                if len(ings) == 1:
                    counts[ings[0]] = counts.get(ings[0], 0) + 1
            self._name_counts = counts
        return self._name_counts

    def has_brand(self, ingredient: str) -> bool:
        """True when a brand name of the ingredient alone is known (a marketed drug)."""
        return bool(self._brands.get(clean_name(ingredient)))

    def is_known(self, ingredient: str) -> bool:
        """True when ingredient is a canonical ingredient name (RxNorm, UNII or FDA substance text)."""
        return clean_name(ingredient) in self._known

    def canonical(self, name: str) -> str | None:
        """The single canonical ingredient for a name, or None (unknown name or a combination)."""
        hit = self._resolve_name(clean_name(name))
        return hit[0][0] if hit and len(hit[0]) == 1 else None

    def synonyms(self, ingredient: str, limit: int = 40) -> list[str]:
        """Brand and other names of an ingredient, for display: US brands first, then substance synonyms."""
        ing = clean_name(ingredient)
        from adrlens.vocab.drug_index import synonym_table

        table = self._synonyms if self._synonyms is not None else synonym_table(self._index, ing)
        brands = [b for b in self._brands.get(ing, []) if b != ing]
        return (brands + [n for n in table.get(ing, []) if n not in brands])[:limit]

    def all_synonyms(self) -> None:
        """Build every ingredient's synonyms at once (about a second; synonyms() alone scans the index per call)."""
        from adrlens.vocab.drug_index import synonym_table

        self._synonyms = self._synonyms if self._synonyms is not None else synonym_table(self._index)

    def ingredients(self) -> Iterator[str]:
        """All canonical ingredient names."""
        return iter(sorted(self._known))
