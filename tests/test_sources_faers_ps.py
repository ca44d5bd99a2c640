"""The FAERS 2022Q3 primary-suspect extract (CASEID,DRUG,AE; real shared data) as a report source."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import duckdb
import pytest

from adrlens.config import data_path
from adrlens.errors import IngestError
from adrlens.sources.base import FileResult, SourceFile
from adrlens.sources.reports import faers_ps
from adrlens.store import db as store


def _file() -> SourceFile:
    return SourceFile(data_path("faers", "quarter_2022q3_ps", "cases_ps_drug_pt.csv.gz"))


@pytest.fixture(scope="module")
def loaded() -> tuple[duckdb.DuckDBPyConnection, FileResult, float]:
    con = duckdb.connect()
    store.init_schema(con)
    t0 = time.perf_counter()
    r = faers_ps.read(con, _file(), 7)
    store.rebuild_derived(con)
    return con, r, time.perf_counter() - t0


def test_detect(tmp_path: Path) -> None:
    assert faers_ps.detect(_file())
    plain = tmp_path / "x.csv"
    plain.write_text("CASEID,DRUG,AE\n1,a,b\n")
    assert faers_ps.detect(SourceFile(plain))
    other = tmp_path / "y.csv"
    other.write_text("VAERS_ID,VAX_TYPE\n1,a\n")
    assert not faers_ps.detect(SourceFile(other))
    assert not faers_ps.detect(SourceFile(Path("DEMO22Q3.txt")))
    assert faers_ps.quarter_of(_file()) == "2022Q3"


def test_whole_quarter(loaded) -> None:
    con, r, _seconds = loaded
    assert (r.source, r.layout, r.quarter) == ("faers_ps", "faers_ps", "2022Q3")
    assert r.rows_read == r.rows_loaded == 496_312
    assert r.rows_skipped == 0
    # 5 rows repeat exactly (case 21208105, 'Banana boat ...'): merged and counted.
    assert r.repaired == {"duplicate (CASEID, DRUG, AE) row merged": 5}
    assert con.execute("SELECT count(*) FROM report WHERE source = 'faers_ps'").fetchone()[0] == 215_867
    assert con.execute("SELECT count(*) FROM report_event").fetchone()[0] == 496_307
    triples = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT d.caseid, d.drugname, e.pt FROM report_drug d "
        "JOIN report_event e USING (source, caseid))"
    ).fetchone()[0]
    assert triples == 496_307
    assert con.execute("SELECT DISTINCT quarter, caseversion FROM report").fetchall() == [("2022Q3", None)]
    assert con.execute("SELECT DISTINCT role_cod, drug_seq FROM report_drug").fetchall() == [("PS", 1)]
    # PTs lower-cased; drug names verbatim.
    assert con.execute("SELECT count(*) FROM report_event WHERE pt <> lower(trim(pt))").fetchone()[0] == 0
    assert (
        con.execute(
            "SELECT count(*) FROM report_event WHERE caseid = 4143801 AND pt IN ('pyrexia', 'papule', 'erythema')"
        ).fetchone()[0]
        == 3
    )
    assert con.execute("SELECT drugname FROM report_drug WHERE caseid = 4143801").fetchone()[0] == "Voltaren"


def test_damaged_copy(tmp_path: Path) -> None:
    with gzip.open(_file().path, "rb") as f:
        head = [next(f) for _ in range(2001)]
    rows = [
        *head,
        b"123,Aspirin\n",  # too few fields
        b"124,Aspirin,Nausea,extra\n",  # too many
        b"abc,Aspirin,Nausea\n",  # id not a number
        b"125,Caf\xe9ine,Tachycardia\n",  # Latin-1 byte
        b'126,"Aspirin,Nausea',  # truncated inside a quoted field
    ]
    p = tmp_path / "cases_ps_drug_pt.csv.gz"
    p.write_bytes(gzip.compress(b"".join(rows)))
    con = duckdb.connect()
    store.init_schema(con)
    r = faers_ps.read(con, SourceFile(p), 1)
    assert r.rows_read == 2000 + 5
    assert r.rows_loaded == 2000 + 1
    assert r.rows_skipped == 4
    assert r.skipped["CASEID missing or not an integer"] == 1
    assert r.repaired["non-UTF-8 line decoded as Windows-1252"] == 1
    assert con.execute("SELECT drugname FROM stage_drug WHERE primaryid = 125").fetchone()[0] == "Caféine"
    assert r.quarter is None  # tmp folder name says no quarter


def test_truncated_gzip_is_a_clear_error(tmp_path: Path) -> None:
    data = _file().path.read_bytes()
    p = tmp_path / "cases_ps_drug_pt.csv.gz"
    p.write_bytes(data[: len(data) // 2])
    con = duckdb.connect()
    store.init_schema(con)
    with pytest.raises(IngestError, match="truncated"):
        faers_ps.read(con, SourceFile(p), 1)
