"""DuMouchel's Multi-item Gamma Poisson Shrinker (MGPS): prior fit, EBGM, EB05/EB95, vectorised.

Model (DuMouchel 1999; DuMouchel & Pregibon 2001). For a pair with observed count n and expected
count E, n ~ Poisson(lambda * E) and lambda ~ P * Gamma(alpha1, beta1) + (1 - P) * Gamma(alpha2, beta2)
(shape/rate, as openEBGM). The marginal of n is then a mixture of two negative binomials,
NB(size alpha_i, prob beta_i / (beta_i + E)).

Fitting. ``fit_prior`` maximises the marginal likelihood over all pairs with n >= n_star (default 1:
pairs with n = 0 are normally not materialised). As in openEBGM's ``negLL``/``negLLsquash``, each
negative-binomial component is truncated to n >= n_star *before* mixing with weight P. Parameters are
optimised on an unconstrained scale (log alpha, log beta, logit P) by L-BFGS-B with an analytic
gradient from several fixed starts (openEBGM's vignette starts, DuMouchel's, and a small grid), keeping
the best likelihood; on more than 5,000 points the starts are tried on squashed data and the best is
polished on the full data. No randomness: the same data give the same prior. The box (``SHAPE_RANGE``,
``RATE_RANGE``, ``LOGIT_P_BOUND``) is wide enough for any prior that shrinks; an optimum on its edge is a
limit of the model (shape -> 0: a log-series component with an improper 1/lambda prior; shape -> inf:
a point mass; P -> 0 or 1: one component unused), reported as ``converged=False``. Converged means:
the optimiser stopped at a stationary point (its flag, or max |gradient| per pair < ``GRAD_TOL``) and no
parameter is on the box. ``truncation="mixture"`` instead conditions the whole mixture on n >= 1 (the
exact conditional likelihood of the generative model, and vigipy's choice); on synthetic data drawn
from the model it recovers the true prior, while the openEBGM default does not quite (see
bench/ebgm_fit.py). On the real FAERS and VAERS tables either truncated likelihood rises monotonically
towards shape -> 0 (the truncated data cannot see how many pairs have lambda near 0); the untruncated
likelihood with the zero cells (``n_star=0``, DuMouchel 1999) has an interior optimum there
(adrlens.signals.ebgm_prior builds the zero cells and decides whether a prior may be used). The two
components are exchangeable; we label them so that P <= 0.5 (component 1 is the minority one), which
is how openEBGM's published CAERS estimates come out. With ``squash=True`` the pairs are first
reduced by ``squash`` (data squashing, DuMouchel & Pregibon 2001: pairs with the same n and similar E
share a bin represented by its mean E and a weight).

Posterior. Given n, lambda is a mixture of Gamma(alpha_i + n, beta_i + E) with weight Qn (eq. 6 of
DuMouchel 1999, computed in log space so it never divides 0 by 0). Conditioning on N = n >= n_star
already implies the truncation, so Qn uses the untruncated densities (as openEBGM does).
EBGM = exp(E[log lambda | n]) = exp(Qn (psi(alpha1+n) - log(beta1+E)) + (1-Qn)(psi(alpha2+n) -
log(beta2+E))). EB05/EB95 are the 5% / 95% quantiles of the posterior mixture, found for all pairs at
once by a safeguarded Newton iteration on log lambda bracketed by the two component quantiles
(gammaincinv), converging to ~1e-10 relative; openEBGM's ``quantBisect`` rounds to 2 decimals.

Degenerate input: pairs whose n or E is NaN come back NaN with ``defined`` False; E = 0 is allowed
(posterior = prior updated by n). Negative n or E raise ``MeasureInputError``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, special

from adrlens.jsonsafe import json_safe
from adrlens.signals.measures import MeasureInputError

# Starting points: the five openEBGM vignette uses, DuMouchel's (1999) published FAERS estimate, and a
# small grid (a minority component with mean 1/4 or 4 times the bulk, shapes 0.5 and 2, P 0.05 and 0.2).
DEFAULT_STARTS: tuple[tuple[float, float, float, float, float], ...] = (
    (0.2, 0.1, 2.0, 4.0, 1 / 3),
    (0.1, 0.1, 10.0, 10.0, 0.2),
    (0.3, 0.5, 6.0, 6.0, 0.5),
    (0.5, 0.3, 12.0, 12.0, 0.8),
    (0.2, 0.2, 5.0, 5.0, 0.4),
    (0.204, 0.058, 1.415, 1.838, 0.097),
    *((s1, s1 / m, s2, s2, p) for s1, s2, m, p in ((0.5, 2.0, 4.0, 0.05), (2.0, 0.5, 0.25, 0.2), (2.0, 2.0, 4.0, 0.2))),
)
# The search box, on the log scale for shapes and rates and the logit scale for P. A gamma shape of 1e-4
# is already a 1/lambda spike, 1e4 a point mass (coefficient of variation 1%); P beyond logit +-12 leaves
# a component < 1e-5 of the pairs. Inside, any prior that shrinks; on the edge, a limit of the model.
SHAPE_RANGE = (1e-4, 1e4)
RATE_RANGE = (1e-6, 1e6)
LOGIT_P_BOUND = 12.0
_LOG_SHAPE = (math.log(SHAPE_RANGE[0]), math.log(SHAPE_RANGE[1]))
_LOG_RATE = (math.log(RATE_RANGE[0]), math.log(RATE_RANGE[1]))
_BOUNDS = [_LOG_SHAPE, _LOG_RATE, _LOG_SHAPE, _LOG_RATE, (-LOGIT_P_BOUND, LOGIT_P_BOUND)]
_BOUND_NAMES = ("alpha1", "beta1", "alpha2", "beta2", "p")
BOUND_NOTE = "at bound"  # the words `message` gives a fit on the box's edge
# Within 1% of the box (in the transformed space) counts as on it: a polish on the full data may step
# a hair back inside from a squashed optimum on the edge.
_EDGE_TOL = 0.01
# A stationary point: max |d NLL / d x| per pair below this (L-BFGS-B sometimes stops ABNORMAL at an
# optimum already reached to rounding, so its flag alone would under-report convergence).
GRAD_TOL = 1e-6
# Unsquashed fits on more points than this pick their start on squashed data first.
_POLISH_ABOVE = 5000


@dataclass(frozen=True)
class Prior:
    """Hyperparameters of the 2-gamma prior and how they were fitted."""

    alpha1: float
    beta1: float
    alpha2: float
    beta2: float
    p: float
    neg_loglik: float = math.nan
    converged: bool = False
    n_pairs: int = 0
    squashed: bool = False
    n_points: int = 0
    n_star: int = 1
    n_excluded: int = 0
    message: str = field(default="", compare=False)
    n_iter: int = 0  # L-BFGS-B iterations of the run that gave the optimum (after the squashed pre-fit)
    grad_norm: float = math.nan  # max |gradient| per pair at the optimum, in the transformed space
    n_starts: int = 0
    n_zero_cells: int = 0  # zero cells fitted with the pairs (n_star = 0; see ebgm_prior), counted once each
    # Why EBGM must not be given with this prior ("" = nothing against it); set by ebgm_prior.assess.
    reason: str = field(default="", compare=False)

    @property
    def usable(self) -> bool:
        """A converged fit with nothing against it (see adrlens.signals.ebgm_prior.assess)."""
        return self.converged and not self.reason

    def as_array(self) -> np.ndarray:
        """(alpha1, beta1, alpha2, beta2, P) — openEBGM's theta order."""
        return np.array([self.alpha1, self.beta1, self.alpha2, self.beta2, self.p], dtype=np.float64)

    @classmethod
    def from_array(cls, theta: Any, **diagnostics: Any) -> Prior:
        """Build a Prior from (alpha1, beta1, alpha2, beta2, P)."""
        t = np.asarray(theta, dtype=np.float64).ravel()
        if t.shape != (5,) or not np.all(np.isfinite(t)) or np.any(t[:4] <= 0) or not 0.0 <= t[4] <= 1.0:
            raise MeasureInputError(
                f"theta must be 5 finite numbers (alpha1, beta1, alpha2, beta2 > 0; 0 <= P <= 1), got {t.tolist()}."
            )
        return cls(*(float(x) for x in t), **diagnostics)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return json_safe(asdict(self))


def _broadcast(n: Any, e: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        n_arr, e_arr = np.broadcast_arrays(np.asarray(n, dtype=np.float64), np.asarray(e, dtype=np.float64))
    except ValueError as exc:
        raise MeasureInputError(
            f"n{np.shape(n)} and E{np.shape(e)} do not broadcast; pass one value per pair."
        ) from exc
    return n_arr, e_arr


def _validate(n: Any, e: Any, weights: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_arr, e_arr = _broadcast(n, e)
    w = np.ones_like(n_arr) if weights is None else np.broadcast_to(np.asarray(weights, dtype=np.float64), n_arr.shape)
    if np.any(n_arr < 0) or np.any(e_arr < 0) or np.any(w < 0):
        raise MeasureInputError("Counts n, expected counts E and weights must be >= 0.")
    return n_arr.ravel(), e_arr.ravel(), np.asarray(w, dtype=np.float64).ravel()


# ---------------------------------------------------------------------------------------------------
# likelihood


def _log_nb(n: np.ndarray, e: np.ndarray, a: float, b: float, lg_n1: np.ndarray) -> np.ndarray:
    """log NB(n; size a, prob b/(b+E)) for all pairs."""
    log_b_be = -np.log1p(e / b)  # log(b/(b+E)), accurate for tiny E
    with np.errstate(divide="ignore", invalid="ignore"):
        log_e_be = np.log(e) - np.log(b + e)  # log(E/(b+E)); -inf when E = 0
        t = np.where(n > 0, n * log_e_be, 0.0)  # 0 * log 0 = 0 when n = 0 and E = 0
    return special.gammaln(n + a) - special.gammaln(a) - lg_n1 + a * log_b_be + t


class _Data:
    """Pairs prepared for repeated likelihood evaluations (the few distinct n are evaluated once)."""

    def __init__(self, n: np.ndarray, e: np.ndarray, w: np.ndarray) -> None:
        self.n, self.e, self.w = n, e, w
        self.n_unique, self.n_index = np.unique(n, return_inverse=True)
        self.lg_n1 = special.gammaln(n + 1.0)
        with np.errstate(divide="ignore"):
            self.log_e = np.log(e)


def _nll_and_grad(x: np.ndarray, data: _Data, n_star: int, truncation: str) -> tuple[float, np.ndarray]:
    """Weighted negative log-likelihood of the (truncated) NB mixture and its gradient in x-space.

    x = (log a1, log b1, log a2, log b2, logit P). ``truncation``: "component" conditions each NB
    component on n >= 1 before mixing (openEBGM); "mixture" conditions the mixture (the exact
    conditional likelihood of the generative model; vigipy's choice). Irrelevant when n_star = 0.
    """
    n, e, w, idx = data.n, data.e, data.w, data.n_index
    a1, b1, a2, b2 = np.exp(x[:4])
    # P exactly 0 or 1 (a fitted boundary, e.g. vigipy's) would make log P undefined: clamp to a hair inside.
    p = min(max(float(special.expit(x[4])), 1e-300), 1.0 - 1e-16)
    lp, l1p = math.log(p), math.log1p(-p)
    comps = []
    for a, b in ((a1, b1), (a2, b2)):
        l1pe = np.log1p(e / b)  # -log(b/(b+E))
        with np.errstate(invalid="ignore"):
            t = np.where(n > 0, n * (data.log_e - np.log(b + e)), 0.0)
        log_f = (special.gammaln(data.n_unique + a) - special.gammaln(a))[idx] - data.lg_n1 - a * l1pe + t
        dfa = (special.digamma(data.n_unique + a) - special.digamma(a))[idx] - l1pe  # d log f / da
        dfb = a / b - (a + n) / (b + e)  # d log f / db
        log_q = -a * l1pe  # log P(n = 0)
        dqa, dqb = -l1pe, a * e / (b * (b + e))  # d log q / da, d log q / db
        comps.append((log_f, dfa, dfb, log_q, dqa, dqb))
    (f1, fa1, fb1, q1, qa1, qb1), (f2, fa2, fb2, q2, qa2, qb2) = comps
    if n_star == 1 and truncation == "component":
        # log f* = log f - log(1 - q); d log f* = d log f + q/(1-q) d log q
        om1, om2 = -np.expm1(q1), -np.expm1(q2)
        f1, f2 = f1 - np.log(om1), f2 - np.log(om2)
        r_1, r_2 = np.exp(q1) / om1, np.exp(q2) / om2
        fa1, fb1, fa2, fb2 = fa1 + r_1 * qa1, fb1 + r_1 * qb1, fa2 + r_2 * qa2, fb2 + r_2 * qb2
    ll = np.logaddexp(lp + f1, l1p + f2)
    r1 = np.exp(lp + f1 - ll)  # responsibility of component 1
    r2 = 1.0 - r1
    g = [r1 * fa1 * a1, r1 * fb1 * b1, r2 * fa2 * a2, r2 * fb2 * b2, r1 - p]  # chain rule to x-space
    if n_star == 1 and truncation == "mixture":
        # log L = log(P f1 + (1-P) f2) - log D, D = P (1 - q1) + (1 - P)(1 - q2)
        e1, e2 = np.exp(q1), np.exp(q2)
        dd = p * -np.expm1(q1) + (1 - p) * -np.expm1(q2)
        ll = ll - np.log(dd)
        c1, c2 = p * e1 / dd, (1 - p) * e2 / dd
        g[0] = g[0] + c1 * qa1 * a1
        g[1] = g[1] + c1 * qb1 * b1
        g[2] = g[2] + c2 * qa2 * a2
        g[3] = g[3] + c2 * qb2 * b2
        g[4] = g[4] + (e1 - e2) / dd * p * (1 - p)
    nll = -float(np.dot(w, ll))
    return nll, -np.array([np.dot(w, gi) for gi in g])


TRUNCATIONS = ("component", "mixture")


def neg_log_likelihood(
    theta: Any, n: Any, e: Any, weights: Any = None, n_star: int = 1, truncation: str = "component"
) -> float:
    """Negative log-likelihood at theta over pairs with n >= n_star.

    n_star = 1, truncation "component": openEBGM's ``negLL`` / ``negLLsquash``; n_star = 0:
    ``negLLzero`` / ``negLLzeroSquash``; truncation "mixture": the exact conditional likelihood.
    """
    if truncation not in TRUNCATIONS:
        raise MeasureInputError(f"truncation must be one of {TRUNCATIONS}, got {truncation!r}.")
    t = Prior.from_array(theta).as_array()
    n_arr, e_arr, w = _validate(n, e, weights)
    keep = n_arr >= n_star
    x = np.concatenate([np.log(t[:4]), [special.logit(t[4])]])
    nll, _ = _nll_and_grad(x, _Data(n_arr[keep], e_arr[keep], w[keep]), n_star, truncation)
    return nll


# ---------------------------------------------------------------------------------------------------
# squashing

# Bin sizes by count (as openEBGM's autoSquash: large bins for the many n = 1 pairs, smaller above;
# n = 0 only occurs when zero cells are fitted, n_star = 0, and is the most numerous level then).
DEFAULT_BIN_SIZES: dict[int, int] = {0: 50, 1: 50, 2: 25, 3: 10, 4: 5, 5: 3}


def squash(
    n: Any,
    e: Any,
    weights: Any = None,
    bin_sizes: dict[int, int] | None = None,
    keep_pts: int = 100,
    min_bin: int = 50,
    min_pts: int = 500,
    max_bins: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data squashing: bin pairs with the same n by sorted E; return (n_sq, e_sq, weights).

    For each count n in ``bin_sizes`` (default n = 1..5) with at least ``min_pts`` pairs, the pairs are
    sorted by E, the ``keep_pts`` largest E are left alone (they carry most information and vary
    most), and the rest are cut into consecutive bins of ``bin_sizes[n]`` pairs, each replaced by its
    weighted mean E with the summed weight. Counts that would give fewer than ``min_bin`` bins are
    not squashed. Other counts pass through unchanged. Output is sorted by (n, E).

    ``max_bins`` (fast mode, for millions of pairs): every count level with at least ``min_pts`` pairs
    is squashed, into at most ``max_bins`` bins per level (larger bins where a level has many pairs),
    so the fit sees a few thousand points whatever the number of pairs. The distance to the full fit
    is measured in bench/ebgm_fit.py.
    """
    n_arr, e_arr, w = _validate(n, e, weights)
    sizes = DEFAULT_BIN_SIZES if bin_sizes is None else bin_sizes
    if max_bins is not None:
        levels, counts = np.unique(n_arr, return_counts=True)
        sizes = {
            int(c): max(sizes.get(int(c), 2), -(-(int(m) - keep_pts) // max_bins))
            for c, m in zip(levels, counts, strict=True)
            if m >= min_pts
        }
        min_bin = 1
    order = np.lexsort((e_arr, n_arr))
    n_arr, e_arr, w = n_arr[order], e_arr[order], w[order]
    out_n, out_e, out_w = [], [], []
    # Count levels are few (<= len(sizes)); the work inside each is vectorised.
    starts = np.searchsorted(n_arr, list(sizes), side="left")
    ends = np.searchsorted(n_arr, list(sizes), side="right")
    squashed_mask = np.zeros(n_arr.size, dtype=bool)
    for (count, size), lo, hi in zip(sizes.items(), starts, ends, strict=True):
        m = hi - lo
        n_sq = m - keep_pts
        if size < 2 or m < min_pts or n_sq < size or n_sq // size < min_bin:
            continue
        seg = slice(lo, lo + n_sq)
        bins = np.arange(n_sq) // size
        ws = np.bincount(bins, weights=w[seg])
        es = np.bincount(bins, weights=w[seg] * e_arr[seg])
        nz = ws > 0
        out_n.append(np.full(int(nz.sum()), float(count)))
        out_e.append(es[nz] / ws[nz])
        out_w.append(ws[nz])
        squashed_mask[seg] = True
    keep = ~squashed_mask
    out_n.append(n_arr[keep])
    out_e.append(e_arr[keep])
    out_w.append(w[keep])
    n_out, e_out, w_out = np.concatenate(out_n), np.concatenate(out_e), np.concatenate(out_w)
    o = np.lexsort((e_out, n_out))
    return n_out[o], e_out[o], w_out[o]


# ---------------------------------------------------------------------------------------------------
# fitting


def _canonical(t: np.ndarray) -> np.ndarray:
    """Label the components so that P <= 0.5 (the model is symmetric under swapping them)."""
    if t[4] > 0.5:
        return np.array([t[2], t[3], t[0], t[1], 1.0 - t[4]])
    return t


def fit_prior(
    n: Any,
    e: Any,
    squash: bool = False,  # shadows squash(): the function is reached via globals() below
    start: Any = None,
    weights: Any = None,
    n_star: int = 1,
    truncation: str = "component",
    max_bins: int | None = None,
) -> Prior:
    """Maximum-likelihood hyperparameters of the 2-gamma prior from per-pair counts n and E.

    ``max_bins`` (with ``squash=True``): squash every count level to at most this many bins (fast
    mode for millions of pairs; see ``squash``).

    ``start``: one theta or a sequence of thetas to start from (default: ``DEFAULT_STARTS``).
    ``n_star``: 1 (default) fits the zero-truncated likelihood to pairs with n >= 1 and ignores
    pairs with n = 0 (counted in ``n_excluded``); 0 fits the untruncated likelihood to all pairs.
    Raises ``MeasureInputError`` when no usable pairs remain or no start converges to a finite value.
    """
    if n_star not in (0, 1):
        raise MeasureInputError("n_star must be 0 (pairs with zero counts included) or 1 (n >= 1 only).")
    if truncation not in TRUNCATIONS:
        raise MeasureInputError(f"truncation must be one of {TRUNCATIONS}, got {truncation!r}.")
    n_arr, e_arr, w = _validate(n, e, weights)
    usable = (n_arr >= n_star) & np.isfinite(n_arr) & np.isfinite(e_arr) & (e_arr > 0) & (w > 0)
    n_excluded = int(np.sum(~usable))
    n_arr, e_arr, w = n_arr[usable], e_arr[usable], w[usable]
    n_pairs = round(float(w.sum())) if weights is not None else int(n_arr.size)
    if n_arr.size == 0:
        raise MeasureInputError(f"No pairs with n >= {n_star} and E > 0 to fit the MGPS prior on.")
    if squash:
        n_arr, e_arr, w = globals()["squash"](n_arr, e_arr, w, max_bins=max_bins)
    data = _Data(n_arr, e_arr, w)

    starts = np.atleast_2d(np.asarray(DEFAULT_STARTS if start is None else start, dtype=np.float64))
    n_starts = len(starts)
    if not squash and len(starts) > 1 and n_arr.size > _POLISH_ABOVE:
        # Multi-start on squashed data is ~10x cheaper and finds the same basin; then one polishing
        # run on the full data from its optimum gives the full-data MLE.
        pre = fit_prior(n_arr, e_arr, squash=True, start=starts, weights=w, n_star=n_star, truncation=truncation)
        starts = pre.as_array()[None, :]
    best: tuple[float, np.ndarray, bool, str, int, float] | None = None
    # Scale the objective so L-BFGS-B's tolerances mean the same at 10^3 and 10^7 pairs.
    scale = 1.0 / max(float(w.sum()), 1.0)

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            f, g = _nll_and_grad(x, data, n_star, truncation)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return 1e300, np.zeros(5)
        return f * scale, g * scale

    lo, hi = np.array(_BOUNDS).T
    for s in starts:
        t0 = Prior.from_array(s).as_array()
        x0 = np.concatenate([np.log(t0[:4]), [special.logit(np.clip(t0[4], 1e-5, 1 - 1e-5))]])
        res = optimize.minimize(
            fun,
            np.clip(x0, lo, hi),
            jac=True,
            method="L-BFGS-B",
            bounds=_BOUNDS,
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
        )
        f = float(res.fun) / scale
        grad = float(np.max(np.abs(fun(res.x)[1])))
        ok = bool(res.success) or grad < GRAD_TOL
        if np.isfinite(f) and f < 1e299 and (best is None or f < best[0]):
            best = (f, res.x, ok, str(res.message), int(res.nit), grad)
    if best is None:
        raise MeasureInputError("MGPS prior fit failed from every start; pass other starting values via start=.")
    f, x, ok, msg, nit, grad = best
    t = np.concatenate([np.exp(x[:4]), [special.expit(x[4])]])
    # A solution on the box is a limit of the model, not an interior optimum: not converged. The check is
    # made before relabelling, so the names follow the canonical labels below.
    edge = (x <= lo + _EDGE_TOL) | (x >= hi - _EDGE_TOL)
    swap = t[4] > 0.5
    t = _canonical(t)
    names = [_BOUND_NAMES[(k + 2) % 4] if swap and k < 4 else _BOUND_NAMES[k] for k in np.flatnonzero(edge)]
    at_bound = f"; {', '.join(names)} {BOUND_NOTE}" if names else ""
    return Prior.from_array(
        t,
        neg_loglik=f,
        converged=ok and not names,
        n_pairs=n_pairs,
        squashed=bool(squash),
        n_points=int(n_arr.size),
        n_star=n_star,
        n_excluded=n_excluded,
        message=f"{msg}{at_bound}",
        n_iter=nit,
        grad_norm=grad,
        n_starts=n_starts,
    )


# ---------------------------------------------------------------------------------------------------
# posterior


def _mixture_cdf(
    x: np.ndarray, q: np.ndarray, a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray
) -> np.ndarray:
    return q * special.gammainc(a1, b1 * x) + (1.0 - q) * special.gammainc(a2, b2 * x)


def _mixture_pdf(
    x: np.ndarray, q: np.ndarray, a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray
) -> np.ndarray:
    def logpdf(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * np.log(b) + (a - 1.0) * np.log(x) - b * x - special.gammaln(a)

    return q * np.exp(logpdf(a1, b1)) + (1.0 - q) * np.exp(logpdf(a2, b2))


def posterior_quantile(
    prob: float,
    q: np.ndarray,
    a1: np.ndarray,
    b1: np.ndarray,
    a2: np.ndarray,
    b2: np.ndarray,
    rtol: float = 1e-10,
    max_iter: int = 100,
) -> np.ndarray:
    """prob-quantile of q*Gamma(a1, rate b1) + (1-q)*Gamma(a2, rate b2), elementwise, all at once.

    The quantile lies between the two component quantiles, which bracket the root; Newton steps on
    log x are taken when they stay inside the bracket, bisection (in log x) otherwise.
    """
    q1 = special.gammaincinv(a1, prob) / b1
    q2 = special.gammaincinv(a2, prob) / b2
    # A component whose quantile underflows to 0 (tiny shape) gives log 0 = -inf: such pairs keep the
    # bracket end and are not iterated; the warning would only alarm a user.
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.log(np.minimum(q1, q2))
        hi = np.log(np.maximum(q1, q2))
        y = np.where(q >= 0.5, np.log(q1), np.log(q2))
        active = np.flatnonzero(np.isfinite(lo) & np.isfinite(hi) & (hi - lo > rtol))
    for _ in range(max_iter):
        if active.size == 0:
            break
        ya, la, ha = y[active], lo[active], hi[active]
        args = (q[active], a1[active], b1[active], a2[active], b2[active])
        xa = np.exp(ya)
        g = _mixture_cdf(xa, *args) - prob
        # shrink the bracket with the sign of g
        la = np.where(g < 0, ya, la)
        ha = np.where(g >= 0, ya, ha)
        dens = _mixture_pdf(xa, *args) * xa  # dF/dlog x
        with np.errstate(divide="ignore", invalid="ignore"):
            step = ya - g / dens
        bad = ~np.isfinite(step) | (step <= la) | (step >= ha)
        yn = np.where(bad, 0.5 * (la + ha), step)
        yn = np.where(g == 0, ya, yn)  # exact root: keep it (the Newton step would land on the bracket)
        done = (np.abs(yn - ya) <= rtol) | (ha - la <= rtol) | (g == 0)
        y[active], lo[active], hi[active] = yn, la, ha
        active = active[~done]
    return np.exp(y)


def ebgm(n: Any, e: Any, prior: Prior | Any, quantiles: tuple[float, float] = (0.05, 0.95)) -> dict[str, np.ndarray]:
    """EBGM, EB05, EB95 and Qn for every pair. Keys: ebgm, eb05, eb95, qn, defined.

    ``prior`` is a ``Prior`` or a theta array (alpha1, beta1, alpha2, beta2, P). Pairs with NaN n or
    E give NaN and ``defined`` False. Output arrays have the broadcast shape of n and E.
    """
    pr = prior if isinstance(prior, Prior) else Prior.from_array(prior)
    n_arr, e_arr = _broadcast(n, e)
    shape = n_arr.shape
    n_arr, e_arr = n_arr.ravel(), e_arr.ravel()
    ok = np.isfinite(n_arr) & np.isfinite(e_arr)
    if np.any(n_arr[ok] < 0) or np.any(e_arr[ok] < 0):
        raise MeasureInputError("Counts n and expected counts E must be >= 0.")
    nn, ee = np.where(ok, n_arr, 0.0), np.where(ok, e_arr, 1.0)
    a1, b1, a2, b2, p = pr.as_array()
    lg = special.gammaln(nn + 1.0)
    with np.errstate(divide="ignore", under="ignore"):
        l1 = _log_nb(nn, ee, a1, b1, lg) + (math.log(p) if p > 0 else -np.inf)
        l2 = _log_nb(nn, ee, a2, b2, lg) + (math.log1p(-p) if p < 1 else -np.inf)
        both = np.logaddexp(l1, l2)
        # n > 0 with E = 0 has zero likelihood under both components: keep the prior weight.
        qn = np.where(np.isfinite(both), np.exp(l1 - np.where(np.isfinite(both), both, 0.0)), p)
    pa1, pb1, pa2, pb2 = a1 + nn, b1 + ee, a2 + nn, b2 + ee
    elog = qn * (special.digamma(pa1) - np.log(pb1)) + (1.0 - qn) * (special.digamma(pa2) - np.log(pb2))
    res = {"ebgm": np.exp(elog), "qn": qn}
    for key, prob in zip(("eb05", "eb95"), quantiles, strict=True):
        res[key] = posterior_quantile(prob, qn, pa1, pb1, pa2, pb2)
    out = {k: np.where(ok, v, np.nan).reshape(shape) for k, v in res.items()}
    out["defined"] = ok.reshape(shape)
    return out
