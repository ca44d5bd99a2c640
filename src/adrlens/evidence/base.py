"""The one door of the evidence layer: every provider takes (store connection, query, settings) and returns
a list of Evidence records with typed data.

    from adrlens.evidence import PROVIDERS
    records = [e for provide in PROVIDERS for e in provide(con, query, settings)]

`EvidenceQuery` is the understood question as the evidence layer needs it (the ingredient or vaccine, the
condition's label and its narrow and broad term sets); each provider chooses the term set it reads (a label
listing of a broad term is kept apart from one of a narrow term; confounding and class effect test the
narrow set). `EvidenceSettings` is the exposure definition and population every report count uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from adrlens.model import Evidence
from adrlens.signals.tables import Role, SignalSettings
from adrlens.sources.online.settings import OnlineSettings


@dataclass(frozen=True)
class EvidenceQuery:
    drug: str  # ingredient, or vaccine product group
    kind: str  # 'drug' | 'vaccine'
    condition: str  # the condition concept's label ("Peripheral neuropathy")
    narrow: tuple[str, ...]  # the concept's own preferred terms
    broad: tuple[str, ...]  # narrow plus related symptoms

    @property
    def all_pts(self) -> list[str]:
        """Narrow then broad terms, each once."""
        return list(dict.fromkeys([*self.narrow, *self.broad]))


@dataclass(frozen=True)
class EvidenceSettings:
    """The exposure definition and population of every report count (a template for each source)."""

    signal: SignalSettings = field(default_factory=SignalSettings)
    online: OnlineSettings | None = None  # ask the online sources too (`--online`); None: offline only

    @property
    def role(self) -> Role:
        return self.signal.role

    def for_source(self, source: str, stratify: bool | None = None) -> SignalSettings:
        changes: dict = {"source": source}
        if stratify is not None:
            changes["stratify"] = stratify
        return dataclasses.replace(self.signal, **changes)


Provider = Callable[[duckdb.DuckDBPyConnection, EvidenceQuery, EvidenceSettings], list[Evidence]]
