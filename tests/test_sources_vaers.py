"""VAERS yearly releases (1990-2006, real shared data) as a report source, and the vaccine vocabulary."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import duckdb
import pytest

from adrlens.config import data_path
from adrlens.errors import IngestError
from adrlens.sources.base import FileResult, SourceFile
from adrlens.sources.reports import vaers
from adrlens.store import db as store
from adrlens.vocab.vaccines import all_vaccine_names, resolve_vaccine, vaccine_codes, vaccine_products


def _complete_dir() -> Path:
    return data_path("vaers", "complete")


def _rowcounts() -> dict[str, dict[str, str]]:
    with open(data_path("vaers", "ROWCOUNTS.tsv"), newline="") as f:
        return {r["year"]: r for r in csv.DictReader(f, delimiter="\t") if r["DATA_ids"]}


def _members(zip_path: Path) -> list[SourceFile]:
    with zipfile.ZipFile(zip_path) as zf:
        return [SourceFile(zip_path, m) for m in zf.namelist()]


def _new_store() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    store.init_schema(con)
    return con


def _ingest(con: duckdb.DuckDBPyConnection, files: list[SourceFile]) -> list[FileResult]:
    out = []
    for i, f in enumerate(files, start=1 + len(con.execute("SELECT DISTINCT file_id FROM stage_demo").fetchall())):
        assert vaers.detect(f), f.display
        out.append(vaers.read(con, f, i * 10 + len(out)))
    return out


def _map_vaccines(con: duckdb.DuckDBPyConnection) -> None:
    """What the orchestrator does: drug_map rows for 'vaers' from vaccine_products(prod_ai, drugname)."""
    rows = []
    for drugname, prod_ai in con.execute(
        "SELECT DISTINCT drugname, prod_ai FROM stage_drug WHERE source = 'vaers'"
    ).fetchall():
        products = vaccine_products(prod_ai, drugname)
        for p in products or [None]:
            rows.append(("vaers", drugname, prod_ai, p, p is not None, "vaccine_vocab"))
    con.executemany("INSERT INTO drug_map VALUES (?, ?, ?, ?, ?, ?)", rows)


@pytest.fixture(scope="module")
def all_years() -> tuple[duckdb.DuckDBPyConnection, list[FileResult], float]:
    import time

    con = _new_store()
    t0 = time.perf_counter()
    results = []
    fid = 0
    for z in sorted(_complete_dir().glob("*VAERSData.zip")):
        for f in _members(z):
            fid += 1
            results.append(vaers.read(con, f, fid))
    _map_vaccines(con)
    store.rebuild_derived(con)
    return con, results, time.perf_counter() - t0


def test_detect_names() -> None:
    p = Path("x")
    for name in (
        "1999VAERSDATA.csv",
        "1999VAERSVAX.csv",
        "1999VAERSSYMPTOMS.csv",
        "2006vaersdata.CSV",
        "NonDomesticVAERSVAX.csv",
        "2021VAERSDATA.csv.gz",
    ):
        assert vaers.detect(SourceFile(p, name)), name
    for name in ("DEMO22Q3.txt", "VAERSDATA.csv", "1999VAERSData.zip", "cases_ps_drug_pt.csv.gz"):
        assert not vaers.detect(SourceFile(p, name)), name


def test_all_years_report_counts_match_rowcounts(all_years) -> None:
    con, results, _seconds = all_years
    expected = _rowcounts()
    got = dict(con.execute("SELECT quarter, count(*) FROM report WHERE source = 'vaers' GROUP BY 1").fetchall())
    assert got == {y: int(float(r["DATA_ids"])) for y, r in expected.items()}
    assert sum(got.values()) == 203_446
    # Every row of every table was read and loaded; nothing skipped in the official files.
    by = {(r.quarter, r.table_name): r for r in results}
    for y, r in expected.items():
        assert by[(y, "VAERSVAX")].rows_loaded == int(r["VAX_rows"])
        assert by[(y, "VAERSSYMPTOMS")].rows_loaded == int(float(r["SYMPTOMS_rows"]))
        assert by[(y, "VAERSDATA")].rows_loaded == int(float(r["DATA_rows"]))
    assert all(r.rows_skipped == 0 and r.rows_read == r.rows_loaded for r in results)
    # 2000-2006 narratives hold some Windows-1252 lines: decoded and counted, not lost.
    assert by[("2004", "VAERSDATA")].encoding == "utf-8+cp1252"
    assert by[("2004", "VAERSDATA")].repaired["non-UTF-8 line decoded as Windows-1252"] > 0
    assert by[("1999", "VAERSDATA")].encoding == "utf-8"


def test_tables_link_and_fields(all_years) -> None:
    con, _, _ = all_years
    # Every report has vaccines and (all but a handful) events; nothing in staging is orphaned.
    assert (
        con.execute(
            "SELECT count(*) FROM stage_drug d WHERE source='vaers' AND NOT EXISTS "
            "(SELECT 1 FROM stage_demo s WHERE s.source='vaers' AND s.primaryid = d.primaryid)"
        ).fetchone()[0]
        == 0
    )
    assert (
        con.execute(
            "SELECT count(*) FROM stage_reac d WHERE source='vaers' AND NOT EXISTS "
            "(SELECT 1 FROM stage_demo s WHERE s.source='vaers' AND s.primaryid = d.primaryid)"
        ).fetchone()[0]
        == 0
    )
    n_rep, n_with_drug, n_with_event = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE caseid IN (SELECT caseid FROM report_drug)),
                  count(*) FILTER (WHERE caseid IN (SELECT caseid FROM report_event)) FROM report"""
    ).fetchone()
    assert n_rep == n_with_drug == 203_446
    assert n_with_event >= n_rep - 5
    # A known 1999 report (VAERS_ID 117867): infant death after DTaP + Hib + IPV, SIDS.
    row = con.execute(
        "SELECT sex, died, age_years, fda_dt::VARCHAR, vax_date::VARCHAR, onset_date::VARCHAR, narrative "
        "FROM report WHERE source='vaers' AND caseid = 117867"
    ).fetchone()
    assert row == ("M", True, 0.2, "1999-01-04", "1998-11-27", "1998-12-08", "death-found in crib cyanotic;")
    assert con.execute("SELECT list(outc_cod) FROM report_outcome WHERE caseid = 117867").fetchone()[0] == ["DE"]
    drugs = con.execute(
        "SELECT drug_seq, role_cod, prod_ai, ingredient FROM report_drug WHERE caseid = 117867 ORDER BY 1"
    ).fetchall()
    assert drugs == [
        (1, "PS", "DTAP", "dtap vaccine"),
        (2, "PS", "HIBV", "hib vaccine"),
        (3, "PS", "IPV", "polio vaccine inactivated"),
    ]
    events = {r[0] for r in con.execute("SELECT pt FROM report_event WHERE caseid = 117867").fetchall()}
    assert events == {"cyanosis", "sudden infant death syndrome"}
    # Sex only M/F; outcomes only FAERS codes.
    assert {r[0] for r in con.execute("SELECT DISTINCT sex FROM report").fetchall()} <= {"M", "F", None}
    codes = {r[0] for r in con.execute("SELECT DISTINCT outc_cod FROM report_outcome").fetchall()}
    assert codes == {"DE", "LT", "HO", "DS"}


def test_rotavirus_intussusception_1998_1999(all_years) -> None:
    con, _, _ = all_years
    per_year = dict(
        con.execute(
            """SELECT r.quarter, count(DISTINCT r.caseid)
               FROM report r JOIN report_drug d USING (source, caseid)
               WHERE d.ingredient = 'rotavirus vaccine' AND r.quarter IN ('1998', '1999') GROUP BY 1"""
        ).fetchall()
    )
    assert per_year.get("1998", 0) > 0 and per_year["1999"] > 100
    a = con.execute(
        """SELECT count(DISTINCT caseid) FROM report_drug d JOIN report_event e USING (source, caseid)
           WHERE d.ingredient = 'rotavirus vaccine' AND e.pt = 'intussusception'"""
    ).fetchone()[0]
    assert a >= 50  # the RotaShield signal that led to its withdrawal in October 1999


def test_every_vax_type_in_the_files_maps(all_years) -> None:
    con, _, _ = all_years
    unmapped = con.execute("SELECT DISTINCT prod_ai FROM report_drug WHERE source = 'vaers' AND NOT mapped").fetchall()
    assert {r[0] for r in unmapped} == {"UNK"}


def test_zip_member_order_does_not_matter(tmp_path: Path) -> None:
    z = _complete_dir() / "1999VAERSData.zip"
    counts = []
    for files in (_members(z), _members(z)[::-1]):
        con = _new_store()
        _ingest(con, files)
        store.rebuild_derived(con)
        counts.append(
            con.execute(
                "SELECT (SELECT count(*) FROM report), (SELECT count(*) FROM report_drug), "
                "(SELECT count(*) FROM report_event), (SELECT count(*) FROM report_outcome)"
            ).fetchone()
        )
    assert counts[0] == counts[1]
    assert counts[0][0] == 12_249


def _damaged_data_file(tmp_path: Path) -> Path:
    """1999VAERSDATA.csv with a short row, a long row, a bad id, a Latin-1 byte, and a truncated tail."""
    with zipfile.ZipFile(_complete_dir() / "1999VAERSData.zip") as zf:
        lines = zf.read("1999VAERSDATA.csv").split(b"\r\n")
    assert lines[-1] == b""
    good = lines[1:-1]
    assert len(good) == 12_249
    extra = [
        b"900001,01/04/1999,OH,80.2",  # too few fields
        lines[1].replace(b"117862,", b"900002,", 1) + b",EXTRA",  # too many fields
        lines[1].replace(b"117862,", b"NOTANID,", 1),  # id not a number
        lines[1].replace(b"117862,", b"900003,", 1).replace(b"pt recv", b"caf\xe9 pt recv"),  # Latin-1
        lines[1].replace(b"117862,", b"900004,", 1).replace(b"01/04/1999", b"13/45/1999"),  # bad date
    ]
    truncated = lines[5].replace(lines[5].split(b",")[0], b"900005")[:60]  # cut inside the narrative
    body = [lines[0], *good[:100], *extra, *good[100:], truncated]
    p = tmp_path / "1999VAERSDATA.csv"
    p.write_bytes(b"\r\n".join(body))
    return p


def test_damaged_file_counts_skips_and_repairs(tmp_path: Path) -> None:
    con = _new_store()
    r = vaers.read(con, SourceFile(_damaged_data_file(tmp_path)), 1)
    assert r.rows_read == 12_249 + 6
    assert r.rows_loaded == 12_249 + 2  # the Latin-1 row and the bad-date row are kept
    assert r.rows_read == r.rows_loaded + r.rows_skipped
    assert r.rows_skipped == 4
    reasons = dict(r.skipped)
    assert reasons["VAERS_ID missing or not an integer"] == 1
    assert sum(n for k, n in reasons.items() if k.startswith("unparseable CSV row")) == 3
    assert r.repaired["non-UTF-8 line decoded as Windows-1252"] == 1
    assert r.repaired["RECVDATE not a date (MM/DD/YYYY); set to NULL"] == 1
    assert r.encoding == "utf-8+cp1252"
    assert (
        con.execute("SELECT narrative FROM stage_demo WHERE caseid = 900003").fetchone()[0].startswith("café pt recv")
    )
    assert con.execute("SELECT fda_dt FROM stage_demo WHERE caseid = 900004").fetchone()[0] is None
    ids = {x[0] for x in con.execute("SELECT caseid FROM stage_demo WHERE caseid >= 900000").fetchall()}
    assert ids == {900003, 900004}


def test_wrong_table_and_empty_file_give_clear_errors(tmp_path: Path) -> None:
    con = _new_store()
    p = tmp_path / "1999VAERSVAX.csv"
    p.write_text("FOO,BAR\n1,2\n")
    with pytest.raises(IngestError, match="missing column"):
        vaers.read(con, SourceFile(p), 1)
    p.write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        vaers.read(con, SourceFile(p), 1)


# ---- vaccine vocabulary ---------------------------------------------------------------------------


def test_resolve_vaccine() -> None:
    assert resolve_vaccine("flu shot") == ["influenza vaccine"]
    assert resolve_vaccine("FluMist") == ["influenza vaccine"]
    assert resolve_vaccine("RotaShield") == ["rotavirus vaccine"]
    assert resolve_vaccine("rotateq") == ["rotavirus vaccine"]
    assert resolve_vaccine("MMR") == ["measles mumps rubella vaccine"]
    assert resolve_vaccine("Gardasil") == ["hpv vaccine"]
    assert resolve_vaccine("Pediarix") == ["dtap-hepatitis b-ipv vaccine"]
    hep_b = resolve_vaccine("hepatitis B vaccine")
    assert hep_b[0] == "hepatitis b vaccine" and "dtap-hepatitis b-ipv vaccine" in hep_b
    assert "influenza vaccine" not in hep_b
    assert set(resolve_vaccine("pneumonia vaccine")) == {
        "pneumococcal conjugate vaccine",
        "pneumococcal polysaccharide vaccine",
    }
    # Not vaccines: drugs, and bare disease words (a condition, not a product).
    for q in ("aspirin", "amlodipine", "flu", "measles", "", "   "):
        assert resolve_vaccine(q) == [], q


def test_vaccine_products() -> None:
    assert vaccine_products("RV", "ROTAVIRUS (ROTASHIELD)") == ["rotavirus vaccine"]
    assert vaccine_products("flu3", None) == ["influenza vaccine"]
    assert vaccine_products("FLUA4", None) == ["influenza vaccine"]
    assert vaccine_products("MMRV", None) == ["measles mumps rubella varicella vaccine"]
    assert vaccine_products("UNK", "VACCINE NOT SPECIFIED (NO BRAND NAME)") == []
    assert vaccine_products(None, "INFLUENZA (SEASONAL) (FLUZONE)") == ["influenza vaccine"]
    assert vaccine_products("NEWCODE", "ROTAVIRUS (ROTATEQ)") == ["rotavirus vaccine"]
    assert vaccine_products(None, None) == []
    names = all_vaccine_names()
    assert "RotaShield".lower() in names["rotavirus vaccine"]
    assert all(p == p.lower() for p in names)
    assert set(vaccine_codes().values()) == set(names)


def test_a_vaers_table_saved_as_utf16_is_read_like_its_utf8_original(tmp_path: Path) -> None:
    """A spreadsheet's "Unicode text" (UTF-16 with a BOM, CRLF) gives the same rows as the release's bytes;
    it was refused with "missing column VAERS_ID (header: ÿþV...)"."""
    zip_path = sorted(_complete_dir().glob("*.zip"))[0]
    member = next(f for f in _members(zip_path) if f.name.upper().endswith("VAERSVAX.CSV"))
    lines = member.read_bytes().decode("latin-1").splitlines()[:400]
    original, unicode_text = tmp_path / "utf8" / member.name, tmp_path / "utf16" / member.name
    for path, data in (
        (original, "\n".join(lines).encode("latin-1")),
        (unicode_text, "\r\n".join(lines).encode("utf-16")),
    ):
        path.parent.mkdir()
        path.write_bytes(data)
    con = _new_store()
    a, b = _ingest(con, [SourceFile(original), SourceFile(unicode_text)])
    assert b.encoding == "utf-16" and b.repaired["UTF-16 file read as UTF-16 and stored as UTF-8"] == 1
    assert (a.rows_read, a.rows_loaded, a.rows_skipped) == (b.rows_read, b.rows_loaded, b.rows_skipped)
    assert a.rows_loaded > 300
    ids = con.execute("SELECT file_id, list(primaryid ORDER BY primaryid) FROM stage_drug GROUP BY 1").fetchall()
    assert len(ids) == 2 and ids[0][1] == ids[1][1]
