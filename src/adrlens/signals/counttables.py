"""Published count tables (sources/aggregates.py) as a second kind of report source, in the store.

`build_count_tables(con)` copies every table's cells into `count_pair` with the same measures as
case-level sources (PRR, ROR, IC) and, for complete tables (every cell of a drug x PT grid, not a
flagged-only extract), EBGM with an MGPS prior fitted over that table's cells. A flagged-only table
gets no EBGM: a prior fitted on pre-selected pairs would be biased. `count_table` says what an
unlisted pair of a covered drug means there: 'zero' or 'absent_from_flagged_table' (unknown).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from adrlens.signals import ebgm as mgps
from adrlens.signals.measures import all_measures

MEASURES = ("e", "prr", "prr_lo", "prr_hi", "chi2", "ror", "ror_lo", "ror_hi", "ic", "ic025", "ic975")


def _with_measures(cells: pa.Table, fit_ebgm: bool) -> tuple[pa.Table, mgps.Prior | None]:
    complete = pc.and_(
        pc.and_(pc.is_valid(cells["a"]), pc.is_valid(cells["b"])),
        pc.and_(pc.is_valid(cells["c"]), pc.is_valid(cells["d"])),
    )
    a, b, c, d = (pc.if_else(complete, cells[k], 0).to_numpy(zero_copy_only=False).astype(float) for k in "abcd")
    ok = complete.to_numpy(zero_copy_only=False)
    m = all_measures(a, b, c, d)
    cols = {k: np.where(ok, m[k], np.nan) for k in MEASURES}
    prior = None
    post = {k: np.full(len(a), np.nan) for k in ("ebgm", "eb05", "eb95")}
    usable = ok & (a >= 1) & np.isfinite(m["e"])
    if fit_ebgm and usable.sum() >= 50:
        prior = mgps.fit_prior(a[usable], m["e"][usable], squash=usable.sum() > 5_000)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = mgps.ebgm(np.where(ok, a, 0), np.where(ok, m["e"], 1.0), prior)
        post = {k: np.where(ok, r[k], np.nan) for k in post}
    out = cells.select(["drug", "event", "a", "b", "c", "d", "n"])
    for k, v in {**cols, **post}.items():
        out = out.append_column(k, pa.array(v, from_pandas=True))
    return out, prior


def build_count_tables(con: duckdb.DuckDBPyConnection, data_dir=None) -> dict[str, int]:
    """(Re)build count_table and count_pair from every shared aggregate table."""
    from adrlens.sources.counts.catalogue import load_all

    con.execute("""CREATE OR REPLACE TABLE count_table (name VARCHAR, period VARCHAR, unit VARCHAR,
        flagged_only BOOLEAN, unlisted_status VARCHAR, n_cells BIGINT, prior VARCHAR, note VARCHAR)""")
    con.execute("""CREATE OR REPLACE TABLE count_pair (table_name VARCHAR, drug VARCHAR, event VARCHAR,
        a BIGINT, b BIGINT, c BIGINT, d BIGINT, n BIGINT, e DOUBLE, prr DOUBLE, prr_lo DOUBLE, prr_hi DOUBLE,
        chi2 DOUBLE, ror DOUBLE, ror_lo DOUBLE, ror_hi DOUBLE, ic DOUBLE, ic025 DOUBLE, ic975 DOUBLE,
        ebgm DOUBLE, eb05 DOUBLE, eb95 DOUBLE)""")
    counts = {}
    for t in load_all(data_dir):
        cells = t.pairs()
        if cells.num_rows == 0:
            continue
        table, prior = _with_measures(cells, fit_ebgm=not t.flagged_only)
        any_drug = cells.column("drug")[0].as_py()
        unlisted = t.pair(any_drug, "zz no such preferred term zz").status
        con.register("_cells", table)
        con.execute("INSERT INTO count_pair SELECT ?, * FROM _cells", [t.name])
        con.unregister("_cells")
        con.execute(
            "INSERT INTO count_table VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                t.name,
                t.period,
                t.unit,
                t.flagged_only,
                unlisted,
                table.num_rows,
                str(prior.as_array().tolist()) if prior else None,
                getattr(t, "note", None),
            ],
        )
        counts[t.name] = table.num_rows
    return counts


def lookup(con: duckdb.DuckDBPyConnection, drug: str, pts: list[str] | tuple[str, ...]) -> list[dict]:
    """Every count table covering the drug, for each PT: counted rows with measures, or the table's
    status for an unlisted pair ('zero' / 'absent_from_flagged_table'). Never a sum over PTs."""
    rows = con.execute(
        """WITH covering AS (SELECT DISTINCT table_name FROM count_pair WHERE drug = ?),
                wanted AS (SELECT unnest(?::VARCHAR[]) AS event)
           SELECT t.name, t.period, t.unit, t.flagged_only, w.event,
                  CASE WHEN p.drug IS NULL THEN t.unlisted_status ELSE 'counted' END AS status,
                  p.a, p.b, p.c, p.d, p.n, p.e, p.prr, p.prr_lo, p.prr_hi, p.chi2, p.ror, p.ror_lo, p.ror_hi,
                  p.ic, p.ic025, p.ic975, p.ebgm, p.eb05, p.eb95
           FROM covering cv JOIN count_table t ON t.name = cv.table_name CROSS JOIN wanted w
           LEFT JOIN count_pair p ON p.table_name = t.name AND p.drug = ? AND p.event = w.event
           ORDER BY t.name, w.event""",
        [drug.lower(), [p.lower() for p in pts], drug.lower()],
    ).fetchall()
    names = [
        "table",
        "period",
        "unit",
        "flagged_only",
        "event",
        "status",
        "a",
        "b",
        "c",
        "d",
        "n",
        "e",
        "prr",
        "prr_lo",
        "prr_hi",
        "chi2",
        "ror",
        "ror_lo",
        "ror_hi",
        "ic",
        "ic025",
        "ic975",
        "ebgm",
        "eb05",
        "eb95",
    ]
    out = []
    for r in rows:
        d = dict(zip(names, r, strict=True))
        out.append({k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()})
    return out
