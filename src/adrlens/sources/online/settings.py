"""How an answer asks the online sources: one settings object, carried by the evidence settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ONLINE_DEADLINE_S = 20.0  # one online call, retries included, inside an answer (a person is waiting)
MAX_PT_QUERIES = 8  # narrow terms counted one by one on openFDA (two requests each)
PUBMED_TOP = 5  # articles listed by title
PUBMED_CONDITION_TERMS = 6  # the condition's name and synonyms searched in PubMed


@dataclass(frozen=True)
class OnlineSettings:
    """`timeout`: seconds per call (default ONLINE_DEADLINE_S; $ADRLENS_TIMEOUT is not read here, a person
    waits for an answer); `refresh`: refetch instead of reading the disk cache; `cache_dir`: the cache
    folder (default adrlens.sources.online.cache.default_dir()); `transport`: the HTTP transport (tests serve
    recorded answers through one; None is the network)."""

    timeout: float | None = None
    refresh: bool = False
    cache_dir: Path | None = None
    transport: httpx.BaseTransport | None = None
    max_pt_queries: int = MAX_PT_QUERIES
    pubmed_top: int = PUBMED_TOP

    @property
    def deadline(self) -> float:
        return self.timeout if self.timeout is not None else ONLINE_DEADLINE_S

    def to_dict(self) -> dict[str, Any]:
        return {
            "timeout_s": self.deadline,
            "refresh": self.refresh,
            "cache_dir": str(self.cache_dir) if self.cache_dir else None,
            "max_pt_queries": self.max_pt_queries,
            "pubmed_top": self.pubmed_top,
        }
