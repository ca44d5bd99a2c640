"""Every (ingredient, PT) pair with a >= 1: counts in SQL, measures and EBGM vectorised in numpy.

No Python loop over pairs: DuckDB counts a, drug totals, event totals and N; numpy/scipy compute
PRR, ROR, IC and (after fitting the MGPS prior over all pairs) EBGM, EB05 and EB95 in one pass.
The prior is saved with the pairs (`signal_prior`), so a single question later uses the prior of
its whole source. It is fitted with the source's zero cells and judged first (adrlens.signals.ebgm_prior):
when it may not be used (too few repeated reports, no convergence, no shrinkage) every pair's EBGM, EB05
and EB95 is null and the stored prior says why.
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
from adrlens.signals import ebgm_prior, rules
from adrlens.signals.measures import all_measures
from adrlens.signals.tables import SignalSettings, pair_counts

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
                {
                    "settings": self.settings.to_dict(),
                    "prior": self.prior.to_dict(),
                    "n_cases": self.n_cases,
                    "signal_rule": rules.describe(),
                }
            ).encode()
        }
        pq.write_table(self.table.replace_schema_metadata(meta), str(path))


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
        keys = (counts.column(k).to_numpy(zero_copy_only=False) for k in ("ingredient", "pt"))
        zero_e, zero_w = ebgm_prior.zero_cells(*keys, nd, ne, n_cases)
        prior = ebgm_prior.fit_source_prior(
            a, m["e"], zero_e, zero_w, squash=squash and counts.num_rows > 20_000, max_bins=2000 if big else None
        )
    if prior.usable:
        post = mgps.ebgm(a, m["e"], prior)
    else:  # not measured, not zero: null for every pair (the stored prior says why)
        post = {k: np.full(len(a), np.nan) for k in ("ebgm", "eb05", "eb95")}
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
    cols["eb05_signal"] = pa.array(rules.eb05_mask(post["eb05"]))
    # The one rule (adrlens.signals.rules): a >= 3 and any lower bound beyond the null.
    cols["signal"] = pa.array(rules.signal_mask(a, m["ror_lo"], m["ic025"], post["eb05"]))
    return AllPairs(pa.table(cols), prior, settings, n_cases)


def all_pairs(con: duckdb.DuckDBPyConnection, settings: SignalSettings | None = None, squash: bool = True) -> AllPairs:
    """Every pair of the settings' source with all measures and EBGM (prior fitted over all pairs)."""
    settings = settings or SignalSettings(stratify=False)
    counts, n_cases = pair_counts(con, settings)
    return compute(counts, n_cases, settings, squash=squash)


def store_pair_stats(con: duckdb.DuckDBPyConnection, results: list[AllPairs]) -> None:
    """Save pairs and priors in the store being built (tables pair_stats, signal_prior), replacing them."""
    con.execute("""CREATE OR REPLACE TABLE signal_prior (source VARCHAR, role VARCHAR, n_cases BIGINT,
                   n_pairs BIGINT, alpha1 DOUBLE, beta1 DOUBLE, alpha2 DOUBLE, beta2 DOUBLE, p DOUBLE,
                   diagnostics VARCHAR, computed_at TIMESTAMP DEFAULT current_timestamp)""")
    for i, r in enumerate(results):
        a1, b1, a2, b2, p = (float(x) for x in r.prior.as_array())
        src, role = r.settings.source, r.settings.role
        con.execute(
            "INSERT INTO signal_prior VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [src, role, r.n_cases, r.table.num_rows, a1, b1, a2, b2, p, json.dumps(r.prior.to_dict(), default=str)],
        )
        con.register("_pairs", r.table)
        if i == 0:
            con.execute(
                "CREATE OR REPLACE TABLE pair_stats AS SELECT ?::VARCHAR AS source, ?::VARCHAR AS role, * "
                "FROM _pairs LIMIT 0",
                [src, role],
            )
        con.execute("INSERT INTO pair_stats SELECT ?, ?, * FROM _pairs", [src, role])
        con.unregister("_pairs")


def load_prior(con: duckdb.DuckDBPyConnection, source: str, role: str = "suspect") -> mgps.Prior | None:
    """The MGPS prior stored for a source, with its diagnostics (None when the source had no pairs to fit
    it on). Check ``usable`` before computing EBGM with it."""
    rows = con.execute(
        "SELECT alpha1, beta1, alpha2, beta2, p, diagnostics FROM signal_prior WHERE source = ? AND role = ?",
        [source, role],
    ).fetchall()
    return ebgm_prior.from_diagnostics(np.array(rows[0][:5]), rows[0][5]) if rows else None


def prior_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per stored prior (source, role): converged with its hyperparameters, or why no EBGM."""
    try:
        rows = con.execute("SELECT source, role FROM signal_prior ORDER BY source, role").fetchall()
    except duckdb.CatalogException:  # a store built without the all-pairs step
        return []
    return [ebgm_prior.describe(load_prior(con, s, r), s if r == "suspect" else f"{s}, {r}") for s, r in rows]
