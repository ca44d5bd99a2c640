"""The one store build: atomic, with a "complete" marker naming its parts and inputs; an incomplete store
or one lacking a part is refused with the command that rebuilds it."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from adrlens.build import REPORTS_ONLY, build, ensure_store, rebuild
from adrlens.errors import StoreError
from adrlens.store import db


def _nico(data_dir: Path) -> Path:
    return data_dir / "faers" / "samples" / "nico8270_25Q4_1000cases"


def test_marker_names_parts_and_input_sha256s(tmp_path: Path, data_dir: Path) -> None:
    store = tmp_path / "s.duckdb"
    summary = build([_nico(data_dir)], store, parts=REPORTS_ONLY)
    assert summary.cases == {"faers": 1000}
    with db.connect(store, require=REPORTS_ONLY) as con:
        marker = db.read_marker(con)
    assert marker["complete"] and marker["parts"] == ["reports"]
    assert marker["schema_version"] == db.SCHEMA_VERSION
    shas = [i["sha256"] for i in marker["inputs"]["reports"]]
    assert len(shas) == len(set(shas)) > 0 and all(len(s) == 64 for s in shas)


def test_a_store_without_a_needed_part_is_refused_with_the_rebuild_command(tmp_path: Path, data_dir: Path) -> None:
    store = tmp_path / "s.duckdb"
    build([_nico(data_dir)], store, parts=REPORTS_ONLY)
    with pytest.raises(StoreError, match=r"built without knowledge, pair_stats, count_tables.*adrlens rebuild --store"):
        db.connect(store)
    # The command it names does it: every part, from the files the store holds, nothing counted twice.
    summary = rebuild(store)
    assert summary.parts == db.PARTS and summary.cases == {"faers": 1000} and not summary.ingest.files
    with db.connect(store) as con:
        assert con.execute("SELECT count(*) FROM pair_stats").fetchall()[0][0] > 0


def test_a_store_whose_build_did_not_finish_is_refused(tmp_path: Path, data_dir: Path) -> None:
    store = tmp_path / "s.duckdb"
    build([_nico(data_dir)], store, parts=REPORTS_ONLY)
    broken = tmp_path / "broken.duckdb"
    shutil.copy(store, broken)
    con = duckdb.connect(str(broken))
    con.execute("DELETE FROM meta WHERE key = ?", [db.BUILD_KEY])
    con.close()
    with pytest.raises(StoreError, match="incomplete"):
        db.connect(broken, require=REPORTS_ONLY)


def test_a_named_missing_store_is_never_built_behind_the_users_back(tmp_path: Path) -> None:
    missing = tmp_path / "typo.duckdb"
    assert ensure_store(missing) == missing and not missing.exists()
    with pytest.raises(StoreError, match="No store at"):
        db.connect(missing)


def test_full_build_has_every_part(real_store: Path) -> None:
    with db.connect(real_store) as con:
        marker = db.read_marker(con)
        assert marker["parts"] == list(db.PARTS)
        assert {"reports", "knowledge", "count_tables"} <= set(marker["inputs"])
        priors = dict(con.execute("SELECT source, n_pairs FROM signal_prior").fetchall())
        sources = {s for (s,) in con.execute("SELECT DISTINCT source FROM report").fetchall()}
    assert set(priors) == sources and all(n > 0 for n in priors.values())


def test_ingest_into_an_existing_store_refreshes_pair_stats(tmp_path: Path, data_dir: Path) -> None:
    """Issue 12, item 11a: after adding cases, `signal` showed a pair that pair_stats lacked. An ingest into
    an existing store rebuilds the statistics: they match a fresh build of both quarters, new pairs included."""
    samples = data_dir / "faers" / "samples"
    a, b = samples / "nico8270_25Q4_1000cases", samples / "ubesp_20Q3_first10000rows"
    parts = ("reports", "pair_stats")
    added, fresh = tmp_path / "added.duckdb", tmp_path / "fresh.duckdb"
    build([a], added, parts=parts)
    with db.connect(added, require=parts) as con:
        pairs_a = set(con.execute("SELECT ingredient, pt FROM pair_stats").fetchall())
    build([b], added, parts=parts)
    build([a, b], fresh, parts=parts)
    sql = "SELECT source, role, ingredient, pt, a, round(eb05, 6), round(ror_lo, 6) FROM pair_stats ORDER BY ALL"
    with db.connect(added, require=parts) as con:
        rows_added = con.execute(sql).fetchall()
        pairs = set(con.execute("SELECT ingredient, pt FROM pair_stats").fetchall())
        n_cases = con.execute("SELECT n_cases FROM signal_prior").fetchall()
    with db.connect(fresh, require=parts) as con:
        rows_fresh = con.execute(sql).fetchall()
        n_cases_fresh = con.execute("SELECT n_cases FROM signal_prior").fetchall()
    assert pairs - pairs_a, "the second quarter brought no new pairs: the test would prove nothing"
    assert rows_added == rows_fresh and n_cases == n_cases_fresh
