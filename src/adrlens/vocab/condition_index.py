"""Building the condition vocabulary's index from the shared data: which MedDRA PT names occur, and which
lay and medical terms lead to them.

MedDRA is licensed, so the PT names we know are the ones that occur in public data (SIDER PT rows,
FAERS aggregate tables and samples, VAERS symptoms, coded label mentions). Terms come from SIDER LLT ->
PT rows, label mentions coded to PTs, and HPO / Disease Ontology names and synonyms linked by UMLS CUI or
by name. `cached_index` keeps the JSON index under ``adrlens.config.cache_dir()``, keyed by the size and
mtime of every source file (`_signature`); `adrlens.vocab.conditions` does the matching.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adrlens import config
from adrlens.errors import DataNotFoundError
from adrlens.vocab.conditions import normalize, spelling_key
from adrlens.vocab.terms import is_pooled

# Bump when the cached index layout or the way it is built changes.
INDEX_VERSION = 4


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
        # MDDC class tables leave the PT column's header empty; pooled rows ("Other PT") are no PTs.
        for v in _column(p, ("ae", "reaction_pt", "e", "meddra_preferred_term", "")):
            if not is_pooled(v):
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


def cached_index(root: Path) -> dict[str, Any]:
    """The index of the data folder `root`: the cached JSON when current, else a fresh build written there."""
    cache = config.cache_dir() / f"condition_index_{_signature(_source_files(root))}.json"
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
    return index
