"""Why we say this: each kind of evidence in one or two plain sentences, naming its records.

Numbers here are counts and shares a person can read (reports, articles, label rates); ratios, intervals
and term sets stay in the professional part.
"""

from __future__ import annotations

from adrlens.model import Answer, LiteratureData, Statement
from adrlens.model_online import OnlineReportData, PubMedData
from adrlens.sources import registry
from adrlens.wording.phrases import LABEL_SOURCE_PLAIN, and_list, plain_source, report_system, sentence
from adrlens.wording.short_answer import label_sentence, main_report

LITERATURE_SOURCE = "literature databases: ADE corpus, MEDLINE, SemMedDB, BC5CDR, IOM 2012"


def _n(x: float | None) -> str:
    if x is None:
        return "an unknown number"
    return f"{x:,.0f}" if x >= 10 else (f"{x:.1f}" if x >= 0.05 else "almost none")


def _label(a: Answer) -> Statement | None:
    recs = [e for e in a.evidence_by_kind("label") if e.data.drug_known]
    if not recs:
        return None
    srcs = [LABEL_SOURCE_PLAIN.get(e.source, e.source) for e in recs if e.data.listed_narrow_pts]
    text = label_sentence(a) if srcs else ""
    text = text or f"None of the label sources with data on {a.drug.name} list it."
    return Statement(sentence(text), "; ".join(srcs) or "drug label data", evidence_ids=[e.id for e in recs])


def _literature(a: Answer) -> Statement | None:
    recs = [e for e in a.evidence_by_kind("literature") if isinstance(e.data, LiteratureData)]
    if not recs:
        return None
    by = {e.data.stance: e for e in recs}
    parts = []
    sup, con, pro = by.get("supporting"), by.get("contradicting"), by.get("protective")
    if sup and sup.data.n_articles:
        d = sup.data
        ctl = ""
        if d.controlled_articles:
            ctl = (
                ", 1 of them a controlled study"
                if d.controlled_articles == 1
                else (f", {d.controlled_articles} of them controlled studies")
            )
        verb = "articles link" if d.n_articles != 1 else "article links"
        parts.append(f"{d.n_articles} published {verb} it to {a.drug.name}{ctl}")
    if con and con.data.n_articles:
        n = con.data.n_articles
        parts.append(f"{n} stud{'ies' if n != 1 else 'y'} found no link")
    if pro and pro.data.n_articles:
        parts.append(f"{pro.data.n_articles} suggest {a.drug.name} may lower the risk, which is not established")
    if not parts:
        text = f"No published article in the sources here links it to {a.drug.name}."
    else:
        text = sentence(and_list(parts, "; and"))
    return Statement(text, LITERATURE_SOURCE, evidence_ids=[e.id for e in recs])


def _reports(a: Answer) -> Statement | None:
    e = main_report(a)
    if e is None:
        return None
    d = e.data
    system = report_system(d.source_name, short=True)
    system = system[:1].lower() + system[1:]
    got = "none mention it" if d.a == 0 else f"{d.a:,} mention it"
    text = f"Of {d.drug_cases:,} {system} about {a.drug.name}, {got}, against {_n(d.e)} expected by chance."
    text += " Reports cannot show how often it happens, or prove the cause."
    name = plain_source(registry.get(d.source_name).name)
    return Statement(text, name, evidence_ids=[x.id for x in a.evidence_by_kind("reports")])


def _causes(a: Answer) -> Statement | None:
    """Other causes that are more common in the drug's reports than in all reports (at least 3 reports)."""

    def enriched(r: dict) -> bool:
        share = r.get("share_drug_cases") or 0
        if r.get("kind") == "codrug":
            return False
        return r["drug_cases"] >= 3 and share >= 0.05 and share > 1.5 * (r.get("share_all_cases") or 0)

    recs = [e for e in a.evidence_by_kind("confounding") if any(enriched(r) for r in e.data.confounders)]
    if not recs:
        return None
    e = max(recs, key=lambda r: r.data.drug_cases)
    rows = [r for r in e.data.confounders if enriched(r)][:2]
    bits = [
        f"{round(100 * r['share_drug_cases'])}% also mention {r['name']} "
        f"(against {round(100 * (r.get('share_all_cases') or 0))}% of all reports)"
        for r in rows
    ]
    text = f"In reports about {a.drug.name}, {and_list(bits)}: other possible reasons for it."
    return Statement(sentence(text), plain_source(e.source), evidence_ids=[e.id])


def _class(a: Answer) -> Statement | None:
    for e in a.evidence_by_kind("class_effect"):
        d = e.data
        if d.members_with_label_data:
            text = f"{d.members_labelled} of {d.members_with_label_data} similar medicines list it on their label"
            return Statement(sentence(text), "DrugCentral classes and label data", evidence_ids=[e.id])
    return None


def _indication(a: Answer) -> Statement | None:
    for e in a.evidence_by_kind("indication"):
        if e.data.is_indication:
            treated = and_list(e.data.treated[:2]) or a.condition.label.lower()
            text = (
                f"{a.drug.name} is used to treat {treated}, so reports of it come from why people take it, "
                "not from harm"
            )
            return Statement(sentence(text), ", ".join(e.data.deciding_sources), evidence_ids=[e.id])
    return None


def _genetics(a: Answer) -> Statement | None:
    for e in a.evidence_by_kind("pgx"):
        if e.data.gene:
            text = f"A form of the {e.data.gene} gene makes it more likely ({e.data.source or 'PharmGKB'})"
            return Statement(sentence(text), e.data.source or "PharmGKB", e.data.url, [e.id])
    return None


def _surge(a: Answer) -> Statement | None:
    for e in a.evidence_by_kind("stimulated_reporting"):
        s = e.data.surge
        if s:
            text = (
                f"Reports rose sharply in {s['year']}, as happens after news coverage: more reports need not mean "
                "more harm"
            )
            return Statement(sentence(text), plain_source(e.source), evidence_ids=[e.id])
    return None


def _timing(a: Answer) -> Statement | None:
    for e in a.evidence_by_kind("temporality"):
        d = e.data
        if d.median_days is not None and d.cases_with_usable_dates >= 3:
            text = (
                f"In {d.cases_with_usable_dates} reports with dates, it started a median of "
                f"{d.median_days:.0f} days after the first dose"
            )
            return Statement(sentence(text), plain_source(e.source), evidence_ids=[e.id])
    return None


def _online(a: Answer) -> Statement | None:
    """openFDA's whole report database and PubMed, when asked for: counts a person can read, or that they
    could not be reached (never as if they had found nothing)."""
    recs = {e.kind: e for e in a.evidence if e.kind in ("online_reports", "online_literature")}
    if not recs:
        return None
    parts = []
    rep, lit = recs.get("online_reports"), recs.get("online_literature")
    if rep is not None and isinstance(rep.data, OnlineReportData) and rep.data.status == "counted":
        d = rep.data
        more = " more often than expected by chance" if d.signal else ""
        parts.append(f"FDA's whole online report database has {d.a:,} reports of it with {a.drug.name}{more}")
    if lit is not None and isinstance(lit.data, PubMedData) and lit.data.status == "counted":
        n = lit.data.total or 0
        parts.append(f"PubMed lists {n:,} article{'s' if n != 1 else ''} on it as a possible effect of {a.drug.name}")
    if any(e.data.status == "unavailable" for e in recs.values()):
        parts.append("Some online sources could not be reached, so what they hold is unknown")
    if not parts:
        return None
    text = " ".join(sentence(p) for p in parts)
    return Statement(text, "openFDA and PubMed (online)", evidence_ids=[e.id for e in recs.values()])


def why(a: Answer) -> list[Statement]:
    """One or two plain sentences per kind of evidence, in a fixed order."""
    makers = (_indication, _label, _literature, _reports, _causes, _class, _genetics, _timing, _surge, _online)
    return [s for s in (m(a) for m in makers) if s is not None]
