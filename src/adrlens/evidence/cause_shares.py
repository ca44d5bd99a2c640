"""How often each known cause of a condition occurs in a drug's cases against all cases of a report source:
the shares the confounding check shows for its confounders and risk factors (``adrlens.evidence.causes``).

Counts are distinct deduplicated cases over the case sets of ``adrlens.signals.tables.case_sets_sql``.
"""

from __future__ import annotations

import duckdb

from adrlens.evidence.causes import Cause
from adrlens.signals.tables import SignalSettings, case_sets_sql


def cases_ctes(settings: SignalSettings, drug: str, pts: list[str]) -> tuple[str, list]:
    """The case sets of `signals.tables.case_sets_sql` (pop, ev, dc) with `drug` and `event` named for the
    listing queries (examples, co-drugs, indication lifts, cause shares); the 2x2 tables come from count_tables."""
    sql, params = case_sets_sql(settings, [drug], pts)
    return sql + ", drug AS (SELECT caseid FROM dc), event AS (SELECT caseid FROM ev)", params


def pct(x: float | None) -> str:
    """A share as a reader takes it: "4%", "<1%", "0%"."""
    if x is None:
        return "n/a"
    v = 100 * x
    return "0%" if v == 0 else ("<1%" if v < 1 else f"{v:.0f}%")


def cause_rows(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str],
    settings: SignalSettings,
    causes: list[Cause],
    ind_map: dict[str, str],
    ev_map: dict[str, str],
    n_drug: int,
    n_all: int,
) -> list[dict]:
    """One row per cause: how often it occurs in the drug's cases against all cases of the population
    (as an indication, a co-reported event, or by age), and in the drug's cases with the event."""
    if not causes:
        return []
    ctes, params = cases_ctes(settings, drug, pts)
    src = settings.source
    ages = [(c.name, c.age_min) for c in causes if c.age_min is not None]
    if (
        ages
        and not con.execute("SELECT count(*) FROM report WHERE source = ? AND age_years IS NOT NULL", [src]).fetchall()[
            0
        ][0]
    ):
        causes, ages = [c for c in causes if c.age_min is None], []  # the source records no age
    ind = sorted(ind_map.items())
    evs = sorted(ev_map.items())
    parts, qparams = [], []
    # Causes recorded as the drug's indication, and causes co-reported as events: one query shape each.
    for table, column, mapping in (("report_indication", "indi_pt", ind), ("report_event", "pt", evs)):
        if mapping:
            parts.append(
                f"SELECT DISTINCT t.caseid, m.cause FROM {table} t JOIN "
                "(SELECT unnest(?::VARCHAR[]) AS pt, unnest(?::VARCHAR[]) AS cause) m "
                f"ON m.pt = t.{column} WHERE t.source = ?"
            )
            qparams += [[k for k, _ in mapping], [v for _, v in mapping], src]
    for name, age in ages:
        parts.append("SELECT r.caseid, ? AS cause FROM report r WHERE r.source = ? AND r.age_years >= ?")
        qparams += [name, src, age]
    counts: dict[str, tuple[int, int, int]] = {}
    if parts:
        for cause, n_pop, n_dr, n_ev in con.execute(
            f"""WITH {ctes}, hits AS ({" UNION ".join(parts)})
            SELECT h.cause, count(*), count(dr.caseid), count(dr.caseid) FILTER (WHERE ev.caseid IS NOT NULL)
            FROM hits h SEMI JOIN pop p ON p.caseid = h.caseid
            LEFT JOIN drug dr ON dr.caseid = h.caseid LEFT JOIN event ev ON ev.caseid = h.caseid
            GROUP BY 1""",
            [*params, *qparams],
        ).fetchall():
            counts[cause] = (int(n_pop), int(n_dr), int(n_ev))
    rows = []
    for c in causes:
        n_pop, n_dr, n_ev = counts.get(c.name, (0, 0, 0))
        rows.append(
            {
                "name": c.name,
                "role": c.role,
                "drug_cases": n_dr,
                "drug_event_cases": n_ev,
                "share_drug_cases": n_dr / n_drug if n_drug else None,
                "share_all_cases": n_pop / n_all if n_all else None,
                "reference": c.reference,
            }
        )
    return sorted(rows, key=lambda r: (-r["drug_event_cases"], -r["drug_cases"], r["name"]))


def rows_text(rows: list[dict], drug: str, a0: int, limit: int = 3) -> str:
    """The causes seen in the drug's cases: their share there against all cases, and among the a cases."""
    shown = [r for r in rows if r["drug_cases"]][:limit]
    return "; ".join(
        f"{r['name']} ({pct(r['share_drug_cases'])} of {drug} cases against {pct(r['share_all_cases'])} of all"
        + (f"; {r['drug_event_cases']} of the {a0} with the condition)" if a0 else ")")
        for r in shown
    )
