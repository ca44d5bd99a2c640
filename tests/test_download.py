"""Downloads from the official homes, tested offline with httpx's own mock transport."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from adrlens.sources.download import DownloadError, download_faers, faers_url, quarters


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
