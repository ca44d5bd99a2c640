"""A primary-suspect-only FAERS extract (CASEID,DRUG,AE rows) as a report source ('faers_ps').

The shared file `faers/quarter_2022q3_ps/cases_ps_drug_pt.csv.gz` is a whole real quarter (2022Q3)
reduced to the primary-suspect drug (ROLE_COD = PS) and to one-word preferred terms, with drug names as
reported and no demographics. So it is kept apart from 'faers' (its counts are not comparable: most PTs
are missing by construction), and "dedup" is simply one report per CASEID:

- stage_demo: one row per distinct CASEID (primaryid = caseid = CASEID, caseversion NULL, quarter from
  the folder name `quarter_YYYYqN...` else from the file name, else NULL; all other fields NULL).
- stage_drug: distinct (CASEID, DRUG), role_cod 'PS', drugname = DRUG verbatim, prod_ai NULL,
  drug_seq 1.. in order of first appearance.
- stage_reac: distinct (CASEID, lower(trim(AE))).
"""

from __future__ import annotations

import gzip
import re

import duckdb

from adrlens.sources.base import FileResult, SourceFile
from adrlens.sources.reports.vaers import RAW_TABLE, col_sql, load_csv_checked, raw_table, skip_bad_ids

SOURCE = "faers_ps"
_REQUIRED = ("CASEID", "DRUG", "AE")
_REQUIRED_COLS = list(_REQUIRED)
_QUARTER_RE = re.compile(r"(?:^|[^0-9])((?:19|20)\d{2})\s*q([1-4])(?:[^0-9]|$)", re.IGNORECASE)


def _head(file: SourceFile, n: int = 4096) -> bytes:
    """The first `n` bytes of the file's content (gunzipped when it is gzip data)."""
    with file.open() as f:
        head = f.read(n)
    if head[:2] == b"\x1f\x8b":
        with file.open() as f, gzip.GzipFile(fileobj=f) as g:  # type: ignore[arg-type]
            try:
                head = g.read(n)
            except (EOFError, OSError):
                return b""
    return head


def detect(file: SourceFile) -> bool:
    """True for the cases_ps_drug_pt.csv(.gz) layout: a CSV whose header is CASEID,DRUG,AE."""
    name = file.name.lower()
    if not (name.endswith(".csv") or name.endswith(".csv.gz")):
        return False
    try:
        first = _head(file).split(b"\n", 1)[0]
    except OSError:
        return False
    cols = [c.strip().strip('"').lstrip("\ufeff").upper() for c in first.decode("utf-8", "replace").split(",")]
    return cols == list(_REQUIRED)


def quarter_of(file: SourceFile) -> str | None:
    """'2022Q3' from the folder (quarter_2022q3_ps) or the file name; None when neither says."""
    for text in (file.member or "", file.path.name, file.path.parent.name):
        m = _QUARTER_RE.search(text.replace("_", " "))
        if m:
            return f"{m.group(1)}Q{m.group(2)}"
    return None


def read(con: duckdb.DuckDBPyConnection, file: SourceFile, file_id: int) -> FileResult:
    """Append a CASEID,DRUG,AE file to stage_demo, stage_drug and stage_reac (source 'faers_ps')."""
    result = FileResult(source=SOURCE, layout="faers_ps", table_name="CASES_PS", quarter=quarter_of(file))
    with raw_table(con):
        load_csv_checked(con, file, result, _REQUIRED, "primary-suspect extract (CASEID,DRUG,AE)")
        skip_bad_ids(con, result, "CASEID")
        drug, ae = col_sql(_REQUIRED_COLS, "DRUG"), col_sql(_REQUIRED_COLS, "AE")
        empty = con.execute(
            f"SELECT count(*), any_value(_ord) FROM {RAW_TABLE} WHERE {drug} IS NULL AND {ae} IS NULL"
        ).fetchone()
        if empty and empty[0]:
            # A case id with neither drug nor event still counts as a report; say so.
            result.repair("row with neither DRUG nor AE (case kept, nothing else)", int(empty[1]), "")
        dups = con.execute(
            f"""SELECT sum(n - 1), any_value(ex) FROM (
                    SELECT count(*) AS n, any_value(concat_ws(',', "CASEID", {drug}, {ae})) AS ex
                    FROM {RAW_TABLE} GROUP BY trim("CASEID"), {drug}, lower({ae}) HAVING count(*) > 1)"""
        ).fetchone()
        for _ in range(int(dups[0] or 0)):
            # Exact repeats add nothing to a case; staging keeps distinct rows, and we say how many merged.
            result.repair("duplicate (CASEID, DRUG, AE) row merged", 0, str(dups[1]))
        con.execute(
            f"""INSERT INTO stage_demo (source, file_id, quarter, primaryid, caseid)
                SELECT '{SOURCE}', ?, ?, id, id FROM (
                    SELECT try_cast(trim("CASEID") AS BIGINT) AS id, min(_ord) AS o
                    FROM {RAW_TABLE} GROUP BY 1)
                ORDER BY o""",
            [file_id, result.quarter],
        )
        con.execute(
            f"""INSERT INTO stage_drug (source, file_id, primaryid, drug_seq, role_cod, drugname)
                SELECT '{SOURCE}', ?, id, row_number() OVER (PARTITION BY id ORDER BY o), 'PS', drug FROM (
                    SELECT try_cast(trim("CASEID") AS BIGINT) AS id, {drug} AS drug, min(_ord) AS o
                    FROM {RAW_TABLE} WHERE {drug} IS NOT NULL GROUP BY 1, 2)
                ORDER BY id, o""",
            [file_id],
        )
        con.execute(
            f"""INSERT INTO stage_reac (source, file_id, primaryid, pt)
                SELECT DISTINCT '{SOURCE}', ?, try_cast(trim("CASEID") AS BIGINT), lower({ae})
                FROM {RAW_TABLE} WHERE {ae} IS NOT NULL""",
            [file_id],
        )
        result.rows_loaded = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
    return result
