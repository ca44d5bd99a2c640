"""The one signal rule: every threshold named once, one function that calls a measured table, and the
Methods text generated from the same constants so the two cannot drift.

A *signal of disproportionate reporting* (SDR) needs at least ``MIN_CASES`` reports and a lower interval
bound beyond the null on at least one measure:

* ROR025 > ``ROR_LOWER``   (the ROR's lower 95% bound above 1),
* IC025  > ``IC_LOWER``    (the IC's lower credibility bound above 0),
* EB05  >= ``EB05_MIN``    (the EBGM's 5th posterior percentile at least 2; DuMouchel 1999, Szarfman 2002).

Evans et al. (2001) is reported beside it as a second classical criterion (PRR >= ``EVANS_PRR``, chi2 >=
``EVANS_CHI2``, a >= ``EVANS_MIN_CASES``). It is shown, not required: the SDR above is the rule that
decides. A *possible inverse association* needs ROR975 < 1 with at least ``MIN_E_INVERSE`` expected cases
(below that, few reports are what chance gives).

*No excess* (evidence against, not a signal): the exact upper 95% bound of observed/expected
(``signals.measures.ratio_upper``) is below ``NO_EXCESS_RATIO_UPPER`` while E > 0: the source expected
enough reports that an excess would likely have shown (for a = 0 that is E > -ln(0.05) = 3.0).

The criteria are only those met on real counts: a table with a = 0 meets none (a continuity-corrected
ROR of an empty cell is the correction speaking).

Every caller (report evidence, confounding, class effect, count tables, the all-pairs batch, the CLI and
the Methods box) asks this module; no other module writes these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from adrlens.jsonsafe import finite

MIN_CASES = 3
ROR_LOWER = 1.0
IC_LOWER = 0.0
EB05_MIN = 2.0  # a table signals on the EBGM when eb05 >= 2 (the classical MGPS screen)
EVANS_PRR = 2.0
EVANS_CHI2 = 4.0
EVANS_MIN_CASES = 3
MIN_E_INVERSE = 5.0
ROR_UPPER_INVERSE = 1.0
NO_EXCESS_RATIO_UPPER = 1.0  # no excess when the upper 95% bound of observed/expected is below 1
# A strong signal: the shrunk lower bound doubles (EB05 >= 2), or at least STRONG_MIN_CASES reports with
# ROR025 >= STRONG_ROR_LOWER (the lower bound at least doubles the odds). The verdict weighs these more.
STRONG_MIN_CASES = 5
STRONG_ROR_LOWER = 2.0

#: The criteria, in the order they are reported: (key, human wording).
CRITERIA: tuple[tuple[str, str], ...] = (
    ("ror", f"ROR025 > {ROR_LOWER:g}"),
    ("ic", f"IC025 > {IC_LOWER:g}"),
    ("ebgm", f"EB05 >= {EB05_MIN:g}"),
)


def _met(key: str, value: float | None) -> bool:
    if value is None:
        return False
    if key == "ror":
        return value > ROR_LOWER
    if key == "ic":
        return value > IC_LOWER
    return value >= EB05_MIN


@dataclass(frozen=True)
class SignalCall:
    """The rule's answer for one table: is it a signal, which criteria it met, and why in words."""

    signal: bool
    inverse: bool
    criteria_met: tuple[str, ...]  # subset of "ror", "ic", "ebgm"
    evans: bool
    reason: str

    @property
    def n_criteria(self) -> int:
        return len(self.criteria_met)

    def as_fields(self) -> dict[str, Any]:
        """The call as the evidence data carries it: signal, signal_criteria, signal_reason."""
        return {"signal": self.signal, "signal_criteria": list(self.criteria_met), "signal_reason": self.reason}


def call(
    a: int | float,
    *,
    ror_lo: float | None = None,
    ror_hi: float | None = None,
    ic025: float | None = None,
    eb05: float | None = None,
    e: float | None = None,
    prr: float | None = None,
    chi2: float | None = None,
) -> SignalCall:
    """Whether a measured table is a signal (and an inverse association), and why."""
    a = int(a or 0)
    values = {"ror": finite(ror_lo), "ic": finite(ic025), "ebgm": finite(eb05)}
    # Only bounds computed on real counts: an empty cell (a = 0) meets no criterion.
    met = tuple(k for k, _w in CRITERIA if a > 0 and _met(k, values[k]))
    signal = a >= MIN_CASES and bool(met)
    ror_hi_v, e_v = finite(ror_hi), finite(e) or 0.0
    inverse = not signal and ror_hi_v is not None and ror_hi_v < ROR_UPPER_INVERSE and e_v >= MIN_E_INVERSE
    prr_v, chi2_v = finite(prr), finite(chi2)
    evans = a >= EVANS_MIN_CASES and prr_v is not None and prr_v >= EVANS_PRR and (chi2_v or 0.0) >= EVANS_CHI2
    words = dict(CRITERIA)
    if signal:
        reason = f"a = {a} >= {MIN_CASES} and " + " and ".join(words[k] for k in met)
    elif met:
        reason = f"{' and '.join(words[k] for k in met)}, but a = {a} < {MIN_CASES}"
    elif inverse:
        reason = f"ROR975 < {ROR_UPPER_INVERSE:g} with E = {e_v:.1f} >= {MIN_E_INVERSE:g}"
    else:
        reason = "no lower bound beyond the null (" + ", ".join(words[k] for k in words) + " all unmet)"
    return SignalCall(signal=signal, inverse=inverse, criteria_met=met, evans=evans, reason=reason)


def no_excess(e: float | None, ratio_upper: float | None) -> bool:
    """True when E > 0 and the upper 95% bound of observed/expected is below NO_EXCESS_RATIO_UPPER: the
    source expected enough reports that an excess would likely have shown (evidence against a link)."""
    e_v, up = finite(e), finite(ratio_upper)
    return e_v is not None and e_v > 0 and up is not None and up < NO_EXCESS_RATIO_UPPER


def strong(a: int | None, ror_lo: float | None, eb05: float | None) -> bool:
    """A signal strong enough to weigh more than a bare screen: EB05 >= EB05_MIN, or a >= STRONG_MIN_CASES
    with ROR025 >= STRONG_ROR_LOWER."""
    a_v, lo, eb = a or 0, finite(ror_lo), finite(eb05)
    return (eb is not None and eb >= EB05_MIN and a_v >= MIN_CASES) or (
        a_v >= STRONG_MIN_CASES and lo is not None and lo >= STRONG_ROR_LOWER
    )


def call_measures(m: dict[str, Any], eb05: float | None = None) -> SignalCall:
    """`call` on a dict of measures (keys a, ror_lo, ror_hi, ic025, e, prr, chi2 and optionally eb05)."""
    return call(
        m.get("a") or 0,
        ror_lo=m.get("ror_lo"),
        ror_hi=m.get("ror_hi"),
        ic025=m.get("ic025"),
        eb05=eb05 if eb05 is not None else m.get("eb05"),
        e=m.get("e"),
        prr=m.get("prr"),
        chi2=m.get("chi2"),
    )


def signal_mask(a: np.ndarray, ror_lo: np.ndarray, ic025: np.ndarray, eb05: np.ndarray | None = None) -> np.ndarray:
    """The rule over arrays (the all-pairs batch): NaN never meets a criterion."""
    any_bound = ror_mask(ror_lo) | ic_mask(ic025)
    if eb05 is not None:
        any_bound |= eb05_mask(eb05)
    return (np.asarray(a) >= MIN_CASES) & any_bound


def eb05_mask(eb05: np.ndarray) -> np.ndarray:
    """EB05 >= EB05_MIN alone (the classical MGPS screen), NaN never."""
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(eb05, nan=-np.inf) >= EB05_MIN


def evans_mask(a: np.ndarray, prr: np.ndarray, chi2: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (
            (np.nan_to_num(prr, nan=0.0) >= EVANS_PRR)
            & (np.nan_to_num(chi2, nan=0.0) >= EVANS_CHI2)
            & (np.asarray(a) >= EVANS_MIN_CASES)
        )


def ror_mask(ror_lo: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(ror_lo, nan=-np.inf) > ROR_LOWER


def ic_mask(ic025: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(ic025, nan=-np.inf) > IC_LOWER


def methods_text() -> str:
    """The thresholds as the Methods box states them (generated, so it always matches `call`)."""
    crit = " or ".join(w for _k, w in CRITERIA)
    return (
        f"signal of disproportionate reporting when a >= {MIN_CASES} and ({crit}); "
        f"Evans PRR >= {EVANS_PRR:g}, chi2 >= {EVANS_CHI2:g}, a >= {EVANS_MIN_CASES} shown beside it; "
        f"possible inverse association when ROR975 < {ROR_UPPER_INVERSE:g} with E >= {MIN_E_INVERSE:g}; "
        f"no excess when the exact upper 95% bound of observed/expected is below {NO_EXCESS_RATIO_UPPER:g}; "
        f"a strong signal when EB05 >= {EB05_MIN:g}, or a >= {STRONG_MIN_CASES} with ROR025 >= {STRONG_ROR_LOWER:g}; "
        "no ratio or interval for a = 0"
    )


def describe() -> dict[str, Any]:
    """The rule as data (for JSON outputs and the all-pairs Parquet metadata)."""
    return {
        "min_cases": MIN_CASES,
        "ror_lower": ROR_LOWER,
        "ic_lower": IC_LOWER,
        "eb05_min": EB05_MIN,
        "evans": {"prr": EVANS_PRR, "chi2": EVANS_CHI2, "min_cases": EVANS_MIN_CASES},
        "inverse": {"ror_upper": ROR_UPPER_INVERSE, "min_e": MIN_E_INVERSE},
        "no_excess": {"ratio_upper_below": NO_EXCESS_RATIO_UPPER},
        "strong": {"eb05_min": EB05_MIN, "min_cases": STRONG_MIN_CASES, "ror_lower": STRONG_ROR_LOWER},
        "text": methods_text(),
    }
