"""The web app: home (one search box), the answer page, a drug's and a condition's screening pages, sources.

    /                       the search box (autocomplete from /api/v1/suggest in static/app.js) and examples
    /ask?q=...              the layered article (also ?drug=&condition=&scope=): a permalink
    /drug/{name}            the drug's profile and its screening table (sort, filter, page; a trend per row)
    /condition/{name}       what the condition is and the drugs most often reported with it
    /sources                where the data come from, and the methods
    /chart/trend.svg        one pair's quarterly trend, as an image (the drug table's rows load it on demand)

The pages call the Service directly (never HTTP). Templates are Jinja2 with autoescape on and StrictUndefined:
every value from a person or the store is escaped; only our own SVG charts are passed as Markup. No page has
an inline script (the CSP forbids it): the scripts are static/app.js and static/table.js. A question that
cannot be answered is an HTML page with the status the API would give (400, 404, 409) and links to what was
probably meant; anything unexpected is a 500 page with an id to quote, never a traceback.
"""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from collections.abc import Callable
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from adrlens.errors import ResolutionError, StoreError
from adrlens.report.article import build_article
from adrlens.report.charts import svg_open, trend_svg
from adrlens.report.html import TEMPLATES as ARTICLE_TEMPLATES
from adrlens.report.html import article_context, chart_figures
from adrlens.serve import web_tables as wt
from adrlens.serve.api import NAME_CHARS
from adrlens.serve.problems import STATUS_OF_KIND
from adrlens.serve.service import Busy, Service
from adrlens.sources import registry
from adrlens.store import queries
from adrlens.store.screening import CONDITION_SORTS, DRUG_SORTS
from adrlens.vocab.question import parse
from adrlens.vocab.resolve import drug_vocabulary, resolve_drug

router = APIRouter()
log = logging.getLogger("adrlens.serve")

TEMPLATES = Path(__file__).parent / "templates"
ARTICLE_CSS = ARTICLE_TEMPLATES / "article.css"
SCOPES = ("narrow", "broad")
SOURCE_KEYS = tuple(registry.keys())
DEFAULT_DRUG_SORT = "eb05"
DEFAULT_CONDITION_SORT = "eb05"
SHOWN_INDICATIONS = 12
SHOWN_BRANDS = 8
# Questions on the home page: each answers from the store `make answer` builds (a test opens every one).
EXAMPLES = (
    "Can amlodipine cause peripheral neuropathy?",
    "Can Norvasc cause pins and needles?",
    "Does metformin cause lactic acidosis?",
    "Can atorvastatin cause muscle pain?",
    "Can the flu vaccine cause Guillain-Barré syndrome?",
)
# What each error status says first; the page then gives the message and the ways on.
ERROR_TITLES = {
    400: "We could not read this question",
    404: "We do not know this name",
    409: "Which one do you mean?",
    422: "This address has a wrong parameter",
    500: "Something went wrong",
    503: "The data are not available",
}
CONDITION_NOTE = (
    "Counts are reports, not patients. Each drug's row is its strongest pair with the condition's terms (the "
    "highest EB05 in any source); “Terms flagged” is how many of those terms the signal rule flags for it."
)


# ---- URLs and rendering -----------------------------------------------------------------------------------


def drug_url(name: str) -> str:
    return "/drug/" + quote(str(name), safe="")


def condition_url(name: str, scope: str = "narrow") -> str:
    return "/condition/" + quote(str(name), safe="") + ("" if scope == "narrow" else "?scope=" + quote(scope))


def ask_url(q: str | None = None, **params: str | None) -> str:
    pairs = {"q": q, **params}
    return "/ask?" + urlencode({k: v for k, v in pairs.items() if v})


def question_for(drug: str, condition: str) -> str:
    """ "Can amlodipine cause deep vein thrombosis?" (a capitalised first word lowered, an acronym kept)."""
    cond = condition[:1].lower() + condition[1:] if not condition[:2].isupper() else condition
    return f"Can {drug} cause {cond}?"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        # Our templates first, then the report's, so the answer page includes the article's own body.
        loader=FileSystemLoader([str(TEMPLATES), str(ARTICLE_TEMPLATES)]),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt field fails in the tests instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        drug_url=drug_url, condition_url=condition_url, ask_url=ask_url, question_for=question_for,
        source_short=wt.source_short,
    )  # fmt: skip
    return env


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("active", "")
    context.setdefault("search_q", "")
    return HTMLResponse(_env().get_template(name).render(**context), status_code=status_code)


def error_page(status: int, message: str, links: list[tuple[str, str]] | None = None, **context: Any) -> HTMLResponse:
    """The HTML error page: what went wrong, what to do, and links to what was probably meant."""
    context.setdefault("title", ERROR_TITLES.get(status, "Error"))
    context.setdefault("links_heading", "Did you mean")
    message = message[:1].upper() + message[1:]  # the engine's messages start in lower case, after "error: "
    return render("error.html", status, status=status, message=message, links=links or [], examples=EXAMPLES, **context)


def resolution_page(err: ResolutionError, links: list[tuple[str, str]], **context: Any) -> HTMLResponse:
    """A name or question that did not resolve: 400 unreadable, 404 unknown, 409 ambiguous (the choices)."""
    status = STATUS_OF_KIND.get(err.kind, 400)
    heading = "Choose one" if status == 409 else "Did you mean"
    return error_page(status, str(err), links, links_heading=heading, **context)


def _page_error(e: Exception) -> Response:
    if isinstance(e, wt.BadParameter):
        return error_page(422, f"{e} Fix the address, or start again from the search box.")
    if isinstance(e, Busy):
        page = error_page(503, str(e))
        page.headers["Retry-After"] = str(e.retry_after)
        return page
    if isinstance(e, StoreError):
        return error_page(503, str(e))
    ref = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s on a page", ref)
    return error_page(
        500,
        f"adrlens could not show this page (error id {ref}, in the server log). Try again; if it keeps "
        "happening, report the id and the address.",
    )


def html_errors(route: Callable[..., Any]) -> Callable[..., Any]:
    """A page route (plain or async) whose failures are HTML pages: a wrong parameter 422, a missing store or
    a full answer queue 503, anything else 500 with an id (the traceback goes to the server log only)."""
    if inspect.iscoroutinefunction(route):

        @functools.wraps(route)
        async def awaited(*args: Any, **kwargs: Any) -> Response:
            try:
                return await route(*args, **kwargs)
            except Exception as e:
                return _page_error(e)

        return awaited

    @functools.wraps(route)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return route(*args, **kwargs)
        except Exception as e:
            return _page_error(e)

    return wrapped


def service(request: Request) -> Service:
    return request.app.state.service


# ---- home and the answer page -----------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
@html_errors
def home(request: Request) -> Response:
    return render("home.html", title="Can this drug cause that?", active="home", examples=EXAMPLES)


def _alternatives(
    err: ResolutionError, q: str | None, drug: str | None, condition: str | None, scope: str
) -> list[tuple[str, str]]:
    """A link per candidate name of the error: the question asked again with it in place of the part that
    failed (the drug or the condition), or the candidate's own page when the other part is not known."""
    drug_words, cond_words = drug, condition
    if q and not (drug and condition):
        try:
            parsed = parse(q)
            drug_words, cond_words = parsed.drug_text, parsed.condition_text
        except ResolutionError:
            drug_words = cond_words = None
    drug_failed = True
    if drug_words:
        try:
            resolve_drug(drug_words)
            drug_failed = False
        except ResolutionError:
            pass
    out = []
    for c in err.candidates:
        if drug_failed and cond_words:
            out.append((question_for(c, cond_words), ask_url(question_for(c, cond_words), scope=_scope_param(scope))))
        elif not drug_failed and drug_words:
            out.append((question_for(drug_words, c), ask_url(question_for(drug_words, c), scope=_scope_param(scope))))
        else:
            out.append((c, drug_url(c) if drug_failed else condition_url(c, scope)))
    return out


def _scope_param(scope: str) -> str | None:
    return None if scope == "narrow" else scope


def _check_length(value: str | None, name: str, limit: int) -> None:
    if value and len(value) > limit:
        raise wt.BadParameter(f"{name} is {len(value):,} characters long; give at most {limit:,}.")


@router.get("/ask", response_class=HTMLResponse)
@html_errors
async def ask(
    request: Request, q: str | None = None, drug: str | None = None, condition: str | None = None, scope: str = "narrow"
) -> Response:
    svc = service(request)
    q = (q or "").strip() or None
    drug, condition = (drug or "").strip() or None, (condition or "").strip() or None
    if scope not in SCOPES:
        raise wt.BadParameter(f"scope must be narrow or broad, not {scope!r}.")
    _check_length(q, "The question", svc.settings.max_question_chars)
    _check_length(drug, "drug", NAME_CHARS)
    _check_length(condition, "condition", NAME_CHARS)
    asked = q or (question_for(drug, condition) if drug and condition else "")
    if not q and not (drug and condition):
        return error_page(
            400,
            "Type a question, for example: Can amlodipine cause peripheral neuropathy? (or give both a drug and a "
            "condition).",
            search_q=asked,
            title="Ask a question",
        )
    try:
        answer = (await svc.answer_item_async(q, drug, condition, scope))["answer"]
    except ResolutionError as e:
        return resolution_page(e, _alternatives(e, q, drug, condition, scope), search_q=asked)
    art = build_article(answer)
    ctx = article_context(art, chart_figures(answer))
    permalink = ask_url(q, drug=drug, condition=condition, scope=_scope_param(scope))
    json_link = "/api/v1/answer?" + permalink.split("?", 1)[1]
    return render(
        "answer.html",
        **ctx,
        search_q=asked,
        permalink=permalink,
        json_link=json_link,
        drug_name=answer.drug.name,
        condition_label=answer.condition.label,
        scope=scope,
    )


# ---- a drug's and a condition's pages ----------------------------------------------------------------------


def _table(
    columns: tuple[wt.Column, ...],
    path: str,
    p: wt.TableParams,
    data: dict,
    default_sort: str,
    links: dict[str, Callable[[dict[str, Any]], str]],
    trend: Callable[[dict[str, Any]], dict[str, str]] | None = None,
    hidden: dict[str, str] | None = None,
) -> dict:
    """What templates/_table.html shows: headings, rows (cells, and a trend image's address when `trend`),
    the pager, and the parameters the filter form keeps (`hidden`, besides sort and order)."""
    return {
        "headers": wt.headers(columns, path, p, default_sort),
        "rows": [{"cells": wt.cells(columns, r, links), "trend": trend(r) if trend else None} for r in data["rows"]],
        "pager": wt.pager(path, p, int(data["total"]), default_sort),
        "params": p,
        "action": path.split("?", 1)[0],
        "hidden": hidden or {},
        "has_trend": trend is not None,
    }


def _brands(name: str, kind: str) -> list[str]:
    if kind == "vaccine":
        from adrlens.vocab.vaccines import all_vaccine_names

        return [n for n in all_vaccine_names().get(name, []) if n.lower() != name.lower()][:SHOWN_BRANDS]
    return [b.title() for b in drug_vocabulary().synonyms(name, limit=SHOWN_BRANDS) if b.lower() != name.lower()]


def _trend_image(drug: str, pt: str, source: str, role: str) -> dict[str, str]:
    """The row's trend chart: its address (drawn by /chart/trend.svg when the row's details are opened)."""
    query = {"drug": drug, "pt": pt, "source": source, **({"role": role} if role != "suspect" else {})}
    return {"src": "/chart/trend.svg?" + urlencode(query), "alt": f"Cumulative signal by quarter: {drug}, {pt}"}


@router.get("/drug", response_class=HTMLResponse, include_in_schema=False)
@html_errors
def drug_lookup(name: str = "") -> Response:
    """The drug form on the home page: /drug?name=Norvasc goes to /drug/Norvasc."""
    return _lookup(name, drug_url, "Type a drug name, for example amlodipine or Norvasc.", "Which drug?")


def _lookup(name: str, url: Callable[[str], str], prompt: str, title: str) -> Response:
    """A name typed into a form -> its page (303), or the page asking for one."""
    name = " ".join(name.split())
    if not name:
        return error_page(400, prompt, title=title)
    _check_length(name, "name", NAME_CHARS)
    return RedirectResponse(url(name), status_code=303)


@router.get("/drug/{name:path}", response_class=HTMLResponse)
@html_errors
def drug_page(request: Request, name: str) -> Response:
    svc = service(request)
    _check_length(name, "The drug name", NAME_CHARS)
    p = wt.read_params(request.query_params, DRUG_SORTS, DEFAULT_DRUG_SORT, svc.settings.max_page_size)
    try:
        data = svc.drug_signals(name, p.query())
    except ResolutionError as e:
        return resolution_page(e, [(c, drug_url(c)) for c in e.candidates])
    d = data["drug"]
    cur = svc.con.cursor()
    try:
        profile = queries.drug_profile(cur, d["name"])
    finally:
        cur.close()
    if profile:  # several sources name the same indication: show it once, with every source named after the list
        first: dict[str, dict] = {}
        for i in profile["indications"]:
            first.setdefault(str(i["indication"]).lower(), i)
        profile = {**profile, "indications": list(first.values())}
    path = drug_url(d["name"])
    return render(
        "drug.html",
        title=f"{d['name']}: reports and signals",
        drug=d,
        profile=profile,
        brands=_brands(d["name"], d["kind"]),
        shown_indications=SHOWN_INDICATIONS,
        cases=data["cases_by_source"],
        note=data["note"],
        table=_table(
            wt.DRUG_COLUMNS,
            path,
            p,
            data,
            DEFAULT_DRUG_SORT,
            links={"pt": lambda r: ask_url(drug=d["name"], condition=str(r["pt"]))},
            trend=lambda r: _trend_image(d["name"], str(r["pt"]), str(r["source"]), p.role),
        ),
        sources=list(data["cases_by_source"]) or registry.keys(),
    )


@router.get("/condition", response_class=HTMLResponse, include_in_schema=False)
@html_errors
def condition_lookup(name: str = "") -> Response:
    """The condition form: /condition?name=tingling goes to /condition/tingling."""
    prompt = "Type a condition, for example peripheral neuropathy or tingling."
    return _lookup(name, condition_url, prompt, "Which one?")


@router.get("/condition/{name:path}", response_class=HTMLResponse)
@html_errors
def condition_page(request: Request, name: str, scope: str = "narrow") -> Response:
    svc = service(request)
    _check_length(name, "The condition", NAME_CHARS)
    if scope not in SCOPES:
        raise wt.BadParameter(f"scope must be narrow or broad, not {scope!r}.")
    params = {k: v for k, v in request.query_params.items() if k != "scope"}
    p = wt.read_params(params, CONDITION_SORTS, DEFAULT_CONDITION_SORT, svc.settings.max_page_size)
    try:
        data = svc.condition_drugs(name, p.query(), scope=scope)
    except ResolutionError as e:
        return resolution_page(e, [(c, condition_url(c, scope)) for c in e.candidates])
    c = data["condition"]
    path = condition_url(c["label"], scope)
    return render(
        "condition.html",
        title=f"{c['label']}: drugs reported with it",
        condition=c,
        about=data["about"] or {},
        pts=data["pts"],
        note=CONDITION_NOTE,
        scope=scope,
        table=_table(
            wt.CONDITION_COLUMNS,
            path,
            p,
            data,
            DEFAULT_CONDITION_SORT,
            links={
                "drug": lambda r: drug_url(str(r["drug"])),
                "pt": lambda r: ask_url(drug=str(r["drug"]), condition=str(r["pt"])),
            },
            hidden={"scope": scope} if scope != "narrow" else None,
        ),
        sources=registry.keys(),
    )


# ---- sources, the trend chart, the article's stylesheet -----------------------------------------------------


@router.get("/sources", response_class=HTMLResponse)
@html_errors
def sources_page(request: Request) -> Response:
    data = service(request).sources()
    return render("sources.html", title="Sources and methods", active="sources", data=data)


def _svg_message(status: int, title: str, message: str) -> Response:
    """A chart that could not be drawn, as an image saying why (an <img> shows no JSON)."""
    parts = svg_open(640, 60, title, message)
    parts += [f'<text x="8" y="44" fill="#8e1b1b">{escape(message)}</text>', "</svg>"]
    return Response("\n".join(parts), status_code=status, media_type="image/svg+xml")


@router.get("/chart/trend.svg", include_in_schema=False)
def trend_chart(request: Request, drug: str = "", pt: str = "", source: str = "", role: str = "suspect") -> Response:
    """One (drug, reported term) pair's cumulative measure by quarter in one source, as SVG."""
    title = "Trend by quarter"
    if not drug.strip() or not pt.strip() or len(drug) > NAME_CHARS or len(pt) > NAME_CHARS:
        return _svg_message(422, title, f"Give drug and pt (each 1 to {NAME_CHARS} characters).")
    if source not in SOURCE_KEYS or role not in wt.ROLES:
        return _svg_message(422, title, f"source must be one of {', '.join(registry.keys())}.")
    try:
        data = service(request).trend(drug, pt, source, role)
    except ResolutionError as e:
        return _svg_message(STATUS_OF_KIND.get(e.kind, 400), title, str(e))
    except Exception:
        ref = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s drawing a trend", ref)
        return _svg_message(500, title, f"The chart could not be drawn (error id {ref}).")
    svg = trend_svg(data["points"], f"{data['drug']}, {data['pt']}: {wt.source_short(source)}")
    return Response(svg, media_type="image/svg+xml", headers={"cache-control": "max-age=3600"})


@lru_cache(maxsize=1)
def _article_css() -> bytes:
    return ARTICLE_CSS.read_bytes()


@router.get("/assets/article.css", include_in_schema=False)
def article_css() -> Response:
    """The article's stylesheet (report/templates/article.css, the one the standalone page inlines)."""
    return Response(_article_css(), media_type="text/css", headers={"cache-control": "max-age=3600"})
