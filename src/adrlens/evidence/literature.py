"""Literature evidence, one record per stance: articles that report the drug causing the condition
(supporting), that found no link (contradicting), or that report the drug suppressing it (protective).

Sources (table `literature_pair`, built by `adrlens.store.knowledge`): ADE-corpus case-report sentences,
MEDLINE articles indexed with MeSH adverse-effect qualifiers (by study type), SemMedDB predications (with
negations), BC5CDR chemical-induced-disease relations; each finding with its PMID and study type.

Records (`LiteratureData` per record):

* id "literature", direction "supports": the supporting findings;
* id "literature:contradicting", direction "against": negated predications ("did not cause");
* id "literature:protective", direction "neutral", never "supports": the drug suppressed, treated or
  prevented the condition in some study. Its finding says "some studies suggest it may help; not
  established", never a benefit;
* no finding at all: one record id "literature", direction "neutral" when the literature tables name the
  drug (`literature_drug`), else "not_available".

Strength of a record: "strong" with >= 2 articles of controlled design (`CONTROLLED_STUDY_TYPES`),
"moderate" with >= 3 articles, else "weak".
"""

from __future__ import annotations

import duckdb

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import Direction, Evidence, LiteratureData, Strength
from adrlens.sources.knowledge.literature import (
    ANIMAL_STUDY,
    CONTRADICTING,
    CONTROLLED_STUDY_TYPES,
    PROTECTIVE,
    STANCES,
    SUPPORTING,
)
from adrlens.store.queries import literature, literature_drug_articles

LIT_SOURCE = "literature (ADE corpus v2, MEDLINE MeSH drug-ADE index, SemMedDB, BC5CDR, IOM 2012 review)"
SOURCES_REF = (
    "ADE corpus v2 (Gurulingappa 2012); MEDLINE MeSH ADE (OHDSI LAERTES); SemMedDB (OHDSI LAERTES); "
    "BioCreative V CDR (Li 2016); IOM, Adverse Effects of Vaccines: Evidence and Causality (2012, "
    "doi:10.17226/13164) with the controlled studies it rests on"
)
PROTECTIVE_CAVEAT = "some studies suggest it may help; not established"

# stance -> (record id, direction)
RECORDS: dict[str, tuple[str, Direction]] = {
    SUPPORTING: ("literature", "supports"),
    CONTRADICTING: ("literature:contradicting", "against"),
    PROTECTIVE: ("literature:protective", "neutral"),
}


def strength_of(data: LiteratureData) -> Strength:
    if data.controlled_articles >= 2:
        return "strong"
    if data.n_articles >= 3:
        return "moderate"
    return "weak"


def stance_data(rows: list[dict], stance: str, drug_known: bool) -> LiteratureData:
    """The numbers of one stance's finding rows."""
    by_type: dict[str, set[str]] = {}
    by_source: dict[str, int] = {}
    for r in rows:
        by_type.setdefault(r.get("study_type") or "other", set()).add(str(r["pmid"]))
        by_source[r["source"]] = by_source.get(r["source"], 0) + 1
    pmids = sorted({str(r["pmid"]) for r in rows if r.get("pmid")}, key=lambda p: (len(p), p))
    controlled = {p for t, ps in by_type.items() if t in CONTROLLED_STUDY_TYPES for p in ps}
    return LiteratureData(
        n_records=len(rows),
        n_articles=len(pmids),
        pmids=pmids,
        by_study_type={k: len(v) for k, v in sorted(by_type.items())},
        by_source=dict(sorted(by_source.items())),
        drug_known=drug_known,
        sentences=list(dict.fromkeys(r["sentence"] for r in rows if r.get("sentence")))[:3],
        stance=stance,
        controlled_articles=len(controlled),
        animal_articles=len(by_type.get(ANIMAL_STUDY, set())),
    )


def _types(data: LiteratureData) -> str:
    return ", ".join(f"{n} {t}{'s' if n > 1 and not t.endswith('s') else ''}" for t, n in data.by_study_type.items())


def _pmid_list(pmids: list[str]) -> str:
    word = "PMIDs" if all(p.isdigit() for p in pmids[:5]) else "articles"
    return f"{word} {', '.join(pmids[:5])}{' ...' if len(pmids) > 5 else ''}"


def _finding(stance: str, data: LiteratureData, drug: str, condition: str, terms: list[str]) -> str:
    """One sentence; names the published terms when they are not the condition's own name."""
    cond = condition.lower()
    shown = [t for t in terms if t != cond]
    if shown:
        cond += f" (as {', '.join(shown[:3])}{' ...' if len(shown) > 3 else ''})"
    n = data.n_articles
    arts, verb = (f"{n} article", "reports") if n == 1 else (f"{n} articles", "report")
    detail = f"{_types(data)}; {_pmid_list(data.pmids)}"
    if stance == SUPPORTING:
        return f"{arts} {verb} {drug} causing {cond} ({detail})."
    if stance == CONTRADICTING:
        return f"{arts} found that {drug} did not cause {cond} ({detail})."
    return f"{arts} {verb} {drug} reducing or suppressing {cond} ({detail}): {PROTECTIVE_CAVEAT}."


def literature_evidence(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str],
    terms: list[str],
    condition: str,
    narrow: list[str] | None = None,
) -> list[Evidence]:
    """`pts`: every term to look up (narrow and broad); `narrow`: the condition's own terms, counted apart
    (with `terms`, the condition's names) in `narrow_articles` (default: all of `pts`)."""
    rows = literature(con, drug, list(dict.fromkeys([*pts, *terms])))
    own = {t.lower() for t in [*(pts if narrow is None else narrow), *terms]}
    known = bool(literature_drug_articles(con, drug)) or bool(rows)
    out: list[Evidence] = []
    for stance in STANCES:
        mine = [r for r in rows if r.get("stance") == stance]
        if not mine:
            continue
        data = stance_data(mine, stance, known)
        own_rows = [r for r in mine if str(r.get("pt_or_term") or "").lower() in own]
        if own_rows:
            own_data = stance_data(own_rows, stance, known)
            data.narrow_articles, data.narrow_controlled_articles = own_data.n_articles, own_data.controlled_articles
        rid, direction = RECORDS[stance]
        ref = {"table": "literature_pair", "stance": stance, "pmids": data.pmids, "sources": SOURCES_REF}
        finding = _finding(stance, data, drug, condition, sorted({r["pt_or_term"] for r in mine}))
        out.append(
            Evidence(
                rid, "literature", LIT_SOURCE, finding, direction,
                strength_of(data), data, ref,
            )
        )  # fmt: skip
    if out:
        return out
    finding = (
        f"No article in the literature sources here links {drug} to {condition.lower()}."
        if known
        else f"The literature sources here have no records for {drug}."
    )
    data = LiteratureData(drug_known=known, stance="none")
    ref = {"table": "literature_pair", "pmids": [], "sources": SOURCES_REF}
    return [
        Evidence(
            "literature", "literature", LIT_SOURCE, finding, "neutral" if known else "not_available", "none", data, ref
        )
    ]


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record per stance with findings linking the drug to the condition's terms or its name."""
    return literature_evidence(con, q.drug, list(q.broad), [q.condition], q.condition, narrow=list(q.narrow))
