"""Drug-label adverse reactions other than SIDER: US SPL sections (TAC 2017) and EU SmPC pairs (PROTECT).

* `labels/spl_tac2017/demner-fushman-{train,test}-labels.json.gz`: 200 US labels (named by brand,
  "ADCETRIS"), three sections each (adverse reactions, warnings and precautions, boxed warnings), with
  every gold ADR mention mapped to a MedDRA PT. Each mention is
  [text, PT name, PT code, LLT name, LLT code, offset, length, kind] where kind is human / animal /
  drug_class. Animal-study findings are not human adverse reactions and are skipped (counted).
  `fda-pediatric-special-populations-annot.json.gz` names its labels by set id only, so no drug can be
  attached to it; it is not read.
* `labels/eu_spc/drug_hoi_pairs_2015.tsv`: "drug-hoi" OMOP concept ids (RxNorm ingredient, MedDRA PT).
  Ingredient ids are named from the OMOP RxNorm ingredient table shipped with the vocabulary
  (`vocab/drugs/rxnorm/rxnorm_ingredients_2023.tsv.gz`). MedDRA itself is licensed and not shipped; the
  only id -> PT-name table we have is the OHDSI AERS evidence file (`faers/aggregates/aers_ebgm_3drugs/
  evidence.psv`, ~1,900 PTs), so pairs whose MedDRA concept it does not name are skipped and counted.
* `labels/fda_srlc/label_changes_20251022.csv`: FDA Safety-related Labeling Changes, one row per product
  and application with the date of its latest safety labelling change. Which sections changed is only on
  the linked page, so the date is never evidence about a topic.

Where an SPL adverse-reactions mention sits in the section text says how strong it is: a mention in a
postmarketing subsection, or in a paragraph (or a list introduced by one) saying that a causal relationship
is uncertain or has not been established, is weak; a mention on a line that states a rate ("83 (1.4)",
"12%") is a stated frequency. `mention_context` reads this from the text with general patterns.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

from adrlens.errors import DataNotFoundError
from adrlens.sources.base import FileResult

SPL_SOURCE = "SPL (TAC 2017)"
EU_SOURCE = "EU SmPC (PROTECT 2015)"
SRLC_SOURCE = "FDA SrLC (export 2025-10-22)"

# The sections whose listing is a warning (the strongest label statement), in every label reader's names.
WARNING_SECTIONS = frozenset({"boxed warning", "warnings and precautions"})
# Contexts of an SPL mention, weakest first (a PT mentioned in several places keeps its strongest).
CONTEXT_UNCERTAIN = "uncertain causality"
CONTEXT_POSTMARKETING = "postmarketing"
CONTEXT_RATE = "rate stated"
_CONTEXT_RANK = {CONTEXT_UNCERTAIN: 0, CONTEXT_POSTMARKETING: 1, None: 2, CONTEXT_RATE: 3}

# "a causal relationship ... is uncertain / has not been established", "causality could not be established",
# "events of uncertain causal relationship", "relationship to the drug is unknown".
_UNCERTAIN = re.compile(
    r"causal(?:ity)?\s+(?:relationship|association|role|link|connection)s?\b[^.:]{0,120}?\b"
    r"(?:is|are|was|were|remains?|has|have|had)\s+(?:not\s+(?:been\s+)?(?:established|determined|known|clear)"
    r"|uncertain|unknown|unclear|undetermined)"
    r"|causality\s+(?:could|can|has|was)\s*(?:not|n't)\s+(?:be\s+|been\s+)?(?:established|determined|assessed)"
    r"|(?:uncertain|unknown|unclear|undetermined)\s+(?:causal|causality|relationship|relation)"
    r"|relationship\s+to\s+(?:\w+\s+){0,3}(?:is|was|has\s+not\s+been)\s+(?:uncertain|unknown|established)",
    re.IGNORECASE,
)
# A numbered subsection heading ("6.2 Postmarketing Experience") on its own line.
_HEADING = re.compile(r"^\s*\d+(?:\.\d+)+\s+[A-Z][^\n]{0,100}$", re.MULTILINE)
_POSTMARKETING = re.compile(r"post[- ]?marketing|post[- ]?approval|spontaneous reports", re.IGNORECASE)
# A rate on the mention's line: "12%", "83 (1.4)", "(1.4%)".
_RATE = re.compile(r"\d+(?:\.\d+)?\s*%|\b\d+\s*\(\s*<?\d+(?:\.\d+)?\s*%?\s*\)")
# A paragraph that continues a list opened by an intro paragraph: a bullet, a "Body system: a, b, c" line, or
# a bare comma-separated list of terms (no sentence inside).
_LIST_ITEM = re.compile(r"^\s*(?:[*\u2022-]|[A-Z][A-Za-z ,/&()-]{2,80}:)|^[^.]{0,400}(?:,[^.,]+){2,}\.?\s*$")

_SECTION_NAMES = {
    "adverse reactions": "adverse reactions",
    "warnings and precautions": "warnings and precautions",
    "boxed warnings": "boxed warning",
}
# Label ids of the TAC set that do not name a drug (a generic word the vocabulary would misread).
_AMBIGUOUS_LABEL_IDS = frozenset({"kit"})


def _open_json_gz(path: Path) -> list[dict]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise DataNotFoundError(f"Cannot read SPL label file {path}: {e}. Check the shared data folder.") from e
    if not isinstance(data, list):
        raise DataNotFoundError(f"{path} is not a list of label sections as expected (TAC 2017 format).")
    return data


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of the blank-line separated paragraphs of a section text."""
    out, start = [], 0
    for m in re.finditer(r"\n[ \t]*\n", text):
        if text[start : m.start()].strip():
            out.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def mention_context(text: str, offset: int) -> str | None:
    """Where a mention at `offset` of an adverse-reactions section sits: CONTEXT_UNCERTAIN (its paragraph,
    or the intro of the list it is in, says causality is uncertain), CONTEXT_POSTMARKETING (under a
    postmarketing heading or in a paragraph about postmarketing reports), CONTEXT_RATE (its line states a
    rate) or None."""
    paras = _paragraphs(text)
    idx = next((i for i, (a, b) in enumerate(paras) if a <= offset < b), None)
    if idx is None:
        return None
    a, b = paras[idx]
    if _UNCERTAIN.search(text[a:b]):
        return CONTEXT_UNCERTAIN
    # Walk back over the list items to the paragraph that introduced them ("... is uncertain:").
    j = idx
    while j > 0:
        pa, pb = paras[j - 1]
        prev = text[pa:pb].strip()
        if _HEADING.fullmatch(prev):
            break
        if prev.endswith(":"):
            if _UNCERTAIN.search(prev):
                return CONTEXT_UNCERTAIN
            break
        if not _LIST_ITEM.search(" ".join(text[paras[j][0] : paras[j][1]].split())):
            break
        j -= 1
    heading = None
    for m in _HEADING.finditer(text, 0, offset):
        heading = m.group(0)
    intro = text[paras[j][0] : paras[j][1]] if j < idx else ""
    if (heading and _POSTMARKETING.search(heading)) or _POSTMARKETING.search(text[a:b] + intro):
        return CONTEXT_POSTMARKETING
    ls = text.rfind("\n", 0, offset) + 1
    le = text.find("\n", offset)
    if _RATE.search(text[ls : le if le >= 0 else len(text)]):
        return CONTEXT_RATE
    return None


def spl_files(folder: Path) -> list[Path]:
    """The TAC 2017 label files with drug names (train and test)."""
    files = sorted(folder.glob("demner-fushman-*-labels.json.gz"))
    if not files:
        raise DataNotFoundError(f"No TAC 2017 SPL label files (demner-fushman-*-labels.json.gz) in {folder}.")
    return files


def read_spl(folder: Path) -> tuple[list[dict], dict[str, list[str]], list[FileResult]]:
    """-> (rows {label_id, pt, section, mention, kind, context} one per distinct (label, section, PT), section
    texts by label id, results). `context` (adverse reactions only) is the strongest `mention_context` over
    the PT's mentions in the section."""
    rows: dict[tuple[str, str, str], dict] = {}
    texts: dict[str, list[str]] = {}
    results: list[FileResult] = []
    for path in spl_files(folder):
        res = FileResult(source="spl_tac2017", layout="knowledge", table_name=path.name)
        for sec in _open_json_gz(path):
            label_id = str(sec.get("label_id") or "").strip()
            section = _SECTION_NAMES.get(str(sec.get("section_name") or "").strip().lower())
            events = sec.get("adverse_events") or []
            if not label_id or section is None:
                res.skip("section without label id or with an unknown section name", 0, str(label_id), n=1)
                continue
            text = str(sec.get("section_text") or "")
            texts.setdefault(label_id, []).append(text)
            if label_id.lower() in _AMBIGUOUS_LABEL_IDS:
                res.skip("label id names no drug", 0, label_id, n=max(1, len(events)))
                continue
            for ev in events:
                res.rows_read += 1
                if not isinstance(ev, list) or len(ev) < 8:
                    res.skip("malformed mention", res.rows_read, repr(ev))
                    continue
                mention, pt, kind = ev[0], ev[1], str(ev[7] or "").strip().lower()
                if not isinstance(pt, str) or not pt.strip():
                    res.skip("mention not mapped to a MedDRA PT", res.rows_read, f"{label_id}: {mention}")
                    continue
                if kind == "animal":
                    res.skip("animal-study finding, not a human adverse reaction", res.rows_read, str(mention))
                    continue
                key = (label_id, section, pt.strip().lower())
                context = None
                if section == "adverse reactions" and str(ev[5] or "").isdigit():
                    context = mention_context(text, int(ev[5]))
                if key in rows:
                    if kind == "human":  # a human mention outranks a class statement for the same PT
                        rows[key]["kind"] = "human"
                    if _CONTEXT_RANK[context] > _CONTEXT_RANK[rows[key]["context"]]:
                        rows[key]["context"] = context
                    continue
                rows[key] = {
                    "label_id": label_id,
                    "section": section,
                    "pt": pt.strip().lower(),
                    "mention": str(mention or "").strip(),
                    "kind": kind or "human",
                    "context": context,
                }
                res.rows_loaded += 1
        results.append(res)
    return list(rows.values()), texts, results


def generic_names_in_text(label_id: str, texts: list[str]) -> list[str]:
    """Bracketed names right after the brand in the label text: "BREO ELLIPTA (fluticasone furoate and
    vilanterol inhalation powder)" -> ["fluticasone furoate and vilanterol inhalation powder", ...]."""
    pat = re.compile(rf"\b{re.escape(label_id)}\b[A-Za-z ®™-]{{0,30}}\(([^()]{{3,120}})\)", re.IGNORECASE)
    # The full brand as printed ("BREO ELLIPTA", "VIEKIRA PAK") is often what the vocabulary knows.
    full = re.compile(rf"\b{re.escape(label_id)}(?:\s+[A-Z][A-Z0-9-]+){{1,2}}\b", re.IGNORECASE)
    out: list[str] = []
    for text in texts:
        flat = " ".join(text.split())
        for m in full.finditer(flat):
            if m.group(0) not in out and m.group(0).split()[1].isupper():
                out.append(m.group(0))
        for m in pat.finditer(flat):
            inner = m.group(1).strip()
            if inner not in out and not inner[:1].isdigit():
                out.append(inner)
                # Dosage-form words confuse the vocabulary; also try the text before them.
                core = re.split(r"\b(?:inhalation|injection|tablets?|capsules?|for|oral|powder)\b", inner)[0]
                if core.strip() and core.strip() not in out:
                    out.append(core.strip())
    return out


def _iter_tsv(path: Path, delimiter: str = "\t") -> Iterator[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        yield from csv.reader(f, delimiter=delimiter, quoting=csv.QUOTE_NONE)


def omop_ingredient_names(path: Path) -> dict[int, str]:
    """OMOP concept id -> RxNorm ingredient name (lower case) from the OMOP concept extract."""
    out: dict[int, str] = {}
    it = _iter_tsv(path)
    header = next(it, [])
    try:
        i_id, i_name = header.index("concept_id"), header.index("concept_name")
    except ValueError as e:
        raise DataNotFoundError(f"{path} lacks concept_id / concept_name columns.") from e
    for row in it:
        if len(row) > max(i_id, i_name) and row[i_id].isdigit():
            out[int(row[i_id])] = row[i_name].strip().lower()
    return out


def omop_meddra_names(path: Path) -> dict[int, str]:
    """OMOP MedDRA concept id -> PT name (lower case) from the OHDSI AERS evidence file."""
    out: dict[int, str] = {}
    it = _iter_tsv(path, "|")
    header = next(it, [])
    try:
        i_id, i_name = header.index("HOI"), header.index("MedDRA_Preferred_Term")
    except ValueError as e:
        raise DataNotFoundError(f"{path} lacks HOI / MedDRA_Preferred_Term columns.") from e
    for row in it:
        if len(row) > max(i_id, i_name) and row[i_id].isdigit() and row[i_name].strip():
            out[int(row[i_id])] = row[i_name].strip().lower()
    return out


def read_eu_spc(
    path: Path, ingredient_names: dict[int, str], meddra_names: dict[int, str]
) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, pt, source_id} for the EU SmPC pairs whose two ids can be named."""
    if not path.exists():
        raise DataNotFoundError(f"EU SmPC pairs file {path} is missing.")
    res = FileResult(source="eu_spc", layout="knowledge", table_name=path.name)
    rows: list[dict] = []
    for n, row in enumerate(_iter_tsv(path), start=1):
        res.rows_read += 1
        ids = row[0].split("-") if row else []
        if len(ids) != 2 or not all(x.isdigit() for x in ids):
            res.skip("malformed drug-hoi id", n, "\t".join(row)[:200])
            continue
        if len(row) > 2 and row[2].strip().lower() not in ("positive", ""):
            res.skip("pair not marked positive", n, "\t".join(row)[:200])
            continue
        drug_id, hoi_id = int(ids[0]), int(ids[1])
        drug = ingredient_names.get(drug_id)
        if drug is None:
            res.skip("RxNorm concept id not in the OMOP ingredient table", n, row[0])
            continue
        pt = meddra_names.get(hoi_id)
        if pt is None:
            res.skip("MedDRA concept id has no name in the shipped files (MedDRA is licensed)", n, row[0])
            continue
        rows.append({"drug_name": drug, "pt": pt, "source_id": row[0]})
        res.rows_loaded += 1
    return rows, res


def read_srlc(path: Path) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, ingredients (list, lower case, salts as printed), application, date (ISO), link}
    of the FDA SrLC export; rows without a usable date or ingredient are skipped and counted."""
    if not path.exists():
        raise DataNotFoundError(f"FDA SrLC export {path} is missing.")
    res = FileResult(source="fda_srlc", layout="knowledge", table_name=path.name)
    rows: list[dict] = []
    with open(path, encoding="utf-8", newline="") as f:
        for n, r in enumerate(csv.DictReader(f), start=2):
            res.rows_read += 1
            m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", (r.get("Supplement Date") or "").strip())
            ings = [x.strip().lower() for x in (r.get("Active Ingredient") or "").split(";") if x.strip()]
            if m is None:
                res.skip("supplement date not MM/DD/YYYY", n, str(r)[:200])
                continue
            if not ings:
                res.skip("no active ingredient", n, str(r.get("Drug Name")))
                continue
            app = f"{(r.get('Application Type') or '').strip()} {(r.get('Application Number') or '').strip()}"
            rows.append(
                {
                    "drug_name": (r.get("Drug Name") or "").strip(),
                    "ingredients": ings,
                    "application": app.strip(),
                    "date": f"{m.group(3)}-{m.group(1)}-{m.group(2)}",
                    "link": (r.get("Link") or "").strip() or None,
                }
            )
            res.rows_loaded += 1
    return rows, res
