"""A small figure in plain words for patients: how often the label says it happens against placebo, or how
many reports name the drug against how many were expected.

``plain_figure(answer)`` returns {"svg", "caption", "alt", "source"} or None when there is nothing worth
showing: (a) when a label gives the rate with the drug and with placebo; else (b) the main report count
(the narrow terms, in the source with the most reports of the drug) when it has at least MIN_REPORTS
reports. Its words avoid the statistics' names (the measures are in the forest plot).
"""

from __future__ import annotations

import re
from html import escape

from adrlens.jsonsafe import finite
from adrlens.model import Answer, LabelData, ReportData
from adrlens.related import plain_name
from adrlens.report.charts import COLOURS, svg_open

MIN_REPORTS = 3  # below this a count is too small to compare with what was expected
_RATE = re.compile(r"^(?P<pt>[^:;]+): (?P<drug>[\d.]+)%,? (?:vs|not above) placebo (?P<placebo>[\d.]+)%")
WIDTH, BAR_X, BAR_W = 560, 190, 300


def _bars(title: str, desc: str, rows: list[tuple[str, float, str, str]]) -> str:
    """Horizontal bars: (label, value, shown value, colour), scaled to the largest value."""
    height = 40 + 34 * len(rows) + 10
    parts = svg_open(WIDTH, height, title, desc)
    top = max((v for _, v, _, _ in rows), default=0) or 1.0
    for i, (label, value, shown, colour) in enumerate(rows):
        y = 40 + 34 * i
        w = max(BAR_W * value / top, 2.0)
        parts.append(f'<text x="8" y="{y + 15}" fill="{COLOURS["text"]}">{escape(label)}</text>')
        parts.append(
            f'<rect x="{BAR_X}" y="{y + 2}" width="{w:.1f}" height="18" fill="{colour}">'
            f"<title>{escape(f'{label}: {shown}')}</title></rect>"
        )
        parts.append(f'<text x="{BAR_X + w + 6:.1f}" y="{y + 15}" fill="{COLOURS["text"]}">{escape(shown)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _label_rates(answer: Answer) -> dict | None:
    for ev in answer.evidence:
        data = ev.data
        if ev.kind != "label" or not isinstance(data, LabelData) or not data.placebo_text:
            continue
        m = _RATE.match(data.placebo_text.split("; ")[0])
        if not m:
            continue
        drug, placebo = finite(m.group("drug")), finite(m.group("placebo"))
        if drug is None or placebo is None:
            continue
        name, cond = answer.drug.name, plain_name(answer.condition.label)
        title = f"How often people had {cond} in the studies on the label"
        alt = f"{drug:g}% of people taking {name} had it, and {placebo:g}% of people taking a dummy pill (placebo)."
        svg = _bars(
            title,
            alt,
            [
                (f"Taking {name}", drug, f"{drug:g}%", COLOURS["ror"]),
                ("Taking a placebo", placebo, f"{placebo:g}%", "#8a8f98"),
            ],
        )
        caption = (
            f"In the studies the label reports, {drug:g} in 100 people taking {name} had {cond}, against "
            f"{placebo:g} in 100 taking a dummy pill. The difference is the part the medicine may cause."
        )
        return {"svg": svg, "caption": caption, "alt": alt, "source": ev.source}
    return None


def _main_reports(answer: Answer) -> tuple[str, ReportData] | None:
    """The narrow report record of the source holding the most reports of the drug."""
    best: tuple[str, ReportData] | None = None
    for ev in answer.evidence:
        data = ev.data
        if ev.kind != "reports" or not isinstance(data, ReportData) or data.scope != "narrow":
            continue
        if best is None or data.drug_cases > best[1].drug_cases:
            best = (ev.source, data)
    return best


def _report_counts(answer: Answer) -> dict | None:
    found = _main_reports(answer)
    if not found:
        return None
    source, data = found
    a, e = finite(data.a), finite(data.e)
    if a is None or e is None or a < MIN_REPORTS:
        return None
    name, cond = answer.drug.name, plain_name(answer.condition.label)
    e_shown = f"{e:.1f}" if e < 10 else f"{e:.0f}"
    title = f"Reports of {cond} with {name}"
    alt = f"{a:g} reports named {cond} with {name}; about {e_shown} would be expected if {name} made no difference."
    svg = _bars(
        title,
        alt,
        [("Reports received", a, f"{a:g}", COLOURS["ror"]), ("Expected by chance", e, e_shown, "#8a8f98")],
    )
    caption = (
        f"Out of the reports of side effects sent for {name}, {a:g} named {cond}; about {e_shown} were expected "
        "from how often it is reported with other medicines. Reports show a pattern, not how often it happens: "
        "many cases are never reported."
    )
    return {"svg": svg, "caption": caption, "alt": alt, "source": source}


def plain_figure(answer: Answer) -> dict | None:
    """{"svg", "caption", "alt", "source"} in plain words, or None when there is nothing worth showing."""
    return _label_rates(answer) or _report_counts(answer)
