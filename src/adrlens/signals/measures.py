"""Frequentist and simple Bayesian disproportionality measures, vectorised over all pairs.

Cells (one convention everywhere, see DESIGN.md): a = reports with drug and event, b = drug without
event, c = event without drug, d = neither; N = a+b+c+d; E = (a+b)(a+c)/N, or a stratified sum the
caller supplies. Every function accepts numpy arrays (or scalars, broadcast together) of any shape.

Measures and their conventions
------------------------------
PRR   = [a/(a+b)] / [c/(c+d)]; 95% CI exp(log PRR +- z*SE), SE = sqrt(1/a - 1/(a+b) + 1/c - 1/(c+d)).
        No continuity correction by default: a zero ``c`` makes PRR undefined (NaN, ``prr_defined``
        False) and ``a = 0`` gives PRR 0 with an undefined CI. ``continuity="haldane"`` adds 0.5 to
        all four cells of tables that hold a zero, which is what vigipy does by default.
chi2  = Yates-corrected 2x2 Pearson chi-square, as Evans, Waller & Davis (2001) used for the
        PRR signal: N * max(|ad - bc| - N/2, 0)^2 / ((a+b)(c+d)(a+c)(b+d)). The ``max(.., 0)``
        is scipy's convention (``scipy.stats.chi2_contingency(correction=True)``: the correction
        never moves |O - E| past zero); the textbook formula without it would give a positive chi2
        for tables that agree exactly with independence. vigipy has no chi2 (it tests PRR/ROR with
        a one-sided Wald p-value), so chi2 is checked against scipy. ``yates=False`` gives the
        uncorrected Pearson chi-square some tools (e.g. MHRA's implementation notes) use.
Evans = PRR >= 2 and chi2 >= 4 and a >= 3.
ROR   = ad / (bc); 95% CI on the log scale with Woolf's SE sqrt(1/a + 1/b + 1/c + 1/d). Haldane
        (+0.5 to all four cells) only for tables with a zero cell, as DESIGN.md says; this is
        exactly vigipy's default ``continuity_correction=True``. ROR signal: ROR025 > 1.
IC    = log2((a + 0.5) / (E + 0.5)) (the "shrinkage" IC of Norén et al. 2013), with IC025/IC975 the
        log2 of the alpha/2 and 1-alpha/2 quantiles of Gamma(shape a + 0.5, rate E + 0.5).
        IC signal: IC025 > 0. vigipy's ``bcpnn`` computes a different IC, the closed-form BCPNN
        posterior expectation of Norén et al. (2006) with a normal-approximation lower bound;
        ``ic_bcpnn`` reproduces that one (to 1e-9 against vigipy) so the two can be compared, but
        the project's IC is the shrinkage one. The two agree closely once a and N are large.

Upper bound of the observed/expected ratio (any a, and the only number given for a = 0)
ratio_upper = the exact one-sided (1 - alpha) Poisson upper limit of a, chi2.ppf(1 - alpha, 2(a + 1)) / 2
        (Garwood 1936), divided by E: for a = 0 it is -ln(alpha) / E (2.996 / E at alpha = 0.05). Undefined
        where E is 0 (the terms never occur in the source's reports, so nothing was measured).

No estimate for an empty cell: ``Measures.from_counts`` (one table, as the evidence shows it) leaves PRR,
ROR, IC and their intervals undefined when a = 0. A Haldane-corrected ROR of an empty cell is a number
made of the correction alone (it can exceed 1 when the event is rare: a "signal" with no report), and a
shrinkage IC of a = 0 is the prior speaking. The vectorised functions keep the conventions above (they
are checked against vigipy); the single-table view is what evidence, charts and the rule read.

CIs use z = Phi^-1(1 - alpha/2) (1.959963984540054 for alpha = 0.05, the constant vigipy uses), so
for tables without zero cells PRR, its CI, ROR and its CI equal vigipy's to floating-point rounding.

Degenerate tables never raise: undefined values are NaN in the arrays, each measure has a
``*_defined`` boolean mask, flags are False where their inputs are undefined, and ``json_safe`` /
``Measures.to_dict`` turn NaN and infinities into None for JSON. Invalid input (negative or NaN
counts, shapes that do not broadcast) raises ``MeasureInputError`` saying what to fix.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import special, stats

from adrlens.errors import AdrlensError
from adrlens.jsonsafe import json_safe
from adrlens.signals import rules

ArrayLike = Any  # numpy array, list or scalar

EVANS_PRR = rules.EVANS_PRR
EVANS_CHI2 = rules.EVANS_CHI2
EVANS_MIN_A = rules.EVANS_MIN_CASES


class MeasureInputError(AdrlensError, ValueError):
    """Counts given to a measure are unusable (negative, NaN, or of mismatched shapes)."""


def _counts(*xs: ArrayLike, names: str = "abcd") -> list[np.ndarray]:
    """Validate counts and broadcast them to one shape, as float64 arrays."""
    try:
        floats = [np.asarray(x, dtype=np.float64) for x in xs]
    except (TypeError, ValueError) as exc:
        raise MeasureInputError(f"Counts must be numbers: {exc}") from exc
    try:
        arrs = np.broadcast_arrays(*floats)
    except ValueError as exc:
        shapes = ", ".join(f"{n}{np.shape(x)}" for n, x in zip(names, xs, strict=False))
        raise MeasureInputError(
            f"Counts have shapes that do not broadcast ({shapes}); pass equal-length arrays."
        ) from exc
    for name, arr in zip(names, arrs, strict=False):
        if arr.size and not np.all(np.isfinite(arr)):
            raise MeasureInputError(f"Count {name} holds NaN or infinite values; drop or fill those pairs first.")
        if arr.size and np.any(arr < 0):
            raise MeasureInputError(
                f"Count {name} holds negative values (min {arr.min():g}); check how the 2x2 cells were "
                "derived (b = drug total - a, c = event total - a, d = N - a - b - c)."
            )
    return arrs


def _z(alpha: float) -> float:
    if not 0.0 < alpha < 1.0:
        raise MeasureInputError(f"alpha must be in (0, 1), got {alpha}.")
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def _haldane(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, ...]:
    """Add 0.5 to all four cells of the tables that hold a zero cell (and only those)."""
    adj = np.where((a == 0) | (b == 0) | (c == 0) | (d == 0), 0.5, 0.0)
    return a + adj, b + adj, c + adj, d + adj


def expected(a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike) -> np.ndarray:
    """E = (a+b)(a+c)/N; NaN where N = 0."""
    a, b, c, d = _counts(a, b, c, d)
    n = a + b + c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, (a + b) * (a + c) / np.where(n > 0, n, 1.0), np.nan)


def chi2_yates(a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike, yates: bool = True) -> np.ndarray:
    """2x2 Pearson chi-square (Yates-corrected by default); NaN where a margin is 0."""
    a, b, c, d = _counts(a, b, c, d)
    n = a + b + c + d
    den = (a + b) * (c + d) * (a + c) * (b + d)
    diff = np.abs(a * d - b * c)
    if yates:
        diff = np.maximum(diff - n / 2.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # n * diff^2 / den, written as products of ratios so huge N (1e8 squared twice) cannot overflow.
        out = n * (diff / np.sqrt(np.where(den > 0, den, 1.0))) ** 2
    return np.where(den > 0, out, np.nan)


def prr(
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    d: ArrayLike,
    alpha: float = 0.05,
    continuity: Literal["none", "haldane"] = "none",
    yates: bool = True,
) -> dict[str, np.ndarray]:
    """PRR with log-scale CI and chi2. Keys: prr, prr_lo, prr_hi, chi2, prr_defined."""
    a, b, c, d = _counts(a, b, c, d)
    z = _z(alpha)
    chi2 = chi2_yates(a, b, c, d, yates=yates)  # on the observed table, never on corrected cells
    if continuity == "haldane":
        a, b, c, d = _haldane(a, b, c, d)
    elif continuity != "none":
        raise MeasureInputError(f"continuity must be 'none' or 'haldane', got {continuity!r}.")
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (a / (a + b)) / (c / (c + d))
        se = np.sqrt(1.0 / a - 1.0 / (a + b) + 1.0 / c - 1.0 / (c + d))
        lo = np.exp(np.log(value) - z * se)
        hi = np.exp(np.log(value) + z * se)
    value_ok = (a + b > 0) & (c > 0) & np.isfinite(value)
    ci_ok = value_ok & (a > 0) & np.isfinite(lo) & np.isfinite(hi)
    return {
        "prr": np.where(value_ok, value, np.nan),
        "prr_lo": np.where(ci_ok, lo, np.nan),
        "prr_hi": np.where(ci_ok, hi, np.nan),
        "chi2": chi2,
        "prr_defined": ci_ok,
    }


def ror(
    a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike, alpha: float = 0.05, haldane: bool = True
) -> dict[str, np.ndarray]:
    """ROR with Woolf log-scale CI. Keys: ror, ror_lo, ror_hi, ror_defined.

    With ``haldane`` (default) tables holding a zero get +0.5 in every cell, so the ROR is always
    defined for non-degenerate input; without it, a zero cell makes the ROR undefined (NaN).
    """
    a, b, c, d = _counts(a, b, c, d)
    z = _z(alpha)
    if haldane:
        a, b, c, d = _haldane(a, b, c, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ror = np.log(a) + np.log(d) - np.log(b) - np.log(c)
        se = np.sqrt(1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d)
        value, lo, hi = np.exp(log_ror), np.exp(log_ror - z * se), np.exp(log_ror + z * se)
    ok = (a > 0) & (b > 0) & (c > 0) & (d > 0) & np.isfinite(lo) & np.isfinite(hi)
    return {
        "ror": np.where(ok, value, np.nan),
        "ror_lo": np.where(ok, lo, np.nan),
        "ror_hi": np.where(ok, hi, np.nan),
        "ror_defined": ok,
    }


def ic(a: ArrayLike, e: ArrayLike, alpha: float = 0.05) -> dict[str, np.ndarray]:
    """Shrinkage IC = log2((a+0.5)/(E+0.5)) with Gamma(a+0.5, rate E+0.5) credibility limits.

    Keys: ic, ic025, ic975, ic_defined (the limits are the alpha/2 and 1-alpha/2 quantiles; their
    names follow the alpha = 0.05 convention). E may be NaN (no reports at all): IC is then NaN.
    """
    a = _counts(a, names="a")[0]
    try:
        a, e = np.broadcast_arrays(a, np.asarray(e, dtype=np.float64))
    except ValueError as exc:
        raise MeasureInputError(
            f"a{np.shape(a)} and E{np.shape(e)} do not broadcast; pass equal-length arrays."
        ) from exc
    if e.size and np.any(e[np.isfinite(e)] < 0):
        raise MeasureInputError("Expected counts E must be >= 0; check the marginal totals.")
    _z(alpha)  # validates alpha
    ok = np.isfinite(e)
    shape = a + 0.5
    rate = np.where(ok, e, 0.0) + 0.5
    value = np.log2(shape / rate)
    # gammaincinv(s, p) is the p-quantile of Gamma(shape s, rate 1); divide by the rate.
    lo = np.log2(special.gammaincinv(shape, alpha / 2.0) / rate)
    hi = np.log2(special.gammaincinv(shape, 1.0 - alpha / 2.0) / rate)
    ok = ok & np.isfinite(lo) & np.isfinite(hi)
    return {
        "ic": np.where(ok, value, np.nan),
        "ic025": np.where(ok, lo, np.nan),
        "ic975": np.where(ok, hi, np.nan),
        "ic_defined": ok,
    }


def ic_bcpnn(a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike, alpha: float = 0.05) -> dict[str, np.ndarray]:
    """BCPNN IC as vigipy's ``bcpnn(MC=False)`` computes it (Norén et al. 2006 closed form).

    Posterior expectation of log2(p11 / (p1. p.1)) under Beta/Dirichlet priors, and a
    normal-approximation lower limit. Provided to compare with vigipy and the WHO-UMC literature;
    the project's IC is ``ic``. Keys: ic, ic025, ic_var.
    """
    a, b, c, d = _counts(a, b, c, d)
    z = _z(alpha)
    n = a + b + c + d
    n1j, ni1 = a + b, a + c
    p1, p2 = 1.0 + n1j, 1.0 + n - n1j
    q1, q2 = 1.0 + ni1, 1.0 + n - ni1
    r1 = 1.0 + a
    with np.errstate(divide="ignore", invalid="ignore"):
        r2b = n - a - 1.0 + (2.0 + n) ** 2 / (q1 * p1)
        dg = special.digamma
        value = (dg(r1) - dg(r1 + r2b) - (dg(p1) - dg(p1 + p2) + dg(q1) - dg(q1 + q2))) / math.log(2.0)
        pg = special.polygamma
        var = (pg(1, r1) - pg(1, r1 + r2b) + (pg(1, p1) - pg(1, p1 + p2) + pg(1, q1) - pg(1, q1 + q2))) / math.log(
            2.0
        ) ** 2
        lo = value - z * np.sqrt(var)
    ok = (n > 0) & np.isfinite(value) & np.isfinite(lo)
    return {
        "ic": np.where(ok, value, np.nan),
        "ic025": np.where(ok, lo, np.nan),
        "ic_var": np.where(ok, var, np.nan),
    }


def poisson_upper(a: ArrayLike, alpha: float = 0.05) -> np.ndarray:
    """The exact one-sided (1 - alpha) upper confidence limit of a Poisson mean given `a` events (Garwood):
    chi2.ppf(1 - alpha, 2(a + 1)) / 2; -ln(alpha) for a = 0."""
    a = _counts(a, names="a")[0]
    _z(alpha)  # validates alpha
    return stats.chi2.ppf(1.0 - alpha, 2.0 * (a + 1.0)) / 2.0


def ratio_upper(a: ArrayLike, e: ArrayLike, alpha: float = 0.05) -> np.ndarray:
    """Upper (1 - alpha) bound of the observed/expected ratio: ``poisson_upper(a) / E``; NaN where E <= 0
    or is undefined (the terms never occur in the source, so no bound can be given)."""
    up = poisson_upper(a, alpha)
    e_arr = np.broadcast_to(np.asarray(e, dtype=np.float64), up.shape)
    ok = np.isfinite(e_arr) & (e_arr > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, up / np.where(ok, e_arr, 1.0), np.nan)


def all_measures(
    a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike, e: ArrayLike | None = None, alpha: float = 0.05
) -> dict[str, np.ndarray]:
    """Every measure plus the flags ``evans``, ``ror_signal``, ``ic_signal`` (False where undefined).

    ``e`` overrides the unstratified expected count (pass the stratified sum when you have one).
    """
    a, b, c, d = _counts(a, b, c, d)
    e_arr = expected(a, b, c, d) if e is None else np.broadcast_to(np.asarray(e, dtype=np.float64), a.shape)
    out: dict[str, np.ndarray] = {"a": a, "b": b, "c": c, "d": d, "n": a + b + c + d, "e": np.array(e_arr)}
    out.update(prr(a, b, c, d, alpha=alpha))
    out.update(ror(a, b, c, d, alpha=alpha))
    out.update(ic(a, e_arr, alpha=alpha))
    out["ratio_upper"] = ratio_upper(a, e_arr, alpha=alpha)
    out["evans"] = rules.evans_mask(a, out["prr"], out["chi2"])
    out["ror_signal"] = rules.ror_mask(out["ror_lo"])
    out["ic_signal"] = rules.ic_mask(out["ic025"])
    return out


#: The point estimates and intervals that an empty cell (a = 0) does not have.
ESTIMATE_KEYS = ("prr", "prr_lo", "prr_hi", "ror", "ror_lo", "ror_hi", "ic", "ic025", "ic975")


@dataclass
class Measures:
    """All measures for one (drug, event) pair. Undefined values are None after ``to_dict``."""

    a: float
    b: float
    c: float
    d: float
    e: float
    prr: float
    prr_lo: float
    prr_hi: float
    chi2: float
    ror: float
    ror_lo: float
    ror_hi: float
    ic: float
    ic025: float
    ic975: float
    ratio_upper: float  # upper 95% bound of observed/expected (exact Poisson); NaN when E = 0
    evans: bool
    ror_signal: bool
    ic_signal: bool

    @classmethod
    def from_counts(cls, a: float, b: float, c: float, d: float, e: float | None = None) -> Measures:
        """Compute every measure for one 2x2 table (``e`` overrides the unstratified E). For a = 0 the point
        estimates and intervals (PRR, ROR, IC) are undefined and their flags False: only E, chi2 and the
        upper bound ``ratio_upper`` are given (module docstring)."""
        m = all_measures(a, b, c, d, e)
        vals = {k: m[k].item() for k in cls.__dataclass_fields__}
        if a == 0:
            vals.update(dict.fromkeys(ESTIMATE_KEYS, math.nan))
            vals.update(evans=False, ror_signal=False, ic_signal=False)
        return cls(**vals)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: NaN/inf -> None, numpy scalars -> Python numbers."""
        return json_safe(asdict(self))
