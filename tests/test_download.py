"""Downloads from the official homes, tested offline with httpx's own mock transport."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from adrlens.sources.download import DownloadError, download_faers, faers_url, fetch, quarters
from silent_server import silent_server


def test_quarter_ranges_and_urls() -> None:
    assert list(quarters("2024q3..2025q1")) == [(2024, 3), (2024, 4), (2025, 1)]
    assert faers_url(2012, 3).endswith("/aers_ascii_2012q3.zip")
    assert faers_url(2012, 4).endswith("/faers_ascii_2012q4.zip")
    with pytest.raises(DownloadError):
        list(quarters("2025q5"))
    with pytest.raises(DownloadError):
        list(quarters("2025q2..2024q1"))


def test_download_writes_whole_files_only(tmp_path: Path) -> None:
    body = b"PK\x03\x04 not really a zip but bytes"

    def handler(request: httpx.Request) -> httpx.Response:
        if "2025q2" in request.url.path:
            return httpx.Response(404)
        return httpx.Response(200, content=body)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    got = download_faers("2025q1", tmp_path, client)
    assert got[0].path.read_bytes() == body and got[0].bytes == len(body)
    with pytest.raises(DownloadError, match="not published"):
        download_faers("2025q2", tmp_path, client)
    assert not list(tmp_path.glob("*.part")) and not (tmp_path / "faers_ascii_2025q2.zip").exists()
    # Already present: not fetched again.
    assert download_faers("2025q1", tmp_path, client) == []


def test_offline_is_a_clear_error(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    with pytest.raises(DownloadError, match="Are you online"):
        download_faers("2025q4", tmp_path, client)
    assert not list(tmp_path.iterdir())


# -- a server or proxy that never answers (issue 12, item 10e) --------------------------------------------
DEADLINE = 2.0
GUARD = 3 * DEADLINE  # generous: only so that a wait that never ends fails the test


def test_a_server_that_never_answers_ends_at_the_deadline(tmp_path: Path) -> None:
    with silent_server() as port, httpx.Client() as client:
        t = time.monotonic()
        with pytest.raises(DownloadError) as err:
            fetch(f"http://127.0.0.1:{port}/faers_ascii_2025q4.zip", tmp_path / "f.zip", client, timeout=DEADLINE)
        waited = time.monotonic() - t
    assert str(err.value) == (
        f"127.0.0.1 did not answer within {DEADLINE:g} s; check your connection or proxy, or raise --timeout "
        "(or $ADRLENS_TIMEOUT)."
    )
    assert waited < GUARD and not list(tmp_path.iterdir())


def test_a_download_that_stalls_midway_is_a_clear_error(tmp_path: Path) -> None:
    """A server that sends the start of a file, then nothing: the read timeout ends it, no half file is left."""
    # The trickle (a byte every 0.2 s) is slower than the 0.1 s read timeout a 0.1 s deadline gives: a stall.
    with silent_server(trickle=True) as port, httpx.Client() as client, pytest.raises(DownloadError) as err:
        fetch(f"http://127.0.0.1:{port}/f.zip", tmp_path / "f.zip", client, timeout=0.1)
    assert "nothing arrived for 0.1 s after" in str(err.value) and "stalled" in str(err.value)
    assert not list(tmp_path.iterdir())


def test_cli_download_behind_a_proxy_that_never_answers(tmp_path: Path) -> None:
    with silent_server() as port:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(HTTPS_PROXY=f"http://127.0.0.1:{port}", ADRLENS_TIMEOUT=str(DEADLINE), COLUMNS="300")
        res = subprocess.run(
            [sys.executable, "-m", "adrlens.cli", "download", "faers", "--quarters", "2025q4", "--dest",
             str(tmp_path / "dl")],
            capture_output=True, text=True, env=env, timeout=60,  # the guard: start-up plus GUARD
        )
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2, res.stderr
    assert lines[0].startswith("downloading FAERS 2025q4") and "2 s" in lines[0]
    assert lines[-1] == (
        "error: fis.fda.gov did not answer within 2 s; check your connection or proxy, or raise --timeout "
        "(or $ADRLENS_TIMEOUT)."
    )
    assert "Traceback" not in res.stderr and not list((tmp_path / "dl").glob("*"))
