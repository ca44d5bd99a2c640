"""An ingest killed mid-way leaves the previous store exactly as it was."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import duckdb

from adrlens.build import REPORTS_ONLY
from adrlens.build import ingest as build_ingest

# These tests are about the reports step: the derived parts are built by test_build and the fixtures.
ingest = partial(build_ingest, parts=REPORTS_ONLY)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_killed_ingest_leaves_store_unchanged(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest([data_dir / "faers" / "samples" / "nico8270_25Q4_1000cases"], db)
    before = _sha(db)

    def temps() -> list[Path]:
        return [p for p in tmp_path.iterdir() if ".building.tmp" in p.name]

    killed_mid_build = False
    for _attempt in range(5):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "adrlens.cli",
                "ingest",
                str(data_dir / "faers" / "samples"),
                "--store",
                str(db),
                "--quiet",
            ],
            env={**os.environ},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        # Wait until the build has started writing its copy, then kill -9 mid-ingest.
        while time.time() < deadline and proc.poll() is None:
            if any(t.name.endswith(".building.tmp") and t.stat().st_size > 0 for t in temps()):
                time.sleep(0.3)
                break
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed_mid_build = True
            break
        # The ingest finished before we could kill it: start again from the one-quarter store.
        db.unlink()
        ingest([data_dir / "faers" / "samples" / "nico8270_25Q4_1000cases"], db)
        before = _sha(db)
    assert killed_mid_build, "could not catch the ingest mid-build"
    assert _sha(db) == before
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM report").fetchall() == [(1000,)]
    con.close()
    assert temps(), "the killed build left its temporary copy"
    # The OS dropped the killed build's lock: the next ingest (refusing to wait) runs, removes the stale
    # temporary and completes.
    s = ingest([data_dir / "faers" / "samples"], db, wait=0)
    assert not temps() and not db.with_name(db.name + ".lock").exists()
    assert s.cases["faers"] > 1000
