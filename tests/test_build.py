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
