"""Issue 12, item 1: two builds of one store never mix. Once, a second `adrlens ingest` into a store being
built failed on the first one's temporary file and the store ended up with the second's files only.

Each build holds the store's lock (`<store>.lock`, flock) for its whole run; another waits for it (saying
so once) up to --wait seconds, then refuses. The tests hold the lock themselves, as a running build does,
so that the waiting is certain rather than a race."""

from __future__ import annotations

import os
from pathlib import Path

from adrlens.build import REPORTS_ONLY, ingest
from store_cli import caseids, held_lock, leftovers, lines, popen_cli, run_cli, sha256, write_quarter

DRUGS = ["ATORVASTATIN", "METFORMIN", "AMLODIPINE"]
PTS = ["Myalgia", "Nausea", "Headache"]
A_CASES = range(100_000, 100_060)
B_CASES = range(200_000, 200_060)


def _quarters(tmp_path: Path) -> tuple[Path, Path]:
    return (
        write_quarter(tmp_path / "a", "24Q1", A_CASES, DRUGS, PTS),
        write_quarter(tmp_path / "b", "24Q2", B_CASES, DRUGS[::-1], PTS),
    )


def test_two_concurrent_ingests_into_one_store_both_land(tmp_path: Path) -> None:
    a, b = _quarters(tmp_path)
    store = tmp_path / "s.duckdb"
    with held_lock(store):
        procs = [popen_cli("ingest", q, "--store", store, "--reports-only", "-q", "--wait", "300") for q in (a, b)]
        # Both are waiting (each says so once) before either may start.
        for p in procs:
            said = p.stderr.readline()
            assert said.startswith(f"waiting for another build of {store} (pid {os.getpid()})"), said
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err and "error" not in err
    # Neither build lost the other's cases, and nothing is left beside the store.
    assert caseids(store) == set(A_CASES) | set(B_CASES)
    assert leftovers(tmp_path) == []


def test_a_second_writer_with_wait_0_is_refused_at_once(tmp_path: Path) -> None:
    a, b = _quarters(tmp_path)
    store = tmp_path / "s.duckdb"
    ingest([a], store, parts=REPORTS_ONLY)
    before = sha256(store)
    with held_lock(store):
        proc = run_cli("ingest", b, "--store", store, "--reports-only", "--wait", "0")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    err = lines(proc.stderr)
    assert len(err) == 1 and err[0].startswith("error: another build of"), err
    assert f"(pid {os.getpid()})" in err[0] and "--wait SECONDS" in err[0]
    assert sha256(store) == before and caseids(store) == set(A_CASES)


def test_a_waiting_writer_gives_up_after_its_wait(tmp_path: Path) -> None:
    _, b = _quarters(tmp_path)
    store = tmp_path / "s.duckdb"
    with held_lock(store):
        proc = run_cli(
            "ingest", b, "--store", store, "--reports-only", "-q", env={**os.environ, "ADRLENS_STORE_WAIT": "1"}
        )
    err = lines(proc.stderr)
    assert proc.returncode == 2, proc.stderr
    assert err[0].startswith("waiting for another build of") and len(err) == 2, err
    assert err[1].startswith("error: another build of") and "did not finish within 1 s" in err[1]
    assert not store.exists()
