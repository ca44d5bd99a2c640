"""Evidence from published count tables: one record per table covering the drug, each PT looked up alone
(cells of different PTs cannot be summed into a concept: a report with two PTs would count twice).

A term a flagged-only table does not list is not measurable there (unknown), never zero reports. A cell
with a = 0 carries no ratio or interval (the stored ones would be continuity corrections of an empty
cell); its row keeps the counts and E only."""

from __future__ import annotations

import duckdb

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import CountTableData, Evidence
from adrlens.signals import rules
from adrlens.signals.counttables import lookup as count_lookup
from adrlens.signals.measures import ESTIMATE_KEYS

_EMPTY_CELL_KEYS = (*ESTIMATE_KEYS, "ebgm", "eb05", "eb95")


def _row(r: dict) -> dict:
    """A looked-up cell as the evidence keeps it: no estimate for a = 0."""
    if r["status"] == "counted" and not r["a"]:
        return {**r, **dict.fromkeys(_EMPTY_CELL_KEYS)}
    return r


def _is_signal(r: dict) -> bool:
    return rules.call(r["a"] or 0, ror_lo=r.get("ror_lo"), ic025=r.get("ic025"), eb05=r.get("eb05")).signal


def count_table_evidence(
    con: duckdb.DuckDBPyConnection, drug: str, narrow: list[str], broad: list[str], condition: str
) -> list[Evidence]:
    """One record per published count table covering the drug (each PT looked up alone: no sums)."""
    rows = [_row(r) for r in count_lookup(con, drug, list(dict.fromkeys([*narrow, *broad])))]
    out = []
    silent: list[str] = []  # flagged-only tables that list none of the terms: one record for them all
    for table in dict.fromkeys(r["table"] for r in rows):
        trs = [r for r in rows if r["table"] == table]
        counted = [r for r in trs if r["status"] == "counted" and r["a"] and r["ror"] is not None]
        if not counted and all(r["status"] == "absent_from_flagged_table" for r in trs):
            silent.append(table)
            continue
        sig = [r for r in counted if _is_signal(r)]
        sig_narrow = [r for r in sig if r["event"] in narrow]
        zero = [r["event"] for r in trs if r["status"] == "zero" or (r["status"] == "counted" and not r["a"])]
        absent = [r["event"] for r in trs if r["status"] == "absent_from_flagged_table"]
        t0 = trs[0]
        name = f"{table} ({t0['period'] or 'period not given'}, counts of {t0['unit']})"
        parts = [
            f"{r['event']}: a={r['a']}, ROR {r['ror']:.2f} ({r['ror_lo']:.2f}-{r['ror_hi']:.2f})"
            + (f", EB05 {r['eb05']:.2f}" if r.get("eb05") is not None else "")
            for r in counted[:6]
        ]
        finding = (
            f"{name}: "
            + ("; ".join(parts) if parts else "no counted cell for these terms")
            + (
                f"; {len(absent)} term(s) not listed in this flagged-only table: not measurable there (unknown, "
                "not zero)"
                if absent
                else ""
            )
            + (f"; {len(zero)} term(s) with zero reports" if zero else "")
            + "."
        )
        direction = "supports" if sig else "neutral"
        strength = "moderate" if sig_narrow else ("weak" if sig else "none")
        out.append(
            Evidence(
                f"count_table:{table}",
                "count_table",
                name,
                finding,
                direction,
                strength,
                CountTableData(
                    table=table,
                    flagged_only=bool(t0["flagged_only"]),
                    rows=trs,
                    signal_pts=[r["event"] for r in sig],
                    pts_not_measurable=absent,
                ),
                {"table": "count_pair", "table_name": table},
            )
        )
    if silent:
        out.append(
            Evidence(
                "count_table:flagged_only_silent",
                "count_table",
                "published flagged-only tables",
                f"{len(silent)} published table(s) of flagged pairs cover {drug} but list none of these terms "
                f"({', '.join(silent)}): not flagged there, which is not the same as zero reports.",
                "neutral",
                "none",
                CountTableData(
                    tables=silent,
                    flagged_only=True,
                    pts_not_measurable=list(dict.fromkeys([*narrow, *broad])),
                ),
                {"table": "count_pair", "table_names": silent},
            )
        )
    return out


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record per published count table covering the drug (each term looked up alone)."""
    return count_table_evidence(con, q.drug, list(q.narrow), list(q.broad), q.condition)
