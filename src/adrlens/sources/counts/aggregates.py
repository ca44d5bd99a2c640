"""Report sources that arrive as counts: published drug x event aggregate tables (one import for all).

Some evidence does not come as case reports but as counts somebody else already made. Each table under
`faers/aggregates/` of the shared data folder is read into one `AggregateSource`, which answers with the
common 2x2 record `PairCounts`. What each table really counts was checked against its own numbers
(docs/aggregates.md); the readers encode those findings, one module per layout:

* `counts.base`: `PairCounts`, `AggregateSource`, the drug and event keys;
* `counts.class_tables`: whole-database drug x PT matrices with an 'other drugs' column (pvLRT, pvEBayes,
  MDDC): full 2x2 for every cell, in drug-PT pairs;
* `counts.openfda_app`: FDA's openFDA shiny-app tables (a, b, c kept; d, N unknowable);
* `counts.flagged`: flagged-only signal tables and the OHDSI AERS EBGM evidence;
* `counts.catalogue`: the declared table families (glob, reader, period, unit, provenance), `load_all`,
  `get`, `lookup`.

Counts summed over several PTs double-count reports holding more than one of them, so no table here can
answer for a *set* of PTs (a condition concept): `concept()` returns None and `concept_reason` says why.
"""

from __future__ import annotations

from adrlens.sources.counts.base import (
    STATUS_ABSENT,
    STATUS_COUNTED,
    STATUS_ZERO,
    UNIT_PAIRS,
    UNIT_REPORTS,
    AggregateSource,
    NotCoveredError,
    PairCounts,
    normalise_drug,
    normalise_event,
)
from adrlens.sources.counts.catalogue import AGGREGATES_DIR, FAMILIES, TableFamily, get, load_all, lookup
from adrlens.sources.counts.class_tables import ClassTable
from adrlens.sources.counts.flagged import SIGNALS_N, AersEbgmTable, SignalsTable
from adrlens.sources.counts.openfda_app import OPENFDA_APP_N, OPENFDA_APP_NOTE, OpenFdaAppTable

__all__ = [
    "AGGREGATES_DIR",
    "FAMILIES",
    "OPENFDA_APP_N",
    "OPENFDA_APP_NOTE",
    "SIGNALS_N",
    "STATUS_ABSENT",
    "STATUS_COUNTED",
    "STATUS_ZERO",
    "UNIT_PAIRS",
    "UNIT_REPORTS",
    "AersEbgmTable",
    "AggregateSource",
    "ClassTable",
    "NotCoveredError",
    "OpenFdaAppTable",
    "PairCounts",
    "SignalsTable",
    "TableFamily",
    "get",
    "load_all",
    "lookup",
    "normalise_drug",
    "normalise_event",
]
