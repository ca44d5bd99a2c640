"""FDA's openFDA shiny-app 2x2 tables (fda_openfda_2x2_by_quarter/YYYYMMDD.csv.gz).

Counts are cumulative from 2004Q1 to the file's quarter, with A >= 3 only. Its N (AB + CD = 6,145,409) is the
whole openFDA database, not the period of A/AB/AC, so d, N and the published PRR are wrong; a, b, c are kept
and d, N are reported as unknowable (None).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa

from adrlens.sources.counts.base import (
    AggregateSource,
    PairCounts,
    TableMeta,
    _q,
    _read_sql,
)

OPENFDA_APP_N = 6_145_409  # AB + CD on every row of every file: openFDA's whole database, not the period

OPENFDA_APP_NOTE = (
    "openFDA-app table: A, AB, AC are cumulative from 2004Q1 to the file's quarter, but its N "
    f"(AB+CD = {OPENFDA_APP_N:,}) is the whole openFDA database, so its d, N and PRR are wrong (PRR inflated "
    "by roughly N_database/N_period); a, b, c are kept, d and N are unknowable from the table"
)


def cumulative_period(path: Path) -> str | None:
    """The period of one file from its name, the quarter's last day: '20050331' -> '2004Q1-2005Q1'
    (cumulative from openFDA's start, 2004Q1); None for a name that is no date."""
    stem = path.name.split(".")[0]
    if not re.fullmatch(r"\d{8}", stem):
        return None
    end = f"{stem[:4]}Q{(int(stem[4:6]) - 1) // 3 + 1}"
    return end if end == "2004Q1" else f"2004Q1-{end}"


class OpenFdaAppTable(AggregateSource):
    """FDA's openFDA shiny-app 2x2 table for one cumulative period (rows only where A >= 3)."""

    kind = "fda_openfda_2x2_by_quarter"

    def __init__(self, path: Path, meta: TableMeta | None = None) -> None:
        super().__init__(path, meta or TableMeta(flagged_only=True))
        self.n_column_values: set[int] = set()
        self.inconsistent_rows = 0

    @staticmethod
    def table_name(path: Path) -> str:
        return "openfda_app:" + path.name.split(".")[0]

    @staticmethod
    def period_from(path: Path) -> str | None:
        return cumulative_period(path)

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
        return self._cell_table(
            t.column("d").to_pylist(),
            t.column("e").to_pylist(),
            {
                "a": pa.array(A, pa.int64()),
                "b": pa.array(AB - A, pa.int64()),
                "c": c,
                "pub_prr": t.column("PRR"),
                "pub_drug_total": pa.array(AB, pa.int64()),
                "pub_event_total": pa.array(AC, pa.int64()),
                "pub_cd": pa.array(CD, pa.int64()),
            },
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
