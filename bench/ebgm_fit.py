"""Benchmark: MGPS prior fit on synthetic pairs, with and without data squashing.

Pairs are drawn as in DuMouchel's model with realistic parameters: E ~ lognormal, lambda from a
2-gamma mixture close to the one fitted on the real CAERS data, n ~ Poisson(lambda * E); only pairs
with n >= 1 are kept (a real drug x event count table holds only observed pairs). Measures the time
of squashing, of the squashed fit, of the full-data fit, and how far the squashed fit lands from the
full one (hyperparameters, log-likelihood on the full data, max |EBGM|, |EB05| differences).

    .venv/bin/python bench/ebgm_fit.py                  # 300,000 pairs, well under 2 minutes
    .venv/bin/python bench/ebgm_fit.py --pairs 2000000  # the 2M-pair run (several minutes on 1 core)
    .venv/bin/python bench/ebgm_fit.py --store stores/adrlens.duckdb  # also the real sources, side by side
Writes bench/results/ebgm_fit.json. With ``--store`` (opened read-only) it also fits every source of the
store both ways, side by side: openEBGM's zero-truncated likelihood over observed pairs (the fit before
issue 12) and the untruncated likelihood with the zero cells (adrlens.signals.ebgm_prior, used now), and
reports for each: converged, iterations, max gradient, seconds, the prior and whether EBGM may be given.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from adrlens.signals import ebgm as eb
from adrlens.signals import ebgm_prior

TRUE_THETA = (3.0, 0.4, 2.0, 1.9, 0.07)  # near the CAERS fit: a small elevated component, P = 7%


def synthetic_pairs(n_pairs: int, seed: int = 20240601) -> tuple[np.ndarray, np.ndarray]:
    """Draw until n_pairs pairs with n >= 1 exist; return (n, E)."""
    rng = np.random.default_rng(seed)
    a1, b1, a2, b2, p = TRUE_THETA
    ns, es, have = [], [], 0
    while have < n_pairs:
        m = 2 * (n_pairs - have) + 1000
        e = rng.lognormal(mean=-1.5, sigma=1.6, size=m)
        first = rng.random(m) < p
        lam = np.where(first, rng.gamma(a1, 1 / b1, m), rng.gamma(a2, 1 / b2, m))
        n = rng.poisson(lam * e)
        keep = n >= 1
        ns.append(n[keep])
        es.append(e[keep])
        have += int(keep.sum())
    return np.concatenate(ns)[:n_pairs].astype(np.float64), np.concatenate(es)[:n_pairs]


def _fit_summary(prior: eb.Prior, seconds: float) -> dict:
    return {
        "converged": prior.converged,
        "usable": prior.usable,
        "reason": prior.reason,
        "iterations": prior.n_iter,
        "max_gradient_per_pair": prior.grad_norm,
        "seconds": round(seconds, 2),
        "theta": [round(float(x), 6) for x in prior.as_array()],
        "message": prior.message,
    }


def real_sources(store: Path) -> dict:
    """Both fits on every source's pairs (as the all-pairs step squashes them), read-only from `store`."""
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    out: dict = {}
    try:
        sources = con.execute("SELECT DISTINCT source FROM pair_stats WHERE role = 'suspect' ORDER BY 1").fetchall()
        for (src,) in sources:
            cols = con.execute(
                "SELECT ingredient, pt, a::DOUBLE, e, (a + b)::DOUBLE, (a + c)::DOUBLE, n FROM pair_stats "
                "WHERE source = ? AND role = 'suspect'",
                [src],
            ).fetchnumpy()
            drug, pt, n, e, nd, ne, nc = cols.values()
            sq = n.size > 20_000
            t0 = time.perf_counter()
            old = ebgm_prior.assess(eb.fit_prior(n, e, squash=sq), n, e)
            t_old = time.perf_counter() - t0
            t0 = time.perf_counter()
            new = ebgm_prior.fit_source_prior(n, e, *ebgm_prior.zero_cells(drug, pt, nd, ne, int(nc[0])), squash=sq)
            t_new = time.perf_counter() - t0
            out[src] = {
                "pairs": int(n.size),
                "pairs_with_2_or_more_reports": int((n >= 2).sum()),
                "truncated_observed_pairs": _fit_summary(old, t_old),
                "with_zero_cells": {**_fit_summary(new, t_new), "zero_cells": new.n_zero_cells},
            }
    finally:
        con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=300_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "ebgm_fit.json")
    ap.add_argument("--store", type=Path, default=None, help="Also fit the sources of this store (read-only).")
    args = ap.parse_args()

    t0 = time.perf_counter()
    n, e = synthetic_pairs(args.pairs)
    t_gen = time.perf_counter() - t0

    t0 = time.perf_counter()
    ns, _es, _ws = eb.squash(n, e)
    t_squash = time.perf_counter() - t0

    t0 = time.perf_counter()
    sq = eb.fit_prior(n, e, squash=True)
    t_fit_sq = time.perf_counter() - t0

    t0 = time.perf_counter()
    full = eb.fit_prior(n, e, squash=False)
    t_fit_full = time.perf_counter() - t0

    t0 = time.perf_counter()
    post_full = eb.ebgm(n, e, full)
    t_post = time.perf_counter() - t0
    post_sq = eb.ebgm(n, e, sq)

    # The exact conditional likelihood ("mixture" truncation) is the model the data were drawn from,
    # so it should recover TRUE_THETA; openEBGM's per-component truncation (the default) need not.
    t0 = time.perf_counter()
    mix = eb.fit_prior(n, e, squash=True, truncation="mixture")
    t_fit_mix = time.perf_counter() - t0

    nll_sq_on_full = eb.neg_log_likelihood(sq.as_array(), n, e)
    nll_true = eb.neg_log_likelihood(TRUE_THETA, n, e)
    result = {
        "pairs": int(n.size),
        "squashed_points": int(ns.size),
        "max_n": int(n.max()),
        "true_theta": list(TRUE_THETA),
        "seconds": {
            "generate": round(t_gen, 3),
            "squash": round(t_squash, 3),
            "fit_squashed_incl_squash": round(t_fit_sq, 3),
            "fit_full": round(t_fit_full, 3),
            "posterior_all_pairs_ebgm_eb05_eb95": round(t_post, 3),
            "fit_squashed_mixture_truncation": round(t_fit_mix, 3),
        },
        "fit_squashed_mixture_truncation": mix.to_dict(),
        "true_theta_rel_error_mixture_truncation": (np.abs(mix.as_array() / np.array(TRUE_THETA) - 1))
        .round(4)
        .tolist(),
        "fit_full": full.to_dict(),
        "fit_squashed": sq.to_dict(),
        "hyper_rel_diff_squashed_vs_full": (np.abs(sq.as_array() / full.as_array() - 1)).round(6).tolist(),
        "neg_loglik_full_data": {
            "at_full_fit": full.neg_loglik,
            "at_squashed_fit": nll_sq_on_full,
            "at_true_theta": nll_true,
        },
        "max_abs_diff_squashed_vs_full": {
            "ebgm": float(np.max(np.abs(post_sq["ebgm"] - post_full["ebgm"]))),
            "eb05": float(np.max(np.abs(post_sq["eb05"] - post_full["eb05"]))),
            "eb95": float(np.max(np.abs(post_sq["eb95"] - post_full["eb95"]))),
        },
        "signals_eb05_ge_2": {
            "full": int((post_full["eb05"] >= 2).sum()),
            "squashed": int((post_sq["eb05"] >= 2).sum()),
        },
        "note": "fit_full picks its start by a multi-start fit on squashed data, then optimises the full "
        "likelihood (analytic gradient, L-BFGS-B) from there.",
        "real_sources": real_sources(args.store) if args.store else None,
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
