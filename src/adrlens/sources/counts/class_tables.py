"""Class tables: whole-database drug x PT count matrices with an 'other drugs' column (pvLRT, pvEBayes, MDDC).

Every cell has a full 2x2 because the matrix margins are whole-database totals: a = the cell, b = the drug's
column total - a, c = the PT's row total (other-drugs column included) - a, d = N - a - b - c. Cells are
report counts for one (drug, PT) pair, but margins add over PTs, so b, c, d and N count *drug-PT pairs*, not
reports (unit 'drug-event pairs'). A table either lists every PT seen with its drugs (an unlisted PT has
a = 0) or a selection plus a pooled row ('Other PT', 'Other AEs': all remaining PTs, not a total), in which
case an unlisted PT is unknown, never zero. The first column holds the PT names whatever its header
(MDDC leaves it empty); pooled rows and columns are recognised by name (`is_pooled`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from adrlens.errors import IngestError
from adrlens.sources.counts.base import (
    STATUS_ZERO,
    UNIT_PAIRS,
    AggregateSource,
    PairCounts,
    TableMeta,
    _q,
    _read_sql,
    normalise_drug,
    normalise_event,
)
from adrlens.vocab.terms import is_pooled


class ClassTable(AggregateSource):
    """A drug x PT matrix with 'other drugs' column(s), optionally an 'Other PT' row pooling the rest."""

    kind = "class_tables"

    def __init__(self, path: Path, meta: TableMeta | None = None) -> None:
        super().__init__(path, meta or TableMeta(unit=UNIT_PAIRS))
        self.has_other_row = False
        self.grand_total: int | None = None
        self._drug_totals: dict[str, int] = {}

    @staticmethod
    def table_name(path: Path) -> str:
        return "class_tables:" + path.name.removesuffix(".gz").removesuffix(".csv")

    @staticmethod
    def _is_other(label: str) -> bool:
        return is_pooled(label)

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
