"""Drug profiles: descriptions, half-lives, pharmacologic classes and indications.

All under `vocab/drugs/` of the shared data folder:

* `drugbank/drugbank.tsv` (DrugBank 4: name, ATC codes, categories, description; quoted multi-line
  fields), `drugbank/drugbank_halflife.tsv` (half-life free text), `drugbank/drugbank_subset_halflife_
  curated.tsv` (hours read off that text by hand, ranges averaged), `drugbank/pubchem-mapping.tsv`.
* `drugcentral/drug-to-class.tsv` + `classes.tsv`: FDA EPC / MoA / PE / chemical class, MeSH
  pharmacological action, ChEBI role; `drugcentral/indications.tsv` (Disease Ontology, DM/SYM/NOT).
* `atc/classes.csv` (FAERS ingredient -> ATC code, plus the names of every ATC level) and
  `atc/groups.csv` (ingredients WHO classes only as a group, e.g. insulin -> A10A).
* `medi/medi_hps.csv` (MEDI high-precision subset: RxNorm ingredient -> ICD-9 indication) and
  `indications_drugbank_doid.tsv` (DrugBank x Disease Ontology).

Readers return rows keyed by the drug name as the source gives it; the knowledge builder normalises.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from adrlens.errors import DataNotFoundError
from adrlens.sources.base import FileResult

DRUGBANK_SOURCE = "DrugBank 4"
DRUGCENTRAL_SOURCE = "DrugCentral"
ATC_SOURCE = "WHO ATC"
MEDI_SOURCE = "MEDI (high precision)"
DOID_SOURCE = "DrugBank-DOID indications"

# (class_source, class_type) of DrugCentral -> our short class type.
_DRUGCENTRAL_TYPES = {
    ("FDA", "FDA Established Pharmacologic Class"): "EPC",
    ("FDA", "Mechanism of Action"): "MoA",
    ("FDA", "Physiologic Effect"): "PE",
    ("FDA", "Chemical/Ingredient"): "CS",
    ("MeSH", "Pharmacological Action"): "MeSH PA",
    ("CHEBI", "Application"): "ChEBI role",
}
_DRUGCENTRAL_INDICATION_CATEGORY = {"DM": "disease-modifying", "SYM": "symptomatic"}
_ATC_LEVEL_LEN = {1: 1, 2: 3, 3: 4, 4: 5, 5: 7}


def _need(path: Path) -> Path:
    if not path.exists():
        raise DataNotFoundError(f"Drug profile file {path} is missing. Check the shared data folder.")
    return path


def _dict_rows(path: Path, delimiter: str = "\t") -> list[dict[str, str]]:
    with open(_need(path), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def _split(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split("|") if x.strip()]


def read_drugbank(folder: Path) -> tuple[list[dict], dict[int, str], list[FileResult]]:
    """-> (drug rows, PubChem CID -> DrugBank name, results).

    Drug rows: {drugbank_id, drug_name, description, atc_codes, categories, half_life_text, half_life_hours}.
    """
    res = FileResult(source="drugbank", layout="knowledge", table_name="drugbank.tsv")
    drugs: dict[str, dict] = {}
    for r in _dict_rows(folder / "drugbank.tsv"):
        res.rows_read += 1
        dbid, name = (r.get("drugbank_id") or "").strip(), (r.get("name") or "").strip()
        if not dbid or not name:
            res.skip("row without DrugBank id or name", res.rows_read, str(r)[:200])
            continue
        drugs[dbid] = {
            "drugbank_id": dbid,
            "drug_name": name,
            "description": (r.get("description") or "").strip() or None,
            "atc_codes": _split(r.get("atc_codes")),
            "categories": _split(r.get("categories")),
            "half_life_text": None,
            "half_life_hours": None,
        }
        res.rows_loaded += 1
    hl = FileResult(source="drugbank", layout="knowledge", table_name="drugbank_halflife.tsv")
    for r in _dict_rows(folder / "drugbank_halflife.tsv"):
        hl.rows_read += 1
        d = drugs.get((r.get("drugbank_id") or "").strip())
        text = " ".join((r.get("half_life") or "").split())
        if d is None:
            hl.skip("DrugBank id not in drugbank.tsv", hl.rows_read, str(r.get("drugbank_id")))
        elif text:
            d["half_life_text"] = text
            hl.rows_loaded += 1
    cur = FileResult(source="drugbank", layout="knowledge", table_name="drugbank_subset_halflife_curated.tsv")
    for r in _dict_rows(folder / "drugbank_subset_halflife_curated.tsv"):
        cur.rows_read += 1
        d = drugs.get((r.get("drugbank_id") or "").strip())
        try:
            hours = float(r.get("half_life_hours_curated") or "")
        except ValueError:
            cur.skip("curated half-life not a number", cur.rows_read, str(r))
            continue
        if d is None:
            cur.skip("DrugBank id not in drugbank.tsv", cur.rows_read, str(r.get("drugbank_id")))
        elif not math.isfinite(hours) or hours <= 0:
            cur.skip("curated half-life not a positive finite number", cur.rows_read, str(r))
        else:
            d["half_life_hours"] = hours
            cur.rows_loaded += 1
    by_cid: dict[int, str] = {}
    for r in _dict_rows(folder / "pubchem-mapping.tsv"):
        d = drugs.get((r.get("drugbank_id") or "").strip())
        cid = (r.get("pubchem_cid") or "").strip()
        if d is not None and cid.isdigit():
            by_cid.setdefault(int(cid), d["drug_name"])
    return list(drugs.values()), by_cid, [res, hl, cur]


def read_drugcentral_classes(folder: Path) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, class_type, class_name, class_id} from DrugCentral's drug-to-class table."""
    types: dict[str, str] = {}
    for r in _dict_rows(folder / "classes.tsv"):
        t = _DRUGCENTRAL_TYPES.get(((r.get("class_source") or "").strip(), (r.get("class_type") or "").strip()))
        if t:
            types[(r.get("class_id") or "").strip()] = t
    res = FileResult(source="drugcentral", layout="knowledge", table_name="drug-to-class.tsv")
    rows: list[dict] = []
    for r in _dict_rows(folder / "drug-to-class.tsv"):
        res.rows_read += 1
        cid, name, cname = (r.get(k, "") or "" for k in ("class_id", "drugbank_name", "class_name"))
        t = types.get(cid.strip())
        if t is None:
            res.skip("class id not in classes.tsv", res.rows_read, cid)
            continue
        if not name.strip() or not cname.strip():
            res.skip("row without drug or class name", res.rows_read, str(r)[:200])
            continue
        rows.append({"drug_name": name.strip(), "class_type": t, "class_name": cname.strip(), "class_id": cid.strip()})
        res.rows_loaded += 1
    return rows, res


def read_drugcentral_indications(folder: Path) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, indication, indication_id, note}; 'NOT' rows (not indicated) are skipped."""
    res = FileResult(source="drugcentral", layout="knowledge", table_name="indications.tsv")
    rows: list[dict] = []
    for r in _dict_rows(folder / "indications.tsv"):
        res.rows_read += 1
        cat = (r.get("category") or "").strip()
        if cat == "NOT":
            res.skip("listed as NOT an indication", res.rows_read, f"{r.get('drug')} - {r.get('disease')}")
            continue
        drug, disease = (r.get("drug") or "").strip(), (r.get("disease") or "").strip()
        if not drug or not disease:
            res.skip("row without drug or disease", res.rows_read, str(r)[:200])
            continue
        rows.append(
            {
                "drug_name": drug,
                "indication": disease.lower(),
                "indication_id": (r.get("doid_id") or "").strip() or None,
                "note": _DRUGCENTRAL_INDICATION_CATEGORY.get(cat),
            }
        )
        res.rows_loaded += 1
    return rows, res


def read_atc(folder: Path) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, class_type ('ATC1'..'ATC5'), class_name, class_id} for single ingredients.

    Each ATC code of an ingredient contributes its ancestors too (C08CA01 -> C, C08, C08C, C08CA), named
    from the level rows of the same file. Combination codes ("amlodipine;atorvastatin") are skipped:
    they do not make either ingredient a member of the other's class.
    """
    res = FileResult(source="atc", layout="knowledge", table_name="classes.csv")
    names: dict[str, str] = {}
    members: list[tuple[str, str]] = []
    for r in _dict_rows(folder / "classes.csv", ","):
        code, who, ing = (r.get(k, "") or "" for k in ("atc_code", "who_name", "ingredient"))
        code, ing = code.strip(), ing.strip()
        if code and who.strip() and not ing:
            names[code] = who.strip()
            continue
        res.rows_read += 1
        if not code or not ing:
            res.skip("row without ATC code", res.rows_read, str(r)[:200])
            continue
        if ";" in ing:
            res.skip("combination product code", res.rows_read, f"{ing} {code}")
            continue
        names.setdefault(code, who.strip())
        members.append((ing, code))
        res.rows_loaded += 1
    groups = FileResult(source="atc", layout="knowledge", table_name="groups.csv")
    for r in _dict_rows(folder / "groups.csv", ","):
        groups.rows_read += 1
        sub, code = (r.get("substance") or "").strip(), (r.get("atc_code") or "").strip()
        if sub and code:
            members.append((sub, code))
            groups.rows_loaded += 1
        else:
            groups.skip("row without substance or code", groups.rows_read, str(r)[:200])
    res.rows_read += groups.rows_read
    res.rows_loaded += groups.rows_loaded
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for ing, code in members:
        for level, n in _ATC_LEVEL_LEN.items():
            if len(code) < n:
                break
            sub = code[:n]
            if (ing, sub) in seen:
                continue
            seen.add((ing, sub))
            name = names.get(sub)
            if name is None:
                continue
            rows.append({"drug_name": ing, "class_type": f"ATC{level}", "class_name": name, "class_id": sub})
    return rows, res


def read_medi(path: Path) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, indication, indication_id (ICD-9), note} from MEDI's high-precision subset."""
    res = FileResult(source="medi", layout="knowledge", table_name=path.name)
    rows: list[dict] = []
    for r in _dict_rows(path, ","):
        res.rows_read += 1
        drug, ind = (r.get("DRUG_DESC") or "").strip(), (r.get("INDICATION_DESCRIPTION") or "").strip()
        if not drug or not ind:
            res.skip("ICD-9 range without an indication name", res.rows_read, f"{drug} {r.get('ICD9')}")
            continue
        label_use = (r.get("POSSIBLE_LABEL_USE") or "").strip() == "1"
        rows.append(
            {
                "drug_name": drug,
                "indication": ind.lower(),
                "indication_id": f"ICD9:{(r.get('ICD9') or '').strip()}",
                "note": "on label" if label_use else "off label / not on label",
            }
        )
        res.rows_loaded += 1
    return rows, res


def read_doid_indications(path: Path) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, indication, indication_id, note} from the DrugBank x Disease Ontology table."""
    res = FileResult(source="drugbank_doid", layout="knowledge", table_name=path.name)
    rows: list[dict] = []
    for r in _dict_rows(path):
        res.rows_read += 1
        drug, ind = (r.get("drugbank_name") or "").strip(), (r.get("doid_name") or "").strip()
        if not drug or not ind:
            res.skip("row without drug or disease", res.rows_read, str(r)[:200])
            continue
        rows.append(
            {
                "drug_name": drug,
                "indication": ind.lower(),
                "indication_id": (r.get("doid_id") or "").strip() or None,
                "note": f"{(r.get('distinct_resources') or '?').strip()} resources",
            }
        )
        res.rows_loaded += 1
    return rows, res


DISEASE_ONTOLOGY_SOURCE = "Disease Ontology"


def read_disease_ontology(folder: Path) -> tuple[list[dict], FileResult]:
    """-> rows {disease_id, disease, relation ('is_a' | 'symptom'), target} from the Disease Ontology
    (`HumanDO.tsv`: id, label, parent label; `disease-symptom.tsv`: disease -> symptom (SYMP) label).

    Labels are lower case; they link a treated disease to its parents (a subtype is the same disease)
    and to the symptoms DO records for it (a sign of the disease).
    """
    res = FileResult(source="disease_ontology", layout="knowledge", table_name="HumanDO.tsv + disease-symptom.tsv")
    rows: list[dict] = []
    for r in _dict_rows(folder / "HumanDO.tsv"):
        res.rows_read += 1
        did, label, parent = ((r.get(k) or "").strip().strip('"').strip() for k in ("id", "label", "subClassOf"))
        if not did or not label:
            res.skip("row without id or label", res.rows_read, str(r)[:200])
            continue
        rows.append(
            {"disease_id": did, "disease": label.lower(), "relation": "is_a", "target": parent.lower() or None}
        )
        res.rows_loaded += 1
    for r in _dict_rows(folder / "disease-symptom.tsv"):
        res.rows_read += 1
        did, label, symptom = (
            (r.get(k) or "").strip() for k in ("disease_id", "disease_label", "symptom_label")
        )
        if not label or not symptom:
            res.skip("row without disease or symptom", res.rows_read, str(r)[:200])
            continue
        rows.append(
            {"disease_id": did or None, "disease": label.lower(), "relation": "symptom", "target": symptom.lower()}
        )
        res.rows_loaded += 1
    return rows, res
