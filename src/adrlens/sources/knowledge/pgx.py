"""Pharmacogenomic risk: PharmGKB clinical annotations (level 1A/1B, toxicity) and CPIC gene-drug pairs.

Files (folder `pgx/` of the shared data; see DATA.md):

* `pharmgkb_2022-07-05/clinicalAnnotations/clinical_annotations.tsv`: one row per variant/haplotype x
  drug(s) x phenotype(s) annotation, with its level of evidence (1A strongest), phenotype category
  (Toxicity, Efficacy, Dosage, ...), PMID count and URL. Only levels 1A/1B whose category includes
  Toxicity are risk annotations; every annotation's phenotypes are also read to tell the diseases a
  drug is studied in (the "Epilepsy" of an anticonvulsant's toxicity annotation) from its toxicities.
* `cpic/pair.tsv`: CPIC gene-drug pairs (October 2018) with the CPIC level (A strongest) and PMIDs.

Phenotype names are MeSH-style disease names ("Epidermal Necrolysis, Toxic"); the knowledge build maps
them to MedDRA PT names (`adrlens.vocab.terms.map_to_pt`, plus `pgx_phenotypes.json`, a curated list with
a reference per entry).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from adrlens.errors import DataNotFoundError
from adrlens.sources.base import FileResult

PHARMGKB_SOURCE = "PharmGKB clinical annotations (2022-07-05)"
CPIC_SOURCE = "CPIC gene-drug pairs (2018-10)"
RISK_LEVELS = frozenset({"1A", "1B"})
TOXICITY = "toxicity"
PHENOTYPES_PATH = Path(__file__).with_name("pgx_phenotypes.json")


def _split(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(";") if x.strip()]


def _int(text: str | None) -> int | None:
    t = (text or "").strip()
    return int(t) if t.isdigit() else None


def read_clinical_annotations(path: Path) -> tuple[list[dict], dict[str, set[str]], FileResult]:
    """-> (risk rows, {drug name (lower): phenotypes (lower) of its annotations without Toxicity}, result).

    Risk rows {annotation_id, variant, gene, level, category, pmid_count, evidence_count, drugs, phenotypes,
    url, date}: levels 1A/1B with Toxicity among the categories."""
    if not path.exists():
        raise DataNotFoundError(f"PharmGKB clinical annotations {path} are missing. Point ADRLENS_DATA at the data.")
    res = FileResult(source="pharmgkb", layout="knowledge", table_name=path.name)
    rows: list[dict] = []
    context: dict[str, set[str]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        need = {"Clinical Annotation ID", "Gene", "Level of Evidence", "Phenotype Category", "Drug(s)", "Phenotype(s)"}
        if not need <= set(reader.fieldnames or []):
            raise DataNotFoundError(f"{path} lacks the PharmGKB columns {sorted(need)}.")
        for n, r in enumerate(reader, start=2):
            res.rows_read += 1
            cats = {c.lower() for c in _split(r.get("Phenotype Category"))}
            drugs = _split(r.get("Drug(s)"))
            phen = _split(r.get("Phenotype(s)"))
            if TOXICITY not in cats:
                for d in drugs:
                    context.setdefault(d.lower(), set()).update(p.lower() for p in phen)
                res.skip("not a toxicity annotation (read for disease context only)", n, r["Clinical Annotation ID"])
                continue
            level = (r.get("Level of Evidence") or "").strip().upper()
            if level not in RISK_LEVELS:
                res.skip("toxicity annotation below level 1B", n, f"{r['Clinical Annotation ID']} level {level}")
                continue
            if not drugs or not r.get("Gene"):
                res.skip("annotation without drug or gene", n, r["Clinical Annotation ID"])
                continue
            rows.append(
                {
                    "annotation_id": r["Clinical Annotation ID"].strip(),
                    "variant": (r.get("Variant/Haplotypes") or "").strip(),
                    "gene": r["Gene"].strip(),
                    "level": level,
                    "category": r["Phenotype Category"].strip(),
                    "pmid_count": _int(r.get("PMID Count")),
                    "evidence_count": _int(r.get("Evidence Count")),
                    "drugs": drugs,
                    "phenotypes": phen,
                    "url": (r.get("URL") or "").strip() or None,
                    "date": (r.get("Latest History Date (YYYY-MM-DD)") or "").strip() or None,
                }
            )
            res.rows_loaded += 1
    return rows, context, res


def read_cpic_pairs(path: Path) -> tuple[list[dict], FileResult]:
    """-> rows {gene, drug_name, level, pgkb_level, testing, pmids} of the CPIC pairs file."""
    if not path.exists():
        raise DataNotFoundError(f"CPIC pairs file {path} is missing.")
    res = FileResult(source="cpic", layout="knowledge", table_name=path.name)
    rows: list[dict] = []
    with open(path, encoding="utf-8", newline="") as f:
        for n, r in enumerate(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE), start=2):
            res.rows_read += 1
            gene, drug = (r.get("hgncId") or "").strip(), (r.get("drugName") or "").strip()
            if not gene or not drug:
                res.skip("pair without gene or drug", n, str(r)[:200])
                continue
            pmids = [p.strip().strip('"') for p in (r.get("citations") or "").strip("{}").split(",") if p.strip()]
            rows.append(
                {
                    "gene": gene,
                    "drug_name": drug,
                    "level": (r.get("level") or "").strip() or None,
                    "pgkb_level": (r.get("pgkbCALevel") or "").strip() or None,
                    "testing": (r.get("pgxTesting") or "").strip() or None,
                    "pmids": pmids,
                }
            )
            res.rows_loaded += 1
    return rows, res


def curated_phenotypes(path: Path = PHENOTYPES_PATH) -> dict[str, list[str]]:
    """Phenotype name (lower case) -> MedDRA PT names, from the curated file (each entry has a reference)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise DataNotFoundError(f"Cannot read the curated PGx phenotype file {path}: {e}") from e
    out: dict[str, list[str]] = {}
    for entry in data.get("phenotypes", []):
        if not entry.get("reference"):
            raise DataNotFoundError(f"{path}: entry {entry.get('phenotype')!r} has no reference.")
        out[" ".join(entry["phenotype"].lower().split())] = [p.lower() for p in entry["pts"]]
    return out
