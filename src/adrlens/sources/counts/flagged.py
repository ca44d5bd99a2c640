"""Published tables that list only some pairs: flagged signals, and AERS EBGM evidence.

* signals_YYYYqN_YYYYqN/signals.csv.gz: flagged pairs only (absent = not flagged, not zero);
  N = 755,960 cases, c = background_count, d = N - drug_total - c (reproduces its PRR and ROR).
* aers_ebgm_3drugs/evidence.psv (OHDSI KnowledgeBase): AERS report counts with published EBGM and EB05
  for warfarin, metformin, lisinopril; only a is known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from adrlens.sources.counts.base import (
    AggregateSource,
    PairCounts,
    TableMeta,
    _q,
    _read_sql,
    normalise_drug,
    normalise_event,
)

SIGNALS_N = 755_960  # deduplicated cases 2025Q4-2026Q1; reproduces expected_count, PRR and ROR (tests)


class SignalsTable(AggregateSource):
    """Flagged pairs only (PRR/ROR/IC025 signals) from 755,960 deduplicated cases, 2025Q4-2026Q1."""

    kind = "signals"

    @staticmethod
    def table_name(path: Path) -> str:
        # The folder names the period: signals_2025q4_2026q1 -> 'signals:2025q4_2026q1'.
        return "signals:" + path.parent.name.removeprefix("signals_")

    def __init__(self, path: Path, meta: TableMeta | None = None, n: int = SIGNALS_N) -> None:
        super().__init__(path, meta or TableMeta(flagged_only=True))
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


class AersEbgmTable(AggregateSource):
    """OHDSI KnowledgeBase AERS evidence: report count, EBGM, EB05 per (drug, outcome); only a is known."""

    kind = "aers_ebgm"

    def __init__(self, path: Path, meta: TableMeta | None = None) -> None:
        super().__init__(path, meta or TableMeta(flagged_only=True))

    @staticmethod
    def table_name(path: Path) -> str:
        return "aers_ebgm:ohdsi_kb"

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
        return self._cell_table(
            t.column("drug_raw").to_pylist(),
            t.column("event_raw").to_pylist(),
            {
                "a": t.column("a").cast(pa.int64()),
                "pub_ebgm": t.column("ebgm").cast(pa.float64()),
                "pub_eb05": t.column("eb05").cast(pa.float64()),
                "pub_hoi_concept_id": t.column("hoi").cast(pa.float64()),
            },
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
