"""The article's document tree (Seg, Block, Section, Article) and how values read to a person.

article.py builds the tree from an Answer; markdown.py and html.py render it. Every value goes through
`text` / `fmt`: a missing or undefined number reads "not available", never None, nan or inf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adrlens.model import Evidence
from adrlens.report.charts import num

NA = "not available"

# ---- document tree ------------------------------------------------------------------------------------


@dataclass
class Seg:
    """An inline piece of text: plain, strong, a PubMed link, a citation, or code (an evidence id)."""

    kind: str  # 'text' | 'strong' | 'link' | 'cite' | 'code'
    text: str = ""
    href: str | None = None
    ids: list[str] = field(default_factory=list)


@dataclass
class Block:
    """A paragraph ('p'), list ('ul'), table ('table'), definition list ('dl') or chart ('chart')."""

    kind: str
    segs: list[Seg] = field(default_factory=list)  # p
    items: list[tuple[list[Seg], str | None]] = field(default_factory=list)  # ul: (segs, anchor id)
    header: list[str] = field(default_factory=list)  # table
    rows: list[list[list[Seg]]] = field(default_factory=list)  # table
    pairs: list[tuple[str, list[list[Seg]]]] = field(default_factory=list)  # dl: (term, lines)
    chart: str = ""  # chart: 'measures' | 'trend:<source>'
    cls: str = ""


LAYERS = ("plain", "professional")


@dataclass
class Section:
    """One section of the article. `key` is its HTML id. `layer` says who it is for: 'plain' sections come
    first and are read by everyone; 'professional' ones (evidence, numbers, methods) are folded away in the
    HTML (one closed <details> per run) and one heading level deeper under "For professionals" in Markdown.
    """

    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2
    layer: str = "plain"  # 'plain' | 'professional'

    def __post_init__(self) -> None:
        if self.layer not in LAYERS:
            raise ValueError(f"Section {self.key!r}: layer must be one of {LAYERS}, not {self.layer!r}")


@dataclass
class Article:
    title: str
    sections: list[Section]
    footer: list[Seg]
    grade: str
    anchors: dict[str, str]  # evidence id -> HTML anchor
    grade_label: str = ""  # the grade in plain words for the badge ("Possible"); "" -> the grade itself


def layer_runs(sections: list[Section]) -> list[tuple[str, list[Section]]]:
    """The sections as runs of one layer, in order: [('plain', [...]), ('professional', [...])]."""
    runs: list[tuple[str, list[Section]]] = []
    for sec in sections:
        if runs and runs[-1][0] == sec.layer:
            runs[-1][1].append(sec)
        else:
            runs.append((sec.layer, [sec]))
    return runs


def T(text: str) -> Seg:
    return Seg("text", text)


def S(text: str) -> Seg:
    return Seg("strong", text)


def para(*segs: Seg, cls: str = "") -> Block:
    return Block("p", segs=list(segs), cls=cls)


def bullets(items: list[list[Seg]], anchors: list[str | None] | None = None, cls: str = "") -> Block:
    anchors = anchors or [None] * len(items)
    return Block("ul", items=list(zip(items, anchors, strict=True)), cls=cls)


# ---- values ---------------------------------------------------------------------------------------------


def fmt(x: Any, digits: int = 2) -> str:
    """A number for people: counts with thousands separators, ratios with two decimals; never None/nan."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    f = num(x)
    if f is None:
        return text(x) if isinstance(x, str) and x.strip() else NA
    if float(f).is_integer() and (isinstance(x, int) or abs(f) >= 1000):
        return f"{int(f):,}"
    if 0 < abs(f) < 0.005:  # rounds to 0.00: say it is small rather than print 1e-05
        return "<0.01" if f > 0 else ">-0.01"
    return f"{f:,.{digits}f}"


def fmt_count(x: Any) -> str:
    f = num(x)
    return NA if f is None else (f"{int(f):,}" if f.is_integer() else f"{f:,.1f}")


def fmt_interval(point: Any, lo: Any, hi: Any) -> str:
    """'1.39 (0.99 to 1.96)'; the parts that are missing say so."""
    p, lo_, hi_ = num(point), num(lo), num(hi)
    if p is None and lo_ is None and hi_ is None:
        return NA
    core = fmt(p) if p is not None else "—"
    if lo_ is None and hi_ is None:
        return core
    return f"{core} ({fmt(lo_)} to {fmt(hi_)})"


def text(x: Any) -> str:
    """Any value as plain words: missing or NaN reads 'not available', lists are joined, dicts flattened."""
    if x is None:
        return NA
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int | float):
        return fmt(x)
    if isinstance(x, str):
        s = " ".join(x.split())
        return NA if s.lower() in {"", "none", "nan", "null", "inf", "-inf"} else s
    if isinstance(x, list | tuple | set):
        parts = [text(v) for v in x]
        parts = [p for p in parts if p != NA]
        return "; ".join(parts) if parts else NA
    if isinstance(x, dict):
        if "text" in x:  # a fact with its source: {"text", "source", ...}
            src = x.get("source")
            return text(x["text"]) + (f" ({text(src)})" if src else "")
        parts = [f"{key_label(k)}: {text(v)}" for k, v in x.items() if text(v) != NA]
        return "; ".join(parts) if parts else NA
    return text(str(x))


ACRONYMS = {
    "ror": "ROR",
    "prr": "PRR",
    "ic": "IC",
    "ebgm": "EBGM",
    "eb05": "EB05",
    "eb95": "EB95",
    "ic025": "IC025",
    "e": "expected",
    "a": "reports",
    "pt": "PT",
    "pts": "PTs",
    "ps": "PS",
    "mgps": "MGPS",
    "ci": "CI",
}


def key_label(key: str) -> str:
    """'drug_mapping' -> 'Drug mapping'; 'ror' -> 'ROR'."""
    words = [ACRONYMS.get(w.lower(), w) for w in str(key).replace("_", " ").split()]
    s = " ".join(words)
    return s[:1].upper() + s[1:] if s else s


def cite(ev: Evidence) -> Seg:
    return Seg("cite", text=text(ev.source), ids=[ev.id])


def pubmed(pmid: str) -> Seg:
    return Seg("link", text=f"PMID {pmid}", href=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")
