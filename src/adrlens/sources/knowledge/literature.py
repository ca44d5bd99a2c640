"""Published drug-adverse-effect pairs: ADE corpus v2, MEDLINE MeSH ADE indexing, SemMedDB predications.

* `literature/ade_corpus_v2/DRUG-AE.rel`: PMID|sentence|effect|begin|end|drug|begin|end, annotated by
  hand in sentences of PubMed case reports (Gurulingappa et al. 2012). Study type: case report.
* `literature/medline_mesh_ade/{cr,rct,other}.tsv.gz`: rxcui, mesh_id, pmid, ade_agents, ade_effects
  (OHDSI LAERTES). ade_effects are the MeSH conditions indexed "chemically induced" in an article where
  ade_agents are indexed "adverse effects"; rows without ade_effects only say that the drug and the
  (mesh_id) condition co-occur, often as the indication (tamoxifen - breast neoplasms), so they are
  skipped (counted). The shipped extract covers 63 drugs only (rxcui order up to 10324).
* `literature/semmeddb/drug_hoi_predications.nt.gz`: SemMedDB predications (N-Triples annotations):
  sentence, PMID, study type, UMLS drug and condition with names. Only positive "causes" (T147)
  predications are kept; "disrupts" (the drug prevents) and the vague "affects" are skipped.

Readers return plain rows with the drug as named by the source; the knowledge builder normalises drug
names and maps terms to MedDRA PT names.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

from adrlens.errors import DataNotFoundError
from adrlens.sources.base import FileResult

ADE_SOURCE = "ADE corpus v2"
MEDLINE_SOURCE = "MEDLINE MeSH ADE"
SEMMED_SOURCE = "SemMedDB"

MEDLINE_STUDY_TYPES = {"cr": "case report", "rct": "randomized controlled trial", "other": "other"}


def read_ade_corpus(path: Path) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, term, pmid, sentence, study_type}, one per distinct (pmid, drug, effect)."""
    if not path.exists():
        raise DataNotFoundError(f"ADE corpus file {path} is missing. Check the shared data folder.")
    res = FileResult(source="ade_corpus", layout="knowledge", table_name=path.name)
    seen: set[tuple[str, str, str]] = set()
    rows: list[dict] = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            res.rows_read += 1
            parts = line.split("|")
            # Sentences may themselves contain '|': the last six fields are fixed, the rest is sentence.
            if len(parts) < 8:
                res.skip("fewer than 8 fields", n, line)
                continue
            pmid, effect, drug = parts[0].strip(), parts[-6].strip(), parts[-3].strip()
            sentence = "|".join(parts[1:-6]).strip()
            if not pmid.isdigit() or not effect or not drug:
                res.skip("missing PMID, effect or drug", n, line)
                continue
            key = (pmid, drug.lower(), effect.lower())
            if key in seen:
                res.skip("duplicate (PMID, drug, effect)", n, line)
                continue
            seen.add(key)
            rows.append(
                {
                    "drug_name": drug,
                    "term": effect,
                    "pmid": pmid,
                    "sentence": sentence,
                    "study_type": "case report",
                }
            )
            res.rows_loaded += 1
    return rows, res


def rxcui_names(path: Path, wanted: set[str]) -> dict[str, str]:
    """RxCUI -> RxNorm preferred label for the wanted RxCUIs (from the 2015 BioPortal RxNorm extract)."""
    if not path.exists():
        raise DataNotFoundError(f"RxNorm label file {path} is missing. Check the shared data folder.")
    out: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        for row in reader:
            if len(row) < 2:
                continue
            cui = row[0].rsplit("/", 1)[-1]
            if cui in wanted:
                out[cui] = row[1].strip()
    return out


def read_medline(folder: Path, rxnorm_labels: Path) -> tuple[list[dict], list[FileResult]]:
    """-> rows {drug_name, rxcui, term, pmid, study_type, agents}, one per (rxcui, pmid, effect)."""
    raw: list[tuple[str, str, str, str, str, int, FileResult]] = []
    results: list[FileResult] = []
    for stem, study_type in MEDLINE_STUDY_TYPES.items():
        path = folder / f"{stem}.tsv.gz"
        if not path.exists():
            raise DataNotFoundError(f"MEDLINE MeSH ADE file {path} is missing. Check the shared data folder.")
        res = FileResult(source="medline_mesh", layout="knowledge", table_name=path.name)
        results.append(res)
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, [])
            if header[:3] != ["rxcui", "mesh_id", "pmid"]:
                raise DataNotFoundError(f"{path} does not start with rxcui, mesh_id, pmid columns.")
            for n, row in enumerate(reader, start=2):
                res.rows_read += 1
                row = row + [""] * (5 - len(row))
                rxcui, pmid, agents, effects = row[0].strip(), row[2].strip(), row[3].strip(), row[4].strip()
                if not rxcui.isdigit() or not pmid.isdigit():
                    res.skip("missing rxcui or PMID", n, "\t".join(row))
                    continue
                if not effects:
                    res.skip("no MeSH term indexed as chemically induced (co-occurrence only)", n, "\t".join(row))
                    continue
                raw.append((rxcui, pmid, agents, effects, study_type, n, res))
    names = rxcui_names(rxnorm_labels, {r[0] for r in raw})
    seen: set[tuple[str, str, str]] = set()
    rows: list[dict] = []
    for rxcui, pmid, agents, effects, study_type, n, res in raw:
        name = names.get(rxcui)
        if name is None:
            res.skip("rxcui not in the RxNorm label file", n, rxcui)
            continue
        loaded = False
        for term in (t.strip() for t in effects.split("|")):
            # The same article appears once per HOI mesh_id; keep one row per (drug, article, effect).
            if not term or (rxcui, pmid, term.lower()) in seen:
                continue
            seen.add((rxcui, pmid, term.lower()))
            rows.append(
                {
                    "drug_name": name,
                    "rxcui": rxcui,
                    "term": term,
                    "pmid": pmid,
                    "study_type": study_type,
                    "agents": agents.replace("|", "; "),
                }
            )
            loaded = True
        if loaded:
            res.rows_loaded += 1
    return rows, results


_NT_RE = re.compile(r'^<([^>]+)>\s+<([^>]+)>\s+(?:<([^>]+)>|"((?:[^"\\]|\\.)*)"(?:\^\^<[^>]+>)?)\s*\.\s*$')
_DESC_RE = re.compile(r"UMLS drug (C\d+) \((.*)\) and UMLS HOI (C\d+) \((.*)\)$")


def read_semmeddb(path: Path) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, term, pmid, sentence, study_type, predicate} of positive "causes" predications."""
    if not path.exists():
        raise DataNotFoundError(f"SemMedDB file {path} is missing. Check the shared data folder.")
    res = FileResult(source="semmeddb", layout="knowledge", table_name=path.name)
    props: dict[str, dict[str, str]] = {}
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            m = _NT_RE.match(line)
            if not m:
                continue  # Turtle prefix and vocabulary lines
            subj, pred, obj = m.group(1), m.group(2).rsplit("#", 1)[-1].rsplit("/", 1)[-1], m.group(3)
            value = obj if obj is not None else m.group(4).replace('\\"', '"')
            props.setdefault(subj, {}).setdefault(pred, value)
    rows: list[dict] = []
    for subj, p in props.items():
        if "hasBody" not in p or "hasTarget" not in p:
            continue  # not an annotation item
        res.rows_read += 1
        body, target = props.get(p["hasBody"], {}), props.get(p["hasTarget"], {})
        predicate = body.get("semanticNetworkPredicate", "").rsplit("#", 1)[-1]
        if body.get("modality") != "positive":
            res.skip("negative predication", 0, subj)
            continue
        if predicate != "T147":
            res.skip("predicate is not 'causes' (disrupts / affects)", 0, body.get("description", ""))
            continue
        m = _DESC_RE.search(body.get("description", ""))
        pmid = target.get("hasSource", "").rsplit("/", 1)[-1]
        if not m or not pmid.isdigit():
            res.skip("no drug/condition names or PMID", 0, body.get("description", ""))
            continue
        sentence = props.get(target.get("hasSelector", ""), {}).get("exact", "")
        study = target.get("MeshStudyType", "").replace(" (publication type)", "")
        study = {"case reports": "case report"}.get(study, study) or "other"
        rows.append(
            {
                "drug_name": m.group(2),
                "term": m.group(4),
                "pmid": pmid,
                "sentence": sentence,
                "study_type": study,
                "predicate": "causes",
            }
        )
        res.rows_loaded += 1
    return rows, res
