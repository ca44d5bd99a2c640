"""Report sources that arrive as counts: published drug x event aggregate tables.

Some evidence does not come as case reports but as counts somebody else already made. Each table under
`faers/aggregates/` of the shared data folder is read into one `AggregateSource`, which answers with the
common 2x2 record `PairCounts` (a = drug and event, b = drug without event, c = event without drug,
d = neither, N = a+b+c+d; see DESIGN.md). What each table really counts was checked against its own numbers
(docs/aggregates.md); the readers encode those findings:

* class_tables/*.csv (pvLRT, pvEBayes): drug x PT matrices with an "other drugs" column, so every cell has
  a full 2x2. Cells are report counts for one (drug, PT) pair, but margins add over PTs, so b, c, d and N
  count *drug-PT pairs*, not reports (unit 'drug-event pairs'). Tables either list every PT seen with the
  class (an unlisted PT has a = 0) or a selection plus an "Other PT" row (an unlisted PT is unknown).
* fda_openfda_2x2_by_quarter/*.csv.gz (FDA's openFDA shiny app): cumulative 2004Q1..quarter counts with
  A >= 3 only. Its N (AB + CD = 6,145,409) is the whole openFDA database, not the period of A/AB/AC, so
  d, N and the published PRR are wrong; a, b, c are kept and d, N are reported as unknowable (None).
* signals_2025q4_2026q1/signals.csv.gz: flagged pairs only (absent = not flagged, not zero);
  N = 755,960 cases, c = background_count, d = N - drug_total - c (reproduces its PRR and ROR).
* aers_ebgm_3drugs/evidence.psv (OHDSI KnowledgeBase): AERS report counts with published EBGM and EB05
  for warfarin, metformin, lisinopril; only a is known.

Counts summed over several PTs double-count reports holding more than one of them, so no table here can
answer for a *set* of PTs (a condition concept): `concept()` returns None and `concept_reason` says why.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import ClassVar

import duckdb
import numpy as np
import pyarrow as pa

from adrlens.config import data_dir as _default_data_dir
from adrlens.errors import AdrlensError, DataNotFoundError, IngestError

log = logging.getLogger(__name__)

UNIT_REPORTS = "reports"
UNIT_PAIRS = "drug-event pairs"
STATUS_COUNTED = "counted"
STATUS_ABSENT = "absent_from_flagged_table"
STATUS_ZERO = "zero"

AGGREGATES_DIR = ("faers", "aggregates")


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


def _fallback_drug_key(raw: str) -> str:
    """Lower-case + strip; combination parts sorted and joined by '; '. Used when no vocabulary loads."""
    parts = [_WS.sub(" ", p).strip().lower() for p in re.split(r"[;\\]", str(raw))]
    return "; ".join(sorted({p for p in parts if p}))


@cache
def _vocabulary() -> object | None:
    try:
        from adrlens.vocab.drugs import DrugVocabulary

        return DrugVocabulary.load()
    except (ImportError, AdrlensError, OSError) as exc:  # the tables stay usable with raw names
        log.warning("drug vocabulary unavailable (%s); aggregate drug names only lower-cased", exc)
        return None


def normalise_drug(raw: str) -> str:
    """Drug name as written in a table ('AMLODIPINE BESYLATE', 'Gadoterate', 'A; B') -> ingredient key.

    THE single call site of the shared drug vocabulary for all aggregate tables (and the openFDA client):
    salts are stripped and brands mapped by DrugVocabulary; combinations become their sorted ingredients
    joined by '; ' so that a combination product never counts as one of its ingredients.
    """
    vocab = _vocabulary()
    if vocab is None:
        return _fallback_drug_key(raw)
    prod_ai = "\\".join(p.strip() for p in str(raw).split(";"))
    ings, _mapped, _method = vocab.normalise(None, prod_ai)  # type: ignore[attr-defined]
    return "; ".join(sorted(set(ings))) if ings else _fallback_drug_key(raw)


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


class AggregateSource:
    """One published count table. Subclasses build the cell table in `_load()`: source, drug, event,
    drug_raw, event_raw, a, b, c, d, n (int64, null = unknowable) and pub_* published statistics."""

    kind: ClassVar[str] = "aggregate"
    name: str
    period: str | None
    unit: str
    flagged_only: bool
    concept_reason: str = (
        "cells count each (drug, PT) pair separately: adding PTs would count a report listing several of "
        "them more than once, so a concept count cannot be derived from this table"
    )

    def __init__(self, path: Path, name: str, period: str | None, unit: str, flagged_only: bool) -> None:
        self.path = path
        self.name = name
        self.period = period
        self.unit = unit
        self.flagged_only = flagged_only
        self._cells: pa.Table | None = None
        self._index: dict[tuple[str, str], list[int]] | None = None
        self._drug_rows: dict[str, list[int]] = {}
        self._event_rows: dict[str, list[int]] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.period} {self.path.name}>"

    # -- loading ------------------------------------------------------------------------------------------
    def _load(self) -> pa.Table:
        raise NotImplementedError

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


# ------------------------------------------------------------------------------------------------------
# class_tables/*.csv
# period per file stem; pvLRT/pvEBayes document these in their R/data.R.
_CLASS_PERIODS = {
    "pvlrt_statin_2014q3_2020q4": "2014Q3-2020Q4",
    "pvlrt_statin46_2014q3_2020q4": "2014Q3-2020Q4",
    "pvlrt_lovastatin_2014q3_2020q4": "2014Q3-2020Q4",
    "pvlrt_gbca_2014q3_2020q4": "2014Q3-2020Q4",
    "pvebayes_statin2025": "2021Q1-2024Q4",
    "pvebayes_gbca2025": "2021Q1-2024Q4",
    "pvebayes_faers_opioid_mental": "2014Q3-2020Q4",
}


class ClassTable(AggregateSource):
    """A drug x PT matrix with 'other drugs' column(s), optionally an 'Other PT' row pooling the rest."""

    kind = "class_tables"

    def __init__(self, path: Path) -> None:
        stem = path.name.removesuffix(".gz").removesuffix(".csv")
        m = re.search(r"(\d{4})q(\d)_(\d{4})q(\d)", stem)
        period = _CLASS_PERIODS.get(stem) or (f"{m[1]}Q{m[2]}-{m[3]}Q{m[4]}" if m else None)
        super().__init__(path, f"class_tables:{stem}", period, UNIT_PAIRS, flagged_only=False)
        self.has_other_row = False
        self.grand_total: int | None = None
        self._drug_totals: dict[str, int] = {}

    @staticmethod
    def _is_other(label: str) -> bool:
        return label.strip().lower().startswith("other")

    def _load(self) -> pa.Table:
        raw = _read_sql(f"select * from read_csv({_q(self.path)}, header=true, all_varchar=true)", self.path)
        cols = raw.column_names
        if len(cols) < 3:
            raise IngestError(f"{self.path}: expected an AE column, drug columns and an 'other' column.")
        labels = [str(x) for x in raw.column(cols[0]).to_pylist()]
        try:
            mat = np.array([[float(v) for v in raw.column(c).to_pylist()] for c in cols[1:]]).T
        except (TypeError, ValueError) as exc:
            raise IngestError(f"{self.path}: a count is missing or not a number ({exc}).") from exc
        if not np.all(np.isfinite(mat)) or np.any(mat < 0) or np.any(mat != np.floor(mat)):
            raise IngestError(f"{self.path}: counts must be non-negative whole numbers.")
        m = mat.astype(np.int64)
        drug_idx = [j for j, c in enumerate(cols[1:]) if not self._is_other(c)]
        ev_idx = [i for i, lab in enumerate(labels) if not self._is_other(lab)]
        self.has_other_row = len(ev_idx) < len(labels)
        # Margins over the whole matrix, the 'other' row and columns included: that is what makes b, c, d.
        col_tot = m.sum(axis=0)
        row_tot = m.sum(axis=1)
        n = int(m.sum())
        self.grand_total = n
        names = [cols[1:][j] for j in drug_idx]
        keys = [normalise_drug(x) for x in names]
        self._drug_totals = {k: int(col_tot[j]) for k, j in zip(keys, drug_idx, strict=True)}
        ev_raw = [labels[i] for i in ev_idx]
        ev_key = [normalise_event(x) for x in ev_raw]
        sub = m[np.ix_(ev_idx, drug_idx)]  # events x drugs
        a = sub.ravel(order="F")  # drug-major: all events of drug 1, then drug 2 ...
        ne, nd = len(ev_idx), len(drug_idx)
        b = np.repeat(col_tot[drug_idx], ne) - a
        c = np.tile(row_tot[ev_idx], nd) - a
        d = n - a - b - c
        return pa.table(
            {
                "source": pa.array([self.name] * (ne * nd), pa.string()),
                "drug": pa.array(np.repeat(keys, ne).tolist(), pa.string()),
                "event": pa.array(ev_key * nd, pa.string()),
                "drug_raw": pa.array(np.repeat(names, ne).tolist(), pa.string()),
                "event_raw": pa.array(ev_raw * nd, pa.string()),
                "a": pa.array(a, pa.int64()),
                "b": pa.array(b, pa.int64()),
                "c": pa.array(c, pa.int64()),
                "d": pa.array(d, pa.int64()),
                "n": pa.array(np.full(ne * nd, n), pa.int64()),
            }
        )

    def _missing(self, dk: str, ek: str) -> PairCounts:
        if dk not in self._drug_rows:
            raise self._not_covered(dk)
        if self.has_other_row:
            return self._absent(
                dk,
                ek,
                "PT not among this table's selected rows: its count is pooled into the 'Other PT' row, "
                "so it is unknown here (not zero)",
                n=self.grand_total,
            )
        # Tables without an 'Other PT' row list every PT reported with at least one of their drugs
        # (pvLRT/pvEBayes docs; no all-zero drug row exists), so an unlisted PT was never reported with it.
        return PairCounts(
            self.name,
            dk,
            ek,
            0,
            self._drug_totals[dk],
            None,
            None,
            self.grand_total,
            self.unit,
            STATUS_ZERO,
            self.period,
            "PT never reported with this table's drugs (the table lists every PT they have); the PT's own "
            "total among other drugs is not in the table, so c and d are unknown",
        )


# ------------------------------------------------------------------------------------------------------
# fda_openfda_2x2_by_quarter/*.csv.gz
OPENFDA_APP_N = 6_145_409  # AB + CD on every row of every file: openFDA's whole database, not the period

OPENFDA_APP_NOTE = (
    "openFDA-app table: A, AB, AC are cumulative from 2004Q1 to the file's quarter, but its N "
    f"(AB+CD = {OPENFDA_APP_N:,}) is the whole openFDA database, so its d, N and PRR are wrong (PRR inflated "
    "by roughly N_database/N_period); a, b, c are kept, d and N are unknowable from the table"
)


class OpenFdaAppTable(AggregateSource):
    """FDA's openFDA shiny-app 2x2 table for one cumulative period (rows only where A >= 3)."""

    kind = "fda_openfda_2x2_by_quarter"

    def __init__(self, path: Path) -> None:
        stem = path.name.split(".")[0]
        period = None
        if re.fullmatch(r"\d{8}", stem):
            q = (int(stem[4:6]) - 1) // 3 + 1
            end = f"{stem[:4]}Q{q}"
            period = end if end == "2004Q1" else f"2004Q1-{end}"  # cumulative from openFDA's start
        super().__init__(path, f"openfda_app:{stem}", period, UNIT_REPORTS, flagged_only=True)
        self.n_column_values: set[int] = set()
        self.inconsistent_rows = 0

    def _load(self) -> pa.Table:
        t = _read_sql(
            f"select e, d, A, AB, AC, C, CD, PRR from read_csv({_q(self.path)}, header=true, "
            "columns={'e':'VARCHAR','d':'VARCHAR','A':'DOUBLE','AB':'DOUBLE','AC':'DOUBLE','C':'DOUBLE',"
            "'CD':'DOUBLE','PRR':'DOUBLE','s':'DOUBLE','lb':'DOUBLE','ub':'DOUBLE'}) "
            "where e is not null and d is not null",
            self.path,
        )
        A = t.column("A").to_numpy().astype(np.int64)
        AB = t.column("AB").to_numpy().astype(np.int64)
        AC = t.column("AC").to_numpy().astype(np.int64)
        CD = t.column("CD").to_numpy().astype(np.int64)
        self.n_column_values = {int(x) for x in np.unique(AB + CD)}
        # Some rows have A > AC (e.g. 'ADVERSE EVENT' x antihemophilic factor: A=2690, AC=2308) and the
        # source then clips C to 0: the cells come from different queries, so c is unknowable there.
        bad = A > AC
        self.inconsistent_rows = int(bad.sum())
        c = pa.array(np.where(bad, 0, AC - A), pa.int64(), mask=bad)
        d_raw, e_raw = t.column("d").to_pylist(), t.column("e").to_pylist()
        keys = {x: normalise_drug(x) for x in set(d_raw)}
        n = t.num_rows
        null = pa.nulls(n, pa.int64())
        return pa.table(
            {
                "source": pa.array([self.name] * n, pa.string()),
                "drug": pa.array([keys[x] for x in d_raw], pa.string()),
                "event": pa.array([normalise_event(x) for x in e_raw], pa.string()),
                "drug_raw": pa.array(d_raw, pa.string()),
                "event_raw": pa.array(e_raw, pa.string()),
                "a": pa.array(A, pa.int64()),
                "b": pa.array(AB - A, pa.int64()),
                "c": c,
                "d": null,
                "n": null,
                "pub_prr": t.column("PRR"),
                "pub_drug_total": pa.array(AB, pa.int64()),
                "pub_event_total": pa.array(AC, pa.int64()),
                "pub_cd": pa.array(CD, pa.int64()),
            }
        )

    def _row_note(self, row: dict) -> str | None:
        if row["c"] is None:
            return OPENFDA_APP_NOTE + "; this row has A > AC (event total), so c is unknowable"
        return OPENFDA_APP_NOTE

    def _missing(self, dk: str, ek: str) -> PairCounts:
        return self._absent(
            dk,
            ek,
            "the openFDA-app table lists only pairs with A >= 3: absent means a < 3 (or unlisted), not 0",
        )


# ------------------------------------------------------------------------------------------------------
# signals_2025q4_2026q1/signals.csv.gz
SIGNALS_N = 755_960  # deduplicated cases 2025Q4-2026Q1; reproduces expected_count, PRR and ROR (tests)


class SignalsTable(AggregateSource):
    """Flagged pairs only (PRR/ROR/IC025 signals) from 755,960 deduplicated cases, 2025Q4-2026Q1."""

    kind = "signals"

    def __init__(self, path: Path, n: int = SIGNALS_N) -> None:
        super().__init__(path, "signals:2025q4_2026q1", "2025Q4-2026Q1", UNIT_REPORTS, flagged_only=True)
        self.n = n
        self._drug_total: dict[str, int] = {}
        self._event_total: dict[str, int] = {}

    def _load(self) -> pa.Table:
        t = _read_sql(
            "select ingredient, reaction_pt, case_count, drug_total, reaction_total, background_count, prr, "
            "ror, ror_ci_lower, ic025, chi_square, expected_count, n_methods_flagged "
            f"from read_csv({_q(self.path)}, header=true) "
            "where ingredient is not null and reaction_pt is not null",
            self.path,
        )
        a = t.column("case_count").to_numpy().astype(np.int64)
        dt = t.column("drug_total").to_numpy().astype(np.int64)
        bg = t.column("background_count").to_numpy().astype(np.int64)
        d_raw, e_raw = t.column("ingredient").to_pylist(), t.column("reaction_pt").to_pylist()
        keys = {x: normalise_drug(x) for x in set(d_raw)}
        rows = t.num_rows
        drug, event = [keys[x] for x in d_raw], [normalise_event(x) for x in e_raw]
        for k, v in zip(drug, dt.tolist(), strict=True):
            self._drug_total[k] = max(v, self._drug_total.get(k, 0))
        for k, v in zip(event, t.column("reaction_total").to_pylist(), strict=True):
            self._event_total[k] = int(v)
        out = {
            "source": pa.array([self.name] * rows, pa.string()),
            "drug": pa.array(drug, pa.string()),
            "event": pa.array(event, pa.string()),
            "drug_raw": pa.array(d_raw, pa.string()),
            "event_raw": pa.array(e_raw, pa.string()),
            "a": pa.array(a, pa.int64()),
            "b": pa.array(dt - a, pa.int64()),
            "c": pa.array(bg, pa.int64()),
            "d": pa.array(self.n - dt - bg, pa.int64()),
            "n": pa.array(np.full(rows, self.n), pa.int64()),
        }
        for col in ("prr", "ror", "ror_ci_lower", "ic025", "chi_square", "expected_count"):
            out[f"pub_{col}"] = t.column(col).cast(pa.float64())
        return pa.table(out)

    def _missing(self, dk: str, ek: str) -> PairCounts:
        known = []
        if dk in self._drug_total:
            known.append(f"drug total {self._drug_total[dk]:,}")
        if ek in self._event_total:
            known.append(f"event total {self._event_total[ek]:,}")
        extra = f" ({'; '.join(known)} cases)" if known else ""
        return self._absent(
            dk,
            ek,
            "pair not flagged by PRR/ROR/IC025 in this signals table: its count is unknown, not zero" + extra,
            n=self.n,
        )


# ------------------------------------------------------------------------------------------------------
# aers_ebgm_3drugs/evidence.psv
class AersEbgmTable(AggregateSource):
    """OHDSI KnowledgeBase AERS evidence: report count, EBGM, EB05 per (drug, outcome); only a is known."""

    kind = "aers_ebgm"

    def __init__(self, path: Path) -> None:
        super().__init__(path, "aers_ebgm:ohdsi_kb", None, UNIT_REPORTS, flagged_only=True)

    def _load(self) -> pa.Table:
        t = _read_sql(
            "select RxNorm_Preferred_Term as drug_raw, MedDRA_Preferred_Term as event_raw, "
            "max(HOI) as hoi, "
            "max(case when evidence_type = 'aers_report_count' then \"statistic value\" end) as a, "
            "max(case when evidence_type = 'aers_ebgm' then \"statistic value\" end) as ebgm, "
            "max(case when evidence_type = 'aers_eb05' then \"statistic value\" end) as eb05 "
            f"from read_csv({_q(self.path)}, header=true, delim='|', quote='') "
            "where RxNorm_Preferred_Term is not null and MedDRA_Preferred_Term is not null "
            "group by all order by 1, 2",
            self.path,
        )
        d_raw, e_raw = t.column("drug_raw").to_pylist(), t.column("event_raw").to_pylist()
        keys = {x: normalise_drug(x) for x in set(d_raw)}
        rows = t.num_rows
        null = pa.nulls(rows, pa.int64())
        return pa.table(
            {
                "source": pa.array([self.name] * rows, pa.string()),
                "drug": pa.array([keys[x] for x in d_raw], pa.string()),
                "event": pa.array([normalise_event(x) for x in e_raw], pa.string()),
                "drug_raw": pa.array(d_raw, pa.string()),
                "event_raw": pa.array(e_raw, pa.string()),
                "a": t.column("a").cast(pa.int64()),
                "b": null,
                "c": null,
                "d": null,
                "n": null,
                "pub_ebgm": t.column("ebgm").cast(pa.float64()),
                "pub_eb05": t.column("eb05").cast(pa.float64()),
                "pub_hoi_concept_id": t.column("hoi").cast(pa.float64()),
            }
        )

    def _row_note(self, row: dict) -> str | None:
        return (
            "AERS report count with EBGM/EB05 as published (OHDSI KnowledgeBase); b, c, d, N and the "
            "AERS period are not given by the source"
        )

    def _missing(self, dk: str, ek: str) -> PairCounts:
        if dk not in self._drug_rows:
            raise self._not_covered(dk)
        return self._absent(dk, ek, "outcome not listed for this drug in the OHDSI AERS evidence table")


# ------------------------------------------------------------------------------------------------------
def _aggregates_root(data_dir: Path | str | None) -> Path:
    base = Path(data_dir) if data_dir is not None else _default_data_dir()
    root = base.joinpath(*AGGREGATES_DIR) if base.joinpath(*AGGREGATES_DIR).is_dir() else base
    if not root.is_dir():
        raise DataNotFoundError(f"No aggregate tables folder at {root}. Point ADRLENS_DATA at the shared data.")
    return root


def load_all(data_dir: Path | str | None = None) -> list[AggregateSource]:
    """Every aggregate table found under `data_dir/faers/aggregates` (default: the shared data folder).

    Construction is cheap: a table is read on first use. Raises DataNotFoundError if the folder is missing
    or holds no known table.
    """
    root = _aggregates_root(data_dir)
    out: list[AggregateSource] = []
    out.extend(ClassTable(p) for p in sorted((root / "class_tables").glob("*.csv*")))
    out.extend(OpenFdaAppTable(p) for p in sorted((root / "fda_openfda_2x2_by_quarter").glob("*.csv*")))
    sig = root / "signals_2025q4_2026q1" / "signals.csv.gz"
    if sig.exists():
        out.append(SignalsTable(sig))
    ebgm = root / "aers_ebgm_3drugs" / "evidence.psv"
    if ebgm.exists():
        out.append(AersEbgmTable(ebgm))
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
