"""Everything the reports say about one (drug, event) pair in one source: the 2x2 table, every
measure with its interval, EBGM with the source's fitted prior, the quarterly trend and the extras.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import duckdb
import numpy as np

from adrlens.jsonsafe import json_safe
from adrlens.signals import ebgm as mgps
from adrlens.signals import ebgm_prior, rules
from adrlens.signals.allpairs import load_prior
from adrlens.signals.extras import challenge, outcomes, reporters, time_to_onset
from adrlens.signals.measures import Measures
from adrlens.signals.tables import SignalSettings, Table2x2, by_group, cumulative_by_quarter, two_by_two

EBGM_KEYS = ("ebgm", "eb05", "eb95", "note")


@dataclass
class PairSignal:
    table: Table2x2
    measures: Measures  # with E = stratified expected count when the settings stratify
    ebgm: dict  # ebgm, eb05, eb95 (None each when undefined) and a note saying why
    prior_source: str | None
    call: rules.SignalCall
    trend: list[dict] = field(default_factory=list)
    extras: dict = field(default_factory=dict)
    groups: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return json_safe(
            {
                "table": self.table.to_dict(),
                "measures": self.measures.to_dict(),
                "ebgm": self.ebgm,
                "ebgm_prior": self.prior_source,
                "signal": _call_dict(self.call),
                "trend": self.trend,
                "extras": self.extras,
                "groups": self.groups,
            }
        )


def _call_dict(c: rules.SignalCall | None) -> dict:
    """The rule's call as JSON (its fields); every key null (criteria_met empty) when there is no table."""
    if c is None:
        return {**{f.name: None for f in dataclasses.fields(rules.SignalCall)}, "criteria_met": []}
    return json_safe(c)


def empty_pair_dict() -> dict:
    """The keys of `PairSignal.to_dict()` with null values: a source that gives no table has them too."""
    return {
        "table": None,
        "measures": None,
        "ebgm": dict.fromkeys(EBGM_KEYS),
        "ebgm_prior": None,
        "signal": _call_dict(None),
        "trend": [],
        "extras": {},
        "groups": [],
    }


def _ebgm_one(a: int, e: float, prior: mgps.Prior | None, prior_name: str = "") -> dict:
    if prior is None:
        return {**dict.fromkeys(EBGM_KEYS), "note": "no MGPS prior could be fitted for this source"}
    if not prior.usable:  # not measured (not zero): the verdict reads None as "no EBGM"
        return {**dict.fromkeys(EBGM_KEYS), "note": ebgm_prior.describe(prior, prior_name)}
    if a == 0:
        # The prior is fitted on pairs with at least one report (N* = 1, as openEBGM and DuMouchel): a
        # posterior for n = 0 would extrapolate it (and a near-zero shape can put EBGM below EB05).
        return {
            **dict.fromkeys(EBGM_KEYS),
            "note": "EBGM not computed for a = 0: the MGPS prior is fitted on pairs with at least one report",
        }
    r = mgps.ebgm(np.array([a], dtype=float), np.array([e]), prior)
    return {**{k: float(r[k][0]) for k in ("ebgm", "eb05", "eb95")}, "note": None}


_TREND_KEYS = ("prr", "prr_lo", "prr_hi", "ror", "ror_lo", "ror_hi", "ic", "ic025", "e")


def _trend_point(q: dict) -> dict:
    """Cumulative measures at the end of a quarter; none before the first case (a Haldane-only ROR of an
    empty cell would look like a signal on the chart)."""
    m = Measures.from_counts(q["a"], q["b"], q["c"], q["d"]).to_dict()
    return {**q, **{k: (m[k] if q["a"] > 0 or k == "e" else None) for k in _TREND_KEYS}}


def trend(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str] | tuple[str, ...], settings: SignalSettings
) -> list[dict]:
    """The cumulative 2x2 and measures at the end of each receipt quarter: how the signal built up."""
    return [_trend_point(q) for q in cumulative_by_quarter(con, drug, pts, settings)]


def pair_signal(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str] | tuple[str, ...],
    event: str | None = None,
    settings: SignalSettings | None = None,
    by: str | None = None,
    extras: bool = True,
) -> PairSignal:
    settings = settings or SignalSettings()
    t = two_by_two(con, drug, pts, event=event, settings=settings)
    m = Measures.from_counts(t.a, t.b, t.c, t.d, e=t.e)
    prior = load_prior(con, settings.source)
    eb = _ebgm_one(t.a, t.e, prior, settings.source)
    res = PairSignal(
        table=t,
        measures=m,
        ebgm=eb,
        prior_source=ebgm_prior.describe(prior, settings.source) if prior else None,
        call=rules.call_measures(m.to_dict(), eb05=eb["eb05"]),
    )
    if extras and t.a > 0:
        res.trend = trend(con, drug, pts, settings)
        res.extras = {
            "time_to_onset": time_to_onset(con, drug, pts, settings),
            **challenge(con, drug, pts, settings),
            "outcomes": outcomes(con, drug, pts, settings),
            "reporters": reporters(con, drug, pts, settings),
        }
    if by and by != "quarter":
        for value, gt in by_group(con, drug, pts, by, settings):
            gm = Measures.from_counts(gt.a, gt.b, gt.c, gt.d, e=gt.e)
            res.groups.append(
                {
                    "group": by,
                    "value": value,
                    "a": gt.a,
                    "b": gt.b,
                    "c": gt.c,
                    "d": gt.d,
                    **{k: v for k, v in gm.to_dict().items() if k not in ("a", "b", "c", "d")},
                }
            )
    return res
