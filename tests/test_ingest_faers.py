"""FAERS / AERS ASCII ingest: real samples, deduplication, DELETE lists, damage, idempotency."""

from __future__ import annotations

import shutil
import zipfile
from functools import partial
from pathlib import Path

import duckdb
import pytest

from adrlens.build import REPORTS_ONLY
from adrlens.build import ingest as build_ingest
from adrlens.errors import IngestError, IngestFailed
from adrlens.store import db as store

# These tests are about the reports step: the derived parts are built by test_build and the fixtures.
ingest = partial(build_ingest, parts=REPORTS_ONLY)

SAMPLES = Path("faers") / "samples"


def q(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# The DEMO columns of the FAERS ASCII layout (2012Q4 on), for the small files the tests write.
DEMO_HEADER = (
    "primaryid$caseid$caseversion$i_f_code$event_dt$mfr_dt$init_fda_dt$fda_dt$rept_cod$auth_num$mfr_num"
    "$mfr_sndr$lit_ref$age$age_cod$age_grp$sex$e_sub$wt$wt_cod$rept_dt$to_mfr$occp_cod$reporter_country"
    "$occr_country"
)


def test_nico_sample_has_1000_cases_33_with_amlodipine(tmp_path: Path, data_dir: Path) -> None:
    s = ingest([data_dir / SAMPLES / "nico8270_25Q4_1000cases"], tmp_path / "s.duckdb")
    assert s.cases == {"faers": 1000}
    assert len(s.ingested) == 7
    db = tmp_path / "s.duckdb"
    assert q(db, "SELECT count(DISTINCT caseid) FROM report_drug WHERE ingredient = 'amlodipine'") == [(33,)]
    # Hand-checked: the sample's REAC has 4,275 rows; the events table keeps distinct (case, PT).
    assert q(db, "SELECT count(*) FROM stage_reac") == [(4275,)]
    # Its THER dates were re-written by pandas with '.0': repaired, not lost.
    issues = dict(q(db, "SELECT reason, sum(n) FROM ingest_issue GROUP BY 1"))
    assert issues["number or date ending in .0 (trimmed)"] >= 1504
    assert q(db, "SELECT count(*) FROM report_therapy WHERE start_dt IS NOT NULL")[0][0] > 1000


def test_every_shared_sample_ingests(samples_store: Path) -> None:
    per_sample = dict(
        q(
            samples_store,
            """
        SELECT regexp_extract(l.path, 'samples/([^/]+)/', 1), count(*)
        FROM stage_demo d JOIN ingest_log l USING (file_id) GROUP BY 1""",
        )
    )
    assert per_sample == {
        "nico8270_25Q4_1000cases": 1000,
        "zips": 100 + 100 + 25,  # AERS 2004Q1, FAERS 2017Q2, FAERS 2026Q2
        "ubesp_12Q4_tiny": 9,
        "ubesp_20Q3_10cases": 10,
        "ubesp_20Q3_first10000rows": 9999,
        "diana_1000cases_cleaned": 1000,
    }
    failed = q(
        samples_store,
        "SELECT count(*) FROM ingest_log WHERE rows_read > 0 AND rows_loaded = 0 AND table_name <> 'DOSES'",
    )
    assert failed == [(0,)]
    versions, cases = q(samples_store, "SELECT count(*), count(DISTINCT caseid) FROM stage_demo")[0]
    final = q(samples_store, "SELECT count(*) FROM report")[0][0]
    # The 10 linked 20Q3 cases reappear among the first 10,000 rows of the same quarter; a few cases
    # are in two samples. Hand-checked with awk: 12,243 report rows are 12,230 distinct case ids.
    assert (versions, cases) == (12243, 12230)
    assert final == cases  # the sample DELETE list (2026Q2) names none of these cases


def test_legacy_aers_layout(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "aers.duckdb"
    s = ingest([data_dir / SAMPLES / "zips" / "aers_ascii_2004q1.zip"], db)
    assert s.cases == {"faers": 100}
    layouts = {r[0] for r in q(db, "SELECT DISTINCT layout FROM ingest_log")}
    assert layouts == {"aers"}
    # ISR is the report id, CASE the case id; legacy PTs (upper case) are lower-cased.
    assert q(db, "SELECT count(*) FROM report WHERE caseid = 4061110 AND primaryid = 4263742") == [(1,)]
    assert q(db, "SELECT count(*) FROM report_event WHERE caseid = 4061110 AND pt = 'diarrhoea'") == [(1,)]
    assert q(db, "SELECT sex FROM report WHERE caseid = 4061110") == [("F",)]


def _copy_sample(data_dir: Path, dst: Path) -> Path:
    src = data_dir / SAMPLES / "ubesp_20Q3_10cases"
    shutil.copytree(src, dst)
    return dst


def test_latest_version_wins_and_delete_lists_remove_cases(tmp_path: Path, data_dir: Path) -> None:
    d = _copy_sample(data_dir, tmp_path / "q")
    demo = (d / "DEMO20Q3-10.txt").read_text().splitlines()
    header, first = demo[0], demo[1].split("$")
    cols = header.split("$")
    caseid = first[cols.index("caseid")]
    # A later quarter re-reports the first case as version 99 with a new primaryid.
    later = tmp_path / "later"
    later.mkdir()
    newer = list(first)
    newer[cols.index("primaryid")] = caseid + "99"
    newer[cols.index("caseversion")] = "99"
    (later / "DEMO20Q4.txt").write_text(header + "\n" + "$".join(newer) + "\n")
    (later / "REAC20Q4.txt").write_text(f"primaryid$caseid$pt$drug_rec_act\n{caseid}99${caseid}$Rhabdomyolysis$\n")
    db = tmp_path / "s.duckdb"
    ingest([d, later], db)
    assert q(db, "SELECT caseversion, primaryid FROM report WHERE caseid = ?", [int(caseid)]) == [
        (99, int(caseid + "99"))
    ]
    assert q(db, "SELECT pt FROM report_event WHERE caseid = ?", [int(caseid)]) == [("rhabdomyolysis",)]
    # Now FDA deletes it.
    deleted = tmp_path / "Deleted"
    deleted.mkdir()
    (deleted / "DELETE20Q4.txt").write_text(f"{caseid}\n")
    ingest([deleted], db)
    assert q(db, "SELECT count(*) FROM report WHERE caseid = ?", [int(caseid)]) == [(0,)]
    assert q(db, "SELECT count(*) FROM report") == [(9,)]
    info = store.status(store.connect(db, require=REPORTS_ONLY))
    assert info["dedup"][0]["report_versions_read"] == 11
    assert info["dedup"][0]["distinct_cases_latest_version"] == 10
    assert info["dedup"][0]["cases_after_deletes"] == 9


def test_reingest_is_idempotent(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "s.duckdb"
    src = data_dir / SAMPLES / "zips" / "faers_ascii_2026q2_sample.zip"
    first = ingest([src], db)
    before = q(
        db,
        "SELECT (SELECT count(*) FROM stage_drug), (SELECT count(*) FROM report), "
        "(SELECT count(*) FROM report_drug), (SELECT count(*) FROM ingest_log)",
    )
    again = ingest([src], db)
    assert len(first.ingested) == 8  # 7 tables + the DELETE list
    assert not again.ingested and all(f.status in ("already ingested", "ignored") for f in again.files)
    after = q(
        db,
        "SELECT (SELECT count(*) FROM stage_drug), (SELECT count(*) FROM report), "
        "(SELECT count(*) FROM report_drug), (SELECT count(*) FROM ingest_log)",
    )
    assert before == after


def test_damaged_rows_are_repaired_or_counted(tmp_path: Path) -> None:
    d = tmp_path / "dmg"
    d.mkdir()
    header = DEMO_HEADER
    good = "101$1$1$I$2024$$20240101$20240105$EXP$$X$ACME$$61.0$YR$$M$Y$$$20240105$$MD$US$US"
    split_a = "201$2$1$I$20240101$$20240101$20240105$EXP$$X$ACME$Some literature"
    split_b = " reference continued$45$YR$$F$Y$$$20240105$$CN$US$US"
    extra_empty = "301$3$1$I$$$20240101$20240105$EXP$$X$ACME$$30$YR$$F$Y$$$20240105$$HP$US$US$$"
    too_many = "401$4$1$I$$$20240101$20240105$EXP$$X$AC$ME$$30$YR$$F$Y$$$20240105$$HP$US$US"
    too_few = "501$5$1$I$$$20240101"
    bad_id = "abc$6$1$I$$$20240101$20240105$EXP$$X$ACME$$30$YR$$F$Y$$$20240105$$HP$US$US"
    latin1 = "701$7$1$I$$$20240101$20240105$EXP$$X$Soci\xe9t\xe9$$30$YR$$F$Y$$$20240105$$HP$FR$FR"
    bad_date = "801$8$1$I$20241399$$20240101$20240105$EXP$$X$ACME$$30$YR$$F$Y$$$20240105$$HP$US$US"
    body = "\n".join([header, good, split_a, split_b, extra_empty, too_many, too_few, bad_id, bad_date]) + "\n"
    (d / "DEMO24Q1.txt").write_bytes(body.encode("utf-8") + (latin1 + "\n").encode("latin-1"))
    db = tmp_path / "s.duckdb"
    s = ingest([d], db)
    r = s.ingested[0].result
    assert r is not None
    assert r.repaired["stray newline inside a field joined"] == 1
    assert r.repaired["extra empty trailing fields dropped"] == 1
    assert r.repaired["non-UTF-8 bytes read as Latin-1"] == 1
    assert r.repaired["partial date kept with month/year precision"] == 1
    assert r.repaired["impossible date emptied"] == 1
    assert r.skipped["too many fields (a `$` inside a value?)"] == 1
    assert r.skipped["too few fields"] == 1
    assert r.skipped["missing or non-numeric report id"] == 1
    assert sorted(c for (c,) in q(db, "SELECT caseid FROM report")) == [1, 2, 3, 7, 8]
    assert q(db, "SELECT mfr_sndr FROM report WHERE caseid = 7") == [("Société",)]
    assert q(db, "SELECT event_dt, event_dt_precision FROM report WHERE caseid = 1")[0][1] == "year"
    assert q(db, "SELECT age_years FROM report WHERE caseid = 2") == [(45.0,)]
    skipped = q(db, "SELECT sum(n) FROM ingest_issue WHERE action = 'skipped'")[0][0]
    assert skipped == 3


def test_truncated_zip_is_a_clear_failure_not_a_crash(tmp_path: Path, data_dir: Path) -> None:
    src = data_dir / SAMPLES / "zips" / "faers_ascii_2017q2.zip"
    broken = tmp_path / "faers_ascii_2017q2.zip"
    broken.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    with pytest.raises(IngestFailed, match="unreadable zip"):
        ingest([broken], tmp_path / "s.duckdb")
    assert not (tmp_path / "s.duckdb").exists()  # nothing of the command lands (tests/test_ingest_reliability.py)


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="does not exist"):
        ingest([tmp_path / "nope"], tmp_path / "s.duckdb")


def test_zip_member_names_in_any_case(tmp_path: Path, data_dir: Path) -> None:
    # Lower-case names inside a zip (as in some FDA releases) are found too.
    src = data_dir / SAMPLES / "ubesp_12Q4_tiny"
    z = tmp_path / "faers_ascii_2012q4.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in src.iterdir():
            zf.write(f, f"ascii/{f.name}")
    s = ingest([z], tmp_path / "s.duckdb")
    assert s.cases == {"faers": 9}


def test_latin1_repair_counts_each_bad_line_once_with_its_number() -> None:
    """Bad bytes on lines 3 (twice) and 6: two repaired lines, the first example names line 3; the text
    reads as written. (Linear in the file: bench/encoding.py times it.)"""
    from adrlens.sources.base import FileResult
    from adrlens.sources.reports.faers import _to_utf8

    lines = ["h$a", "1$ok", "2$Soci\xe9t\xe9", "3$ok", "4$Caf\xe9 \u00fc", "5$Mus\xe9e"]
    raw = b"\n".join(
        ln.encode("utf-8") if i in (0, 1, 3, 4) else ln.encode("latin-1") for i, ln in enumerate(lines)
    )
    r = FileResult(source="faers", layout="faers", table_name="DEMO")
    text = _to_utf8(raw, r).decode("utf-8")
    assert text.splitlines() == lines
    assert r.repaired["non-UTF-8 bytes read as Latin-1"] == 2
    assert r.examples[("repaired", "non-UTF-8 bytes read as Latin-1")] == (3, "2$Soci\xe9t\xe9")


def test_a_utf16_file_is_read_not_refused_as_headerless(tmp_path: Path) -> None:
    """Issue 12, item 10: a DEMO file saved as UTF-16 once failed with "header has neither primaryid nor isr"."""
    d = tmp_path / "u16"
    d.mkdir()
    header = DEMO_HEADER
    rows = [
        "101$1$1$I$2024$$20240101$20240105$EXP$$X$ACME$$61.0$YR$$M$Y$$$20240105$$MD$US$US",
        "701$7$1$I$$$20240101$20240105$EXP$$X$Soci\u00e9t\u00e9$$30$YR$$F$Y$$$20240105$$HP$FR$FR",
    ]
    (d / "DEMO24Q1.txt").write_bytes("\r\n".join([header, *rows]).encode("utf-16") + "\r\n".encode("utf-16-le"))
    db = tmp_path / "s.duckdb"
    r = ingest([d], db).ingested[0].result
    assert r.encoding == "utf-16" and r.repaired["UTF-16 file read as UTF-16 and stored as UTF-8"] == 1
    assert sorted(c for (c,) in q(db, "SELECT caseid FROM report")) == [1, 7]
    assert q(db, "SELECT mfr_sndr FROM report WHERE caseid = 7") == [("Soci\u00e9t\u00e9",)]
