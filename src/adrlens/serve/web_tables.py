"""The screening tables of the web pages: query parameters read and checked, columns, cells, sort and page links.

A table page (a drug's signals, a condition's drugs) takes the same parameters as the API (sort, order, source,
signal_only, labelled, term, page, per_page), read here from the query string so that a wrong one is an HTML
error page, not JSON. Links keep every other parameter and drop the defaults, so permalinks stay short.
Each cell carries its raw value (data-value) so that static/table.js can sort the rows in the browser.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, get_args
from urllib.parse import urlencode

from adrlens.report.doc import fmt, fmt_count, fmt_interval
from adrlens.serve.api import NAME_CHARS, Role
from adrlens.serve.settings import DEFAULT_PAGE_SIZE
from adrlens.sources import registry
from adrlens.store.screening import CONDITION_SORTS, DRUG_SORTS, TableQuery

MISSING = "—"  # a missing measure in a table cell (a = 0 has no ratio)
ORDERS = ("asc", "desc")
LABELLED = {"": None, "yes": True, "no": False}  # the labelled filter's values and what they ask for
ROLES: tuple[str, ...] = get_args(Role)
TRUE_WORDS = ("1", "true", "on", "yes")
FALSE_WORDS = ("", "0", "false", "off", "no")


class BadParameter(ValueError):
    """A query parameter a page cannot use: the page answers 422 with this message."""


@dataclass(frozen=True)
class TableParams:
    """A table's query parameters as the page was asked for them (strings as in the URL, numbers checked)."""

    sort: str
    order: str = "desc"
    source: str = ""
    signal_only: bool = False
    labelled: str = ""  # "", "yes" or "no"
    term: str = ""
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    role: str = "suspect"

    def query(self) -> TableQuery:
        return TableQuery.for_page(
            self.page,
            self.per_page,
            self.order,
            source=self.source or None,
            role=self.role,
            signal_only=self.signal_only,
            labelled=LABELLED[self.labelled],
            term=self.term or None,
            sort=self.sort,
        )


def _int(raw: str, name: str, lo: int, hi: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"{name} must be a whole number from {lo} to {hi:,}, not {raw!r}.") from None
    if not lo <= value <= hi:
        raise BadParameter(f"{name} must be from {lo} to {hi:,}, not {value:,}.")
    return value


def _choice(raw: str, name: str, allowed: tuple[str, ...] | list[str]) -> str:
    if raw not in allowed:
        shown = ", ".join(a or "(empty)" for a in allowed)
        raise BadParameter(f"{name} must be one of {shown}, not {raw!r}.")
    return raw


def read_params(
    params: Mapping[str, str], sorts: tuple[str, ...], default_sort: str, max_page_size: int
) -> TableParams:
    """The table parameters of a page request; BadParameter (a 422 page) for one out of range."""
    signal = params.get("signal_only", "").lower()
    if signal not in TRUE_WORDS + FALSE_WORDS:
        raise BadParameter(f"signal_only must be true or false, not {signal!r}.")
    term = " ".join(params.get("term", "").split())
    if len(term) > NAME_CHARS:
        raise BadParameter(f"term is {len(term):,} characters long; give at most {NAME_CHARS}.")
    return TableParams(
        sort=_choice(params.get("sort", default_sort), "sort", sorts),
        order=_choice(params.get("order", "desc"), "order", ORDERS),
        source=_choice(params.get("source", ""), "source", ["", *registry.keys()]),
        signal_only=signal in TRUE_WORDS,
        labelled=_choice(params.get("labelled", ""), "labelled", tuple(LABELLED)),
        term=term,
        page=_int(params.get("page", "1"), "page", 1, 1_000_000),
        per_page=_int(params.get("per_page", str(DEFAULT_PAGE_SIZE)), "per_page", 1, max_page_size),
        role=_choice(params.get("role", "suspect"), "role", ROLES),
    )


def link(path: str, p: TableParams, default_sort: str, **changes: Any) -> str:
    """`path` with the table parameters `p` (after `changes`), defaults left out."""
    p = replace(p, **changes)
    defaults = TableParams(sort=default_sort)
    pairs = {
        k: ("true" if v is True else v)
        for k, v in p.__dict__.items()
        if v != getattr(defaults, k) and v not in ("", False)
    }
    return path + ("?" + urlencode(pairs) if pairs else "")


# ---- columns -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column: its heading, the server's sort key (None: sortable in the browser only), how the
    browser compares it (num or text), and the cell's text and raw value."""

    key: str
    label: str
    sort: str | None
    kind: str  # "num" or "text"
    show: Callable[[dict[str, Any]], str]
    value: Callable[[dict[str, Any]], Any]
    abbr: str = ""  # the full name of an abbreviated heading (title and the screen reader's name)


def _num(key: str, digits: int = 2) -> Callable[[dict[str, Any]], str]:
    def show(r: dict[str, Any]) -> str:
        v = r.get(key)
        return MISSING if v is None else fmt(v, digits)

    return show


def _interval(point: str) -> Callable[[dict[str, Any]], str]:
    def show(r: dict[str, Any]) -> str:
        if r.get(point) is None:
            return MISSING
        return fmt_interval(r.get(point), r.get(point + "_lo"), r.get(point + "_hi"))

    return show


def _get(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda r: r.get(key)


def source_short(key: str) -> str:
    try:
        return registry.get(key).short
    except Exception:  # a source key the registry no longer declares still shows as its key
        return key


def _flag(r: dict[str, Any]) -> str:
    return "signal" if r.get("signal") else "no"


def _label(r: dict[str, Any]) -> str:
    return "labelled" if r.get("labelled") else "not on the label"


def _coflags(r: dict[str, Any]) -> str:
    n = int(r.get("class_coflags") or 0)
    if not n:
        return "none"
    names = ", ".join(r.get("class_coflag_drugs") or [])
    more = n - len(r.get("class_coflag_drugs") or [])
    return f"{n}: {names}" + (f" and {more} more" if more > 0 else "")


_MEASURES = (
    Column("a", "Reports (a)", "a", "num", lambda r: fmt_count(r.get("a")), _get("a"), "reports of the pair"),
    Column("e", "Expected (E)", "e", "num", _num("e"), _get("e"), "reports expected if unrelated"),
    Column("prr", "PRR", "prr", "num", _num("prr"), _get("prr"), "proportional reporting ratio"),
    Column("ror", "ROR (95% CI)", "ror", "num", _interval("ror"), _get("ror"), "reporting odds ratio"),
    Column("ic025", "IC025", "ic025", "num", _num("ic025"), _get("ic025"), "information component, lower bound"),
    Column("ebgm", "EBGM", "ebgm", "num", _num("ebgm"), _get("ebgm"), "empirical Bayes geometric mean"),
    Column("eb05", "EB05", "eb05", "num", _num("eb05"), _get("eb05"), "EBGM, lower 5% bound"),
    Column("signal", "Signal", None, "num", _flag, lambda r: 1 if r.get("signal") else 0, "the signal rule's flag"),
    Column("labelled", "Label", None, "num", _label, lambda r: 1 if r.get("labelled") else 0, "on a drug label"),
)
_SOURCE = Column("source", "Source", "source", "text", lambda r: source_short(str(r.get("source"))), _get("source"))


def _sortable_by(sorts: tuple[str, ...], *columns: Column) -> tuple[Column, ...]:
    """The columns, each sorted by the server only when its table can sort by it (else in the browser only)."""
    return tuple(c if c.sort in sorts else replace(c, sort=None) for c in columns)


DRUG_COLUMNS = _sortable_by(
    DRUG_SORTS,
    Column("pt", "Reported term (PT)", "pt", "text", lambda r: str(r.get("pt")), _get("pt")),
    _SOURCE,
    *_MEASURES,
    Column(
        "class_coflags",
        "Class co-flags",
        "class_coflags",
        "num",
        _coflags,
        _get("class_coflags"),
        abbr="same-class drugs flagged for the same term",
    ),
)
CONDITION_COLUMNS = _sortable_by(
    CONDITION_SORTS,
    Column("drug", "Drug", "drug", "text", lambda r: str(r.get("drug")), _get("drug")),
    Column("pt", "Its strongest term (PT)", "pt", "text", lambda r: str(r.get("pt")), _get("pt")),
    _SOURCE,
    *_MEASURES,
    Column(
        "pts_flagged",
        "Terms flagged",
        "pts_flagged",
        "num",
        lambda r: fmt_count(r.get("pts_flagged")),
        _get("pts_flagged"),
        abbr="how many of the condition's terms the signal rule flags",
    ),
)


def headers(columns: tuple[Column, ...], path: str, p: TableParams, default_sort: str) -> list[dict[str, Any]]:
    """Each column's heading: its aria-sort when the server sorted by it, and the link that sorts by it."""
    out = []
    for c in columns:
        active = c.sort is not None and c.sort == p.sort
        first = "asc" if c.kind == "text" else "desc"  # names A to Z, numbers highest first
        order = ("asc" if p.order == "desc" else "desc") if active else first
        out.append(
            {
                "col": c,
                "aria_sort": ("descending" if p.order == "desc" else "ascending") if active else "none",
                "href": link(path, p, default_sort, sort=c.sort, order=order, page=1) if c.sort else "",
            }
        )
    return out


def cells(
    columns: tuple[Column, ...], row: dict[str, Any], links: Mapping[str, Callable[[dict[str, Any]], str]]
) -> list[dict[str, Any]]:
    """The row's cells: shown text, the raw value the browser sorts by ("" for a missing one), and a link for
    the columns in `links` (key -> the row's address)."""
    out = []
    for c in columns:
        v = c.value(row)
        raw = "" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v))
        href = links[c.key](row) if c.key in links else ""
        out.append({"key": c.key, "text": c.show(row), "value": raw, "href": href})
    return out


def pager(path: str, p: TableParams, total: int, default_sort: str) -> dict[str, Any]:
    """Where this page sits and the links to its neighbours."""
    pages = max(1, -(-total // p.per_page))
    first = (p.page - 1) * p.per_page + 1 if total else 0
    return {
        "page": p.page,
        "pages": pages,
        "first": first,
        "last": min(total, p.page * p.per_page),
        "total": total,
        "prev": link(path, p, default_sort, page=p.page - 1) if p.page > 1 else "",
        "next": link(path, p, default_sort, page=p.page + 1) if p.page < pages else "",
    }
