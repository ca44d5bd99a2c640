"""Issue 12, item 9: Ctrl-C (SIGINT) or SIGTERM during a build leaves the store as it was and no temporary
files, and says so in one line (exit 130 or 143). Once, SIGTERM left the 49 MB temporary copy and its
write-ahead log until the next ingest, and Ctrl-C took half a minute to end in "internal error
(RuntimeError: Query interrupted) ... bug"."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from adrlens.build import REPORTS_ONLY, ingest
from store_cli import held_lock, leftovers, lines, popen_cli, sha256

# A report source big enough that its build is still running seconds after it started.
BIG = ("faers", "quarter_2022q3_ps")
SMALL = ("faers", "samples", "ubesp_20Q3_10cases")
# How long the build runs before the signal: long enough to be inside DuckDB work.
RUN_BEFORE_SIGNAL_S = 2.0


def _signal_mid_build(proc: subprocess.Popen, folder: Path, sig: signal.Signals) -> tuple[str, str]:
    """Wait until the build has made its temporary copy, let it run, then send `sig`."""
    deadline = time.monotonic() + 300
    while (
        proc.poll() is None
        and time.monotonic() < deadline
        and not any(".building.tmp" in p.name for p in folder.iterdir())
    ):
        time.sleep(0.01)
    time.sleep(RUN_BEFORE_SIGNAL_S)
    assert proc.poll() is None, "the build finished before it could be interrupted"
    proc.send_signal(sig)
    return proc.communicate(timeout=300)


def _assert_stopped(proc: subprocess.Popen, err: str, sig: signal.Signals, store: Path) -> None:
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err and "internal error" not in err
    assert lines(err) == [f"interrupted: the store at {store} is unchanged (stopped by {sig.name})."]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_ingest_leaves_the_store_unchanged(tmp_path: Path, data_dir: Path, sig: signal.Signals) -> None:
    store = tmp_path / "s.duckdb"
    ingest([data_dir.joinpath(*SMALL)], store, parts=REPORTS_ONLY)
    before = sha256(store)
    proc = popen_cli("ingest", data_dir.joinpath(*BIG), "--store", store, "-q")
    _, err = _signal_mid_build(proc, tmp_path, sig)
    _assert_stopped(proc, err, sig, store)
    assert sha256(store) == before
    assert leftovers(tmp_path) == []


def test_sigterm_during_a_first_build_leaves_no_store(tmp_path: Path, data_dir: Path) -> None:
    store = tmp_path / "new.duckdb"
    proc = popen_cli("ingest", data_dir.joinpath(*BIG), "--store", store, "-q")
    _, err = _signal_mid_build(proc, tmp_path, signal.SIGTERM)
    _assert_stopped(proc, err, signal.SIGTERM, store)
    assert not store.exists() and leftovers(tmp_path) == []


def test_sigint_during_rebuild_of_the_derived_parts(tmp_path: Path, data_dir: Path) -> None:
    # The reports are there: the rebuild spends its time on knowledge tables and all-pairs statistics.
    store = tmp_path / "s.duckdb"
    ingest([data_dir.joinpath(*BIG)], store, parts=REPORTS_ONLY)
    before = sha256(store)
    proc = popen_cli("rebuild", "--store", store, "-q")
    _, err = _signal_mid_build(proc, tmp_path, signal.SIGINT)
    _assert_stopped(proc, err, signal.SIGINT, store)
    assert sha256(store) == before and leftovers(tmp_path) == []


def test_ctrl_c_while_waiting_for_another_build(tmp_path: Path, data_dir: Path) -> None:
    store = tmp_path / "s.duckdb"
    with held_lock(store):
        proc = popen_cli("ingest", data_dir.joinpath(*SMALL), "--store", store, "-q", "--wait", "300")
        assert proc.stderr.readline().startswith("waiting for another build of")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    _assert_stopped(proc, err, signal.SIGINT, store)
    assert not store.exists()
