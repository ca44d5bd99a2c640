"""bench/serve.py --quick: the load benchmark runs end to end against a real `adrlens serve` on the real store,
writes its JSON with every figure, and stops the server it started. No timings are asserted (they go to bench/)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ("count", "errors", "errors_by_reason", "p50_ms", "p95_ms", "p99_ms", "max_ms", "throughput_rps")


def test_quick_run_writes_figures_and_stops_the_server(real_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "serve.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "serve.py"), "--quick", "--store", str(real_store), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    for key in ("machine", "adrlens_version", "store", "settings", "server", "load", "single", "goals", "goal_met"):
        assert key in res, key
    assert res["quick"] is True
    assert res["store"] == str(real_store.resolve())
    assert res["machine"]["cpus"] >= 1 and len(res["machine"]["load_avg_at_start"]) == 3
    overall = res["load"]["overall"]
    assert set(FIGURES) <= set(overall)
    assert overall["count"] > 0 and overall["count"] == res["load"]["requests_issued"]
    assert sum(k["count"] for k in res["load"]["by_kind"].values()) == overall["count"]
    assert res["load"]["by_kind"]["cached"]["count"] > 0
    # the cached questions were answered from the server's cache (hits), not computed again
    assert res["server"]["answer_cache_after_load"]["hits"] > 0
    for kind in ("cached", "uncached"):
        single = res["single"][kind]
        assert single["count"] >= 1 and {"p50_ms", "p95_ms", "errors"} <= set(single)
    assert set(res["goal_met"]) >= {"load", "warm_single_cached_p95_le_150ms"}
    assert all(isinstance(v, bool) for v in res["goal_met"].values())
    # the server is gone: its port no longer accepts connections
    with socket.socket() as s:
        s.settimeout(2)
        assert s.connect_ex(("127.0.0.1", res["server"]["port"])) != 0
    assert res["server"]["stopped"] is True
    assert "users" in proc.stdout  # the printed table
