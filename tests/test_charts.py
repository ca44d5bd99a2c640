"""The SVG figures: no point for rows without reports, clipped wild intervals, plain words for patients,
text alternatives on every figure."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from adrlens.engine import Engine
from adrlens.report.charts import RATIO_LIMITS, forest_svg, trend_svg
from adrlens.report.html import chart_figures
from adrlens.report.plain_figure import plain_figure

NS = "{http://www.w3.org/2000/svg}"
JARGON = re.compile(r"\bROR\b|\bEB05\b|\bEBGM\b|MedDRA|disproportional|preferred term|\bPRR\b|\bIC025\b", re.I)

ROWS = [
    {
        "label": "Neuropathy peripheral",
        "source": "FAERS",
        "a": 12,
        "e": 3.1,
        "ror": 4.0,
        "ror_lo": 2.1,
        "ror_hi": 7.6,
        "ebgm": 3.2,
        "eb05": 2.0,
        "eb95": 5.0,
        "ic": 1.6,
        "ic025": 0.8,
        "ic975": 2.3,
    },
    {
        "label": "A term nobody reported <with> & odd characters",
        "source": "FAERS",
        "a": 0,
        "e": 0.4,
        "ror": 0.9,
        "ror_lo": 0.05,
        "ror_hi": 14.0,
        "ic": -1.0,
        "ic025": -9.0,
        "ic975": 1.2,
    },
    {
        "label": "Peripheral sensorimotor neuropathy of a very long name that cannot fit",
        "source": "VAERS",
        "a": 0,
        "e": 0.0,
    },
]
HUGE = {
    "label": "Polyneuropathy",
    "source": "FAERS",
    "a": 1,
    "e": 0.001,
    "ror": 5000.0,
    "ror_lo": 300.0,
    "ror_hi": 90000.0,
    "ebgm": 1.5,
    "eb05": 0.4,
    "eb95": 6.0,
}


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img" and root.get("aria-label")
    assert (root.findtext(f"{NS}title") or "").strip()
    assert (root.findtext(f"{NS}desc") or "").strip()
    return root


def _row_texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def test_forest_draws_no_point_for_rows_without_reports() -> None:
    root = _parse(forest_svg(ROWS, "amlodipine & <peripheral neuropathy>"))
    texts = " ".join(_row_texts(root))
    assert "Neuropathy peripheral" in texts
    assert "nobody reported" not in texts and "sensorimotor" not in texts
    points = [
        t
        for t in root.iter()
        if t.tag in (f"{NS}rect", f"{NS}path", f"{NS}circle") and t.find(f"{NS}title") is not None
    ]
    assert len(points) == 3  # ROR, EBGM and IC of the one row with reports
    assert "2 row(s) with no reports" in root.findtext(f"{NS}desc")


def test_forest_only_zero_rows_says_so() -> None:
    root = _parse(forest_svg(ROWS[1:], "t"))
    assert "No reports" in " ".join(_row_texts(root))


def test_forest_clips_a_single_report_with_tiny_expected() -> None:
    no_ic = {k: v for k, v in ROWS[0].items() if not k.startswith("ic")}  # ratio ticks only
    svg = forest_svg([no_ic, HUGE], "t")
    root = _parse(svg)
    width = float(root.get("width"))
    xs = [float(x) for x in re.findall(r'\bx[12]?="([\d.]+)"', svg)]
    assert max(xs) < width
    assert root.findall(f".//{NS}path[@class='clipped']"), "the clipped interval has an arrow"
    ticks = [float(t) for t in _row_texts(root) if re.fullmatch(r"[\d.]+", t)]
    assert max(ticks) <= RATIO_LIMITS[1] and min(ticks) >= RATIO_LIMITS[0]


def test_forest_long_labels_are_truncated_with_full_title() -> None:
    long = {**ROWS[0], "label": "Drug reaction with eosinophilia and systemic symptoms, a very long term"}
    root = _parse(forest_svg([long], "t"))
    titles = [t.text for t in root.iter(f"{NS}title")]
    assert long["label"] in titles
    shown = [x for x in _row_texts(root) if x.startswith("Drug reaction")]
    assert shown and all(len(s) <= 40 + len(long["label"]) for s in shown)


def test_trend_svg_has_text_alternatives() -> None:
    pts = [{"quarter": f"2020Q{q}", "a": q, "ror": 1.0 + q, "ror_lo": 0.5, "ror_hi": 3.0 + q} for q in (1, 2, 3, 4)]
    _parse(trend_svg(pts, "trend & <more>"))
    _parse(trend_svg([], "nothing"))


@pytest.fixture(scope="module")
def engine(real_store: Path):
    eng = Engine(real_store)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def amlodipine(engine):
    return engine.answer("Can amlodipine cause peripheral neuropathy?")


def test_plain_figure_shows_something_only_when_there_is_something(engine, amlodipine) -> None:
    # No rate on a label and no report of the narrow terms: nothing to draw.
    assert amlodipine.layers.figure is None and plain_figure(amlodipine) is None
    # The label gives oedema rates on amlodipine against placebo: the patient sees those two bars.
    ankles = engine.answer("Can amlodipine cause swollen ankles?")
    assert ankles.layers.figure["kind"] == "label_vs_placebo"
    on, off = (b["value"] for b in ankles.layers.figure["bars"])
    assert on > off
    fig = plain_figure(ankles)
    assert set(fig) == {"svg", "caption", "alt", "source"}
    root = _parse(fig["svg"])
    assert root.get("role") == "img" and root.get("aria-label")
    for k in ("svg", "caption", "alt"):
        assert not JARGON.search(fig[k]), (k, fig[k])


def test_chart_figures_parse(amlodipine) -> None:
    figs = chart_figures(amlodipine)
    assert "measures" in figs
    for name, items in figs.items():
        for f in items:
            _parse(str(f["svg"]))
            if name == "plain":
                assert not JARGON.search(str(f["svg"]) + f["caption"])
