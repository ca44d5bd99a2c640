"""The one small figure a patient can read, as data and words (report/ draws it): how often a label says it
happened against a dummy pill, or how many reports came in against how many were expected. None where
there is nothing to show (no rate on a label and fewer than 3 reports): a figure of nothing misleads.
"""

from __future__ import annotations

from typing import Any

from adrlens.model import Answer
from adrlens.signals import rules
from adrlens.sources import registry
from adrlens.wording.phrases import PLACEBO, plain_source
from adrlens.wording.short_answer import main_report, placebo_rates


def _label_figure(a: Answer) -> dict[str, Any] | None:
    rates = placebo_rates(a)
    if not rates:
        return None
    on, off, e = rates
    drug = a.drug.name
    return {
        "kind": "label_vs_placebo",
        "title": "How often it happened in studies",
        "unit": "%",
        "bars": [{"label": f"Taking {drug}", "value": on}, {"label": f"Taking {PLACEBO}", "value": off}],
        "caption": f"Out of every 100 people in the studies on the label: {on:g} taking {drug}, {off:g} "
        "taking a dummy pill (placebo).",
        "alt": f"Bar chart: {on:g}% of people taking {drug} against {off:g}% taking a placebo.",
        "source": e.source,
        "evidence_ids": [e.id],
    }


def _reports_figure(a: Answer) -> dict[str, Any] | None:
    e = main_report(a)
    if e is None or e.data.e is None or (e.data.a or 0) < rules.MIN_CASES:
        return None
    d = e.data
    drug = a.drug.name
    return {
        "kind": "reports_vs_expected",
        "title": "Reports of it with this medicine",
        "unit": "reports",
        "bars": [
            {"label": "Reports that came in", "value": d.a},
            {"label": "Reports expected", "value": round(d.e, 1)},
        ],
        "caption": f"{d.a:,} reports mention it with {drug}; about {d.e:,.1f} were expected if {drug} made no "
        "difference. Reports do not show how often it happens to people who take it.",
        "alt": f"Bar chart: {d.a:,} reports came in against about {d.e:,.1f} expected.",
        "source": plain_source(registry.get(d.source_name).name),
        "evidence_ids": [e.id],
    }


def plain_figure(a: Answer) -> dict[str, Any] | None:
    """The label's rates against placebo when a label gives them, else reports against expected."""
    if "indication" in a.verdict.flags:
        return None
    return _label_figure(a) or _reports_figure(a)
