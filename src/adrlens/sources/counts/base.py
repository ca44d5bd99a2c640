"""The common 2x2 record of every count source and the base class of the published count tables.

`PairCounts`: a = drug and event, b = drug without event, c = event without drug, d = neither,
N = a+b+c+d (see DESIGN.md); None marks a cell the source cannot give. `AggregateSource` is one published
table read into cells; its subclasses (class_tables, openfda_app, flagged) read one table layout each, and
`catalogue` declares which files are which table, with period, unit and provenance.

Drug names go through the package's one drug namer (`adrlens.vocab.names`); events are lower-case PTs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import duckdb
import pyarrow as pa

from adrlens.errors import AdrlensError, IngestError
from adrlens.vocab.names import ingredient_key

UNIT_REPORTS = "reports"
UNIT_PAIRS = "drug-event pairs"
STATUS_COUNTED = "counted"
STATUS_ABSENT = "absent_from_flagged_table"
STATUS_ZERO = "zero"


class NotCoveredError(AdrlensError):
    """The drug is not a column/row of this table, so the table says nothing about it (not zero)."""


@dataclass(frozen=True)
class PairCounts:
    """A 2x2 count record for one (drug, event) pair from one source. None marks an unknowable cell."""

    source: str  # e.g. 'class_tables:pvebayes_statin2025', 'openfda'
    drug: str  # lower-case ingredient (combination products: ingredients joined by '; ')
    event: str  # lower-case MedDRA PT (or a concept id when counted for a concept)
    a: int | None
    b: int | None
    c: int | None
    d: int | None
    n: int | None
    unit: str  # 'reports' | 'drug-event pairs'
    status: str  # 'counted' | 'absent_from_flagged_table' | 'zero'
    period: str | None
    note: str | None = None
    # Statistics as the source published them (prr, ror, ebgm, eb05, ...), for comparison, never as ours.
    published: dict[str, float] = field(default_factory=dict, compare=False, hash=False)

    @property
    def complete(self) -> bool:
        """True when all four cells and N are known (the 2x2 can feed PRR/ROR/IC)."""
        return None not in (self.a, self.b, self.c, self.d, self.n)

    @property
    def expected(self) -> float | None:
        """E = (a+b)(a+c)/N when the margins are known."""
        if not self.complete or not self.n:
            return None
        return (self.a + self.b) * (self.a + self.c) / self.n  # type: ignore[operator]


# ------------------------------------------------------------------------------------------------------
# Names
_WS = re.compile(r"\s+")


def normalise_event(name: str) -> str:
    """MedDRA PT as the key used everywhere: lower case, single spaces."""
    return _WS.sub(" ", str(name)).strip().lower()


def normalise_drug(raw: str) -> str:
    """Drug name as written in a table ('AMLODIPINE BESYLATE', 'Gadoterate', 'A; B') -> ingredient key.

    The one drug namer (`adrlens.vocab.names.ingredient_key`) for all count tables and the openFDA client:
    salts are stripped and brands mapped by DrugVocabulary; combinations become their sorted ingredients
    joined by '; ' so that a combination product never counts as one of its ingredients. When the drug
    vocabulary cannot load, this raises (DataNotFoundError); it never falls back to raw names.
    """
    return ingredient_key(raw)


# ------------------------------------------------------------------------------------------------------


def _read_sql(sql: str, path: Path) -> pa.Table:
    """Run a DuckDB query over one file; an unreadable file becomes an IngestError naming it."""
    con = duckdb.connect()
    try:
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise IngestError(f"Could not read aggregate table {path}: {exc}. Is the file complete?") from exc
    finally:
        con.close()


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@dataclass(frozen=True)
class TableMeta:
    """What a count table's catalogue entry (counts.catalogue) says about it: none of it is in the cells."""

    period: str | None = None  # from the table's own name or its catalogue entry
    unit: str = UNIT_REPORTS
    flagged_only: bool = False
    provenance: str = ""  # where the table comes from
    note: str | None = None  # a caution that holds for the whole table


class AggregateSource:
    """One published count table. Subclasses build the cell table in `_load()`: source, drug, event,
    drug_raw, event_raw, a, b, c, d, n (int64, null = unknowable) and pub_* published statistics."""

    kind: ClassVar[str] = "aggregate"
    concept_reason: str = (
        "cells count each (drug, PT) pair separately: adding PTs would count a report listing several of "
        "them more than once, so a concept count cannot be derived from this table"
    )

    def __init__(self, path: Path, meta: TableMeta | None = None) -> None:
        meta = meta or TableMeta()
        self.path = path
        self.name = self.table_name(path)
        self.period = meta.period if meta.period is not None else self.period_from(path)
        self.unit = meta.unit
        self.flagged_only = meta.flagged_only
        self.provenance = meta.provenance
        self.note = meta.note
        self._cells: pa.Table | None = None
        self._index: dict[tuple[str, str], list[int]] | None = None
        self._drug_rows: dict[str, list[int]] = {}
        self._event_rows: dict[str, list[int]] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.period} {self.path.name}>"

    @staticmethod
    def table_name(path: Path) -> str:
        """The table's name in the store and the answer ('class_tables:pvlrt_statin_2014q3_2020q4')."""
        raise NotImplementedError

    @staticmethod
    def period_from(path: Path) -> str | None:
        """The period the table's own file says, when its catalogue entry declares none."""
        return None

    # -- loading ------------------------------------------------------------------------------------------
    def _load(self) -> pa.Table:
        raise NotImplementedError

    def _cell_table(self, drug_raw: list[str], event_raw: list[str], counts: dict[str, pa.Array | None]) -> pa.Table:
        """The cell table from raw names and count columns: names normalised once per distinct name, a count
        column given as None is unknowable (null); further keys (pub_*) are kept as published."""
        rows = len(drug_raw)
        keys = {x: normalise_drug(x) for x in set(drug_raw)}
        null = pa.nulls(rows, pa.int64())
        cols: dict[str, pa.Array] = {
            "source": pa.array([self.name] * rows, pa.string()),
            "drug": pa.array([keys[x] for x in drug_raw], pa.string()),
            "event": pa.array([normalise_event(x) for x in event_raw], pa.string()),
            "drug_raw": pa.array(drug_raw, pa.string()),
            "event_raw": pa.array(event_raw, pa.string()),
        }
        counts = dict(counts)
        for k in ("a", "b", "c", "d", "n"):
            v = counts.pop(k, None)
            cols[k] = null if v is None else v
        return pa.table({**cols, **counts})

    def _ensure(self) -> pa.Table:
        if self._cells is None:
            cells = self._load()
            drugs = cells.column("drug").to_pylist()
            events = cells.column("event").to_pylist()
            index: dict[tuple[str, str], list[int]] = {}
            by_drug: dict[str, list[int]] = {}
            by_event: dict[str, list[int]] = {}
            for i, (dr, ev) in enumerate(zip(drugs, events, strict=True)):
                index.setdefault((dr, ev), []).append(i)
                by_drug.setdefault(dr, []).append(i)
                by_event.setdefault(ev, []).append(i)
            self._cells, self._index = cells, index
            self._drug_rows, self._event_rows = by_drug, by_event
        return self._cells

    # -- public API ---------------------------------------------------------------------------------------
    def drugs(self) -> list[str]:
        """Normalised drug keys present in the table."""
        self._ensure()
        return sorted(self._drug_rows)

    def events(self) -> list[str]:
        """Lower-case PTs listed in the table (pooled 'other' rows excluded)."""
        self._ensure()
        return sorted(self._event_rows)

    def has_drug(self, drug: str) -> bool:
        self._ensure()
        return self._key(drug) in self._drug_rows

    def pairs(self) -> pa.Table:
        """Every listed cell with a, b, c, d, n (None where unknowable) and pub_* statistics."""
        return self._ensure()

    def pair(self, drug: str, event: str) -> PairCounts:
        """The 2x2 for one pair; an unlisted pair is 'zero' or 'absent_from_flagged_table', never confused."""
        cells = self._ensure()
        dk, ek = self._key(drug), normalise_event(event)
        rows = self._index.get((dk, ek)) if self._index is not None else None
        if rows:
            return self._from_rows(cells, rows, dk, ek)
        return self._missing(dk, ek)

    def concept(self, drug: str, events: list[str]) -> PairCounts | None:
        """Counts for a set of PTs. Only a single PT is answerable from these tables; else None
        (the reason is `concept_reason`), never a sum that double-counts reports."""
        uniq = list(dict.fromkeys(normalise_event(e) for e in events))
        if len(uniq) == 1:
            return self.pair(drug, uniq[0])
        return None

    # -- helpers for subclasses ---------------------------------------------------------------------------
    def _key(self, drug: str) -> str:
        raw = str(drug).strip()
        if raw.lower() in self._drug_rows:  # already a key of this table
            return raw.lower()
        return normalise_drug(raw)

    def _row(self, cells: pa.Table, i: int) -> dict:
        return {name: cells.column(name)[i].as_py() for name in cells.column_names}

    def _published(self, row: dict) -> dict[str, float]:
        out = {}
        for k, v in row.items():
            if k.startswith("pub_") and v is not None and not (isinstance(v, float) and math.isnan(v)):
                out[k[4:]] = float(v)
        return out

    def _from_rows(self, cells: pa.Table, rows: list[int], dk: str, ek: str) -> PairCounts:
        """Several raw names can map to one ingredient ('ATORVASTATIN', 'ATORVASTATIN CALCIUM'). Their rows
        are not added (a report may name both); the row with the largest drug total is used and the others
        are named in the note."""
        recs = [self._row(cells, i) for i in rows]
        recs.sort(key=lambda r: -((r["a"] or 0) + (r["b"] or 0)))
        best = recs[0]
        notes = [self._row_note(best)] if self._row_note(best) else []
        if len(recs) > 1:
            others = ", ".join(f"{r['drug_raw']} (a={r['a']})" for r in recs[1:])
            notes.append(
                f"table also lists {others} for this ingredient; not added, a report may name both "
                f"(used {best['drug_raw']})"
            )
        a = best["a"]
        status = STATUS_ZERO if a == 0 else STATUS_COUNTED
        return PairCounts(
            source=self.name,
            drug=dk,
            event=ek,
            a=a,
            b=best["b"],
            c=best["c"],
            d=best["d"],
            n=best["n"],
            unit=self.unit,
            status=status,
            period=self.period,
            note="; ".join(notes) or None,
            published=self._published(best),
        )

    def _row_note(self, row: dict) -> str | None:
        return None

    def _missing(self, dk: str, ek: str) -> PairCounts:
        raise NotImplementedError

    def _absent(self, dk: str, ek: str, note: str, n: int | None = None) -> PairCounts:
        return PairCounts(self.name, dk, ek, None, None, None, None, n, self.unit, STATUS_ABSENT, self.period, note)

    def _not_covered(self, dk: str) -> NotCoveredError:
        return NotCoveredError(
            f"{dk!r} is not a drug of table {self.name} ({self.path.name}); it covers "
            f"{', '.join(self.drugs()[:12])}. Use a table that lists it, or the FAERS store."
        )
