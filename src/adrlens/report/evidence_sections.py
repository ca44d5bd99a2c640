"""The "What the evidence says" part of the article: one subsection per kind of evidence, in a fixed order.

Reads the typed evidence data of adrlens.model (ReportData, CountTableData, LabelData, LiteratureData):
attributes, never string keys; only the nested rows that model.py documents as dicts are read as dicts.
"""

from __future__ import annotations

from typing import Any

# E and the upper bound shown the same way in the findings and the table
from adrlens.evidence.reports import expected_text, ratio_number
from adrlens.jsonsafe import finite
from adrlens.model import Answer, CountTableData, Evidence, LabelData, LiteratureData, ReportData
from adrlens.model_online import OnlineReportData, PubMedData
from adrlens.report.charts import num
from adrlens.report.doc import (
    NA,
    Block,
    Section,
    Seg,
    T,
    bullets,
    cite,
    fmt_count,
    fmt_interval,
    para,
    pubmed,
    text,
)

REPORTS_CAVEAT = (
    "Spontaneous reports are hypothesis-generating: they show whether a condition is reported with a drug more "
    "often than expected, not how often it happens to people who take it (no incidence), and a report count "
    "never proves that the drug caused the condition."
)
INVERSE_CAVEAT = (
    "Fewer reports than expected is a finding to be studied further. It does not mean the drug protects against "
    "the condition, and it is never a reason to take or keep taking a medicine."
)
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
    ("online", ("online_reports", "online_literature"), "Online sources (openFDA, PubMed)"),
]
ALWAYS_SHOWN = {"label", "literature", "reports", "confounding"}


def _pmids(ev: Evidence) -> list[str]:
    """PMIDs of a literature record (its data) and of any record's source_ref ("pmids" / "pmid")."""
    vals: list[Any] = list(ev.data.pmids) if isinstance(ev.data, LiteratureData) else []
    for k in ("pmids", "pmid"):
        v = ev.source_ref.get(k) if isinstance(ev.source_ref, dict) else None
        vals += list(v) if isinstance(v, list | tuple) else [v]
    out: list[str] = []
    for p in vals:
        s = str(p).strip() if p is not None else ""
        # Only all-digit PMIDs become links: the URL is built by us, never taken from data.
        if s.isdigit() and s not in out:
            out.append(s)
    return out


def _label_item(ev: Evidence) -> list[Seg]:
    """The label finding, plus its frequency (with placebo, as the label gives it) or a plain "no frequency"."""
    segs = [T(text(ev.finding))]
    d = ev.data
    if not isinstance(d, LabelData):
        return [*segs, cite(ev)]
    finding = (ev.finding or "").lower()
    extra = []
    listed = d.listed and ev.direction not in ("not_available", "against")
    if listed:
        freq = text(d.freq_text)
        if freq != NA and freq.lower() not in finding:
            extra.append(f"Frequency: {freq}.")
        elif freq == NA and "frequency" not in finding:
            how = "Reported after marketing only" if d.postmarketing_only else "This source gives no frequency"
            extra.append(f"{how}, so how often it happens is not known from it.")
    sections = list(dict.fromkeys(text(x) for x in d.sections if text(x) != NA))
    if listed and sections and not all(x.lower() in finding for x in sections):
        extra.append(f"Label section: {', '.join(sections)}.")
    if extra:
        segs.append(T(" " + " ".join(extra)))
    segs.append(cite(ev))
    return segs


def _literature_blocks(evs: list[Evidence]) -> list[Block]:
    """One item per literature record: its finding, counts by study type, PubMed links and source."""
    items: list[list[Seg]] = []
    for ev in evs:
        segs = [T(text(ev.finding))]
        if isinstance(ev.data, LiteratureData):
            counts = [f"{text(k)} {fmt_count(v)}" for k, v in ev.data.by_study_type.items() if num(v)]
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
        segs.append(cite(ev))
        items.append(segs)
    return [bullets(items, [ev.id for ev in evs])]


NO_REPORTS = "none (no reports)"
_TABLE_MEASURES = ("a", "e", "ror", "ror_lo", "ror_hi", "ic", "ic025", "ic975", "ebgm", "eb05", "eb95", "ratio_upper")


def _measure_row(source: str, event: str, m: ReportData | dict[str, Any]) -> list[list[Seg]] | None:
    """One table row from a ReportData or a count-table cell (a dict); None when it has no numbers."""
    v = m if isinstance(m, dict) else {k: getattr(m, k) for k in _TABLE_MEASURES}
    if v.get("a") is None and all(v.get(k) is None for k in ("ror", "ic025", "ebgm")):
        return None  # not measurable, or the drug is not in the source: the finding says so
    if v.get("a") == 0:  # no ratio or interval for zero reports: a continuity-corrected estimate is no measurement
        up = finite(v.get("ratio_upper"))  # at most an upper bound, where the terms occur in the source
        first = NO_REPORTS + (f"; observed/expected at most {ratio_number(up)}" if up is not None else "")
        ratios = [[T(first)], [T(NO_REPORTS)], [T(NO_REPORTS)]]
    else:
        ratios = [
            [T(fmt_interval(v.get("ror"), v.get("ror_lo"), v.get("ror_hi")))],
            [T(fmt_interval(v.get("ic"), v.get("ic025"), v.get("ic975")))],
            [T(fmt_interval(v.get("ebgm"), v.get("eb05"), v.get("eb95")))],
        ]
    return [[T(source)], [T(event)], [T(fmt_count(v.get("a")))], [T(expected_text(finite(v.get("e"))))], *ratios]


def _reports_blocks(evs: list[Evidence], has_measures_chart: bool, condition: str) -> list[Block]:
    """A table of the numbers, one row per source and term set or table cell (never pooled), then the findings."""
    rows: list[list[list[Seg]]] = []
    for ev in evs:
        d = ev.data
        if isinstance(d, ReportData):
            event = f"{condition} ({text(d.scope)} terms)" if d.scope else condition
            # Not measurable (the source cannot hold the terms, or none of its reports has them) is no count at
            # all, not a row of zeros.
            cand = [_measure_row(text(ev.source), event, d)] if d.measurable and ev.direction != "not_available" else []
        elif isinstance(d, CountTableData):  # one row per counted cell (each PT alone: tables give no sums)
            cand = [
                _measure_row(text(ev.source), text(r.get("event")) if r.get("event") else condition, r)
                for r in d.rows
                if isinstance(r, dict) and r.get("status", "counted") == "counted"
            ]
        else:
            cand = []
        rows += [r for r in cand if r is not None]
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
    blocks.append(bullets([[T(text(ev.finding)), cite(ev)] for ev in evs], [ev.id for ev in evs]))
    if has_measures_chart:
        blocks.append(Block("chart", chart="measures"))
    blocks.append(para(T(REPORTS_CAVEAT), cls="caveat"))
    return blocks


def _online_blocks(evs: list[Evidence]) -> list[Block]:
    """Each online record's finding; openFDA's unit and per-term counts; PubMed's top articles, linked."""
    items: list[list[Seg]] = []
    for ev in evs:
        segs = [T(text(ev.finding))]
        d = ev.data
        if isinstance(d, OnlineReportData) and d.status == "counted":
            per = [f"{text(r['pt'])} {fmt_count(r['a'])}" for r in d.by_pt]
            if per:
                segs.append(T(f" Reports by term: {', '.join(per)}."))
            segs.append(T(f" {d.unit_note}"))
        if isinstance(d, PubMedData) and d.top:
            segs.append(T(" Top articles: "))
            for i, art in enumerate(d.top):
                if i:
                    segs.append(T("; "))
                segs += [T(f"{text(art['title'])} ({text(art.get('year'))}), "), pubmed(art["pmid"])]
            segs.append(T("."))
        segs.append(cite(ev))
        items.append(segs)
    return [bullets(items, [ev.id for ev in evs])]


def _simple_blocks(evs: list[Evidence]) -> list[Block]:
    return [bullets([[T(text(ev.finding)), cite(ev)] for ev in evs], [ev.id for ev in evs])]


def evidence_sections(a: Answer) -> list[Section]:
    head = Section("evidence", "What the evidence says", [])
    out = [head]
    missing: list[str] = []
    known = {k for _, kinds, _ in EVIDENCE_ORDER for k in kinds}
    measures = a.charts.get("measures") if isinstance(a.charts, dict) else None
    trend = a.charts.get("trend") if isinstance(a.charts, dict) else None
    for key, kinds, title in EVIDENCE_ORDER:
        evs = [e for e in a.evidence if e.kind in kinds]
        if not evs and key not in ALWAYS_SHOWN:
            if key != "online" or a.online:  # online sources not asked for are not missing
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
        elif key == "online":
            sec.blocks = _online_blocks(evs)
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
