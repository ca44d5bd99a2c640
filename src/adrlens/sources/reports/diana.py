"""FAERS data already cleaned by the DiAna pipeline (Fusaroli et al.), exported as CSV tables.

DiAna splits FAERS tables: Demo + Demo_Supp (case id, version, quarter), Drug (one row per
active substance, DiAna's own ingredient mapping) + Drug_Name (reported names) + Drug_Supp
(route, dechallenge, rechallenge), Reac, Indi, Ther, Doses. We read Demo and Drug joined with their
companion files; the companions themselves are acknowledged (counted) but not loaded twice.
Reported names go through our own normaliser like any FAERS row, so ingredients stay consistent
across sources; DiAna's substance is used as prod_ai.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import duckdb

from adrlens.errors import IngestError
from adrlens.sources.base import FileResult, SourceFile
from adrlens.sources.reports.faers import SOURCE  # DiAna is cleaned FAERS: the same source

_NAME_RE = re.compile(r"^(?:sample_)?(demo|demo_supp|drug|drug_name|drug_supp|doses|indi|reac|ther)\.csv$", re.I)


def _table(file: SourceFile) -> str | None:
    m = _NAME_RE.match(file.name)
    return m.group(1).lower() if m else None


def detect(file: SourceFile) -> bool:
    if _table(file) is None or file.member is not None:
        return False
    with file.open() as f:
        return f.readline().startswith(b"primaryid,")


def _sibling(file: SourceFile, table: str) -> Path | None:
    for p in file.path.parent.iterdir():
        if _NAME_RE.match(p.name) and _NAME_RE.match(p.name).group(1).lower() == table:  # type: ignore[union-attr]
            return p
    return None


def _csv(path: Path) -> str:
    return f"read_csv('{path.as_posix()}', header=true, all_varchar=true, auto_detect=true)"


_ID = "try_cast(try_cast({c} AS DOUBLE) AS BIGINT)"


def read(con: duckdb.DuckDBPyConnection, file: SourceFile, file_id: int) -> FileResult:
    table = _table(file)
    if table is None:
        raise IngestError(f"{file.display}: not a DiAna table")
    result = FileResult(source=SOURCE, layout="diana", table_name=table.upper())
    path = file.path
    n = con.execute(f"SELECT count(*) FROM {_csv(path)}").fetchall()[0][0]
    result.rows_read = n
    pid = _ID.format(c="primaryid")
    if table == "doses":
        result.skip("dose table: adrlens keeps no dose amounts", n=n)
        return result
    if table in ("demo_supp", "drug_name", "drug_supp"):
        result.rows_loaded = n  # read through the DEMO / DRUG file they complete
        return result
    bad = con.execute(f"SELECT count(*) FROM {_csv(path)} WHERE {pid} IS NULL").fetchall()[0][0]
    if bad:
        result.skip("missing or non-numeric report id", n=bad)
    if table == "demo":
        supp = _sibling(file, "demo_supp")
        if supp is None:
            raise IngestError(f"{file.display}: DiAna Demo needs its Demo_Supp file (case ids) beside it")
        con.execute(f"""
            INSERT INTO stage_demo (source, file_id, quarter, primaryid, caseid, caseversion, event_dt,
                event_dt_precision, init_fda_dt, fda_dt, rept_cod, age_years, sex, wt_kg, occp_cod,
                reporter_country, occr_country)
            WITH s AS (SELECT {pid} AS pid, any_value(try_cast(caseid AS BIGINT)) AS caseid,
                              any_value(try_cast(caseversion AS INTEGER)) AS caseversion,
                              any_value(quarter) AS quarter FROM {_csv(supp)} GROUP BY 1)
            SELECT '{SOURCE}', {file_id}, '20' || s.quarter, d.pid, coalesce(s.caseid, d.pid), s.caseversion,
                try_strptime(left(d.event_dt, 8), '%Y%m%d')::DATE, CASE WHEN d.event_dt IS NOT NULL THEN 'day' END,
                try_strptime(left(d.init_fda_dt, 8), '%Y%m%d')::DATE, try_strptime(left(d.fda_dt, 8), '%Y%m%d')::DATE,
                d.rept_cod, round(try_cast(d.age_in_days AS DOUBLE) / 365.25, 3),
                CASE upper(d.sex) WHEN 'M' THEN 'M' WHEN 'F' THEN 'F' END, try_cast(d.wt_in_kgs AS DOUBLE),
                upper(d.occp_cod), upper(d.reporter_country), upper(d.occr_country)
            FROM (SELECT *, {pid} AS pid FROM {_csv(path)}) d LEFT JOIN s ON s.pid = d.pid
            WHERE d.pid IS NOT NULL""")
    elif table == "drug":
        names, supp = _sibling(file, "drug_name"), _sibling(file, "drug_supp")
        with tempfile.TemporaryDirectory() as tmp:
            empty = Path(tmp) / "empty.csv"
            empty.write_text("primaryid,drug_seq,drugname,prod_ai,route,dechal,rechal,lot_num,nda_num\n")
            con.execute(f"""
                INSERT INTO stage_drug (source, file_id, primaryid, drug_seq, role_cod, drugname, prod_ai,
                    route, dechal, rechal, lot_num, nda_num)
                SELECT '{SOURCE}', {file_id}, d.pid, try_cast(d.drug_seq AS BIGINT), upper(d.role_cod),
                    upper(coalesce(n.drugname, d.substance)), upper(d.substance), s.route,
                    upper(s.dechal), upper(s.rechal), s.lot_num, n.nda_num
                FROM (SELECT *, {pid} AS pid FROM {_csv(path)}) d
                LEFT JOIN (SELECT {pid} AS pid, drug_seq, any_value(drugname) AS drugname, any_value(nda_num) AS nda_num
                           FROM {_csv(names or empty)} GROUP BY ALL) n
                  ON n.pid = d.pid AND n.drug_seq = d.drug_seq
                LEFT JOIN (SELECT {pid} AS pid, drug_seq, any_value(route) AS route, any_value(dechal) AS dechal,
                           any_value(rechal) AS rechal, any_value(lot_num) AS lot_num
                           FROM {_csv(supp or empty)} GROUP BY ALL) s
                  ON s.pid = d.pid AND s.drug_seq = d.drug_seq
                WHERE d.pid IS NOT NULL""")
    elif table == "reac":
        con.execute(
            f"INSERT INTO stage_reac SELECT '{SOURCE}', {file_id}, {pid}, lower(trim(pt)) "
            f"FROM {_csv(path)} WHERE {pid} IS NOT NULL"
        )
    elif table == "indi":
        con.execute(
            f"INSERT INTO stage_indi SELECT '{SOURCE}', {file_id}, {pid}, try_cast(drug_seq AS BIGINT), "
            f"lower(trim(indi_pt)) FROM {_csv(path)} WHERE {pid} IS NOT NULL"
        )
    elif table == "ther":
        dt = "try_strptime(left({c}, 8), '%Y%m%d')::DATE"
        con.execute(f"""INSERT INTO stage_ther SELECT '{SOURCE}', {file_id}, {pid}, try_cast(drug_seq AS BIGINT),
                {dt.format(c="start_dt")}, CASE WHEN start_dt IS NOT NULL THEN 'day' END,
                {dt.format(c="end_dt")}, CASE WHEN end_dt IS NOT NULL THEN 'day' END,
                try_cast(dur_in_days AS DOUBLE), CASE WHEN dur_in_days IS NOT NULL THEN 'DY' END
            FROM {_csv(path)} WHERE {pid} IS NOT NULL""")
    result.rows_loaded = n - bad
    return result
