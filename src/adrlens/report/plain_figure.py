"""The small figure in plain words for patients, drawn from `Answer.layers.figure` (adrlens.wording.figure
chooses what to show and words it: how often the label says it happens against placebo, or how many reports
name the drug against how many were expected; None when there is nothing worth showing).

``plain_figure(answer)`` returns {"svg", "caption", "alt", "source"} or None.
"""

from __future__ import annotations

from html import escape

from adrlens.jsonsafe import finite
from adrlens.model import Answer
from adrlens.report.charts import COLOURS, svg_open

WIDTH, BAR_X, BAR_W = 580, 215, 300
_BAR_COLOURS = (COLOURS["ror"], "#8a8f98")


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


def plain_figure(answer: Answer) -> dict | None:
    """{"svg", "caption", "alt", "source"} in plain words, or None when there is nothing worth showing."""
    fig = answer.layers.figure
    if not isinstance(fig, dict) or not fig.get("bars"):
        return None
    unit = "%" if fig.get("unit") == "%" else ""
    rows = []
    for n, bar in enumerate(fig["bars"]):
        v = finite(bar.get("value"))
        if v is None:
            return None
        rows.append((str(bar.get("label", "")), v, f"{v:g}{unit}", _BAR_COLOURS[min(n, 1)]))
    svg = _bars(str(fig.get("title", "")), str(fig.get("alt", "")), rows)
    source = str(fig.get("source", ""))
    caption = str(fig.get("caption", "")) + (f" Source: {source}." if source else "")
    return {"svg": svg, "caption": caption, "alt": str(fig.get("alt", "")), "source": source}
