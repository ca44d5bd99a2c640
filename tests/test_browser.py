"""The HTML article as a person sees it: opened in a real browser (Debian's Chromium through Playwright).

The contract checked here: a grade badge at the top; the short answer (section id "short_answer") boxed and
within the first screen; every professional section folded into one closed <details class="professional">;
and no statistical jargon in the text a person reads before scrolling. Plus readable at 390px wide.

Chromium is Debian's (`apt-get install chromium`, or scripts/system-packages.sh); Playwright never downloads
a browser here. Without Chromium the browser tests are skipped, except under CI (env CI set), where they fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adrlens.model import GRADES
from adrlens.report.doc import Article, Block, S, Section, T, bullets, para
from adrlens.report.html import grade_slug, render_article
from adrlens.report.markdown import render_article as render_article_md

VIEWPORT = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
PLAIN_KEYS = ("short_answer", "what_to_do", "drug", "condition", "why")

# Words a person should not meet before choosing "For professionals": acronyms whole-word, phrases as words.
JARGON = re.compile(
    r"\b(?:ROR|PRR|EB05|EBGM|IC025|MedDRA)\b"
    r"|\b(?:preferred terms?|disproportionality|broad term sets?|primary suspect|confidence intervals?)\b",
    re.IGNORECASE,
)

# The text a person can read without scrolling: every rendered text node whose first line box starts above
# the fold (top < viewport height), outside any closed <details> (its <summary> is read; the rest is not).
_ABOVE_FOLD_JS = """
(vh) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || !n.textContent.trim() || el.closest('style, script, title')) continue;
    const fold = el.closest('details:not([open])');
    if (fold && !el.closest('details:not([open]) > summary')) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none') continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    const boxes = [...range.getClientRects()].filter(b => b.width > 0 && b.height > 0);
    if (boxes.length && boxes[0].top < vh) out.push(n.textContent.trim());
  }
  return out.join(' ');
}
"""


# ---- the browser ----------------------------------------------------------------------------------------


def _open(browser, path: Path, viewport: dict[str, int]):
    page = browser.new_page(viewport=viewport)
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page


def _above_fold_text(page) -> str:
    return page.evaluate(_ABOVE_FOLD_JS, page.viewport_size["height"])


def _check_contract(page) -> None:
    """The layered article as a person first sees it (see the module docstring)."""
    vh = page.viewport_size["height"]
    badge = page.locator("header .grade-badge")
    assert badge.count() == 1 and badge.is_visible()
    assert badge.inner_text().strip()
    assert badge.bounding_box()["y"] < vh

    short = page.locator("section#short_answer")
    assert short.count() == 1 and short.is_visible()
    box = short.bounding_box()
    assert box is not None and box["y"] < vh, f"the short answer starts at {box}, below the fold ({vh}px)"
    assert "box" in (short.get_attribute("class") or "").split()

    folds = page.locator("details.professional")
    assert folds.count() == 1, "all professional sections sit in one <details class='professional'>"
    fold = folds.first
    assert fold.get_attribute("id") == "for-professionals"
    assert fold.get_attribute("open") is None and not fold.evaluate("d => d.open")
    assert fold.locator("> summary").is_visible()
    assert fold.locator("section").count() >= 1
    for sel in ("section", "table", "figure", "dl"):
        inner = fold.locator(sel)
        for i in range(inner.count()):
            assert not inner.nth(i).is_visible(), f"{sel} #{i} inside the closed details is visible"
    # No plain section inside the fold, no professional section outside it.
    assert page.locator("details.professional section.layer-plain").count() == 0
    assert page.locator("section.layer-professional:not(details.professional section)").count() == 0

    seen = _above_fold_text(page)
    assert seen.strip()
    hits = sorted({m.group(0) for m in JARGON.finditer(seen)})
    assert not hits, f"jargon above the fold: {hits}\n---\n{seen}"


# ---- a hand-built article (the target contract, independent of article.py) ------------------------------


def _article(grade: str = "possible", grade_label: str = "Possible") -> Article:
    """The layered article as article.py is to build it: plain sections, then the professional ones."""
    wide_header = ["Source", "Term", "Reports", "ROR (95% CI)", "PRR", "EB05", "EBGM", "IC025", "Expected", "Note"]
    row = [
        [T("FAERS 2022Q3 (primary suspect)")],
        [T("Neuropathy peripheral (MedDRA preferred term)")],
        [T("12")],
        [T("1.39 (0.99 to 1.96)")],
        [T("1.38")],
        [T("0.97")],
        [T("1.31")],
        [T("-0.05")],
        [T("8.6")],
        [T("disproportionality over the broad term set; confidence interval crosses 1")],
    ]
    plain = [
        Section(
            "short_answer",
            "The short answer",
            [
                para(
                    T("Possibly, but rarely. Amlodipine might be linked to nerve damage in the hands and feet."),
                    cls="headline",
                ),
                para(T("How sure we are: "), S(grade_label or grade), cls="grade"),
            ],
        ),
        Section(
            "what_to_do",
            "What to do",
            [bullets([[T("Talk to your doctor or pharmacist about any symptom you think may be a side effect.")]])],
        ),
        Section(
            "drug",
            "The drug: amlodipine",
            [para(T("Amlodipine lowers blood pressure. It is a calcium channel blocker."))],
        ),
        Section(
            "condition",
            "The condition: Peripheral neuropathy",
            [para(T("Damage to the nerves of the hands and feet."))],
        ),
        Section(
            "why", "Why we say this", [para(T("The label lists it, but few people who take amlodipine report it."))]
        ),
    ]
    pro = [
        Section(
            "evidence",
            "What the evidence says",
            [
                para(T("Disproportionality analysis of spontaneous reports (ROR, PRR, EBGM).")),
                Block("table", header=wide_header, rows=[row] * 3),
            ],
            layer="professional",
        ),
        Section("reports", "Spontaneous reports", [para(T("EB05 0.97; IC025 -0.05."))], level=3, layer="professional"),
        Section(
            "reasons",
            "Reasons for the grade",
            [bullets([[T("Listed on the label (SIDER 4.1).")]])],
            layer="professional",
        ),
        Section(
            "related",
            "Related questions",
            [bullets([[T("Can nifedipine cause peripheral neuropathy?")]])],
            layer="professional",
        ),
        Section(
            "methods",
            "Methods",
            [Block("dl", pairs=[("Data", [[T("FAERS 2022Q3, primary suspect reports; MedDRA preferred terms.")]])])],
            layer="professional",
        ),
    ]
    return Article(
        "Can amlodipine cause peripheral neuropathy?", plain + pro, [T("Schema version 1.")], grade, {}, grade_label
    )


def _contrast(fg: str, bg: str) -> float:
    def lum(css: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"\d+(?:\.\d+)?", css)[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# ---- without a browser: the tree, the HTML and the Markdown ------------------------------------------------


def test_section_layer_defaults_to_plain_and_rejects_unknown() -> None:
    assert Section("x", "X").layer == "plain"
    assert Article("t", [], [], "possible", {}).grade_label == ""
    with pytest.raises(ValueError, match="layer"):
        Section("x", "X", layer="expert")


def test_html_folds_professional_sections_into_one_closed_details() -> None:
    html = render_article(_article(), {})
    body = html.split("<body>", 1)[1]
    assert body.count("<details") == 1 and '<details class="professional" id="for-professionals">' in body
    assert not re.search(r"<details[^>]*\bopen\b", body)
    assert "<summary>For professionals: the evidence, numbers and methods</summary>" in body
    before, inside = body.split("<details", 1)
    for key in PLAIN_KEYS:
        assert f'id="{key}"' in before
    for key in ("evidence", "reports", "reasons", "related", "methods"):
        assert f'id="{key}"' in inside
    assert '<p class="grade-badge grade-possible" data-grade="possible">Possible</p>' in body
    assert body.index("grade-badge") < body.index("<h1>")
    assert "<script" not in html.lower() and "<link" not in html.lower() and "http" not in body


def test_badge_falls_back_to_the_grade() -> None:
    html = render_article(_article("insufficient evidence", ""), {})
    assert (
        'class="grade-badge grade-insufficient-evidence" data-grade="insufficient-evidence">insufficient evidence<'
        in html
    )


def test_markdown_puts_professional_sections_under_one_heading_one_level_deeper() -> None:
    md = render_article_md(_article())
    heads = [ln for ln in md.splitlines() if ln.startswith("#")]
    assert heads == [
        "# Can amlodipine cause peripheral neuropathy?",
        "## The short answer",
        "## What to do",
        "## The drug: amlodipine",
        "## The condition: Peripheral neuropathy",
        "## Why we say this",
        "## For professionals",
        "### What the evidence says",
        "#### Spontaneous reports",
        "### Reasons for the grade",
        "### Related questions",
        "### Methods",
    ]


# ---- in Chromium --------------------------------------------------------------------------------------------


def test_hand_built_article_in_chromium(browser, tmp_path: Path) -> None:
    path = tmp_path / "article.html"
    path.write_text(render_article(_article(), {}), encoding="utf-8")
    page = _open(browser, path, VIEWPORT)
    _check_contract(page)
    # The text column stays readable on a wide screen (about 46rem).
    assert page.locator("main.article").bounding_box()["width"] <= 46 * 16 + 1
    # Opening the fold shows the evidence; its wide table scrolls inside .table-wrap, not the page.
    page.locator("details.professional > summary").click()
    assert page.locator("details.professional").evaluate("d => d.open")
    assert page.locator("details.professional table").first.is_visible()
    page.screenshot(path=str(tmp_path / "opened.png"), full_page=True)
    page.close()


def test_readable_at_mobile_width(browser, tmp_path: Path) -> None:
    path = tmp_path / "article.html"
    path.write_text(render_article(_article(), {}), encoding="utf-8")
    page = _open(browser, path, MOBILE)
    _check_contract(page)
    page.locator("details.professional > summary").click()
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= MOBILE["width"], f"the page scrolls sideways at 390px ({page_width}px wide)"
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth"), "the wide table scrolls inside .table-wrap"
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    page.screenshot(path=str(tmp_path / "mobile.png"), full_page=True)
    page.close()


def test_grade_badges_have_distinct_colours_and_aa_contrast(browser) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    colours = {}
    for grade in GRADES:
        page.set_content(render_article(_article(grade, grade.capitalize()), {}))
        badge = page.locator(f".grade-badge.grade-{grade_slug(grade)}")
        assert badge.is_visible() and badge.inner_text() == grade.capitalize()
        fg, bg = badge.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
        assert _contrast(fg, bg) >= 4.5, (grade, fg, bg, _contrast(fg, bg))
        colours[grade] = bg
    assert len(set(colours.values())) == len(GRADES), colours
    page.close()


# ---- the real answer -------------------------------------------------------------------------------------


def test_real_answer_in_chromium(browser, real_store: Path, tmp_path: Path) -> None:
    """The engine's answer to the amlodipine question, rendered by render_html and opened at 1280x900."""
    from adrlens.engine import Engine
    from adrlens.report import render_html
    from adrlens.report.article import build_article

    answer = Engine(real_store).answer("Can amlodipine cause peripheral neuropathy?")
    path = tmp_path / "amlodipine.html"
    path.write_text(render_html(answer), encoding="utf-8")
    page = _open(browser, path, VIEWPORT)
    full, first = tmp_path / "amlodipine-full.png", tmp_path / "amlodipine-viewport.png"
    page.screenshot(path=str(full), full_page=True)
    page.screenshot(path=str(first))
    assert full.stat().st_size > 10_000 and first.stat().st_size > 10_000
    assert page.locator("header .grade-badge").is_visible()
    assert page.locator("header .grade-badge").get_attribute("data-grade") == grade_slug(answer.verdict.grade)

    assert any(sec.layer == "professional" for sec in build_article(answer).sections)
    _check_contract(page)
    page.close()
