"""The one declared catalogue of published count tables: which file is which table, and what it counts.

Each `TableFamily` names a file glob under `faers/aggregates/` of the shared data folder, the reader class
for its layout, the period its counts cover, their unit, whether it lists flagged pairs only, and where it
comes from (as in the shared data's DATA.md). A period is data: either read from the file's own name
(`period_in_name`: the `YYYYqN_YYYYqN` of `pvlrt_statin_2014q3_2020q4.csv`; `cumulative_period` for the
openFDA-app dates) or declared here once, from the publisher's documentation, for files whose name does
not carry it. A file is read by the first family whose glob matches it; a class table in no named family is
still read (period from its name when it has one, else unknown).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from adrlens.config import data_dir as _default_data_dir
from adrlens.errors import DataNotFoundError
from adrlens.sources.counts.base import (
    UNIT_PAIRS,
    UNIT_REPORTS,
    AggregateSource,
    NotCoveredError,
    PairCounts,
    TableMeta,
)
from adrlens.sources.counts.class_tables import ClassTable
from adrlens.sources.counts.flagged import AersEbgmTable, SignalsTable
from adrlens.sources.counts.openfda_app import OPENFDA_APP_NOTE, OpenFdaAppTable, cumulative_period

AGGREGATES_DIR = ("faers", "aggregates")

_PERIOD_RE = re.compile(r"(\d{4})q([1-4])_(\d{4})q([1-4])", re.IGNORECASE)


def period_in_name(path: Path) -> str | None:
    """'pvlrt_statin_2014q3_2020q4.csv' or '.../signals_2025q4_2026q1/signals.csv.gz' -> '2014Q3-2020Q4'."""
    for text in (path.name, path.parent.name):
        m = _PERIOD_RE.search(text)
        if m:
            return f"{m[1]}Q{m[2]}-{m[3]}Q{m[4]}"
    return None


Period = str | Callable[[Path], str | None] | None


@dataclass(frozen=True)
class TableFamily:
    """One kind of published count table."""

    key: str
    glob: str  # relative to faers/aggregates/
    reader: type[AggregateSource]
    period: Period  # a declared period, a rule reading it from the file's name, or None (not given)
    unit: str
    flagged_only: bool
    provenance: str  # publisher and version, as in DATA.md
    citation: str = ""
    note: str | None = None  # a caution that holds for every table of the family

    def period_of(self, path: Path) -> str | None:
        return self.period(path) if callable(self.period) else self.period

    def open(self, path: Path) -> AggregateSource:
        """The table in `path` (cheap: it is read on first use)."""
        meta = TableMeta(self.period_of(path), self.unit, self.flagged_only, self.provenance, self.note)
        return self.reader(path, meta)


_PVLRT = "c7rishi/pvLRT@69c93d5 (GPL-3 R package; built from FDA FAERS)"
_PVEBAYES = "cran/pvEBayes@25ffe9b (GPL-3 R package; built from FDA FAERS)"

FAMILIES: tuple[TableFamily, ...] = (
    TableFamily(
        "pvlrt",
        "class_tables/pvlrt_*.csv*",
        ClassTable,
        period_in_name,
        UNIT_PAIRS,
        False,
        _PVLRT,
        "Chakraborty, Liu, Ding, Markatou et al., pvLRT (R package)",
    ),
    TableFamily(
        "pvebayes_2025",
        "class_tables/pvebayes_*2025.csv*",
        ClassTable,
        "2021Q1-2024Q4",  # pvEBayes R/data.R: statin2025 and gbca2025 are FAERS 2021Q1-2024Q4
        UNIT_PAIRS,
        False,
        _PVEBAYES,
        "pvEBayes (R package), data documentation",
    ),
    TableFamily(
        "pvebayes_opioid",
        "class_tables/pvebayes_faers_opioid_mental.csv*",
        ClassTable,
        "2014Q3-2020Q4",  # pvEBayes R/data.R
        UNIT_PAIRS,
        False,
        _PVEBAYES,
        "pvEBayes (R package), data documentation",
    ),
    TableFamily(
        "mddc",
        "class_tables/mddc_*.csv*",
        ClassTable,
        period_in_name,
        UNIT_PAIRS,
        False,
        "PyPI MDDC==1.1.0 MDDC/datasets/data/ (GPL-3 package)",
        "Ding, Markatou & Ball 2020, Stat Med",
        "PTs 'Off label use' and 'Drug ineffective' were dropped before tabulating; only the PTs with the "
        "largest row totals are rows, the rest are pooled in 'Other AEs'",
    ),
    TableFamily(
        "class_tables",
        "class_tables/*.csv*",
        ClassTable,
        period_in_name,
        UNIT_PAIRS,
        False,
        "class table not in the catalogue: provenance and period not declared",
    ),
    TableFamily(
        "openfda_app",
        "fda_openfda_2x2_by_quarter/*.csv*",
        OpenFdaAppTable,
        cumulative_period,
        UNIT_REPORTS,
        True,
        "jonathanglevine/openfdashinyapps@8257205 (FDA's openFDA shiny apps)",
        note=OPENFDA_APP_NOTE,
    ),
    TableFamily(
        "signals",
        "signals_2025q4_2026q1/signals.csv.gz",  # SIGNALS_N is this extract's case count
        SignalsTable,
        period_in_name,
        UNIT_REPORTS,
        True,
        "Machine-Geist/faers-signal-detection@8d793c2 (MIT)",
    ),
    TableFamily(
        "aers_ebgm",
        "aers_ebgm_3drugs/evidence.psv",
        AersEbgmTable,
        None,  # the OHDSI KnowledgeBase does not give the AERS period
        UNIT_REPORTS,
        True,
        "OHDSI/KnowledgeBase@8eb6f8a (Apache-2.0)",
    ),
)


def _aggregates_root(data_dir: Path | str | None) -> Path:
    base = Path(data_dir) if data_dir is not None else _default_data_dir()
    root = base.joinpath(*AGGREGATES_DIR) if base.joinpath(*AGGREGATES_DIR).is_dir() else base
    if not root.is_dir():
        raise DataNotFoundError(f"No aggregate tables folder at {root}. Point ADRLENS_DATA at the shared data.")
    return root


def load_all(data_dir: Path | str | None = None) -> list[AggregateSource]:
    """Every catalogued table found under `data_dir/faers/aggregates` (default: the shared data folder).

    Construction is cheap: a table is read on first use. Raises DataNotFoundError if the folder is missing
    or holds no known table.
    """
    root = _aggregates_root(data_dir)
    out: list[AggregateSource] = []
    seen: set[Path] = set()
    for family in FAMILIES:
        for p in sorted(root.glob(family.glob)):
            if p.is_file() and p not in seen:
                seen.add(p)
                out.append(family.open(p))
    if not out:
        raise DataNotFoundError(f"No aggregate tables found under {root}.")
    return out


def get(name: str, data_dir: Path | str | None = None) -> AggregateSource:
    """One table by its `name` (e.g. 'class_tables:pvebayes_statin2025')."""
    tables = load_all(data_dir)
    for t in tables:
        if t.name == name:
            return t
    raise DataNotFoundError(f"No aggregate table {name!r}; known: {', '.join(t.name for t in tables)}")


def lookup(drug: str, event: str, tables: Iterable[AggregateSource] | None = None) -> list[PairCounts]:
    """The pair in every table that covers the drug (flagged tables always answer, maybe 'absent')."""
    out = []
    for t in tables if tables is not None else load_all():
        try:
            out.append(t.pair(drug, event))
        except NotCoveredError:
            continue
    return out
