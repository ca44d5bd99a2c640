"""The MGPS prior of a whole source: fitted with its zero cells, and judged before any EBGM is given.

Why the zero cells. On the real FAERS and VAERS tables the zero-truncated likelihood over observed pairs
(openEBGM's default, ``ebgm.fit_prior(n_star=1)``) rises monotonically as one gamma shape goes to 0: a
log-series component, whose implied prior is the improper 1/lambda, so the fit never converges and
the posterior of that component does not shrink at all. Truncated data cannot tell how many pairs have a
rate near 0. DuMouchel (1999) fitted all drug x event cells, zeros included (openEBGM's
``processRaw(zeroes = TRUE)`` with ``negLLzero``); with them the same tables have an interior optimum
from every start. A zero cell is every (drug, event) combination of drugs and events seen in some pair
that has no report; its E is drug_n * event_n / N, so cells sharing (drug_n, event_n) share E and are
fitted as one weighted point.

When no EBGM is given (``assess``), a general rule, not a per-store threshold; the first that holds:
1. fewer than ``MIN_REPEAT_PAIRS`` pairs with >= 2 reports: the two gamma shapes are identified only by
   repeated counts, and five hyperparameters need more than a handful of them (20 per parameter);
2. the fit did not converge (no stationary point, or a parameter on the search box: a component that
   degenerated into a point mass or a 1/lambda spike);
3. the prior does not shrink: more than ``MAX_SINGLE_REPORT_SIGNALS`` of the single-report pairs reach
   the EB05 screen (``rules.EB05_MIN``). MGPS exists so that one report alone does not signal; a prior
   that lets it has collapsed.
Then EBGM, EB05 and EB95 are null for every pair of the source, with the reason.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np

from adrlens.signals import ebgm as mgps
from adrlens.signals.rules import EB05_MIN

MIN_REPEAT_PAIRS = 100
MAX_SINGLE_REPORT_SIGNALS = 0.01
_NAMES = ("alpha1", "beta1", "alpha2", "beta2", "P")


def zero_cells(
    drug_key: np.ndarray, event_key: np.ndarray, drug_n: np.ndarray, event_n: np.ndarray, n_cases: int
) -> tuple[np.ndarray, np.ndarray]:
    """(E, weight) of the drug x event cells with no report, one point per distinct (drug_n, event_n).

    Inputs are per observed pair: its drug and event keys and their report totals. Weights are the
    number of zero cells with that E (never negative: observed cells are taken off their own group).
    """
    _, di = np.unique(drug_key, return_index=True)
    _, ei = np.unique(event_key, return_index=True)
    und, cnd = np.unique(drug_n[di], return_counts=True)
    une, cne = np.unique(event_n[ei], return_counts=True)
    w = np.outer(cnd, cne).astype(np.float64).ravel()
    flat = np.searchsorted(und, drug_n) * une.size + np.searchsorted(une, event_n)
    w -= np.bincount(flat, minlength=w.size)
    e = (np.outer(und, une) / float(n_cases)).ravel()
    keep = (w > 0) & (e > 0)
    return e[keep], w[keep]


def assess(prior: mgps.Prior, n: np.ndarray, e: np.ndarray) -> mgps.Prior:
    """The prior with ``reason`` set when EBGM must not be given with it (rules in the module docstring)."""
    n, e = np.asarray(n, dtype=np.float64), np.asarray(e, dtype=np.float64)
    repeat = int(np.sum(n >= 2))
    reason = ""
    if repeat < MIN_REPEAT_PAIRS:
        reason = f"too few reports to fit a prior ({repeat:,} pairs with >= 2 reports; needs >= {MIN_REPEAT_PAIRS})"
    elif not prior.converged and mgps.BOUND_NOTE in prior.message:
        edge = prior.message.rsplit("; ", 1)[-1].removesuffix(f" {mgps.BOUND_NOTE}")
        reason = (
            f"the prior fit did not converge: {edge} at the edge of the search range (a gamma component "
            "degenerated into a point mass or a 1/lambda spike; too few reports to fit a prior)"
        )
    elif not prior.converged:
        reason = f"the prior fit did not converge ({prior.message})"
    else:
        single = n == 1
        if single.any():
            flagged = int(np.sum(mgps.ebgm(n[single], e[single], prior)["eb05"] >= EB05_MIN))
            if flagged > MAX_SINGLE_REPORT_SIGNALS * single.sum():
                reason = (
                    f"the prior does not shrink ({flagged:,} of {int(single.sum()):,} single-report pairs reach "
                    f"EB05 >= {EB05_MIN:g}; at most {MAX_SINGLE_REPORT_SIGNALS:.0%} may)"
                )
    return dataclasses.replace(prior, reason=reason)


def fit_source_prior(
    n: np.ndarray,
    e: np.ndarray,
    zero_e: np.ndarray,
    zero_w: np.ndarray,
    squash: bool = True,
    max_bins: int | None = None,
) -> mgps.Prior:
    """Fit over observed pairs (n, e) and zero cells (zero_e, zero_w), untruncated; then ``assess``.

    ``n_pairs`` of the result counts observed pairs only; ``n_zero_cells`` the zero cells.
    """
    n_all = np.concatenate([n, np.zeros(zero_e.size)])
    e_all = np.concatenate([e, zero_e])
    w_all = np.concatenate([np.ones(n.size), zero_w])
    prior = mgps.fit_prior(n_all, e_all, weights=w_all, n_star=0, squash=squash, max_bins=max_bins)
    prior = dataclasses.replace(prior, n_pairs=int(n.size), n_zero_cells=round(float(zero_w.sum())))
    return assess(prior, n, e)


def describe(prior: mgps.Prior | None, source: str) -> str:
    """One line for the CLI, status and the answer's methods."""
    if prior is None:
        return f"EBGM not given ({source}): no MGPS prior in the store for this source"
    if not prior.usable:
        return f"EBGM not given ({source}): {prior.reason or f'the prior fit did not converge ({prior.message})'}"
    t = ", ".join(f"{k}={v:.4g}" for k, v in zip(_NAMES, prior.as_array(), strict=True))
    zeros = f" and {prior.n_zero_cells:,} zero cells" if prior.n_zero_cells else ""
    return (
        f"EBGM prior ({source}): converged ({prior.n_iter} iterations, best of {prior.n_starts} starts); {t}; "
        f"fitted on {prior.n_pairs:,} pairs{zeros}"
    )


STALE_PRIOR = "the store was built before EBGM priors were checked (run adrlens rebuild)"


def from_diagnostics(theta: Any, diagnostics: str | None) -> mgps.Prior:
    """A stored prior with its diagnostics. A store written before ``assess`` existed may hold a collapsed
    prior that its old fit called converged, so its prior is not used until the store is rebuilt."""
    d = json.loads(diagnostics) if diagnostics else {}
    names = {f.name for f in dataclasses.fields(mgps.Prior)} - {"alpha1", "beta1", "alpha2", "beta2", "p"}
    kw = {k: v for k, v in d.items() if k in names and v is not None}
    if "reason" not in d:
        kw["reason"] = STALE_PRIOR
    return mgps.Prior.from_array(theta, **kw)
