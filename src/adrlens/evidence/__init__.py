"""Evidence providers, one per kind of evidence, each behind the same door (`evidence.base.Provider`).

The order of `PROVIDERS` is the order of the records in an answer."""

from __future__ import annotations

from adrlens.evidence import (
    classeffect,
    confounding,
    count_tables,
    indication,
    label,
    literature,
    online,
    pgx,
    reports,
    stimulated,
)
from adrlens.evidence.base import EvidenceQuery, EvidenceSettings, Provider

PROVIDERS: tuple[Provider, ...] = (
    label.provide,
    literature.provide,
    reports.provide,
    count_tables.provide,
    confounding.provide,
    indication.provide,
    classeffect.provide,
    stimulated.provide,
    pgx.provide,
    online.provide,  # nothing unless the settings ask for the online sources
)

__all__ = ["PROVIDERS", "EvidenceQuery", "EvidenceSettings", "Provider"]
