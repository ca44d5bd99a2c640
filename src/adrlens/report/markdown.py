"""The answer article: built once as a small document tree from an Answer, rendered to Markdown here and to
HTML in html.py, so both always say the same thing in the same order.

Order of the article: the question and the plain answer with its grade (and what the grades mean); the
drug; the condition; what the evidence says (label, literature, reports, confounding, class effect, time to
onset, dechallenge/rechallenge, fewer reports than expected); reasons for the grade; what to do; related
questions; methods (READUS-PV items). Every statement of evidence carries its source and evidence id.

Never printed to a person: "None", "nan", "inf" (all missing values read "not available"), dosing advice,
or a claim that report counts prove causation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from adrlens.model import GRADES, Answer, Evidence
from adrlens.report.charts import num

NA = "not available"

GRADE_MEANING: dict[str, str] = {
    "established": "Listed on the drug's label with a frequency or in several label sources, and/or shown by "
    "consistent studies.",
    "probable": "Listed on a label, or a robust signal in the reports that the literature or drugs of the same "
    "class back up.",
    "possible": "One kind of evidence points to a link (a report signal that survives checks, or a hint on a "
    "label or in the literature), but not several.",
    "insufficient evidence": 'Too little data to say either way. This is not a "no".',
    "not supported": "Enough data, and none of it points to a link. This is still not proof that there is no risk.",
    "possible inverse association": "Fewer reports than expected, consistently. This is something to be studied, "
    "not a benefit.",
}

REPORTS_CAVEAT = (
    "Spontaneous reports are hypothesis-generating: they show whether a condition is reported with a drug more "
    "often than expected, not how often it happens to people who take it (no incidence), and a report count "
    "never proves that the drug caused the condition."
)
INVERSE_CAVEAT = (
    "Fewer reports than expected is a finding to be studied further. It does not mean the drug protects against "
    "the condition, and it is never a reason to take or keep taking a medicine."
)
DEFAULT_SAFETY = [
    "Talk to your doctor, nurse or pharmacist if you notice symptoms you are worried about.",
    "Do not stop or change a medicine without talking to a clinician first.",
    "Seek urgent medical care for severe or sudden symptoms.",
]

# Subsections of "What the evidence says", in the order the article gives them.
EVIDENCE_ORDER: list[tuple[str, tuple[str, ...], str]] = [
    ("label", ("label",), "On the label"),
    ("literature", ("literature",), "Studies and literature"),
    ("reports", ("reports", "count_table"), "Spontaneous reports"),
    ("confounding", ("confounding", "indication"), "Other explanations (confounding)"),
    ("class_effect", ("class_effect",), "Same-class drugs"),
    ("temporality", ("temporality",), "Time to onset"),
    ("challenge", ("challenge",), "Stopping and restarting (dechallenge, rechallenge)"),
    ("inverse", ("inverse",), "Fewer reports than expected"),
]
ALWAYS_SHOWN = {"label", "literature", "reports", "confounding"}

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


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2


@dataclass
class Article:
    title: str
    sections: list[Section]
    footer: list[Seg]
    grade: str
    anchors: dict[str, str]  # evidence id -> HTML anchor


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
        parts = [f"{_label(k)}: {text(v)}" for k, v in x.items() if text(v) != NA]
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


def _label(key: str) -> str:
    """'drug_mapping' -> 'Drug mapping'; 'ror' -> 'ROR'."""
    words = [ACRONYMS.get(w.lower(), w) for w in str(key).replace("_", " ").split()]
    s = " ".join(words)
    return s[:1].upper() + s[1:] if s else s


def _get(data: dict[str, Any], *keys: str) -> Any:
    """The first present value for any of `keys` in data or in its nested measure dicts."""
    for where in (data, data.get("measures"), data.get("ebgm"), data.get("table"), data.get("counts")):
        if isinstance(where, dict):
            for k in keys:
                if where.get(k) is not None:
                    return where[k]
    return None


def _cite(ev: Evidence) -> Seg:
    return Seg("cite", text=text(ev.source), ids=[ev.id])


def _pmids(ev: Evidence) -> list[str]:
    out: list[str] = []
    for where in (ev.data, ev.source_ref):
        for k in ("pmids", "pmid"):
            v = where.get(k) if isinstance(where, dict) else None
            for p in v if isinstance(v, list | tuple) else [v]:
                s = str(p).strip() if p is not None else ""
                # Only all-digit PMIDs become links: the URL is built by us, never taken from data.
                if s.isdigit() and s not in out:
                    out.append(s)
    return out


def pubmed(pmid: str) -> Seg:
    return Seg("link", text=f"PMID {pmid}", href=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")


# ---- sections -------------------------------------------------------------------------------------------


def _answer_section(a: Answer) -> Section:
    v = a.verdict
    grade = text(v.grade)
    blocks = [para(T(text(v.headline)), cls="headline")]
    meaning = GRADE_MEANING.get(v.grade)
    blocks.append(
        para(
            T("Grade: "),
            S(grade),
            T(". " + (meaning if meaning else "This grade is not one of the known grades listed below.")),
            cls="grade",
        )
    )
    items = []
    for g in GRADES:
        segs = [S(g) if g == v.grade else T(g), T(": " + GRADE_MEANING[g])]
        if g == v.grade:
            segs.append(S(" (this answer)"))
        items.append(segs)
    blocks.append(para(T("The grade scale, from strongest evidence of a link to evidence of fewer reports:")))
    blocks.append(bullets(items, cls="grades"))
    return Section("answer", "The short answer", blocks)


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
    intro = f"{name[:1].upper()}{name[1:]} is a {'vaccine' if d.kind == 'vaccine' else 'medicine'}"
    if d.input and text(d.input).lower() != name.lower():
        intro += f'; you asked about "{text(d.input)}", read as {name}'
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
    return Section("drug", f"The drug: {name}", blocks)


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
    blocks = [bullets(lines)] if lines else [para(T(f"A description of {label} is {NA}."))]
    return Section("condition", f"The condition: {label}", blocks)


def _band(r: dict[str, Any], prefix: str = "") -> str:
    """A label frequency as written ('12.2%', 'rare'), else from its bounds (fractions): '1% to 10%'."""
    t = text(r.get(f"{prefix}freq_text") or (r.get("frequency") if not prefix else None))
    if t != NA:
        return t
    lo = num(r.get(f"{prefix}freq_lower"))
    hi = num(r.get(f"{prefix}freq_upper"))
    hi = hi if hi is not None else num(r.get(f"{prefix}freq_upper_max"))
    if lo is None and hi is None:
        return NA
    if lo is not None and hi is not None and lo != hi:
        return f"{lo * 100:.3g}% to {hi * 100:.3g}%"
    one = lo if lo is not None else hi
    return f"{(one or 0.0) * 100:.3g}%"


def _label_item(ev: Evidence) -> list[Seg]:
    """The label finding, plus its frequency band and placebo rate, or a plain "no frequency given"."""
    segs = [T(text(ev.finding))]
    d = ev.data or {}
    finding = (ev.finding or "").lower()
    rows = [r for r in (d.get("rows") if isinstance(d.get("rows"), list) else [d]) if isinstance(r, dict)]
    extra = []
    listed = d.get("listed") is not False and ev.direction not in ("not_available", "against")
    if listed and any(k in r for r in rows for k in ("freq_text", "frequency", "freq_lower", "freq_upper")):
        freqs = list(dict.fromkeys(b for r in rows if (b := _band(r)) != NA))
        placebo = list(dict.fromkeys(b for r in rows if (b := _band(r, "placebo_")) != NA))
        if freqs and not all(f.lower() in finding for f in freqs):
            extra.append(f"Frequency: {', '.join(freqs[:6])}.")
        elif not freqs and "frequency" not in finding:
            extra.append("This source gives no frequency, so how often it happens is not known from it.")
        if placebo and "placebo" not in finding:
            extra.append(f"On placebo: {', '.join(placebo[:6])}.")
    sections = list(dict.fromkeys(text(r.get("section")) for r in rows if r.get("section")))
    sections += [text(x) for x in d.get("sections") or [] if text(x) not in sections]
    if sections and not all(x.lower() in finding for x in sections):
        extra.append(f"Label section: {', '.join(sections)}.")
    if extra:
        segs.append(T(" " + " ".join(extra)))
    segs.append(_cite(ev))
    return segs


def _literature_blocks(evs: list[Evidence]) -> list[Block]:
    """One item per literature record: its study type (when known), finding, PubMed links and source."""
    items: list[list[Seg]] = []
    for ev in evs:
        d = ev.data or {}
        segs = [S(f"{_label(text(d['study_type']))}: ")] if d.get("study_type") else []
        segs.append(T(text(ev.finding)))
        by_type = d.get("by_study_type")
        if isinstance(by_type, dict) and by_type:
            counts = [f"{text(k)} {fmt_count(v)}" for k, v in by_type.items() if num(v)]
            if counts:
                segs.append(T(f" By study type: {', '.join(counts)}."))
        pm = _pmids(ev)
        if pm:
            segs.append(T(" "))
            for i, p in enumerate(pm[:10]):
                if i:
                    segs.append(T(", "))
                segs.append(pubmed(p))
            if len(pm) > 10:
                segs.append(T(f" and {len(pm) - 10} more"))
            segs.append(T("."))
        segs.append(_cite(ev))
        items.append(segs)
    return [bullets(items, [ev.id for ev in evs])]


def _reports_blocks(evs: list[Evidence], has_measures_chart: bool, condition: str) -> list[Block]:
    """A table of the numbers, one row per source and term set (sources never pooled), then the findings."""
    rows: list[list[list[Seg]]] = []
    for ev in evs:
        d = ev.data or {}
        a_ = _get(d, "a")
        if a_ is None and _get(d, "ror", "ic025", "ebgm") is None:
            continue  # no numbers: the finding below says what there is
        event = _get(d, "event", "pt", "label", "concept")
        if event is None and d.get("scope"):
            event = f"{condition} ({text(d['scope'])} terms)"
        rows.append(
            [
                [T(text(ev.source))],
                [T(text(event) if event is not None else condition)],
                [T(fmt_count(a_))],
                [T(fmt(_get(d, "e", "expected", "E"), 1))],
                [T(fmt_interval(_get(d, "ror"), _get(d, "ror_lo", "ror025"), _get(d, "ror_hi", "ror975")))],
                [T(fmt_interval(_get(d, "ic"), _get(d, "ic025"), _get(d, "ic975")))],
                [T(fmt_interval(_get(d, "ebgm"), _get(d, "eb05"), _get(d, "eb95")))],
            ]
        )
    blocks: list[Block] = []
    if rows:
        blocks.append(
            Block(
                "table",
                header=[
                    "Source",
                    "Event",
                    "Reports (a)",
                    "Expected",
                    "ROR (95% CI)",
                    "IC (IC025 to IC975)",
                    "EBGM (EB05 to EB95)",
                ],
                rows=rows,
            )
        )
    blocks.append(bullets([[T(text(ev.finding)), _cite(ev)] for ev in evs], [ev.id for ev in evs]))
    if has_measures_chart:
        blocks.append(Block("chart", chart="measures"))
    blocks.append(para(T(REPORTS_CAVEAT), cls="caveat"))
    return blocks


def _simple_blocks(evs: list[Evidence]) -> list[Block]:
    return [bullets([[T(text(ev.finding)), _cite(ev)] for ev in evs], [ev.id for ev in evs])]


def _evidence_sections(a: Answer) -> list[Section]:
    head = Section("evidence", "What the evidence says", [])
    out = [head]
    missing: list[str] = []
    known = {k for _, kinds, _ in EVIDENCE_ORDER for k in kinds}
    measures = a.charts.get("measures") if isinstance(a.charts, dict) else None
    trend = a.charts.get("trend") if isinstance(a.charts, dict) else None
    for key, kinds, title in EVIDENCE_ORDER:
        evs = [e for e in a.evidence if e.kind in kinds]
        if not evs and key not in ALWAYS_SHOWN:
            missing.append(title.split(" (")[0].lower())
            continue
        sec = Section(key, title, [], level=3)
        if key == "label":
            sec.blocks = (
                [bullets([_label_item(e) for e in evs], [e.id for e in evs])]
                if evs
                else [para(T(f"No label source (SIDER, US label, EU SmPC) evidence is {NA} for this question."))]
            )
        elif key == "literature":
            sec.blocks = _literature_blocks(evs) if evs else [para(T(f"No study or literature record is {NA} here."))]
        elif key == "reports":
            sec.blocks = (
                _reports_blocks(evs, bool(measures), text(a.condition.label))
                if evs
                else [
                    para(T(f"Spontaneous report counts are {NA} for this question.")),
                    para(T(REPORTS_CAVEAT), cls="caveat"),
                ]
            )
            if trend:
                sec.blocks.insert(-1, Block("chart", chart="trend"))
        elif key == "confounding":
            sec.blocks = (
                _simple_blocks(evs)
                if evs
                else [para(T(f"A check for indication, co-morbidity or co-medication is {NA} for this question."))]
            )
        elif key == "inverse":
            sec.blocks = [*_simple_blocks(evs), para(T(INVERSE_CAVEAT), cls="caveat")]
        else:
            sec.blocks = _simple_blocks(evs)
        out.append(sec)
    others = [e for e in a.evidence if e.kind not in known]
    if others:
        out.append(Section("other", "Other evidence", _simple_blocks(others), level=3))
    if missing:
        head.blocks.append(para(T(f"Not available for this question: {', '.join(missing)}."), cls="muted"))
    return out


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
    return Section("reasons", "Why this grade", blocks)


def _safety_section(a: Answer) -> Section:
    lines = [text(s) for s in a.safety if text(s) != NA] or list(DEFAULT_SAFETY)
    flags = _fact_items((a.condition.description or {}).get("red_flags"))
    blocks = [bullets([[T(s)] for s in lines])]
    if flags:
        blocks.append(para(S("Get urgent care for: "), T(", ".join(t for t, _ in flags) + "."), cls="redflags"))
    blocks.append(
        para(
            T(
                "This article summarises published data. It is not medical advice and does not replace a "
                "clinician who knows you."
            ),
            cls="muted",
        )
    )
    return Section("safety", "What to do", blocks)


_RELATED_KEYS = {"eb05": "EB05", "ror_lo": "ROR lower 95% bound"}


def source_names(a: Answer) -> dict[str, str]:
    """Store source keys ('faers_ps') to their names ('FAERS 2022Q3 (primary suspect)'), from the methods."""
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


def _related_section(a: Answer) -> Section | None:
    rel = a.related or {}
    blocks: list[Block] = []
    qs = [text(q) for q in rel.get("questions") or [] if text(q) != NA]
    if qs:
        blocks.append(bullets([[T(q)] for q in qs[:8]]))
    names = source_names(a)
    for key, name_key, lead in (
        ("drug_top_signals", "pt", f"Reported more often than expected with {text(a.drug.name)}:"),
        ("condition_top_drugs", "drug", f"Drugs reported more often than expected with {text(a.condition.label)}:"),
    ):
        rows = [r for r in rel.get(key) or [] if isinstance(r, dict)]
        if rows:
            blocks.append(para(S(lead)))
            blocks.append(bullets([[T(_related_item(r, name_key, names))] for r in rows[:6]]))
    return Section("related", "Related questions", blocks) if blocks else None


def _dict_line(d: dict[str, Any]) -> str:
    """{'name': 'VAERS', 'first_quarter': '1990Q3', ...} -> 'VAERS: first quarter 1990Q3; ...'."""
    name = d.get("name")
    rest = "; ".join(f"{_label(k).lower()} {text(v)}" for k, v in d.items() if k != "name" and text(v) != NA)
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
            pairs.append((_label(k), lines))
    blocks: list[Block] = [
        para(T("Reported following the READUS-PV items for disproportionality analyses."), cls="muted")
    ]
    blocks.append(Block("dl", pairs=pairs) if pairs else para(T(f"Methods are {NA}.")))
    return Section("methods", "Methods", blocks)


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
    sections = [_answer_section(a), _drug_section(a), _condition_section(a), *_evidence_sections(a)]
    sections += [_reasons_section(a), _safety_section(a)]
    rel = _related_section(a)
    if rel:
        sections.append(rel)
    sections.append(_methods_section(a))
    foot = f"Schema version {text(a.schema_version)}; grading rules version {text(a.verdict.rules_version)}"
    if a.generated_at:
        foot += f"; generated {text(a.generated_at)}"
    return Article(title, sections, [T(foot + ".")], a.verdict.grade, _anchor_map(a))


# ---- Markdown -------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*\[\]<|])")  # ">" mid-line is plain text; at line start see below


def md_escape(s: str) -> str:
    """Escape Markdown/HTML syntax in plain text so names and findings render as written (no tags, no links)."""
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", s)  # intraword underscores are harmless
    return re.sub(r"^(\s*)([#>+-]|\d+\.)(\s)", r"\1\\\2\3", s)  # would start a heading, quote or list


def _md_code(s: str) -> str:
    return "`" + s.replace("`", "'") + "`"


def _md_segs(segs: list[Seg]) -> str:
    out = []
    for s in segs:
        if s.kind == "strong":
            stripped = s.text.strip()
            lead = s.text[: len(s.text) - len(s.text.lstrip())]
            trail = s.text[len(s.text.rstrip()) :]
            out.append(f"{lead}**{md_escape(stripped)}**{trail}" if stripped else s.text)
        elif s.kind == "link" and s.href:
            out.append(f"[{md_escape(s.text)}]({s.href})")
        elif s.kind == "cite":
            inner = "; ".join(([md_escape(s.text)] if s.text else []) + [_md_code(i) for i in s.ids])
            out.append(f" [{inner}]" if s.text else f" (evidence: {', '.join(_md_code(i) for i in s.ids)})")
        elif s.kind == "code":
            out.append(_md_code(s.text))
        else:
            out.append(md_escape(s.text))
    return "".join(out)


def _md_block(b: Block) -> str:
    if b.kind == "p":
        body = _md_segs(b.segs)
        return f"> {body}" if b.cls in {"caveat", "headline"} else body
    if b.kind == "ul":
        return "\n".join(f"- {_md_segs(segs)}" for segs, _ in b.items)
    if b.kind == "table":
        head = "| " + " | ".join(md_escape(h) for h in b.header) + " |"
        sep = "|" + "|".join("---" for _ in b.header) + "|"
        body = ["| " + " | ".join(_md_segs(c) for c in row) + " |" for row in b.rows]
        return "\n".join([head, sep, *body])
    if b.kind == "dl":
        out = []
        for k, lines in b.pairs:
            if len(lines) == 1:
                out.append(f"- **{md_escape(k)}:** {_md_segs(lines[0])}")
            else:
                out.append(f"- **{md_escape(k)}:**")
                out += [f"  - {_md_segs(ln)}" for ln in lines]
        return "\n".join(out)
    return ""  # charts exist in the HTML article only; the table above carries the same numbers


def render_markdown(answer: Answer) -> str:
    """The answer article as Markdown (GitHub-flavoured tables), sections in the fixed order."""
    art = build_article(answer)
    out = [f"# {md_escape(art.title)}", ""]
    for sec in art.sections:
        out += ["#" * sec.level + " " + md_escape(sec.title), ""]
        for b in sec.blocks:
            s = _md_block(b)
            if s:
                out += [s, ""]
    out += ["---", "", _md_segs(art.footer), ""]
    return "\n".join(out)
