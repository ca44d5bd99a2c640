"""Online evidence (`--online`): openFDA's whole-database FAERS counts, the current US label's sections from
openFDA, and a PubMed search for the pair. Each is its own named record, kept apart from the offline sources.

Rules:
* a source that cannot be asked (offline, rate limited, timed out, a malformed answer) is a record with
  direction "not_available" and the reason; its numbers are None, never zero;
* openFDA counts reports with its own deduplication, not adrlens's cases: the unit is stated on the record,
  and the verdict does not grade on it (the local FAERS build is the graded report source);
* the current US label read online is a label source: its listing is ranked by section like the offline
  label (boxed warning or warnings > a rate > weak) and feeds the verdict's label rule, counted as one
  label with the older offline copy of the same US label (`same_document_as`);
* PubMed articles indexed with the pair are context (they may report, question or refute a link).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import duckdb

from adrlens.errors import AdrlensError
from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import LABEL_EVIDENCE_STRENGTH, Evidence, LabelData, best_label_strength, listing_strength
from adrlens.model_online import OnlineReportData, PubMedData
from adrlens.signals import rules
from adrlens.signals.measures import ESTIMATE_KEYS, Measures
from adrlens.sources.counts.openfda import OpenFdaClient, event_search
from adrlens.sources.knowledge import labels
from adrlens.sources.online import openfda_label, pubmed
from adrlens.sources.online.cache import ResponseCache
from adrlens.sources.online.settings import PUBMED_CONDITION_TERMS, OnlineSettings
from adrlens.vocab.conditions import Concept

# The records' ids (the answer's `online` block finds them by these).
LABEL_ID, COUNTS_ID, PUBMED_ID = "label:openfda", "online_reports:openfda", "online_literature:pubmed"
OPENFDA_COUNTS = "openFDA FAERS (whole database, online)"
OPENFDA_LABEL = "openFDA drug label (current US label, online)"
PUBMED = "PubMed (online)"
UNIT_NOTE = (
    "openFDA counts reports: the latest version of each safety report, not merged across senders, with the "
    "drug in any role (suspect or concomitant) and combination products included. adrlens's own FAERS build "
    "counts cases: one per case id after FDA's deletion lists, the drug as primary or secondary suspect."
)
EBGM_NOTE = "EBGM needs a prior fitted over all pairs of a database; count queries cannot give one (not measured)."
# Label sections whose mention is no listing of a side effect: the drug must not be used there, or a group.
CONTEXT_SECTIONS = frozenset({"contraindications", "use in specific populations"})
_STRENGTH_OF_CONTEXT = {"table": "frequency", "rate": "frequency", "postmarketing": "weak", "text": "weak"}


def _reason(exc: Exception) -> str:
    """The cause in one clause: the clients' advice after it (use a local store, raise --timeout) is for their
    own commands, not for an answer that goes on without the source."""
    text = " ".join(str(exc).split()).split("; ")[0].rstrip(".")
    return (text[:300] or type(exc).__name__) + "."


def _measures(a: int, b: int, c: int, d: int) -> dict:
    m = Measures.from_counts(a, b, c, d).to_dict()
    return {**m, **rules.call_measures(m).as_fields()}


# -- openFDA FAERS counts -------------------------------------------------------------------------------
def _counts(q: EvidenceQuery, o: OnlineSettings, cache: ResponseCache) -> Evidence:
    narrow = list(q.narrow)
    data = OnlineReportData(unit_note=UNIT_NOTE, pts=narrow)
    eid = COUNTS_ID
    if q.kind == "vaccine":
        data.status, data.reason = "not_applicable", "vaccine reports go to VAERS, which openFDA does not serve"
        finding = f"openFDA's FAERS holds drug reports; reports on {q.drug} go to VAERS, which openFDA does not serve."
        return Evidence(eid, "online_reports", OPENFDA_COUNTS, finding, "not_available", "none", data)
    ref: dict = {"service": "https://api.fda.gov/drug/event.json"}
    try:
        with OpenFdaClient(timeout=o.deadline, transport=o.transport, cache=cache) as client:
            pc = client.concept(q.drug, narrow, q.condition)
            counted = narrow[: o.max_pt_queries]
            by_pt = []
            for pt in counted:
                p = client.pair(q.drug, pt)
                row = {"pt": pt, "a": p.a, "b": p.b, "c": p.c, "d": p.d, "n": p.n}
                m = _measures(p.a, p.b, p.c, p.d)
                # no ratio or interval for an empty cell: the expected count and the upper bound only
                shown = ("e", "ror", "ror_lo", "ror_hi", "ic025", "signal") if p.a else ("e", "ratio_upper", "signal")
                by_pt.append(row | {k: m[k] for k in shown})
            fetched_at = min(client.fetched_at, default=None)
            from_cache = client.cache_hits == len(client.fetched_at) > 0
    except AdrlensError as exc:
        data.status, data.reason = "unavailable", _reason(exc)
        finding = f"openFDA's FAERS counts could not be read: {data.reason} The count is unknown, not zero."
        return Evidence(eid, "online_reports", OPENFDA_COUNTS, finding, "not_available", "none", data, ref)
    m = _measures(pc.a, pc.b, pc.c, pc.d)
    keep = {k: m[k] for k in ("e", "ratio_upper", "signal", "signal_criteria", "signal_reason")}
    if pc.a:
        keep |= {k: m[k] for k in (*ESTIMATE_KEYS, "chi2")}
    data = OnlineReportData(
        unit_note=UNIT_NOTE,
        pts=narrow,
        a=pc.a,
        b=pc.b,
        c=pc.c,
        d=pc.d,
        n=pc.n,
        by_pt=by_pt,
        pts_not_counted=narrow[o.max_pt_queries :],
        queries=[client.drug_clause(pc.drug), event_search(narrow)],
        fetched_at=fetched_at,
        from_cache=from_cache,
        **keep,
    )
    ref |= {"queries": data.queries, "fetched_at": data.fetched_at, "note": EBGM_NOTE}
    drug_reports = pc.a + pc.b
    event_reports = pc.a + pc.c
    head = (
        f"openFDA (all FAERS reports, as of {(data.fetched_at or '')[:10]}): {pc.a:,} reports name {q.drug} and "
        f"{q.condition.lower()}, of {drug_reports:,} reports naming {q.drug}, {event_reports:,} naming the "
        f"condition and {pc.n:,} in all"
    )
    if pc.a:
        tail = f"; ROR {data.ror:.2f} ({data.ror_lo:.2f}-{data.ror_hi:.2f}), IC025 {data.ic025:.2f}: " + (
            "a signal by the screening rule (EBGM not measured)." if data.signal else "no signal by the screening rule."
        )
    else:
        tail = f"; {data.e:.1f} expected." if data.e is not None else "."
    direction = "supports" if data.signal else "neutral"
    return Evidence(eid, "online_reports", OPENFDA_COUNTS, head + tail, direction, "none", data, ref)


# -- the current US label -------------------------------------------------------------------------------
def _concept(q: EvidenceQuery) -> Concept | None:
    """The question's condition concept; None for a lone preferred term (its own names only)."""
    from adrlens.vocab.resolve import condition_vocabulary

    try:
        return condition_vocabulary().concept(q.condition)
    except AdrlensError:
        return None


def _phrases(q: EvidenceQuery) -> dict[str, str]:
    from adrlens.vocab.conditions import label_phrases
    from adrlens.vocab.resolve import condition_vocabulary

    return label_phrases(condition_vocabulary(), q.all_pts, _concept(q))


def _label(q: EvidenceQuery, o: OnlineSettings, cache: ResponseCache) -> Evidence:
    eid = LABEL_ID
    narrow = set(q.narrow)
    ref: dict = {"service": openfda_label.OPENFDA_LABEL_URL}
    try:
        with OpenFdaClient(timeout=o.deadline, transport=o.transport, cache=cache) as client:
            doc = openfda_label.fetch_label(client, q.drug)
    except AdrlensError as exc:
        reason = _reason(exc)
        data = LabelData(online={"status": "unavailable", "reason": reason}, same_document_as=labels.SPL_SOURCE)
        finding = f"The current US label could not be read from openFDA: {reason} Whether it lists it is unknown."
        return Evidence(eid, "label", OPENFDA_LABEL, finding, "not_available", "none", data, ref)
    if doc is None:
        data = LabelData(online={"status": "counted", "reason": "no label"}, same_document_as=labels.SPL_SOURCE)
        finding = f"openFDA has no current US label for {q.drug} alone."
        return Evidence(eid, "label", OPENFDA_LABEL, finding, "not_available", "none", data, ref)
    phrases = _phrases(q)
    mentions = openfda_label.find_mentions(doc, phrases)
    stops = {
        pt: {"section": i.section, "text": i.text}
        for pt, i in openfda_label.stop_instructions(doc, phrases).items()
        if pt in narrow
    }
    listing = [m for m in mentions if m.context != "pre-existing" and m.section not in CONTEXT_SECTIONS]
    context = [m for m in mentions if m not in listing]
    pt_strength: dict[str, str] = {}
    for m in listing:
        if m.pt not in narrow:
            continue
        if m.section in labels.WARNING_SECTIONS:
            s = "warning"
        elif m.uncertain:  # among events whose causal relationship the label calls uncertain
            s = "weak"
        else:
            s = _STRENGTH_OF_CONTEXT.get(m.context, "weak")
        pt_strength[m.pt] = best_label_strength((s, pt_strength.get(m.pt, "none")))
    listed = sorted({m.pt for m in listing})
    listed_narrow = [p for p in listed if p in narrow]
    strength = listing_strength(pt_strength.values(), bool(listed))
    narrow_mentions = [m for m in listing if m.pt in narrow]
    online = {
        "status": "counted",
        "set_id": doc.set_id,
        "spl_id": doc.spl_id,
        "effective_date": doc.effective_date,
        "brand_names": list(doc.brand_names),
        "manufacturer": doc.manufacturer,
        "fetched_at": doc.fetched_at,
        "from_cache": doc.from_cache,
        "mentions": [_mention(m) for m in listing],
        "context_mentions": [_mention(m) for m in context],
        # narrow PT -> {section, text}: the label's instruction to stop the drug at once (adrlens.action)
        "stop_instructions": stops,
    }
    data = LabelData(
        listed=bool(listed),
        listed_pts=listed,
        listed_narrow_pts=listed_narrow,
        drug_known=True,
        postmarketing_only=bool(narrow_mentions) and all(m.context == "postmarketing" for m in narrow_mentions),
        sections=sorted({m.section for m in listing}),
        n_rows=len(listing),
        strength=strength,
        pt_strength=pt_strength,
        boxed_warning=any(m.section == "boxed warning" for m in narrow_mentions),
        warning_section=any(m.section in labels.WARNING_SECTIONS for m in narrow_mentions),
        uncertain_causality=strength == "weak" and any(m.uncertain for m in narrow_mentions),
        online=online,
        same_document_as=labels.SPL_SOURCE,
    )
    ref |= {"set_id": doc.set_id, "effective_date": doc.effective_date, "fetched_at": doc.fetched_at}
    name = f"{doc.brand_names[0]} ({q.drug})" if doc.brand_names else q.drug
    dated = f"the US label of {name}, effective {doc.effective_date or 'date not given'} (set id {doc.set_id})"
    if not listed:
        extra = f" It names it only as {context[0].context} context ({context[0].section})." if context else ""
        finding = f"openFDA: {dated} does not list {q.condition.lower()} or a related term.{extra}"
        return Evidence(eid, "label", OPENFDA_LABEL, finding, "neutral", "none", data, ref)
    shown = dict.fromkeys(
        f"{m.phrase} ({m.section}, {'causality uncertain' if m.uncertain else m.context})" for m in listing
    )
    where = "; ".join(list(shown)[:6])
    finding = f"openFDA: {dated} lists {where}."
    return Evidence(eid, "label", OPENFDA_LABEL, finding, "supports", LABEL_EVIDENCE_STRENGTH[strength], data, ref)


def _mention(m: openfda_label.SectionMention) -> dict:
    return {
        "pt": m.pt,
        "phrase": m.phrase,
        "section": m.section,
        "context": m.context,
        "uncertain": m.uncertain,
        "snippet": m.snippet,
    }


# -- PubMed -------------------------------------------------------------------------------------------------
def _condition_terms(q: EvidenceQuery) -> list[str]:
    concept = _concept(q)
    names = [concept.name, *concept.synonyms] if concept else [q.condition]
    return list(dict.fromkeys(n.lower() for n in names))[:PUBMED_CONDITION_TERMS]


def _pubmed(q: EvidenceQuery, o: OnlineSettings, cache: ResponseCache) -> Evidence:
    eid = PUBMED_ID
    try:
        with pubmed.PubMedClient(timeout=o.deadline, transport=o.transport, cache=cache) as client:
            r = client.search_pair(q.drug, _condition_terms(q), top=o.pubmed_top)
    except AdrlensError as exc:
        data = PubMedData(status="unavailable", reason=_reason(exc))
        finding = f"PubMed could not be searched: {data.reason} The number of articles is unknown, not zero."
        return Evidence(eid, "online_literature", PUBMED, finding, "not_available", "none", data)
    data = PubMedData(
        query=r.query,
        query_translation=r.query_translation,
        drug_as_mesh=r.drug_as_mesh,
        condition_as_mesh=r.condition_as_mesh,
        total=r.total,
        by_publication_type=dict(r.by_publication_type),
        top=[
            {
                "pmid": t.pmid,
                "title": t.title,
                "journal": t.journal,
                "year": t.year,
                "publication_types": list(t.publication_types),
            }
            for t in r.top
        ],
        notes=list(r.notes),
        fetched_at=r.fetched_at,
        from_cache=r.from_cache,
    )
    types = ", ".join(f"{k} {v:,}" for k, v in data.by_publication_type.items() if v)
    how = "indexed with the drug's adverse effects and the condition as drug-induced (MeSH)"
    if not (r.drug_as_mesh and r.condition_as_mesh):
        how = "found by a search partly in titles and abstracts (no MeSH heading for one side)"
    finding = (
        f"PubMed (as of {(r.fetched_at or '')[:10]}): {r.total:,} article{'s' if r.total != 1 else ''} {how}"
        + (f"; by type: {types}" if types else "")
        + ". Articles indexed with the pair may report, question or refute a link."
    )
    ref = {"query": r.query, "pmids": [t.pmid for t in r.top], "fetched_at": r.fetched_at}
    return Evidence(eid, "online_literature", PUBMED, finding, "neutral", "none", data, ref)


# -- the door -----------------------------------------------------------------------------------------------
def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """The online records (label, FAERS counts, PubMed) when the settings ask for them; else none."""
    o = settings.online
    if o is None:
        return []
    cache = ResponseCache(o.cache_dir, refresh=o.refresh)
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="adrlens-online") as pool:
        label = pool.submit(_label, q, o, cache)
        counts = pool.submit(_counts, q, o, cache)
        found = pool.submit(_pubmed, q, o, cache)
        return [label.result(), counts.result(), found.result()]


def summary(evidence: list[Evidence], settings: OnlineSettings | None) -> dict:
    """The answer's `online` block: each online source's status, and one line for a person."""
    if settings is None:
        return {}
    sources = []
    for e in evidence:
        if e.id not in (LABEL_ID, COUNTS_ID, PUBMED_ID):
            continue
        d = e.data
        if isinstance(d, LabelData):
            info = d.online or {}
        else:
            info = {"status": d.status, "reason": d.reason, "fetched_at": d.fetched_at, "from_cache": d.from_cache}
        sources.append(
            {
                "name": e.source,
                "evidence_id": e.id,
                "status": info.get("status"),
                "reason": info.get("reason"),
                "fetched_at": info.get("fetched_at"),
                "from_cache": bool(info.get("from_cache")),
            }
        )
    down = [s for s in sources if s["status"] == "unavailable"]
    if down and len(down) == len(sources):
        causes = " ".join(dict.fromkeys(s["reason"][:160] for s in down))
        line = f"Online sources unreachable: {causes} This answer uses the offline data only."
    elif down:
        line = "Online sources partly unavailable: " + " ".join(f"{s['name']}: {s['reason'][:100]}" for s in down)
    else:
        line = "Online sources read: " + ", ".join(s["name"] for s in sources) + "."
    return {"requested": True, "settings": settings.to_dict(), "sources": sources, "summary": line}
