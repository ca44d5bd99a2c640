"""Synthetic FAERS generator: real layouts, consistent keys, determinism, versions, damage, signals."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from adrlens.config import data_path
from adrlens.synth import AERS_HEADERS, FAERS_HEADERS, TABLES, SynthTruth, generate

SIGNAL = ("DUPILUMAB", "Headache", 3.0)


def _real_header(zip_name: str, member: str) -> str:
    with zipfile.ZipFile(data_path("faers", "samples", "zips", zip_name)) as zf:
        return zf.read(member).decode("latin-1").splitlines()[0]


@pytest.fixture(scope="module")
def modern(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthTruth]:
    out = tmp_path_factory.mktemp("synth_modern")
    truth = generate(out, cases=24_000, quarters=3, seed=7, signals=[SIGNAL], damage_rate=0.0)
    return out, truth


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthTruth]:
    out = tmp_path_factory.mktemp("synth_legacy")
    truth = generate(out, cases=3_000, quarters=3, seed=3, start_quarter="2012Q2", legacy_quarters=2,
                     damage_rate=0.01, zip_output=True)  # fmt: skip
    return out, truth


def _read(folder: Path, table: str) -> pd.DataFrame:
    frames = [
        pd.read_csv(p, sep="$", dtype=str, keep_default_na=False, encoding="latin-1")
        for p in sorted(folder.glob(f"faers_ascii_*/ASCII/{table}*.txt"))
    ]
    return pd.concat(frames, ignore_index=True)


def test_headers_match_real_releases(modern: tuple[Path, SynthTruth], legacy: tuple[Path, SynthTruth]) -> None:
    out, _ = modern
    for t in TABLES:
        real = _real_header("faers_ascii_2026q2_sample.zip", f"ASCII/{t}26Q2.txt")
        assert FAERS_HEADERS[t] == real
        raw = (out / "faers_ascii_2023q1" / "ASCII" / f"{t}23Q1.txt").read_bytes()
        assert raw.startswith((real + "\r\n").encode())  # 2023 files: CRLF like FDA's recent releases
    assert (out / "faers_ascii_2023q3" / "Deleted" / "DELETE23Q3.txt").exists()
    lout, ltruth = legacy
    assert ltruth.layouts == {"2012Q2": "aers", "2012Q3": "aers", "2012Q4": "faers"}
    with zipfile.ZipFile(lout / "aers_ascii_2012q2.zip") as zf:
        for t in TABLES:
            real = _real_header("aers_ascii_2004q1.zip", f"ascii/{t}04Q1.TXT")
            assert AERS_HEADERS[t] == real
            text = zf.read(f"ascii/{t}12Q2.TXT").decode("latin-1")
            assert text.split("\n", 1)[0] == real
    with zipfile.ZipFile(lout / "faers_ascii_2012q4.zip") as zf:
        names = set(zf.namelist())
        assert {f"ASCII/{t}12Q4.txt" for t in TABLES} <= names
        assert "Deleted/DELETE12Q4.txt" in names
        reac = zf.read("ASCII/REAC12Q4.txt").decode("latin-1")
        assert any(c.islower() for c in reac.split("\n", 2)[1])  # FAERS PTs in MedDRA case
    with zipfile.ZipFile(lout / "aers_ascii_2012q2.zip") as zf:
        reac = zf.read("ascii/REAC12Q2.TXT").decode("latin-1").split("\n")[1:50]
        assert all(ln.split("$")[1] == ln.split("$")[1].upper() for ln in reac if ln)


def test_keys_consistent_and_counts(modern: tuple[Path, SynthTruth]) -> None:
    out, truth = modern
    demo, drug, reac = _read(out, "DEMO"), _read(out, "DRUG"), _read(out, "REAC")
    assert demo["primaryid"].is_unique
    assert set(drug["primaryid"]) <= set(demo["primaryid"])
    assert set(reac["primaryid"]) <= set(demo["primaryid"])
    assert len(demo) == sum(c["rows_DEMO"] for c in truth.counts.values()) == truth.versions["reports"]
    assert demo["caseid"].nunique() == truth.cases
    # about one primary suspect per report, ~3 drugs and ~3 events per report
    ps = drug[drug["role_cod"] == "PS"].groupby("primaryid").size()
    assert len(ps) == len(demo) and ps.max() == 1
    assert 2.5 < len(drug) / len(demo) < 3.5 and 2.5 < len(reac) / len(demo) < 3.5
    # heavy tail: the top 1% of ingredients carry a large share of the drug rows
    share = drug["prod_ai"].value_counts(normalize=True)
    assert share.iloc[: max(1, len(share) // 100)].sum() > 0.2 and len(share) > 500
    # partial and empty THER start dates, like the real files
    ther = _read(out, "THER")
    lens = ther["start_dt"].str.len().value_counts()
    assert {0, 4, 6, 8} <= set(lens.index)


def test_versions_and_deletes(modern: tuple[Path, SynthTruth]) -> None:
    out, truth = modern
    demo = _read(out, "DEMO")
    demo["v"] = demo["caseversion"].astype(int)
    multi = demo.groupby("caseid")["v"].nunique()
    assert (multi > 1).sum() > 0.05 * truth.cases
    # a follow-up has the same caseid, a higher version and primaryid = caseid followed by version
    assert (demo["primaryid"] == demo["caseid"] + demo["caseversion"]).all()
    later = demo.sort_values("fda_dt").groupby("caseid")["v"].apply(lambda s: s.is_monotonic_increasing)
    assert later.all()
    deleted = {c for ids in truth.deleted_caseids.values() for c in ids}
    assert deleted and {str(c) for c in deleted} <= set(demo["caseid"])
    listed = (out / "faers_ascii_2023q2" / "Deleted" / "DELETE23Q2.txt").read_text().split()
    assert [int(x) for x in listed] == truth.deleted_caseids["2023Q2"]


def test_deterministic_by_seed(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", cases=1_500, quarters=2, seed=11, damage_rate=0.01)
    b = generate(tmp_path / "b", cases=1_500, quarters=2, seed=11, damage_rate=0.01)
    generate(tmp_path / "c", cases=1_500, quarters=2, seed=12, damage_rate=0.01)
    assert a.files == b.files
    for rel in a.files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    rel = "faers_ascii_2023q1/ASCII/DRUG23Q1.txt"
    assert (tmp_path / "a" / rel).read_bytes() != (tmp_path / "c" / rel).read_bytes()


def test_damage_present_and_counted(legacy: tuple[Path, SynthTruth]) -> None:
    out, truth = legacy
    for kind, per_table in truth.damage.items():
        assert sum(per_table.values()) > 0, kind
    with zipfile.ZipFile(out / "faers_ascii_2012q4.zip") as zf:
        raw = zf.read("ASCII/DRUG12Q4.txt")
    lines = raw.split(b"\r\n" if b"\r\n" in raw else b"\n")
    header_fields = lines[0].count(b"$")
    counts = [ln.count(b"$") for ln in lines[1:] if ln]
    assert any(c == header_fields + 1 for c in counts)  # extra trailing field
    assert any(c < header_fields for c in counts)  # missing field, or a row broken by a stray newline
    assert b"\xe9" in raw  # a Latin-1 byte in a drug name
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_injected_signal_observed_over_expected(modern: tuple[Path, SynthTruth]) -> None:
    out, truth = modern
    assert truth.injected[0]["ingredient"] == "DUPILUMAB" and truth.injected[0]["target_ratio"] == 3.0
    con = duckdb.connect()
    for t in ("DEMO", "DRUG", "REAC"):
        con.register(t.lower(), _read(out, t))
    deleted = [str(c) for ids in truth.deleted_caseids.values() for c in ids] or ["-1"]
    con.register("deleted", pd.DataFrame({"caseid": deleted}))
    a, n_drug, n_pt, n = con.execute(
        """
        WITH latest AS (  -- one report per case: the highest version; deleted cases dropped
            SELECT primaryid FROM (
                SELECT primaryid, caseid, row_number() OVER (
                    PARTITION BY caseid ORDER BY CAST(caseversion AS INT) DESC) AS r FROM demo)
            WHERE r = 1 AND caseid NOT IN (SELECT caseid FROM deleted)),
        d AS (SELECT DISTINCT primaryid FROM drug WHERE upper(prod_ai) = 'DUPILUMAB'),
        e AS (SELECT DISTINCT primaryid FROM reac WHERE pt = 'Headache')
        SELECT (SELECT count(*) FROM latest JOIN d USING (primaryid) JOIN e USING (primaryid)),
               (SELECT count(*) FROM latest JOIN d USING (primaryid)),
               (SELECT count(*) FROM latest JOIN e USING (primaryid)),
               (SELECT count(*) FROM latest)
        """
    ).fetchone()
    expected = n_drug * n_pt / n
    assert a >= 50
    assert abs(a / expected - 3.0) < 0.6, (a, expected)
    # a drug without an injected signal stays near 1 for the same PT
    b_ratio = con.execute(
        """
        WITH d AS (SELECT DISTINCT primaryid FROM drug WHERE upper(prod_ai) = 'ADALIMUMAB'),
             e AS (SELECT DISTINCT primaryid FROM reac WHERE pt = 'Headache'),
             n AS (SELECT count(*) AS n FROM demo)
        SELECT (SELECT count(*) FROM d JOIN e USING (primaryid)) * (SELECT n FROM n)
               / ((SELECT count(*) FROM d) * (SELECT count(*) FROM e))
        """
    ).fetchone()[0]
    assert 0.5 < b_ratio < 1.6


def test_truth_json_round_trip(modern: tuple[Path, SynthTruth]) -> None:
    out, truth = modern
    again = SynthTruth.read(out / "truth.json")
    assert again.counts == truth.counts and again.injected == truth.injected


def test_bad_arguments_give_clear_errors(tmp_path: Path) -> None:
    from adrlens.errors import AdrlensError

    with pytest.raises(AdrlensError, match="2012Q4"):
        generate(tmp_path, cases=10, quarters=2, start_quarter="2023Q1", legacy_quarters=1)
    with pytest.raises(AdrlensError, match="ingredient"):
        generate(tmp_path, cases=10, quarters=1, signals=[("NOT A DRUG XYZ", "Headache", 2.0)])
    with pytest.raises(AdrlensError, match="2023Q1"):
        generate(tmp_path, cases=10, quarters=1, start_quarter="23-1")
