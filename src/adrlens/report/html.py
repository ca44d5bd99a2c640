"""The answer article as one self-contained HTML file: inline CSS, inline SVG charts, no scripts, no CDN.

The only external addresses are links (<a href>, never loaded): PubMed links built from all-digit PMIDs,
and the http(s) pages of the plain part's sources (MedlinePlus, NINDS, FDA). Every value from the Answer is
escaped by Jinja2's autoescape; the charts escape their own text (charts.py).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from adrlens.model import Answer
from adrlens.report.article import build_article, source_names, text
from adrlens.report.charts import forest_svg, trend_svg
from adrlens.report.doc import Article, Section, layer_runs
from adrlens.report.plain_figure import plain_figure

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,  # a misspelt field fails loudly in tests instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _trend_series(trend: Any) -> list[tuple[str, list[dict]]]:
    """charts["trend"] is {source: [points]}; a bare list of points is accepted as one unnamed series."""
    if isinstance(trend, dict):
        return [(str(k), v) for k, v in trend.items() if isinstance(v, list) and v]
    if isinstance(trend, list) and trend:
        return [("", trend)]
    return []


def chart_figures(answer: Answer) -> dict[str, list[dict[str, Markup | str]]]:
    """The SVG figures of the article with captions, by chart name ('measures', 'trend', and 'plain': the
    patients' figure of `report.plain_figure`, with "alt" and "source" too)."""
    charts = answer.charts if isinstance(answer.charts, dict) else {}
    drug, cond = text(answer.drug.name), text(answer.condition.label)
    out: dict[str, list[dict[str, Markup | str]]] = {}
    names = source_names(answer)
    rows = charts.get("measures")
    if isinstance(rows, list) and rows:
        # Show source names, not store keys, without touching the Answer.
        rows = [
            {**r, "source": names.get(str(r.get("source")), r.get("source"))} if isinstance(r, dict) else r
            for r in rows
        ]
        out["measures"] = [
            {
                "svg": Markup(forest_svg(rows, f"{drug} and {cond.lower()}: reporting measures")),
                "caption": "Each row is one MedDRA term (or the whole condition) in one report source. Points "
                "right of the dashed line mean more reports than expected; an interval crossing it is "
                "compatible with no difference. Reports never give how often the condition happens.",
            }
        ]
    figs = []
    for source, points in _trend_series(charts.get("trend")):
        source = names.get(source, source)
        title = f"Cumulative signal by quarter{': ' + source if source else ''}"
        figs.append(
            {
                "svg": Markup(trend_svg(points, title)),
                "caption": "How the measure built up as reports accumulated, quarter by quarter.",
            }
        )
    if figs:
        out["trend"] = figs
    plain = plain_figure(answer)
    if plain:
        out["plain"] = [{**plain, "svg": Markup(plain["svg"])}]
    return out


def grade_slug(grade: str) -> str:
    """'Insufficient evidence' -> 'insufficient-evidence' (the CSS class and data-grade of the badge)."""
    return re.sub(r"[^a-z0-9]+", "-", str(grade).lower()).strip("-")


def _runs(art: Article) -> list[tuple[str, list[Section], str]]:
    """(layer, sections, id of its <details>): the first professional run is #for-professionals."""
    out, n = [], 0
    for layer, secs in layer_runs(art.sections):
        fold_id = ""
        if layer == "professional":
            n += 1
            fold_id = "for-professionals" if n == 1 else f"for-professionals-{n}"
        out.append((layer, secs, fold_id))
    return out


def article_context(art: Article, charts: dict[str, list[dict[str, Markup | str]]]) -> dict[str, Any]:
    """What templates/article_body.html reads: the web app's answer page renders the same body in its layout."""
    return {
        "title": art.title,
        "runs": _runs(art),
        "footer": art.footer,
        "anchors": art.anchors,
        "grade": text(art.grade),
        "grade_label": art.grade_label,
        "grade_slug": grade_slug(art.grade),
        "charts": charts,
    }


def render_article(art: Article, charts: dict[str, list[dict[str, Markup | str]]]) -> str:
    """A built article tree as one HTML document; `charts` is chart_figures(answer) (may be {})."""
    css = (TEMPLATES / "article.css").read_text(encoding="utf-8")
    # css is our own file, passed as markup: autoescape would break quotes inside <style>.
    return _env().get_template("article.html").render(**article_context(art, charts), css=Markup(css))


def render_html(answer: Answer) -> str:
    """The whole article as one HTML document (UTF-8 text)."""
    return render_article(build_article(answer), chart_figures(answer))
