"""Helpers every evidence provider may share (the providers themselves stay independent of each other)."""

from __future__ import annotations

from typing import Any

import duckdb

from adrlens.signals.tables import SignalSettings
from adrlens.sources import registry
from adrlens.store import queries


def source_label(
    con: duckdb.DuckDBPyConnection, settings: SignalSettings, summary: dict[str, dict[str, Any]] | None = None
) -> str:
    """A named source with its period and exposure definition: "FAERS 2004Q1-2012Q3 (suspect drugs)".

    `summary` is `store.queries.source_summary(con)` when the caller already has it."""
    src = registry.get(settings.source)
    info = (summary if summary is not None else queries.source_summary(con)).get(settings.source, {})
    lo, hi = info.get("first_quarter"), info.get("last_quarter")
    period = f" {lo}" + (f"-{hi}" if hi != lo else "") if lo else ""
    return f"{src.short}{period} ({src.exposure_words(settings.role)})"
