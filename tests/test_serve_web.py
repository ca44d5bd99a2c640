"""The web app's pages without a browser: status codes, escaping, error pages, the trend image, no inline script.

The app is the real one (create_app over the real store, in-process through Starlette's TestClient); the HTML is
read with the standard library's parser. The browser side (autocomplete, sorting, folding) is in
tests/test_serve_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import pytest

from adrlens.serve import web_tables as wt
from adrlens.serve.web import EXAMPLES
from adrlens.store.screening import CONDITION_SORTS, DRUG_SORTS

QUESTION = "Can amlodipine cause peripheral neuropathy?"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
PAGES = ["/", "/ask?q=" + quote(QUESTION), "/drug/Norvasc", "/condition/tingling", "/sources"]


class Doc(HTMLParser):
    """Every start tag with its attributes, in order, and the text; enough to check a page's structure."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        """Tags named `tag` whose attributes hold `attrs` (class_ matches one class among several)."""
        out = []
        for t, a in self.tags:
            if t != tag:
                continue
            ok = True
            for k, v in attrs.items():
                if k == "class_":
                    ok &= v in a.get("class", "").split()
                else:
                    ok &= a.get(k) == v
            if ok:
                out.append(a)
        return out

    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def client(real_store: Path):
    from fastapi.testclient import TestClient

    from adrlens.serve.app import create_app
    from adrlens.serve.settings import ServeSettings

    with TestClient(create_app(ServeSettings(store=real_store, engines=2))) as c:
        yield c


def _html(client, url: str, status: int = 200) -> Doc:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    return Doc(r.text)


def _assert_layout(doc: Doc) -> None:
    """The same navigation on every page, and no script but our static files (the CSP forbids inline ones)."""
    nav = [a.get("href") for t, a in doc.tags if t == "a"]
    for href in ("/", "/sources", "/docs"):
        assert href in nav, f"the navigation lacks {href}"
    assert len(doc.find("main")) == 1
    assert doc.find("nav", **{"aria-label": "Main"})
    for s in doc.find("script"):
        assert s.get("src", "").startswith("/static/"), f"a script without a static src: {s}"


# ---- every page --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_page_renders_with_layout_and_security_headers(client, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    doc = Doc(r.text)
    _assert_layout(doc)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text, re.IGNORECASE), "an inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", r.text.split("<body", 1)[1].replace("<svg", "")), "an inline handler"
    for link in doc.find("link", rel="stylesheet"):
        assert client.get(link["href"]).status_code == 200, link


def test_static_files_are_served_with_their_types(client) -> None:
    for path, kind in [("/static/app.js", "javascript"), ("/static/table.js", "javascript"),
                       ("/static/app.css", "text/css"), ("/assets/article.css", "text/css")]:  # fmt: skip
        r = client.get(path)
        assert r.status_code == 200 and kind in r.headers["content-type"], (path, r.headers["content-type"])
    assert ".grade-badge" in client.get("/assets/article.css").text


def test_home_has_a_labelled_combobox_and_examples(client) -> None:
    doc = _html(client, "/")
    form = doc.find("form", action="/ask")
    assert form and form[0]["method"] == "get"
    (box,) = doc.find("input", id="q")
    assert box["name"] == "q" and box["role"] == "combobox" and box["aria-expanded"] == "false"
    assert doc.find("label", **{"for": "q"}), "the search box has a <label>"
    assert doc.find("ul", id=box["aria-controls"], role="listbox")
    examples = [a["href"] for a in doc.find("a") if a["href"].startswith("/ask?q=")]
    assert len(examples) == len(EXAMPLES)
    assert not doc.find("input", id="site-q"), "one search box at home"


@pytest.mark.parametrize("question", EXAMPLES)
def test_every_example_question_answers(client, question: str) -> None:
    doc = _html(client, "/ask?q=" + quote(question))
    assert doc.find("p", class_="grade-badge")


# ---- the answer page ---------------------------------------------------------------------------------------


def test_answer_page_is_the_layered_article(client) -> None:
    r = client.get("/ask", params={"q": QUESTION})
    assert r.status_code == 200
    doc = Doc(r.text)
    (badge,) = doc.find("p", class_="grade-badge")
    assert badge["data-grade"] and badge["data-grade"] in badge["class"]
    (fold,) = doc.find("details", class_="professional")
    assert fold["id"] == "for-professionals" and "open" not in fold
    body = r.text
    assert body.index('id="short_answer"') < body.index('id="what_to_do"') < body.index("<details")
    assert "<svg" in body.split("<details", 1)[1], "the charts are inline SVG inside the professional part"
    assert 'href="/drug/amlodipine"' in body
    assert 'href="/condition/Peripheral%20neuropathy"' in body
    # The page is a permalink and the answer's data are one link away.
    assert doc.find("a", href="/ask?q=" + quote_plus(QUESTION))
    api = client.get("/api/v1/answer", params={"q": QUESTION}).json()
    assert api["verdict"]["grade"].replace(" ", "-") == badge["data-grade"]


def test_answer_by_drug_and_condition(client) -> None:
    doc = _html(client, "/ask?drug=Norvasc&condition=tingling")
    assert doc.find("p", class_="grade-badge")
    assert "amlodipine" in doc.all_text().lower()


# ---- errors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/ask?q=" + quote("hello there"), 400, "could not find a drug and a condition"),
        ("/ask", 400, "Type a question"),
        ("/ask?q=" + quote("Can zzqxv cause headache?"), 404, "unknown drug"),
        ("/ask?q=" + quote("Can amlodipine cause qwxyzzy?"), 404, "unknown condition"),
        ("/ask?q=" + quote("Can amlodipine cause thrombosis?"), 409, "ambiguous"),
        ("/ask?q=" + quote(QUESTION) + "&scope=wide", 422, "scope must be narrow or broad"),
        ("/ask?q=" + "a" * 1001, 422, "at most 1,000"),
        ("/drug/zzqxv", 404, "unknown drug"),
        ("/condition/qwxyzzy", 404, "unknown condition"),
        ("/drug/amlodipine?sort=bogus", 422, "sort must be one of"),
        ("/drug/amlodipine?page=0", 422, "page must be from 1"),
        ("/drug/amlodipine?per_page=100000", 422, "per_page must be from 1"),
        ("/drug/amlodipine?signal_only=maybe", 422, "signal_only must be true or false"),
        ("/condition/tingling?sort=pt", 422, "sort must be one of"),
        ("/drug?name=", 400, "Type a drug name"),
    ],
)
def test_error_pages_are_html_with_the_api_status(client, url: str, status: int, says: str) -> None:
    doc = _html(client, url, status)
    _assert_layout(doc)
    assert doc.find("main", class_="error")[0]["data-status"] == str(status)
    assert says.lower() in doc.all_text().lower()


def test_ambiguous_question_links_each_choice(client) -> None:
    doc = _html(client, "/ask?q=" + quote("Can amlodipine cause thrombosis?"), 409)
    links = [a["href"] for a in doc.find("a") if a["href"].startswith("/ask?q=") and "thrombo" in a["href"]]
    asked = [parse_qs(urlsplit(h).query)["q"][0] for h in links]
    assert "Can amlodipine cause deep vein thrombosis?" in asked and len(asked) >= 2
    assert client.get(links[0]).status_code == 200, "a choice is a question that answers"


def test_unknown_drug_offers_pages_that_exist(client) -> None:
    doc = _html(client, "/ask?q=" + quote("Can amlodapeen cause headache?"), 404)
    links = [a["href"] for a in doc.find("a") if "amlodipine" in a["href"]]
    assert links, "the close spelling is offered"
    assert client.get(links[0]).status_code == 200


def test_combination_brand_offers_each_ingredient(client) -> None:
    doc = _html(client, "/ask?q=" + quote("Can Lotrel cause cough?"), 409)
    asked = {a["href"] for a in doc.find("a")}
    assert "/ask?q=" + quote_plus("Can amlodipine cause cough?") in asked
    assert "/ask?q=" + quote_plus("Can benazepril cause cough?") in asked


def test_unknown_path_is_not_a_traceback(client) -> None:
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "Traceback" not in r.text


# ---- escaping ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/ask?q=" + quote(f"{SCRIPT} Can amlodipine cause tingling?"),  # answers: the title carries it
        "/ask?q=" + quote(f"Can amlodipine {IMG} cause tingling?"),
        "/ask?q=" + quote(f"{SCRIPT} {IMG}"),  # an error page: the message carries it
        "/drug/" + quote(IMG, safe=""),
        "/condition/" + quote(SCRIPT, safe=""),
        "/drug/amlodipine?term=" + quote(SCRIPT),
        "/ask?drug=" + quote(IMG) + "&condition=" + quote(SCRIPT),
    ],
)
def test_user_text_is_escaped(client, url: str) -> None:
    r = client.get(url)
    assert r.status_code in (200, 400, 404, 409), (url, r.status_code)
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text or "&lt;img src=x onerror=alert(1)&gt;" in r.text
    doc = Doc(r.text)
    assert not [a for t, a in doc.tags if t == "img" and a.get("src") == "x"]
    assert all(s.get("src", "").startswith("/static/") for s in doc.find("script"))


# ---- the drug and condition pages ----------------------------------------------------------------------------


def _column(html: str, key: str) -> list[str]:
    """The raw values (data-value) of a screening table's column, top to bottom."""
    return re.findall(rf'<td data-value="([^"]*)" class="c-{key}[" ]', html)


def _shown(html: str, key: str) -> list[str]:
    """The text shown in a screening table's column (inside its link, if it has one)."""
    return re.findall(rf'<td data-value="[^"]*" class="c-{key}[^"]*">(?:<a href="[^"]*">)?([^<]*)<', html)


def test_drug_page_profile_and_table(client) -> None:
    r = client.get("/drug/Norvasc")
    doc = Doc(r.text)
    assert "amlodipine" in doc.all_text() and "Norvasc" in doc.all_text()
    (table,) = doc.find("table", id="signals")
    heads = {a["data-key"]: a for a in doc.find("th") if "data-key" in a}
    assert {"pt", "source", "a", "e", "prr", "ror", "ic025", "ebgm", "eb05", "signal", "labelled",
            "class_coflags"} <= set(heads)  # fmt: skip
    assert heads["eb05"]["aria-sort"] == "descending"  # the server's default order
    eb05 = [float(v) for v in _column(r.text, "eb05") if v]
    assert eb05 == sorted(eb05, reverse=True) and len(eb05) == wt.DEFAULT_PAGE_SIZE
    assert int(table["data-total"]) > wt.DEFAULT_PAGE_SIZE
    assert "not on the label" in r.text and "labelled" in r.text
    trends = [a["src"] for a in doc.find("img", loading="lazy")]
    assert len(trends) == wt.DEFAULT_PAGE_SIZE and trends[0].startswith("/chart/trend.svg?drug=amlodipine&pt=")
    assert client.get(trends[0]).headers["content-type"].startswith("image/svg+xml")
    assert doc.find("a", rel="next")


def test_drug_table_server_sort_filter_and_pages(client) -> None:
    r = client.get("/drug/amlodipine?sort=a&order=asc&per_page=20&page=2")
    a = [int(v) for v in _column(r.text, "a")]
    assert len(a) == 20 and a == sorted(a)
    doc = Doc(r.text)
    assert next(h for h in doc.find("th") if h.get("data-key") == "a")["aria-sort"] == "ascending"
    # The sort link of the active column reverses it and keeps the other parameters.
    link = next(x["href"] for x in doc.find("a", class_="sort-link") if "sort=a" in x["href"])
    assert parse_qs(urlsplit(link).query) == {"sort": ["a"], "per_page": ["20"]}  # desc and page 1: the defaults
    assert doc.find("a", rel="prev") and doc.find("a", rel="next")

    flagged = client.get("/drug/amlodipine?signal_only=true&labelled=no&source=faers_ps").text
    assert set(_column(flagged, "signal")) == {"1"} and set(_column(flagged, "labelled")) == {"0"}
    assert set(_shown(flagged, "source")) == {"FAERS (primary-suspect extract)"}
    term = client.get("/drug/amlodipine?term=oedema").text
    pts = _shown(term, "pt")
    assert pts and all("oedema" in p for p in pts)


def test_condition_page(client) -> None:
    r = client.get("/condition/tingling")
    doc = Doc(r.text)
    text = doc.all_text()
    assert "Peripheral neuropathy" in text and "pins and needles" in text
    assert "neuropathy peripheral" in text  # its reported terms
    drugs = [a["href"] for a in doc.find("a") if a["href"].startswith("/drug/")]
    assert drugs and client.get(drugs[0]).status_code == 200
    eb05 = [float(v) for v in _column(r.text, "eb05") if v]
    assert eb05 == sorted(eb05, reverse=True)
    broad = client.get("/condition/tingling?scope=broad").text
    assert "paraesthesia" in broad.lower()
    assert 'name="scope" value="broad"' in broad, "the filter form keeps the scope"


def test_sources_page(client) -> None:
    doc = _html(client, "/sources")
    text = doc.all_text()
    for words in ("FAERS", "VAERS", "SIDER", "Deduplication", "Every file read"):
        assert words in text, words
    assert len(doc.find("tr")) > 10


# ---- the trend image -----------------------------------------------------------------------------------------


def test_trend_svg(client) -> None:
    r = client.get("/chart/trend.svg", params={"drug": "Norvasc", "pt": "shock", "source": "faers_ps"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg") and 'role="img"' in r.text and "amlodipine, shock" in r.text
    assert "<script" not in r.text


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"drug": "amlodipine", "pt": "shock", "source": "nowhere"}, 422),
        ({"drug": "", "pt": "shock", "source": "faers"}, 422),
        ({"drug": "zzqxv", "pt": "shock", "source": "faers"}, 404),
        ({"drug": "amlodipine", "pt": SCRIPT, "source": "faers"}, 200),  # an unknown term: an empty chart
    ],
)
def test_trend_svg_errors_are_images(client, params: dict, status: int) -> None:
    r = client.get("/chart/trend.svg", params=params)
    assert r.status_code == status and r.headers["content-type"].startswith("image/svg+xml")
    assert "<script>" not in r.text


# ---- the table helpers ---------------------------------------------------------------------------------------


def test_table_columns_sort_by_whitelisted_keys() -> None:
    assert {c.sort for c in wt.DRUG_COLUMNS if c.sort} <= set(DRUG_SORTS)
    assert {c.sort for c in wt.CONDITION_COLUMNS if c.sort} <= set(CONDITION_SORTS)
    # PRR is in the drug's table but not sortable in the condition's: there it sorts in the browser only.
    assert [c.sort for c in wt.DRUG_COLUMNS if c.key == "prr"] == ["prr"]
    assert [c.sort for c in wt.CONDITION_COLUMNS if c.key == "prr"] == [None]


@pytest.mark.parametrize("page", ["/drug/amlodipine", "/condition/tingling"])
def test_every_sort_link_sorts(client, page: str) -> None:
    doc = _html(client, page)
    links = [a["href"] for a in doc.find("a", class_="sort-link")]
    assert len(links) >= 8
    for href in links:
        key = parse_qs(urlsplit(href).query).get("sort", ["eb05"])[0]  # the default sort is left out
        r = client.get(href)
        assert r.status_code == 200, href
        heads = {a["data-key"]: a["aria-sort"] for a in Doc(r.text).find("th") if "data-key" in a}
        assert heads[key] in ("ascending", "descending"), (href, heads)


def test_links_keep_parameters_and_drop_defaults() -> None:
    p = wt.read_params({"sort": "a", "signal_only": "on", "term": "  liver  "}, DRUG_SORTS, "eb05", 500)
    assert p.signal_only and p.term == "liver" and p.query().descending
    assert wt.link("/drug/x", p, "eb05", page=2) == "/drug/x?sort=a&signal_only=true&term=liver&page=2"
    assert wt.link("/drug/x", wt.TableParams(sort="eb05"), "eb05") == "/drug/x"
    with pytest.raises(wt.BadParameter, match="labelled"):
        wt.read_params({"labelled": "maybe"}, DRUG_SORTS, "eb05", 500)


def test_unknown_page_is_html_for_a_browser_and_problem_json_for_a_program(client) -> None:
    page = client.get("/no/such/page", headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "no page at /no/such/page" in page.text and "Traceback" not in page.text
    program = client.get("/no/such/page", headers={"accept": "application/json"})
    assert program.status_code == 404 and program.headers["content-type"] == "application/problem+json"
    api = client.get("/api/v1/nope", headers={"accept": "text/html"})  # under the API: always problem+json
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
