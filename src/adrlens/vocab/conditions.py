"""Condition vocabulary: lay terms -> MedDRA preferred terms (PTs) -> condition concepts.

MedDRA is licensed, so the PT names we know are the ones that occur in public data (SIDER PT rows,
FAERS aggregate tables and samples, VAERS symptoms, coded label mentions). Lay words reach PTs through
HPO lay synonyms and Disease Ontology synonyms (linked by UMLS CUI or by name), SIDER LLT -> PT rows,
label mentions coded to PTs, the synonyms of our own curated catalogue (``concepts.json``) and, last,
a fuzzy character-trigram match.

The index built from the shared data is cached as JSON under ``adrlens.config.cache_dir()``, keyed by
the size and mtime of every source file, so loading is fast after the first build.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adrlens import config
from adrlens.errors import DataNotFoundError, ResolutionError

# Bump when the cached index layout or the way it is built changes.
INDEX_VERSION = 3
CATALOGUE_PATH = Path(__file__).with_name("concepts.json")
CATALOGUE_SOURCE = "adrlens condition catalogue"

# Scores of the ways a query can match; the caller treats close top scores as ambiguity.
SCORE_CONCEPT_NAME = 1.0
SCORE_CONCEPT_SYNONYM = 0.97
SCORE_PT = 0.95
SCORE_TERM = {"llt": 0.92, "hpo_lay": 0.9, "hpo": 0.9, "do": 0.88, "label": 0.86}
BROAD_PENALTY = 0.04  # a PT only in a concept's broad list is a weaker pointer to that concept
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
# Reading the shared data


def _source_files(root: Path) -> dict[str, list[Path]]:
    """Files read to build the index, grouped by the role they play."""
    f = root / "faers"
    groups = {
        "sider": [root / "labels/sider41/meddra_all_se.tsv.gz"],
        "sider_terms": [root / "labels/sider41/side_effect_terms.tsv"],
        "faers_agg": sorted((f / "aggregates/class_tables").glob("*.csv"))
        + sorted((f / "aggregates/fda_openfda_2x2_by_quarter").glob("*.csv.gz"))
        + [f / "aggregates/signals_2025q4_2026q1/signals.csv.gz", f / "aggregates/aers_ebgm_3drugs/evidence.psv"],
        "faers_sample": [
            *sorted((f / "samples").glob("*/*[Rr][Ee][Aa][Cc]*")),
            f / "quarter_2022q3_ps/cases_ps_drug_pt.csv.gz",
        ],
        "vaers": sorted((root / "vaers").glob("*/*.zip")) + sorted((root / "vaers").glob("pvlrt_*.csv")),
        # The pediatric annotation file codes mentions to LLTs, not PTs: only the TAC ADR-track labels.
        "label": sorted((root / "labels/spl_tac2017").glob("demner-fushman-*.json.gz")),
        "hpo": [root / "vocab/conditions/hp.obo.gz"],
        "do": [root / "vocab/conditions/disease_ontology_2015.obo.gz"],
        "do_symptoms": [root / "vocab/conditions/disease_ontology_2026/disease-symptom.tsv"],
        "hetionet": [root / "vocab/conditions/hetionet_nodes.tsv"],
    }
    return {k: [p for p in v if p.is_file()] for k, v in groups.items()}


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")  # closed by the caller's with-block


def _column(path: Path, names: tuple[str, ...], delimiter: str | None = None) -> Iterator[str]:
    """Values of the first of `names` present in a delimited file's header (case-insensitive)."""
    with _open_text(path) as fh:
        header = fh.readline()
        delim = delimiter or ("$" if "$" in header else "|" if "|" in header else "\t" if "\t" in header else ",")
        cols = [c.strip().strip('"').lower() for c in header.rstrip("\n").split(delim)]
        idx = next((cols.index(n) for n in names if n in cols), None)
        if idx is None:
            return
        for row in csv.reader(fh, delimiter=delim):
            if len(row) > idx and row[idx].strip():
                yield row[idx].strip()


def _vaers_symptoms(path: Path) -> Iterator[str]:
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if "SYMPTOMS" not in name.upper():
                continue
            with zf.open(name) as raw:
                reader = csv.reader(io.TextIOWrapper(raw, encoding="latin-1"))
                header = [h.upper() for h in next(reader, [])]
                idx = [i for i, h in enumerate(header) if re.fullmatch(r"SYMPTOM\d", h)]
                for row in reader:
                    for i in idx:
                        if i < len(row) and row[i].strip():
                            yield row[i].strip()


def _obo_terms(path: Path) -> Iterator[dict[str, Any]]:
    """[Term] stanzas of an OBO file: id, name, def, synonyms [(text, is_lay)], umls CUIs, obsolete."""
    term: dict[str, Any] | None = None
    with _open_text(path) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("["):
                if term and term.get("id") and not term.get("obsolete"):
                    yield term
                term = {"syn": [], "cui": []} if line == "[Term]" else None
                continue
            if term is None or ": " not in line:
                continue
            tag, val = line.split(": ", 1)
            if tag == "id":
                term["id"] = val
            elif tag == "name":
                term["name"] = val
            elif tag == "def":
                m = re.match(r'"((?:[^"\\]|\\.)*)"', val)
                term["def"] = m.group(1).replace('\\"', '"') if m else val
            elif tag == "synonym":
                m = re.match(r'"((?:[^"\\]|\\.)*)"\s*(\S+)?(.*)', val)
                if m:
                    term["syn"].append((m.group(1), "layperson" in m.group(3), m.group(2) or ""))
            elif tag == "xref" and val.startswith(("UMLS:", "UMLS_CUI:")):
                term["cui"].append(val.split(":", 1)[1].split()[0])
            elif tag == "is_obsolete" and val.strip() == "true":
                term["obsolete"] = True
    if term and term.get("id") and not term.get("obsolete"):
        yield term


def _signature(files: dict[str, list[Path]]) -> str:
    h = hashlib.sha256(f"v{INDEX_VERSION}".encode())
    for group in sorted(files):
        for p in files[group]:
            st = p.stat()
            h.update(f"{group}:{p.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def build_index(root: Path) -> dict[str, Any]:
    """Read the shared data into a JSON-able index (a few seconds; `ConditionVocabulary.load` caches it)."""
    files = _source_files(root)
    if not files["sider"]:
        raise DataNotFoundError(
            f"SIDER 4.1 meddra_all_se.tsv.gz not found under {root}/labels/sider41. "
            "Set ADRLENS_DATA to the shared data folder."
        )
    pts: dict[str, set[str]] = defaultdict(set)  # pt (lower) -> sources
    display: dict[str, str] = {}  # pt -> name as printed in SIDER / FAERS (mixed case)
    terms: dict[str, set[tuple[str, str]]] = defaultdict(set)  # term text -> {(pt, method)}
    cui_pts: dict[str, set[str]] = defaultdict(set)

    def add_pt(name: str, source: str) -> str:
        pt = " ".join(name.lower().split())
        pts[pt].add(source)
        if pt not in display or (display[pt].isupper() and not name.isupper()):
            display[pt] = " ".join(name.split())
        return pt

    # SIDER: each label concept has an LLT row and one or more PT rows sharing column 3.
    llt_names: dict[str, str] = {}
    label_pts: dict[str, set[str]] = defaultdict(set)
    with _open_text(files["sider"][0]) as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 6:
                continue
            label_cui, kind, term_cui, name = row[2], row[3], row[4], row[5]
            if kind == "PT":
                pt = add_pt(name, "sider")
                label_pts[label_cui].add(pt)
                cui_pts[term_cui].add(pt)
            elif kind == "LLT":
                llt_names[term_cui] = name
    for cui, name in llt_names.items():
        for pt in label_pts.get(cui, ()):
            cui_pts[cui].add(pt)
            if normalize(name) != normalize(pt):
                terms[name].add((pt, "llt"))

    for p in files["faers_agg"]:
        for v in _column(p, ("ae", "reaction_pt", "e", "meddra_preferred_term")):
            add_pt(v, "faers_aggregate")
    for p in files["faers_sample"]:
        for v in _column(p, ("pt", "ae")):
            add_pt(v, "faers_sample")
    for p in files["vaers"]:
        values = _vaers_symptoms(p) if p.suffix == ".zip" else _column(p, ("ae",))
        for v in values:
            add_pt(v, "vaers")

    # TAC 2017 labels: [mention, PT, PT code, LLT, LLT code, ...] per gold mention.
    for p in files["label"]:
        with gzip.open(p, "rt", encoding="utf-8") as fh:
            for section in json.load(fh):
                for ev in section.get("adverse_events") or []:
                    if not (isinstance(ev, list) and len(ev) > 1 and isinstance(ev[1], str) and ev[1].strip()):
                        continue
                    mention, pt = str(ev[0]), add_pt(ev[1], "label")
                    if normalize(mention) != normalize(pt):
                        terms[mention].add((pt, "label"))

    pt_by_key: dict[str, str] = {}
    for pt in sorted(pts, key=lambda p: (-len(pts[p]), p)):
        pt_by_key.setdefault(spelling_key(pt), pt)

    # Hetionet side-effect nodes (UMLS CUI, SIDER-derived names) widen the CUI -> PT links.
    for p in files["hetionet"]:
        with _open_text(p) as fh:
            for row in csv.reader(fh, delimiter="\t"):
                if len(row) >= 2 and row[0].startswith("Side Effect::"):
                    pt = pt_by_key.get(spelling_key(row[1]))
                    if pt:
                        cui_pts[row[0].split("::", 1)[1]].add(pt)

    def linked_pts(term: dict[str, Any]) -> set[str]:
        out: set[str] = set()
        for cui in term["cui"]:
            out |= cui_pts.get(cui, set())
        pt = pt_by_key.get(spelling_key(term.get("name", "")))
        if pt:
            out.add(pt)
        return out

    ontology: dict[str, dict[str, Any]] = {}
    pt_ontology: dict[str, list[str]] = defaultdict(list)
    for group, method in (("hpo", "hpo"), ("do", "do")):
        for p in files[group]:
            for t in _obo_terms(p):
                linked = linked_pts(t)
                if not linked or "name" not in t:
                    continue
                ontology[t["id"]] = {
                    "name": t["name"],
                    "def": t.get("def", ""),
                    "lay": [s for s, lay, _ in t["syn"] if lay],
                    "syn": [s for s, lay, scope in t["syn"] if not lay and scope in ("EXACT", "")][:12],
                }
                for pt in sorted(linked):
                    pt_ontology[pt].append(t["id"])
                    # A term linked to several PTs is vague; its words still point at each of them.
                    for s, lay, scope in [(t["name"], False, "EXACT"), *t["syn"]]:
                        if scope not in ("EXACT", ""):
                            continue  # RELATED / BROAD synonyms are not the same condition
                        terms[s].add((pt, "hpo_lay" if lay else method))

    symptoms: dict[str, list[str]] = defaultdict(list)
    for p in files["do_symptoms"]:
        with _open_text(p) as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                if row.get("symptom_label"):
                    symptoms[row["disease_id"]].append(row["symptom_label"])

    return {
        "version": INDEX_VERSION,
        "root": str(root),
        "pts": {pt: sorted(src) for pt, src in sorted(pts.items())},
        "display": display,
        "terms": {t: sorted(v) for t, v in sorted(terms.items())},
        "ontology": ontology,
        "pt_ontology": dict(pt_ontology),
        "symptoms": {k: v for k, v in symptoms.items() if k in ontology},
    }


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
        self._fuzzy_keys: list[str] | None = None
        self._fuzzy_index: dict[str, list[int]] | None = None

    # ---- construction

    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> ConditionVocabulary:
        """Load the catalogue and the data index (cached under config.cache_dir(); rebuilt when data change)."""
        root = Path(data_dir) if data_dir is not None else config.data_dir()
        if not root.is_dir():
            raise DataNotFoundError(f"Data folder {root} does not exist. Set ADRLENS_DATA to the shared data.")
        version, concepts = load_catalogue()
        sig = _signature(_source_files(root))
        cache = config.cache_dir() / f"condition_index_{sig}.json"
        index: dict[str, Any] | None = None
        if cache.is_file():
            try:
                index = json.loads(cache.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                index = None  # a damaged cache is rebuilt below
        if index is None or index.get("version") != INDEX_VERSION:
            index = build_index(root)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")  # one temp file per process
            tmp.write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")
            tmp.replace(cache)  # atomic: concurrent loaders never read a half-written file
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
            for key, sim in self._fuzzy(bag_key(query) or spelling_key(query)):
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
