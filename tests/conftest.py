"""Shared fixtures: the real shared data, and stores built from it once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from adrlens import config

# Fuzz-test profiles (tests/test_fuzz_*.py). No example database: nothing is written into the repo, and a
# failure is reproduced from the printed blob (@reproduce_failure) or kept as an explicit @example.
# "ci" is derandomized so CI runs the same examples every time; "long" is for a soak run by hand
# (HYPOTHESIS_PROFILE=long). Each fuzz test asks for a share of the profile's max_examples.
_FUZZ = {"database": None, "deadline": None, "print_blob": True, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=100, **_FUZZ)
settings.register_profile("ci", max_examples=100, derandomize=True, **_FUZZ)
settings.register_profile("long", max_examples=2000, **_FUZZ)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return config.data_dir()


@pytest.fixture(scope="session")
def samples_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A store built from every shared FAERS sample (folders and zips)."""
    from adrlens.build import ingest

    path = tmp_path_factory.mktemp("samples") / "samples.duckdb"
    summary = ingest([data_dir / "faers" / "samples"], path)
    assert not summary.failed, [f.error for f in summary.failed]
    return path


@pytest.fixture(scope="session")
def knowledge_built(data_dir: Path):
    """An in-memory store with the knowledge tables only (empty report tables), built once per session for
    every test module that reads labels, literature or pharmacogenomics: (connection, row counts)."""
    import duckdb

    from adrlens.store import db, knowledge

    con = duckdb.connect()
    db.init_schema(con)  # the build's reports step has made the (here empty) report tables
    db.rebuild_derived(con)
    counts = knowledge.build_knowledge(con, data_dir)
    yield con, counts
    con.close()


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """VAERS 1990-2006, FAERS 2022Q3 (PS) and the FAERS samples, with knowledge and all-pairs statistics.

    ADRLENS_TEST_STORE names an already built store to use instead (to rerun a few tests by hand without the
    two-minute build; CI never sets it)."""
    given = os.environ.get("ADRLENS_TEST_STORE")
    if given:
        return Path(given)
    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    from adrlens.build import build_store

    build_store(path)
    return path


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(real_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """`adrlens serve` on the real store, a free loopback port, in its own process: yields the base URL and
    stops the server after the session (its log is printed when it fails to start)."""
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "adrlens.cli", "serve", "--store", str(real_store), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            pytest.fail(f"adrlens serve exited with {proc.returncode}:\n{log.read_text()}", pytrace=False)
        try:
            if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"adrlens serve did not answer within 120 s:\n{log.read_text()}", pytrace=False)
        time.sleep(0.25)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


# ---- the browser (tests/test_browser.py, tests/test_serve_browser.py) ------------------------------------
# Chromium is Debian's (`apt-get install chromium`, or scripts/system-packages.sh); Playwright never downloads
# a browser here. Without Chromium the browser tests skip, except under CI (env CI set), where they fail.


def _chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def _unavailable(why: str) -> None:
    msg = f"{why}; install it with `sh scripts/system-packages.sh` (Debian package chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so the browser tests must run: {msg}", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, headless, one per test module."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed (pip install -e '.[dev]')")
    exe = _chromium()
    if exe is None:
        _unavailable("Chromium is not installed (no `chromium` on PATH, no /usr/bin/chromium)")
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=args, headless=True)
        yield b
        b.close()
