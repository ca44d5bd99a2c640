"""EBGM priors in built stores: a 1,000-case sample gives no EBGM (with its reason) rather than a collapsed
prior; the CLI says so; the verdict's rule reads the missing EB05 as not measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from adrlens.build import ingest
from adrlens.signals import rules
from adrlens.signals.allpairs import load_prior
from adrlens.signals.pair import pair_signal
from adrlens.signals.tables import SignalSettings

SAMPLE = ("faers", "samples", "nico8270_25Q4_1000cases")  # 1,000 cases, 22,344 pairs, 1,857 with >= 2 reports


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("ebgm") / "sample.duckdb"
    summary = ingest([data_dir.joinpath(*SAMPLE)], path, parts=("reports", "pair_stats"))
    assert not summary.failed
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "adrlens.cli", *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_sample_store_gives_no_ebgm_and_says_why(sample_store: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(sample_store), read_only=True)
    try:
        prior = load_prior(con, "faers")
        nulls, pairs = con.execute("SELECT count(*) FILTER (eb05 IS NULL), count(*) FROM pair_stats").fetchone()
        top = con.execute("SELECT ingredient, pt FROM pair_stats ORDER BY a DESC, ingredient, pt LIMIT 1").fetchone()
        sig = pair_signal(con, top[0], [top[1]], settings=SignalSettings(source="faers"), extras=False).to_dict()
    finally:
        con.close()
    assert prior is not None and not prior.usable and prior.reason
    assert nulls == pairs > 20_000  # not measured for every pair, not a collapsed prior's EB05 >= 2
    # the single pair: null EBGM with the reason, and the rule does not count EBGM as a criterion
    assert sig["ebgm"]["ebgm"] is None and sig["ebgm"]["eb05"] is None
    assert sig["ebgm"]["note"].startswith("EBGM not given (faers)")
    assert "ebgm" not in sig["signal"]["criteria_met"]
    assert rules.call_measures({"a": 5, "ror_lo": 0.5, "ic025": -1.0}, eb05=None).criteria_met == ()

    status = _cli("status", "--store", str(sample_store))
    assert status.returncode == 0, status.stderr
    assert "EBGM not given (faers): " in status.stdout and "Traceback" not in status.stderr
    js = json.loads(_cli("status", "--store", str(sample_store), "--json").stdout)
    assert any(line.startswith("EBGM not given (faers)") for line in js["ebgm_priors"])

    out = tmp_path / "pairs.parquet"
    res = _cli("signals", "--out", str(out), "--store", str(sample_store), "--source", "faers")
    assert res.returncode == 0, res.stderr
    assert "EBGM not given (faers)" in " ".join(res.stdout.split())
    table = pq.read_table(out)
    assert table.column("eb05").null_count == table.num_rows
    meta = json.loads(table.schema.metadata[b"adrlens"])
    assert meta["prior"]["reason"] and meta["prior"]["converged"] is False
