"""What a report source can and cannot measure: no estimate for a = 0, at most an upper bound where the terms
occur, "not measurable" where the source cannot hold them, E shown with sensible precision. The rules on
constructed numbers, then the report evidence on the store built from the shared data (real_store)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from scipy import stats

from adrlens.evidence import count_tables as ct_evidence
from adrlens.evidence import reports
from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import ReportData
from adrlens.signals import measures, rules
from adrlens.sources.reports import faers, faers_ps
from adrlens.store import db as store_db

FAERS, PS = faers.SOURCE, faers_ps.SOURCE
ALOPECIA = ("alopecia", "alopecia totalis", "alopecia universalis", "alopecia areata")
ALOPECIA_BROAD = (*ALOPECIA, "hair texture abnormal", "hair disorder", "madarosis")
LACTIC = ("lactic acidosis", "blood lactic acid increased", "metabolic acidosis")
LACTIC_BROAD = (*LACTIC, "acidosis", "hyperlactacidaemia")


# -- the rules on constructed numbers ------------------------------------------------------------------------
def test_upper_bound_is_the_exact_poisson_limit_over_e() -> None:
    up = measures.ratio_upper([0, 1, 5, 0, 3], [4.2, 1.0, 2.0, 0.0, math.nan])
    assert up[0] == pytest.approx(-math.log(0.05) / 4.2)
    assert up[1] == pytest.approx(stats.chi2.ppf(0.95, 4) / 2)
    assert up[2] == pytest.approx(stats.chi2.ppf(0.95, 12) / 2 / 2.0)
    assert math.isnan(up[3]) and math.isnan(up[4])  # E = 0 or undefined: no bound
    # The limit grows with a: more reports never tighten the upper bound.
    assert (measures.poisson_upper([0, 1, 2, 10]) == sorted(measures.poisson_upper([0, 1, 2, 10]))).all()


def test_empty_cell_has_no_estimate_and_meets_no_criterion() -> None:
    # a = 0 of a rare event: the Haldane-corrected ROR of the empty cell is far above 1.
    raw = measures.ror(0, 200, 1, 100_000)
    assert raw["ror_lo"].item() > 1
    m = measures.Measures.from_counts(0, 200, 1, 100_000).to_dict()
    assert all(m[k] is None for k in measures.ESTIMATE_KEYS)
    assert not (m["evans"] or m["ror_signal"] or m["ic_signal"])
    assert m["e"] > 0 and m["ratio_upper"] == pytest.approx(-math.log(0.05) / m["e"])
    call = rules.call(0, ror_lo=10.5, ic025=0.3, eb05=2.5)  # bounds of an empty cell are never criteria
    assert call.criteria_met == () and not call.signal and "ror" not in call.as_fields()["signal_criteria"]
    assert rules.call(2, ror_lo=10.5).criteria_met == ("ror",)  # a real count keeps its criterion


def test_no_excess_needs_enough_expected_reports() -> None:
    assert rules.no_excess(4.2, measures.ratio_upper(0, 4.2).item())  # 0 against 4.2: an excess would show
    assert not rules.no_excess(1.3, measures.ratio_upper(0, 1.3).item())  # too few expected to say
    assert not rules.no_excess(0.0, None) and not rules.no_excess(None, 0.5)
    # The threshold is the rule's constant: a bound just under it is no excess, at it is not.
    t = rules.NO_EXCESS_RATIO_UPPER
    assert rules.no_excess(10.0, t - 1e-9) and not rules.no_excess(10.0, t)


@pytest.mark.parametrize(
    ("e", "shown"),
    [
        (25.46, "25.5"),
        (4.218, "4.2"),
        (0.7619, "0.76"),
        (0.0263, "0.026"),
        (0.004, "<0.01"),
        (0.0, "0"),
        (None, "not available"),
    ],
)
def test_expected_count_precision(e: float | None, shown: str) -> None:
    assert reports.expected_text(e) == shown


def test_partial_term_set_is_named() -> None:
    assert reports.partial_text(3, 8, "one-word terms only") == (
        "counts 3 of the 8 terms; the other 5 cannot occur in this source: one-word terms only"
    )
    assert reports.partial_text(4, 4, "x") == ""


# -- the report evidence on the store ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def con(real_store: Path):
    with store_db.connect(real_store) as c:
        yield c


def _records(con, drug: str, label: str, narrow: tuple, broad: tuple) -> dict[str, object]:
    q = EvidenceQuery(drug=drug, kind="drug", condition=label, narrow=narrow, broad=broad)
    evs = reports.provide(con, q, EvidenceSettings())
    for e in evs:
        json.dumps(e.to_dict(), allow_nan=False)
    return {e.id: e for e in evs}


def test_zero_reports_give_an_upper_bound_and_no_ratio(con) -> None:
    """Lisinopril and hair loss in the PS extract: 0 reports against about 4 expected."""
    by = _records(con, "lisinopril", "Alopecia (hair loss)", ALOPECIA, ALOPECIA_BROAD)
    ev = by[f"reports:{PS}:narrow"]
    d = ev.data
    assert isinstance(d, ReportData) and d.a == 0 and d.e > 3
    assert all(getattr(d, k) is None for k in (*measures.ESTIMATE_KEYS, "ebgm", "eb05", "eb95"))
    assert d.signal_criteria == [] and not d.signal
    assert d.ratio_upper == pytest.approx(-math.log(0.05) / d.e) and d.ratio_upper < 1 and d.no_excess
    assert ev.direction == "against"
    assert "ROR" not in ev.finding and "no ratio" in ev.finding and f"{d.ratio_upper:.2g}" in ev.finding
    # The PS extract holds one-word terms only: it counts 1 of the 4 and says so, in the text and the data.
    assert d.pts == ["alopecia"] and sorted(d.pts_not_measurable) == sorted(ALOPECIA[1:])
    assert "counts 1 of the 4 terms; the other 3 cannot occur in this source" in ev.finding
    # In the small FAERS samples 0 reports against a tiny E is no excess: only the (wide) bound is given.
    small = by[f"reports:{FAERS}:narrow"].data
    assert small.a == 0 and not small.no_excess and small.ratio_upper > 1 and small.ror is None


def test_a_source_that_cannot_hold_the_terms_is_not_measurable(con) -> None:
    """'Lactic acidosis' has two words: the PS extract cannot hold any narrow term (no count, no ratio)."""
    by = _records(con, "metformin", "Lactic acidosis", LACTIC, LACTIC_BROAD)
    ev = by[f"reports:{PS}:narrow"]
    d = ev.data
    assert ev.direction == "not_available" and not d.measurable and d.a is None and d.ratio_upper is None
    assert not d.no_excess and sorted(d.pts_not_measurable) == sorted(LACTIC)
    assert "not measurable" in ev.finding and "0 of" not in ev.finding and "ROR" not in ev.finding
    broad = by[f"reports:{PS}:broad"].data
    assert broad.measurable and "acidosis" in broad.pts and set(broad.pts_not_measurable) <= set(LACTIC_BROAD)
    signal = by[f"reports:{FAERS}:narrow"]
    assert signal.data.signal and signal.data.a >= 3 and signal.data.ratio_upper > 1 and not signal.data.no_excess


def test_count_tables_never_turn_unlisted_terms_into_zero(con) -> None:
    evs = ct_evidence.count_table_evidence(con, "lisinopril", list(ALOPECIA), list(ALOPECIA_BROAD), "hair loss")
    assert evs
    for ev in evs:
        d = ev.data
        for r in d.rows:
            if r["status"] == "counted" and not r["a"]:
                assert all(r[k] is None for k in measures.ESTIMATE_KEYS)
        if d.flagged_only:
            assert "zero reports" not in ev.finding.replace("not the same as zero reports", "")
            assert d.pts_not_measurable
