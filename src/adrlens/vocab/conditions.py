"""Condition vocabulary: lay terms -> MedDRA preferred terms (PTs) -> condition concepts.

MedDRA is licensed, so the PT names we know are the ones that occur in public data (SIDER PT rows,
FAERS aggregate tables and samples, VAERS symptoms, coded label mentions). Lay words reach PTs through
HPO lay synonyms and Disease Ontology synonyms (linked by UMLS CUI or by name), SIDER LLT -> PT rows,
label mentions coded to PTs, the synonyms of our own curated catalogue (``concepts.json``) and, last,
a fuzzy character-trigram match.

The index of PT names and terms is built from the shared data by `adrlens.vocab.condition_index` and
cached there; this module holds the concepts, the text keys and the matching.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adrlens import config
from adrlens.errors import DataNotFoundError, ResolutionError

CATALOGUE_PATH = Path(__file__).with_name("concepts.json")
CATALOGUE_SOURCE = "adrlens condition catalogue"

# Scores of the ways a query can match; the caller treats close top scores as ambiguity.
SCORE_CONCEPT_NAME = 1.0
SCORE_CONCEPT_SYNONYM = 0.97
SCORE_PT = 0.95
SCORE_TERM = {"llt": 0.92, "hpo_lay": 0.9, "hpo": 0.9, "do": 0.88, "label": 0.86}
BROAD_PENALTY = 0.04  # a PT only in a concept's broad list is a weaker pointer to that concept
PARENT_PENALTY = 0.03  # a PT shared with a tighter (child) concept is a weaker pointer to the parent
FUZZY_SCALE = 0.8  # fuzzy scores never reach the exact ones
FUZZY_MIN = 0.55  # trigram Dice below this is noise ("asdf qwerty")

METHOD_SOURCES = {
    "concept": CATALOGUE_SOURCE,
    "synonym": CATALOGUE_SOURCE,
    "pt": "MedDRA PT name (as found in FAERS / SIDER / VAERS)",
    "llt": "SIDER 4.1 LLT -> PT",
    "hpo_lay": "HPO lay synonym (UMLS link)",
    "hpo": "HPO term or synonym (UMLS link)",
    "do": "Disease Ontology synonym (UMLS link)",
    "label": "TAC 2017 label mention -> PT",
    "fuzzy": "approximate spelling match",
}

# --------------------------------------------------------------------------------------------------
# Normalisation


_STOP_WORDS = (
    "a an the of in on my me i to and or with from is are am was be been being it its at for by "
    "have has had having get getting got feel feeling felt very really some any"
)
_STOP = frozenset(_STOP_WORDS.split(" "))
_NON_WORD = re.compile(r"[^a-z0-9]+")
# British and American spellings meet on one key: paraesthesia/paresthesia, oedema/edema, tumour/tumor.
_SPELLING = [
    (re.compile(r"ae"), "e"),
    (re.compile(r"oe(?=[a-z])"), "e"),
    (re.compile(r"our\b"), "or"),
    (re.compile(r"is(e|ed|es|ing|ation)\b"), r"iz\1"),
    (re.compile(r"tre\b"), "ter"),
]


def normalize(text: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed ("Guillain-Barré" -> "guillain barre")."""
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    t = t.replace("'s ", " ").replace("'", "")
    return " ".join(_NON_WORD.sub(" ", t).split())


def spelling_key(text: str) -> str:
    """`normalize` plus British/American spelling folded: the exact-match key."""
    t = normalize(text)
    for pat, rep in _SPELLING:
        t = pat.sub(rep, t)
    return t


def _stem(tok: str) -> str:
    if len(tok) > 3 and tok.endswith("s") and not tok.endswith(("ss", "is", "us", "ys")):
        return tok[:-1]
    return tok


def bag_key(text: str) -> str:
    """Order-free key: stop words dropped, plurals folded, tokens sorted ("swelling of the ankles")."""
    toks = sorted({_stem(t) for t in spelling_key(text).split() if t not in _STOP})
    return " ".join(toks)


_REFSET_NOISE = re.compile(r"^(?:omop|hoi)\b|\b\d+$")


def _words_close(a: str, b: str) -> bool:
    """One word a misspelling or inflection of the other: a shared stem of 4+ letters ("sprain",
    "sprained"; 3 letters when one more letter is missing: "los", "loss"), or an edit distance of 1
    for 4-8 letters, 2 for longer words (none for shorter ones)."""
    if a == b:
        return True
    short = min(len(a), len(b))
    if (short >= 4 or (short == 3 and abs(len(a) - len(b)) == 1)) and (a.startswith(b) or b.startswith(a)):
        return True
    n = min(len(a), len(b))
    allowed = 0 if n < 4 else 1 if n <= 8 else 2
    return allowed > 0 and _osa(a, b) <= allowed


def _osa(a: str, b: str) -> int:
    from rapidfuzz.distance import OSA

    return int(OSA.distance(a, b))


def words_match(query_key: str, key: str) -> bool:
    """True when every word of the query has a close word in the key: a fuzzy match may fix spellings,
    never swap a word for another ("gum overgrowth" is not "graft overgrowth")."""
    kwords = key.split()
    return all(any(_words_close(q, k) for k in kwords) for q in query_key.split())


def is_ambiguous(matches: list[ConditionMatch], margin: float = 0.015) -> bool:
    """True when the two best readings score within `margin`: ask the user which one they meant."""
    return len(matches) > 1 and matches[0].score - matches[1].score <= margin


def _trigrams(key: str) -> frozenset[str]:
    s = f"  {key} "
    return frozenset(s[i : i + 3] for i in range(len(s) - 2))


# --------------------------------------------------------------------------------------------------
# Public data classes


@dataclass(frozen=True)
class Concept:
    """A condition concept of our catalogue, grouping MedDRA PTs (narrow = specific, broad adds related)."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    narrow: tuple[str, ...]
    broad: tuple[str, ...]
    definition: str
    red_flags: tuple[str, ...]
    category: str
    causes: tuple[str, ...] = ()

    def pts(self, scope: str = "narrow") -> tuple[str, ...]:
        """Lower-case PT names; ``broad`` includes the narrow ones."""
        if scope == "narrow":
            return self.narrow
        if scope == "broad":
            return self.narrow + tuple(p for p in self.broad if p not in self.narrow)
        raise ValueError(f"scope must be 'narrow' or 'broad', not {scope!r}")


@dataclass(frozen=True)
class ConditionMatch:
    """One reading of a query: a concept (with the PT that led there, if any) or a lone PT."""

    concept: Concept | None
    pt: str | None
    matched: str
    method: str
    score: float

    @property
    def label(self) -> str:
        """What to show the user: the concept's name, else the PT."""
        return self.concept.name if self.concept else (self.pt or self.matched)


# --------------------------------------------------------------------------------------------------
# Catalogue


def load_catalogue(path: Path = CATALOGUE_PATH) -> tuple[str, list[Concept]]:
    """Read our curated concepts.json: (version, concepts). Raises DataNotFoundError when unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise DataNotFoundError(f"Condition catalogue {path} could not be read ({e}); reinstall adrlens.") from e
    out = []
    for c in raw["concepts"]:
        narrow = tuple(p.lower() for p in c["narrow"])
        out.append(
            Concept(
                id=c["id"],
                name=c["name"],
                synonyms=tuple(c.get("synonyms", ())),
                narrow=narrow,
                broad=tuple(p.lower() for p in c.get("broad", ())),
                definition=c.get("definition", ""),
                red_flags=tuple(c.get("red_flags", ())),
                category=c.get("category", "other"),
                causes=tuple(c.get("causes", ())),
            )
        )
    return raw["version"], out


# --------------------------------------------------------------------------------------------------
# Vocabulary


class ConditionVocabulary:
    """Resolves condition names (lay or medical) to catalogue concepts and MedDRA PTs."""

    def __init__(self, index: dict[str, Any], version: str, concepts: list[Concept]) -> None:
        self.version = version
        self._index = index
        self._pts: dict[str, list[str]] = index["pts"]
        self._concepts = {c.id: c for c in concepts}
        self._by_pt: dict[str, list[tuple[Concept, bool]]] = defaultdict(list)  # pt -> (concept, narrow?)
        for c in concepts:
            for pt in c.pts("broad"):
                self._by_pt[pt].append((c, pt in c.narrow))
        # Exact keys -> candidate readings (concept id or None, pt or None, method).
        self._exact: dict[str, list[tuple[str | None, str | None, str, str]]] = defaultdict(list)
        self._bag: dict[str, list[tuple[str | None, str | None, str, str]]] = defaultdict(list)

        def add(text: str, cid: str | None, pt: str | None, method: str) -> None:
            entry = (cid, pt, method, text)
            self._exact[spelling_key(text)].append(entry)
            b = bag_key(text)
            if b:
                self._bag[b].append(entry)

        for c in concepts:
            add(c.name, c.id, None, "concept")
            add(c.id.replace("_", " "), c.id, None, "concept")
            for s in c.synonyms:
                add(s, c.id, None, "synonym")
        for pt in self._pts:
            add(pt, None, pt, "pt")
        for text, links in index["terms"].items():
            for pt, method in links:
                add(text, None, pt, method)
        # A broad PT that one of the concept's own synonyms leads to ("tingling" -> paraesthesia) is the
        # concept's home ground: it outranks concepts that merely list the same PT.
        self._affinity: set[tuple[str, str]] = set()
        for c in concepts:
            for s in (c.name, *c.synonyms):
                for cid, pt, _m, _t in self._exact.get(spelling_key(s), ()):
                    if cid is None and pt in c.broad:
                        self._affinity.add((c.id, pt))
        # A PT narrow in a concept and in one of its children (a concept whose narrow terms it holds all of:
        # "Bleeding" holds every term of "Gastrointestinal bleeding") points to the child, the tighter one.
        self._parent_of_pt: set[tuple[str, str]] = set()
        for pt, owners in self._by_pt.items():
            narrow_owners = [c for c, n in owners if n]
            for a in narrow_owners:
                if any(b.id != a.id and set(b.narrow) < set(a.narrow) for b in narrow_owners):
                    self._parent_of_pt.add((a.id, pt))
        self._fuzzy_keys: list[str] | None = None
        self._fuzzy_index: dict[str, list[int]] | None = None

    # ---- construction

    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> ConditionVocabulary:
        """Load the catalogue and the data index (cached under config.cache_dir(); rebuilt when data change)."""
        root = Path(data_dir) if data_dir is not None else config.data_dir()
        if not root.is_dir():
            raise DataNotFoundError(f"Data folder {root} does not exist. Set ADRLENS_DATA to the shared data.")
        from adrlens.vocab.condition_index import cached_index  # the builder imports this module's keys

        version, concepts = load_catalogue()
        index = cached_index(root)
        return cls(index, version, concepts)

    # ---- lookups

    def concepts(self) -> list[Concept]:
        """All catalogue concepts, in catalogue order."""
        return list(self._concepts.values())

    def concept(self, id_or_name: str) -> Concept:
        """A concept by id, name or synonym; ResolutionError with suggestions when unknown."""
        if id_or_name in self._concepts:
            return self._concepts[id_or_name]
        key = spelling_key(id_or_name)
        for cid, _pt, method, _t in self._exact.get(key, ()):
            if cid and method in ("concept", "synonym"):
                return self._concepts[cid]
        cands = [m.label for m in self.resolve(id_or_name, limit=5)]
        raise ResolutionError(
            f"No condition concept named {id_or_name!r}. Try one of: {', '.join(cands) or 'none found'}.",
            candidates=cands,
            kind=ResolutionError.UNKNOWN,
        )

    def concepts_for_pt(self, pt: str) -> list[Concept]:
        """Concepts that list the PT (narrow listings first)."""
        hits = self._by_pt.get(" ".join(pt.lower().split()), [])
        return [c for c, _ in sorted(hits, key=lambda h: not h[1])]

    def is_pt(self, name: str) -> bool:
        """True when `name` is a PT name seen in the shared data (case-insensitive)."""
        return " ".join(name.lower().split()) in self._pts

    def pt_sources(self, pt: str) -> list[str]:
        """Which data sets the PT name was seen in (sider, faers_aggregate, faers_sample, vaers, label)."""
        return list(self._pts.get(" ".join(pt.lower().split()), []))

    def pt_display(self, pt: str) -> str:
        """The PT as printed in the data ("Neuropathy peripheral")."""
        p = " ".join(pt.lower().split())
        return self._index["display"].get(p, p.capitalize())

    # ---- resolution

    def resolve(self, query: str, limit: int = 5) -> list[ConditionMatch]:
        """Readings of `query`, best first. Several close scores mean the query is ambiguous; [] = unknown."""
        if not isinstance(query, str) or not normalize(query):
            return []
        found: dict[str, ConditionMatch] = {}
        self._collect(self._exact.get(spelling_key(query), []), 1.0, found)
        if not found:
            self._collect(self._bag.get(bag_key(query), []), 0.98, found)
        cleaned = _REFSET_NOISE.sub(" ", normalize(query)).strip()
        if not found and cleaned and cleaned != normalize(query):
            # Outcome labels of OHDSI reference sets: "OMOP Acute Renal Failure 1", "HOI Upper GI #3".
            self._collect(self._exact.get(spelling_key(cleaned), []), 0.98, found)
            if not found:
                self._collect(self._bag.get(bag_key(cleaned), []), 0.96, found)
            query = cleaned
        if not found:
            qkey = bag_key(query) or spelling_key(query)
            for key, sim in self._fuzzy(qkey):
                if words_match(qkey, key):
                    self._collect(self._bag[key], FUZZY_SCALE * sim, found, fuzzy=True)
        ranked = sorted(found.values(), key=lambda m: (-m.score, m.concept is None, m.label))
        return ranked[: max(limit, 0)]

    def _collect(
        self,
        entries: Iterable[tuple[str | None, str | None, str, str]],
        factor: float,
        found: dict[str, ConditionMatch],
        fuzzy: bool = False,
    ) -> None:
        def offer(m: ConditionMatch) -> None:
            key = m.concept.id if m.concept else f"pt:{m.pt}"
            old = found.get(key)
            if old is None or m.score > old.score + 1e-9:
                found[key] = m

        for cid, pt, method, text in entries:
            meth = "fuzzy" if fuzzy else method
            if cid:
                base = SCORE_CONCEPT_NAME if method == "concept" else SCORE_CONCEPT_SYNONYM
                offer(ConditionMatch(self._concepts[cid], None, text, meth, round(base * factor, 4)))
                continue
            assert pt is not None
            base = SCORE_PT if method == "pt" else SCORE_TERM.get(method, 0.85)
            owners = self._by_pt.get(pt, [])
            if not owners:
                offer(ConditionMatch(None, pt, text, meth, round(base * factor, 4)))
            for concept, narrow in owners:
                s = base if narrow else base - BROAD_PENALTY / (2 if (concept.id, pt) in self._affinity else 1)
                if narrow and (concept.id, pt) in self._parent_of_pt:
                    s -= PARENT_PENALTY
                offer(ConditionMatch(concept, pt, text, meth, round(s * factor, 4)))

    def _fuzzy(self, qkey: str, top: int = 8) -> list[tuple[str, float]]:
        """Keys most similar to `qkey` by character-trigram Dice, above FUZZY_MIN."""
        if len(qkey) < 3:
            return []
        if self._fuzzy_index is None:
            self._fuzzy_keys = list(self._bag)
            inv: dict[str, list[int]] = defaultdict(list)
            for i, k in enumerate(self._fuzzy_keys):
                for g in _trigrams(k):
                    inv[g].append(i)
            self._fuzzy_index = inv
        assert self._fuzzy_keys is not None
        qg = _trigrams(qkey)
        overlap: Counter[int] = Counter()
        for g in qg:
            overlap.update(self._fuzzy_index.get(g, ()))
        scored = []
        for i, n in overlap.items():
            if 2 * n / (len(qg) + len(qg)) < FUZZY_MIN:  # cheap upper bound before exact sizes
                continue
            k = self._fuzzy_keys[i]
            dice = 2 * n / (len(qg) + len(k) + 2)  # a key of length L has L + 2 padded trigrams
            if dice >= FUZZY_MIN:
                scored.append((k, dice))
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        return scored[:top]

    # ---- description

    def describe(self, concept_or_pt: Concept | str) -> dict[str, Any]:
        """Facts for the answer's "the condition" section, each with its source."""
        if isinstance(concept_or_pt, Concept):
            c = concept_or_pt
        elif concept_or_pt in self._concepts:
            c = self._concepts[concept_or_pt]
        elif self.is_pt(concept_or_pt):
            return self._describe_pt(" ".join(concept_or_pt.lower().split()))
        else:
            c = self.concept(concept_or_pt)
        ont_ids = self._ontology_ids(c.narrow or c.broad, c.name)
        out: dict[str, Any] = {
            "id": c.id,
            "name": c.name,
            "category": c.category,
            "definition": {"text": c.definition, "source": CATALOGUE_SOURCE},
            "synonyms": list(c.synonyms),
            "pts": {
                "narrow": [self.pt_display(p) for p in c.narrow],
                "broad": [self.pt_display(p) for p in c.pts("broad")],
            },
            "red_flags": [{"text": r, "source": CATALOGUE_SOURCE} for r in c.red_flags],
            "common_causes": [{"text": r, "source": CATALOGUE_SOURCE} for r in c.causes],
        }
        out.update(self._ontology_facts(ont_ids))
        return out

    def _describe_pt(self, pt: str) -> dict[str, Any]:
        ont_ids = self._ontology_ids((pt,), pt)
        defs = self._ontology_facts(ont_ids)
        owners = self.concepts_for_pt(pt)
        out: dict[str, Any] = {
            "id": None,
            "pt": pt,
            "name": self.pt_display(pt),
            "category": owners[0].category if owners else None,
            "definition": defs["ontology_definitions"][0] if defs["ontology_definitions"] else None,
            "concepts": [c.id for c in owners],
            "seen_in": self.pt_sources(pt),
            "red_flags": [{"text": r, "source": CATALOGUE_SOURCE} for c in owners[:1] for r in c.red_flags],
            "common_causes": [],
        }
        out.update(defs)
        return out

    def _ontology_ids(self, pts: Iterable[str], name: str) -> list[str]:
        """HPO / DO terms linked to the PTs, those named like the condition first."""
        ids: list[str] = []
        for pt in pts:
            for oid in self._index["pt_ontology"].get(pt, []):
                if oid not in ids:
                    ids.append(oid)
        key = spelling_key(name)
        ont = self._index["ontology"]
        ids.sort(key=lambda o: (spelling_key(ont[o]["name"]) != key, not o.startswith("HP:")))
        return ids[:6]

    def _ontology_facts(self, ids: list[str]) -> dict[str, Any]:
        ont = self._index["ontology"]
        defs, lay, symptoms = [], [], []
        for oid in ids:
            t = ont[oid]
            src = ("HPO " if oid.startswith("HP:") else "Disease Ontology ") + oid
            if t["def"]:
                defs.append({"text": t["def"], "term": t["name"], "source": src})
            lay += [{"text": s, "source": src} for s in t["lay"] if s not in {x["text"] for x in lay}]
            for s in self._index["symptoms"].get(oid, []):
                if s not in {x["text"] for x in symptoms}:
                    symptoms.append({"text": s, "source": f"Disease Ontology disease-symptom {oid}"})
        return {"ontology_definitions": defs[:3], "lay_terms": lay[:10], "typical_symptoms": symptoms[:12]}


def label_phrases(vocab: ConditionVocabulary, pts: Sequence[str], concept: Concept | None) -> dict[str, str]:
    """Phrase -> PT to look for in a label's text: each PT's own name, the index terms (lower level and lay
    terms) that lead to that PT and no other, and the concept's name and synonyms (for its first narrow
    PT) unless a synonym names a term outside `pts`. A phrase reached twice keeps its first PT, in that
    order."""
    wanted = [" ".join(p.lower().split()) for p in pts if p and p.strip()]
    out: dict[str, str] = {}
    keys: set[str] = set()

    def put(text: str, pt: str) -> None:
        key = spelling_key(text)
        if key and key not in keys:
            keys.add(key)
            out[normalize(text)] = pt

    for pt in wanted:
        put(pt, pt)
    wanted_set = set(wanted)
    for key, entries in vocab._exact.items():  # every term text, keyed as the vocabulary matches it
        targets = {pt for cid, pt, _m, _t in entries if cid is None and pt is not None}
        if len(targets) == 1 and (pt := next(iter(targets))) in wanted_set and key not in keys:
            keys.add(key)
            out[normalize(entries[0][3])] = pt
    if concept is not None and concept.narrow:
        # A one-word synonym that ends other terms' names ("neuropathy": optic, autonomic) would find them.
        heads = {spelling_key(name.split()[-1]) for name in vocab._pts if name not in wanted_set and " " in name}
        for text in (concept.name, *concept.synonyms):
            if " " not in text.strip() and spelling_key(text) in heads:
                continue
            # A lay synonym that is the name of another term ("tingling" is paraesthesia, "numbness"
            # hypoaesthesia) would read a label's listing of that term as a listing of the concept.
            elsewhere = {pt for cid, pt, _m, _t in vocab._exact.get(spelling_key(text), ()) if cid is None and pt}
            if elsewhere and not elsewhere & wanted_set:
                continue
            put(text, concept.narrow[0])
    return out
