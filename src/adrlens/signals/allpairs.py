"""Every (ingredient, PT) pair with a >= 1: counts in SQL, measures and EBGM vectorised in numpy.

No Python loop over pairs: DuckDB counts a, drug totals, event totals and N; numpy/scipy compute
PRR, ROR, IC and (after fitting the MGPS prior over all pairs) EBGM, EB05 and EB95 in one pass.
The prior is saved with the pairs (`signal_prior`), so a single question later uses the prior of
its whole source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from adrlens.errors import AdrlensError
from adrlens.signals import ebgm as mgps
from adrlens.signals.measures import all_measures
from adrlens.signals.tables import SignalSettings
from adrlens.store.db import has_table

MEASURE_COLUMNS = ("e", "prr", "prr_lo", "prr_hi", "chi2", "ror", "ror_lo", "ror_hi", "ic", "ic025", "ic975")
FLAG_COLUMNS = ("evans", "ror_signal", "ic_signal")


@dataclass
class AllPairs:
    table: pa.Table  # ingredient, pt, a, b, c, d, n, measures, ebgm, eb05, eb95, flags
    prior: mgps.Prior
    settings: SignalSettings
    n_cases: int

    def write_parquet(self, path: str | Path) -> None:
        meta = {
            b"adrlens": json.dumps(
                {"settings": self.settings.to_dict(), "prior": self.prior.to_dict(), "n_cases": self.n_cases}
            ).encode()
        }
        pq.write_table(self.table.replace_schema_metadata(meta), str(path))


def pair_counts(con: duckdb.DuckDBPyConnection, settings: SignalSettings) -> tuple[pa.Table, int]:
    """(ingredient, pt, a, drug_n, event_n) for every pair with a >= 1, and N (cases in the population)."""
    pop, params = settings.population_sql()
    n_cases = con.execute(f"SELECT count(*) FROM report r WHERE {pop}", params).fetchall()[0][0]
    tbl = con.sql(
        f"""
        WITH pop AS (SELECT r.caseid FROM report r WHERE {pop}),
        dc AS (SELECT DISTINCT rd.caseid, rd.ingredient FROM report_drug rd SEMI JOIN pop USING (caseid)
               WHERE rd.source = ? AND {settings.role_sql()} AND rd.ingredient IS NOT NULL),
        ev AS (SELECT re.caseid, re.pt FROM report_event re SEMI JOIN pop USING (caseid) WHERE re.source = ?),
        pa AS (SELECT dc.ingredient, ev.pt, count(*) AS a FROM dc JOIN ev USING (caseid) GROUP BY ALL),
        nd AS (SELECT ingredient, count(*) AS drug_n FROM dc GROUP BY 1),
        ne AS (SELECT pt, count(*) AS event_n FROM ev GROUP BY 1)
        SELECT pa.ingredient, pa.pt, pa.a, nd.drug_n, ne.event_n
        FROM pa JOIN nd USING (ingredient) JOIN ne USING (pt)
        ORDER BY pa.ingredient, pa.pt""",
        params=[*params, settings.source, settings.source],
    ).to_arrow_table()
    return tbl, int(n_cases)


def compute(
    counts: pa.Table, n_cases: int, settings: SignalSettings, squash: bool = True, prior: mgps.Prior | None = None
) -> AllPairs:
    """Measures and EBGM for a table of pair counts (columns ingredient, pt, a, drug_n, event_n)."""
    if counts.num_rows == 0:
        raise AdrlensError(f"no (drug, event) pairs in source {settings.source!r} for these settings")
    a = counts.column("a").to_numpy().astype(np.float64)
    nd = counts.column("drug_n").to_numpy().astype(np.float64)
    ne = counts.column("event_n").to_numpy().astype(np.float64)
    b, c = nd - a, ne - a
    d = n_cases - nd - ne + a
    m = all_measures(a, b, c, d)
    if prior is None:
        # Squash above 20k pairs; above 200k, squash every count level to <= 2,000 bins (EBGM within
        # ~1e-5 of the default squash at 1M pairs; bench/ebgm_fit.py measures it).
        big = counts.num_rows > 200_000
        prior = mgps.fit_prior(a, m["e"], squash=squash and counts.num_rows > 20_000, max_bins=2000 if big else None)
    post = mgps.ebgm(a, m["e"], prior)
    cols: dict[str, pa.Array] = {
        "ingredient": counts.column("ingredient"),
        "pt": counts.column("pt"),
        "a": pa.array(a.astype(np.int64)),
        "b": pa.array(b.astype(np.int64)),
        "c": pa.array(c.astype(np.int64)),
        "d": pa.array(d.astype(np.int64)),
        "n": pa.array(np.full(len(a), n_cases, dtype=np.int64)),
    }
    for k in MEASURE_COLUMNS:
        cols[k] = pa.array(m[k], from_pandas=True)  # NaN -> null: undefined stays undefined
    for k in ("ebgm", "eb05", "eb95"):
        cols[k] = pa.array(post[k], from_pandas=True)
    for k in FLAG_COLUMNS:
        cols[k] = pa.array(m[k])
    cols["eb05_signal"] = pa.array(np.nan_to_num(post["eb05"], nan=0.0) >= 2.0)
    return AllPairs(pa.table(cols), prior, settings, n_cases)


def all_pairs(con: duckdb.DuckDBPyConnection, settings: SignalSettings | None = None, squash: bool = True) -> AllPairs:
    """Every pair of the settings' source with all measures and EBGM (prior fitted over all pairs)."""
    settings = settings or SignalSettings(stratify=False)
    counts, n_cases = pair_counts(con, settings)
    return compute(counts, n_cases, settings, squash=squash)


def store_pair_stats(con: duckdb.DuckDBPyConnection, results: list[AllPairs]) -> None:
    """Save pairs and priors in the store (tables pair_stats, signal_prior), replacing earlier ones."""
    con.execute("""CREATE TABLE IF NOT EXISTS signal_prior (source VARCHAR, role VARCHAR, n_cases BIGINT,
                   n_pairs BIGINT, alpha1 DOUBLE, beta1 DOUBLE, alpha2 DOUBLE, beta2 DOUBLE, p DOUBLE,
                   diagnostics VARCHAR, computed_at TIMESTAMP DEFAULT current_timestamp)""")
    for i, r in enumerate(results):
        con.execute("DELETE FROM signal_prior WHERE source = ? AND role = ?", [r.settings.source, r.settings.role])
        a1, b1, a2, b2, p = (float(x) for x in r.prior.as_array())
        con.execute(
            "INSERT INTO signal_prior VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [
                r.settings.source,
                r.settings.role,
                r.n_cases,
                r.table.num_rows,
                a1,
                b1,
                a2,
                b2,
                p,
                json.dumps(r.prior.to_dict(), default=str),
            ],
        )
        con.register("_pairs", r.table)
        src, role = r.settings.source, r.settings.role
        if i == 0 and not has_table(con, "pair_stats"):
            con.execute(
                "CREATE TABLE pair_stats AS SELECT ?::VARCHAR AS source, ?::VARCHAR AS role, * FROM _pairs LIMIT 0",
                [src, role],
            )
        con.execute("DELETE FROM pair_stats WHERE source = ? AND role = ?", [src, role])
        con.execute("INSERT INTO pair_stats SELECT ?, ?, * FROM _pairs", [src, role])
        con.unregister("_pairs")


def load_prior(con: duckdb.DuckDBPyConnection, source: str, role: str = "suspect") -> mgps.Prior | None:
    """The MGPS prior saved for a source, or None when `adrlens signals --all` has not been run."""
    if not has_table(con, "signal_prior"):
        return None
    rows = con.execute(
        "SELECT alpha1, beta1, alpha2, beta2, p FROM signal_prior WHERE source = ? AND role = ?", [source, role]
    ).fetchall()
    return mgps.Prior.from_array(np.array(rows[0])) if rows else None
