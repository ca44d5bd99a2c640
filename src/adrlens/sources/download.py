"""Fetch the public releases from their official homes (what tests never do: they use ../shared).

- FDA FAERS quarterly ASCII zips: https://fis.fda.gov/content/Exports/faers_ascii_2025q4.zip
  (2012Q4 on) and legacy AERS: https://fis.fda.gov/content/Exports/aers_ascii_2012q3.zip (2004Q1-2012Q3).
- VAERS yearly zips are behind a consent page at https://vaers.hhs.gov/data/datasets.html: we print
  where to get them and ingest what the user saved.
- SIDER 4.1: http://sideeffects.embl.de/download/

Downloads stream to a temporary file beside the target and are renamed into place when complete,
so an interrupted download never leaves a half file that looks whole. A server (or proxy) that does not
start answering within the deadline (`adrlens.sources.net`: 60 s, --timeout or $ADRLENS_TIMEOUT) or that
falls silent in the middle of a file for READ_TIMEOUT_S (or the deadline, when shorter) is given up with
one line saying what to do; a file that keeps arriving is not cut off, however large.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from adrlens.errors import AdrlensError
from adrlens.sources import net

FAERS_URL = "https://fis.fda.gov/content/Exports/{layout}_ascii_{year}q{q}.zip"
VAERS_PAGE = "https://vaers.hhs.gov/data/datasets.html"
SIDER_URL = "http://sideeffects.embl.de/media/download/{name}"
SIDER_FILES = ("meddra_all_se.tsv.gz", "meddra_freq.tsv.gz", "meddra_all_indications.tsv.gz", "drug_names.tsv")


class DownloadError(AdrlensError):
    """A release could not be fetched (offline, not published, interrupted)."""


@dataclass
class Downloaded:
    url: str
    path: Path
    bytes: int
    sha256: str


def quarters(spec: str) -> Iterator[tuple[int, int]]:
    """'2025q4' or '2024q1..2025q4' -> (year, quarter) pairs, oldest first."""
    m = re.fullmatch(r"(\d{4})q([1-4])(?:\.\.(\d{4})q([1-4]))?", spec.strip().lower())
    if not m:
        raise DownloadError(f"quarter {spec!r} not understood: use 2025q4 or a range 2024q1..2025q4")
    y, q = int(m.group(1)), int(m.group(2))
    y2, q2 = (int(m.group(3)), int(m.group(4))) if m.group(3) else (y, q)
    if (y, q) > (y2, q2) or (y, q) < (2004, 1):
        raise DownloadError(f"quarter range {spec!r} is empty or before 2004q1 (the first AERS release)")
    while (y, q) <= (y2, q2):
        yield y, q
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)


def faers_url(year: int, q: int) -> str:
    legacy = (year, q) <= (2012, 3)
    return FAERS_URL.format(layout="aers" if legacy else "faers", year=year, q=q)


def fetch(
    url: str,
    dest: Path,
    client: httpx.Client,
    progress: Callable[[int, int | None], None] | None = None,
    timeout: float | None = None,
) -> Downloaded:
    """Stream url to dest atomically; raise DownloadError with what to do on any failure.

    `timeout`: seconds the server may take to start answering (default `net.deadline_seconds()`)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    h = hashlib.sha256()
    n = 0
    deadline = net.Deadline(net.deadline_seconds(timeout))
    started = False
    try:
        if progress:
            progress(0, None)  # show the file (and the time it waits) before the first byte
        limits = deadline.timeout()  # its read timeout also bounds a silence in the middle of the file
        with client.stream("GET", url, follow_redirects=True, timeout=limits) as r:
            started = True
            if r.status_code == 404:
                raise DownloadError(
                    f"{url} is not published (404). Check the quarter; FDA posts a quarter about 6 weeks after it ends."
                )
            if r.status_code >= 400:
                raise DownloadError(f"{url} answered HTTP {r.status_code}. Try again later.")
            total = int(r.headers["content-length"]) if "content-length" in r.headers else None
            with open(tmp, "wb") as f:
                for chunk in r.iter_bytes(1 << 20):
                    f.write(chunk)
                    h.update(chunk)
                    n += len(chunk)
                    if progress:
                        progress(n, total)
            if total is not None and n != total:
                raise DownloadError(f"{url}: got {n:,} of {total:,} bytes (interrupted). Run the download again.")
    except httpx.TimeoutException:
        tmp.unlink(missing_ok=True)
        host = httpx.URL(url).host
        if started:
            raise DownloadError(
                f"{url}: nothing arrived for {limits.read:.3g} s after {n:,} bytes (stalled); "
                "run the download again."
            ) from None
        raise DownloadError(f"{host} did not answer within {deadline.seconds:g} s; {net.TIMEOUT_HINT}.") from None
    except httpx.TransportError as e:
        tmp.unlink(missing_ok=True)
        raise DownloadError(
            f"cannot reach {httpx.URL(url).host} ({e.__class__.__name__}: {str(e)[:200]}). Are you online? "
            "Without network, copy the release files by hand and run adrlens ingest on them."
        ) from None
    except DownloadError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(dest)
    return Downloaded(url, dest, n, h.hexdigest())


def download_faers(
    spec: str,
    dest_dir: Path,
    client: httpx.Client | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
    timeout: float | None = None,
) -> list[Downloaded]:
    """Download FAERS/AERS quarterly zips for a quarter or range; files already present are kept.
    `timeout`: seconds each server may take to start answering (see `fetch`)."""
    own = client is None
    client = client or httpx.Client(
        timeout=net.default_timeout(), headers={"User-Agent": "adrlens (pharmacovigilance research)"}
    )
    out = []
    try:
        for y, q in quarters(spec):
            url = faers_url(y, q)
            dest = dest_dir / url.rsplit("/", 1)[1]
            if dest.exists():
                continue
            cb = (lambda n, t, u=url: progress(u, n, t)) if progress else None
            out.append(fetch(url, dest, client, cb, timeout=timeout))
    finally:
        if own:
            client.close()
    return out
