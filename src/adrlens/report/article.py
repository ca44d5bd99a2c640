"""The answer article: built once as a small document tree from an Answer (build_article), rendered to
Markdown in markdown.py and to HTML in html.py, so both always say the same thing in the same order.

Two layers. The plain part, for everyone, reads `Answer.layers` (written by adrlens.wording, the one source
of wording): the short answer, what to do, about the drug, about the condition, why we say this, related
questions. The professional part (`Section.layer == "professional"`; folded in the HTML) holds the grade
and its scale, the drug and condition detail with the term sets, what the evidence says (tables, measures,
intervals, charts), how the grade was reached, the related signals and the READUS-PV methods box. Every
statement carries its source; every statement of evidence its evidence id.

Never printed to a person: "None", "nan", "inf" (all missing values read "not available"), dosing advice
beyond what a cited label says, or a claim that report counts prove causation.
"""

from __future__ import annotations

import re
from typing import Any

from adrlens.model import GRADES, Answer, Statement
from adrlens.report.charts import num
from adrlens.report.doc import (
    NA,
    Article,
    Block,
    S,
    Section,
    Seg,
    T,
    bullets,
    cite,
    fmt,
    fmt_count,
    fmt_interval,
    key_label,
    para,
    pubmed,
    text,
)
from adrlens.report.evidence_sections import EVIDENCE_ORDER, INVERSE_CAVEAT, REPORTS_CAVEAT, evidence_sections
from adrlens.verdict import GRADE_MEANING
from adrlens.wording import grade_label
from adrlens.wording.advice import GENERAL_ADVICE

# The tree and the value helpers are re-exported: `from adrlens.report.article import Seg, text` works.
__all__ = [
    "EVIDENCE_ORDER",
    "GRADE_MEANING",
    "INVERSE_CAVEAT",
    "NA",
    "REPORTS_CAVEAT",
    "Article",
    "Block",
    "S",
    "Section",
    "Seg",
    "T",
    "build_article",
    "bullets",
    "cite",
    "fmt",
    "fmt_count",
    "fmt_interval",
    "key_label",
    "para",
    "pubmed",
    "source_names",
    "text",
]

DISCLAIMER = (
    "This article summarises published data. It is not medical advice and does not replace a clinician who "
    "knows you."
)

# READUS-PV items, in the order the methods box lists them; other keys follow in their own order.
METHODS_ORDER = [
    "data_sources",
    "sources",
    "dates",
    "period",
    "population",
    "deduplication",
    "drug_mapping",
    "event_mapping",
    "condition_mapping",
    "case_definition",
    "comparator",
    "measures",
    "thresholds",
    "intervals",
    "stratification",
    "adjustment",
    "ebgm",
    "software",
    "software_version",
    "version",
]


# ---- sections -------------------------------------------------------------------------------------------


def _plain_source(st: Statement) -> list[Seg]:
    # The plain part names the source only; the evidence ids are in the JSON and the professional part.
    return [Seg("cite", text=st.source)] if st.source else []


def _statements(items: list[Statement], cls: str = "") -> Block:
    return bullets([[T(text(st.text)), *_plain_source(st)] for st in items], cls=cls)


def _short_answer_section(a: Answer) -> Section:
    lines = [text(x) for x in a.layers.short_answer if text(x) != NA] or [text(a.verdict.headline)]
    blocks = [para(T(" ".join(lines)), cls="headline"), Block("chart", chart="plain")]
    return Section("short_answer", "The short answer", blocks)


def _what_to_do_section(a: Answer) -> Section:
    items = a.layers.what_to_do or list(GENERAL_ADVICE)
    blocks = [_statements(items, cls="advice")]
    blocks.append(para(T(DISCLAIMER), cls="muted"))
    return Section("what_to_do", "What to do", blocks)


def _about_section(key: str, title: str, items: list[Statement], missing: str) -> Section:
    if not items:
        return Section(key, title, [para(T(missing))])
    return Section(key, title, [para(T(" ".join(text(st.text) for st in items))), _sources_line(items)])


def _sources_line(items: list[Statement]) -> Block:
    seen = list(dict.fromkeys(st.source for st in items if st.source))
    segs: list[Seg] = [T("Sources: ")]
    for n, src in enumerate(seen):
        url = next((st.url for st in items if st.source == src and st.url), None)
        if n:
            segs.append(T("; "))
        segs.append(Seg("link", text=src, href=url) if url and url.startswith(("https://", "http://")) else T(src))
    return para(*segs, cls="muted")


def _why_section(a: Answer) -> Section:
    items = a.layers.why
    return Section("why", "Why we say this", [_statements(items)] if items else [para(T(f"Reasons are {NA}."))])


def _grade_section(a: Answer) -> Section:
    v = a.verdict
    grade = text(v.grade)
    meaning = GRADE_MEANING.get(v.grade)
    blocks = [
        para(
            T("Grade: "),
            S(grade),
            T(f" ({grade_label(a)}). " + (meaning if meaning else "This grade is not one of the known grades.")),
            cls="grade",
        )
    ]
    items = []
    for g in GRADES:
        segs = [S(g) if g == v.grade else T(g), T(": " + GRADE_MEANING[g])]
        if g == v.grade:
            segs.append(S(" (this answer)"))
        items.append(segs)
    blocks.append(para(T("The grade scale, from strongest evidence of a link to evidence of fewer reports:")))
    blocks.append(bullets(items, cls="grades"))
    return Section("grade", "The grade", blocks, layer="professional")


def _first_sentences(s: str, n: int = 2, limit: int = 420) -> str:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z])", s.strip())
    out = " ".join(parts[:n])
    return out if len(out) <= limit else out[: limit - 1].rsplit(" ", 1)[0] + "…"


def _fact_items(value: Any, name_keys: tuple[str, ...] = ("name", "text", "indication")) -> list[tuple[str, str]]:
    """(text, source) pairs from a profile value: a string, {"text","source"}, or a list of either."""
    vals = value if isinstance(value, list | tuple) else [value]
    out: list[tuple[str, str]] = []
    for v in vals:
        if isinstance(v, dict):
            t = next((v[k] for k in name_keys if v.get(k)), None)
            if t:
                out.append((text(t), text(v.get("source")) if v.get("source") else ""))
        elif v is not None and text(v) != NA:
            out.append((text(v), ""))
    return out


def _facts_line(label: str, facts: list[tuple[str, str]], default_source: str = "", limit: int = 8) -> list[Seg]:
    """'Label: a, b (source); c (other source)' with facts grouped by source, order kept."""
    by_src: dict[str, list[str]] = {}
    for t, src in facts:
        lst = by_src.setdefault(src or default_source, [])
        if t not in lst:
            lst.append(t)
    segs = [S(label + ": ")]
    chunks = []
    for src, ts in by_src.items():
        more = f" and {len(ts) - limit} more" if len(ts) > limit else ""
        chunks.append(", ".join(ts[:limit]) + more + (f" ({src})" if src else ""))
    segs.append(T("; ".join(chunks) + "."))
    return segs


def _drug_section(a: Answer) -> Section:
    d = a.drug
    blocks: list[Block] = []
    name = text(d.name)
    if d.input and text(d.input).lower() != name.lower():
        intro = f'You asked about "{text(d.input)}", read as {name}'
        if d.method:
            intro += f' ({text(d.method)} match on "{text(d.matched)}")'
        blocks.append(para(T(intro + ".")))
    p = d.profile or {}
    lines: list[list[Seg]] = []
    classes = p.get("classes") if isinstance(p.get("classes"), dict) else {}
    cls_facts = _fact_items(classes.get("EPC")) or _fact_items(p.get("epc") or p.get("class"))
    if cls_facts:
        lines.append(_facts_line("Class", cls_facts))
    moa = _fact_items(classes.get("MoA")) or _fact_items(p.get("mechanism"))
    if moa:
        lines.append(_facts_line("Mechanism", moa))
    inds = _fact_items(p.get("indications"))
    if inds:
        lines.append(_facts_line("Used for", inds, limit=6))
    hl = p.get("half_life")
    if isinstance(hl, dict) and (hl.get("text") or num(hl.get("hours")) is not None):
        t = text(hl.get("text")) if hl.get("text") else f"about {fmt(hl.get('hours'), 0)} hours"
        lines.append(_facts_line("Half-life", [(t, text(hl.get("source")) if hl.get("source") else "")]))
    elif hl:
        lines.append(_facts_line("Half-life", _fact_items(hl)))
    atc = [c for c in p.get("atc_codes") or [] if c]
    if atc:
        lines.append(_facts_line("ATC code", [(text(c), "WHO ATC") for c in atc]))
    desc = p.get("description")
    if isinstance(desc, dict) and desc.get("text"):
        lines.append([S("Description: "), T(_first_sentences(text(desc["text"])) + f" ({text(desc.get('source'))})")])
    elif isinstance(desc, str) and desc.strip():
        lines.append([S("Description: "), T(_first_sentences(text(desc)))])
    if lines:
        blocks.append(bullets(lines))
    else:
        blocks.append(para(T(f"A profile (class, uses, half-life) of {name} is {NA} in the knowledge tables.")))
    return Section("drug_detail", f"The drug in detail: {name}", blocks, layer="professional")


def _condition_section(a: Answer) -> Section:
    c = a.condition
    label = text(c.label)
    desc = c.description or {}
    lines: list[list[Seg]] = []
    definition = desc.get("definition")
    if not definition and desc.get("ontology_definitions"):
        definition = desc["ontology_definitions"][0]
    if definition:
        lines.append([S("What it is: "), T(text(definition))])
    for key, lab in (("typical_symptoms", "Typical symptoms"), ("symptoms", "Typical symptoms")):
        facts = _fact_items(desc.get(key))
        if facts:
            lines.append(_facts_line(lab, facts, limit=8))
            break
    flags = _fact_items(desc.get("red_flags"))
    if flags:
        lines.append(_facts_line("Red flags (seek urgent care)", flags))
    causes = _fact_items(desc.get("common_causes") or desc.get("causes"))
    if causes:
        lines.append(_facts_line("Other common causes", causes))
    pts = [text(p) for p in (c.pts or [])]
    if pts:
        more = f" and {len(pts) - 12} more" if len(pts) > 12 else ""
        lines.append(
            [
                S("Counted as: "),
                T(f"the MedDRA preferred terms {', '.join(pts[:12])}{more} ({text(c.scope)} scope)."),
            ]
        )
    broad = [text(p) for p in (c.broad or []) if p not in (c.pts or [])]
    if broad:
        more = f" and {len(broad) - 12} more" if len(broad) > 12 else ""
        lines.append([S("Related terms (broad set, shown apart): "), T(f"{', '.join(broad[:12])}{more}.")])
    blocks = [bullets(lines)] if lines else [para(T(f"A description of {label} is {NA}."))]
    return Section("condition_detail", f"The condition in detail: {label}", blocks, layer="professional")


def _reasons_section(a: Answer) -> Section:
    v = a.verdict
    items = []
    for r in v.reasons:
        segs = [T(text(r.text))]
        if r.evidence_ids:
            segs.append(Seg("cite", text="", ids=list(r.evidence_ids)))
        items.append(segs)
    blocks = [bullets(items)] if items else [para(T(f"Reasons are {NA}."))]
    if v.caveats:
        blocks.append(para(S("Caveats")))
        blocks.append(bullets([[T(text(c))] for c in v.caveats], cls="caveats"))
    return Section("reasons", "How the grade was reached", blocks, layer="professional")


_RELATED_KEYS = {"eb05": "EB05", "ror_lo": "ROR lower 95% bound"}


def source_names(a: Answer) -> dict[str, str]:
    """Store source keys (adrlens.sources.registry) to their names, from the methods."""
    out: dict[str, str] = {}
    ds = (a.methods or {}).get("data_sources")
    for d in ds if isinstance(ds, list) else []:
        if isinstance(d, dict) and d.get("source") and d.get("name"):
            out[str(d["source"])] = text(d["name"])
    return out


def _related_item(r: dict[str, Any], name_key: str, names: dict[str, str]) -> str:
    """'oedema peripheral (FAERS 2022Q3; a=88; EB05 4.10, ROR lower 95% bound 5.20)'."""
    bits = [f"{v} {fmt(r.get(k))}" for k, v in _RELATED_KEYS.items() if num(r.get(k)) is not None]
    src = f"{names.get(str(r['source']), text(r['source']))}; " if r.get("source") else ""
    return f"{text(r.get(name_key))} ({src}a={fmt_count(r.get('a'))}" + (f"; {', '.join(bits)}" if bits else "") + ")"


def _related_questions(a: Answer) -> Section | None:
    qs = [text(q) for q in (a.related or {}).get("questions") or [] if text(q) != NA]
    return Section("related", "Related questions", [bullets([[T(q)] for q in qs[:8]])]) if qs else None


def _related_detail(a: Answer) -> Section | None:
    rel = a.related or {}
    blocks: list[Block] = []
    names = source_names(a)
    for key, name_key, lead in (
        ("drug_top_signals", "pt", f"Reported more often than expected with {text(a.drug.name)}:"),
        ("condition_top_drugs", "drug", f"Drugs reported more often than expected with {text(a.condition.label)}:"),
    ):
        rows = [r for r in rel.get(key) or [] if isinstance(r, dict)]
        if rows:
            blocks.append(para(S(lead)))
            blocks.append(bullets([[T(_related_item(r, name_key, names))] for r in rows[:6]]))
    return Section("related_detail", "Related signals", blocks, layer="professional") if blocks else None


def _dict_line(d: dict[str, Any]) -> str:
    """{'name': 'VAERS', 'first_quarter': '1990Q3', ...} -> 'VAERS: first quarter 1990Q3; ...'."""
    name = d.get("name")
    rest = "; ".join(f"{key_label(k).lower()} {text(v)}" for k, v in d.items() if k != "name" and text(v) != NA)
    return f"{text(name)}: {rest}" if name else rest


def _methods_section(a: Answer) -> Section:
    """The READUS-PV items, known ones first; a list of records (one per data source) gives one line each."""
    m = a.methods or {}
    keys = [k for k in METHODS_ORDER if k in m] + [k for k in m if k not in METHODS_ORDER]
    pairs: list[tuple[str, list[list[Seg]]]] = []
    for k in keys:
        v = m[k]
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            lines = [[T(_dict_line(x))] for x in v if _dict_line(x)]
        else:
            lines = [[T(text(v))]] if text(v) != NA else []
        if lines:
            pairs.append((key_label(k), lines))
    blocks: list[Block] = [
        para(T("Reported following the READUS-PV items for disproportionality analyses."), cls="muted")
    ]
    blocks.append(Block("dl", pairs=pairs) if pairs else para(T(f"Methods are {NA}.")))
    return Section("methods", "Methods (READUS-PV)", blocks, layer="professional")


def _anchor_map(a: Answer) -> dict[str, str]:
    out: dict[str, str] = {}
    used: set[str] = set()
    for ev in a.evidence:
        base = "ev-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", ev.id).strip("-") or "x")
        anchor, i = base, 2
        while anchor in used:
            anchor, i = f"{base}-{i}", i + 1
        used.add(anchor)
        out.setdefault(ev.id, anchor)
    return out


def build_article(answer: Answer) -> Article:
    """The article as a document tree, shared by the Markdown and HTML renderers."""
    a = answer
    title = text(a.question) if text(a.question) != NA else f"Can {text(a.drug.name)} cause {text(a.condition.label)}?"
    about = a.layers
    plain = [
        _short_answer_section(a),
        _what_to_do_section(a),
        _about_section("drug", f"About {text(a.drug.name)}", about.about_drug, f"A profile of the drug is {NA}."),
        _about_section(
            "condition",
            f"About {text(a.condition.label).lower()}",
            about.about_condition,
            f"A description of the condition is {NA}.",
        ),
        _why_section(a),
    ]
    rel = _related_questions(a)
    if rel:
        plain.append(rel)
    evidence = evidence_sections(a)
    for sec in evidence:
        sec.layer = "professional"
    pro = [_grade_section(a), _drug_section(a), _condition_section(a), *evidence, _reasons_section(a)]
    detail = _related_detail(a)
    if detail:
        pro.append(detail)
    pro.append(_methods_section(a))
    sections = plain + pro
    foot = f"Schema version {text(a.schema_version)}; grading rules version {text(a.verdict.rules_version)}"
    if a.generated_at:
        foot += f"; generated {text(a.generated_at)}"
    return Article(title, sections, [T(foot + ".")], a.verdict.grade, _anchor_map(a), grade_label(a))
