"""Answers of online services kept on disk with the date they were fetched, so a question asked twice costs
no second request and every online number can say how old it is.

A cached entry is one JSON file per request (the URL and its parameters, API keys left out), written
atomically (a temp file, then rename), so an interrupted run never leaves half a file. Only usable answers
are kept: a 200 with its JSON body, or a service's documented "no match" (kept as `body = None`); an error,
a rate limit or a timeout is never cached, so it can never come back later looking like data.
`refresh=True` skips the reads (every request goes to the network) and overwrites the entries.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adrlens import config

CACHE_ENV = "ADRLENS_ONLINE_CACHE"  # another folder for the online cache (default: <adrlens cache>/online)
SECRET_PARAMS = frozenset({"api_key"})  # never part of a cache key or a cache file


def default_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else config.cache_dir() / "online"


@dataclass(frozen=True)
class CachedAnswer:
    body: dict[str, Any] | None  # None: the service's documented "no match"
    fetched_at: str  # ISO 8601 UTC, when the answer came from the network


def _public(params: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in sorted(params.items()) if k not in SECRET_PARAMS}


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class ResponseCache:
    """JSON answers on disk, keyed by URL and parameters."""

    def __init__(self, directory: Path | str | None = None, *, refresh: bool = False) -> None:
        self.directory = Path(directory) if directory is not None else default_dir()
        self.refresh = refresh

    def _path(self, url: str, params: Mapping[str, Any]) -> Path:
        key = json.dumps([url, _public(params)], sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.directory / digest[:2] / f"{digest}.json"

    def get(self, url: str, params: Mapping[str, Any]) -> CachedAnswer | None:
        """The kept answer, or None when there is none (or `refresh` asks for a new one)."""
        if self.refresh:
            return None
        path = self._path(url, params)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            answer = CachedAnswer(entry["body"], str(entry["fetched_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, or damaged: fetch again (and overwrite)
        if answer.body is not None and not isinstance(answer.body, dict):
            return None
        return answer

    def put(self, url: str, params: Mapping[str, Any], body: dict[str, Any] | None) -> str:
        """Keep one usable answer; returns its fetch date. A cache that cannot be written is skipped."""
        fetched_at = now_iso()
        path = self._path(url, params)
        entry = {"url": url, "params": _public(params), "fetched_at": fetched_at, "body": body}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only or full disk costs a refetch next time, never the answer
        return fetched_at
