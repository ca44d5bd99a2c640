"""Literature evidence: ADE-corpus case-report sentences, MEDLINE articles indexed with MeSH
adverse-effect qualifiers (by study type), SemMedDB predications; each with PMIDs."""

from __future__ import annotations

import duckdb

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import Evidence, LiteratureData
from adrlens.store.queries import literature

LIT_SOURCE = "literature (ADE corpus v2, MEDLINE MeSH drug-ADE index, SemMedDB)"


def literature_evidence(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str], terms: list[str], condition: str
) -> list[Evidence]:
    rows = literature(con, drug, list(dict.fromkeys([*pts, *terms])))
    known = con.execute("SELECT count(*) FROM literature_pair WHERE ingredient = ?", [drug]).fetchall()[0][0]
    by_type: dict[str, set[str]] = {}
    by_source: dict[str, int] = {}
    for r in rows:
        by_type.setdefault(r.get("study_type") or "other", set()).add(str(r.get("pmid")))
        by_source[r["source"]] = by_source.get(r["source"], 0) + 1
    pmids = sorted({str(r["pmid"]) for r in rows if r.get("pmid")})
    data = LiteratureData(
        n_records=len(rows),
        n_articles=len(pmids),
        pmids=pmids[:50],
        by_study_type={k: len(v) for k, v in sorted(by_type.items())},
        by_source=by_source,
        drug_known=known > 0,
        sentences=[r["sentence"] for r in rows if r.get("sentence")][:3],
    )
    ref = {
        "table": "literature_pair",
        "pmids": pmids[:50],
        "sources": "ADE corpus v2 (Gurulingappa 2012); MEDLINE MeSH ADE (OHDSI LAERTES); SemMedDB",
    }
    if not rows:
        finding = (
            f"No article in the literature sources here links {drug} to {condition.lower()}."
            if known
            else f"The literature sources here have no records for {drug}."
        )
        return [
            Evidence(
                "literature",
                "literature",
                LIT_SOURCE,
                finding,
                "neutral" if known else "not_available",
                "none",
                data,
                ref,
            )
        ]
    types = ", ".join(f"{n} {t}{'s' if n > 1 else ''}" for t, n in data.by_study_type.items())
    trials = sum(n for t, n in data.by_study_type.items() if "trial" in t)
    strength = "strong" if trials >= 2 else ("moderate" if len(pmids) >= 3 or trials else "weak")
    return [
        Evidence(
            "literature",
            "literature",
            LIT_SOURCE,
            f"{len(pmids)} article(s) link {drug} to {condition.lower()}: {types} (PMIDs "
            f"{', '.join(pmids[:5])}{' ...' if len(pmids) > 5 else ''}).",
            "supports",
            strength,
            data,
            ref,
        )
    ]


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record: the articles linking the drug to the condition's terms or its name."""
    return literature_evidence(con, q.drug, list(q.broad), [q.condition], q.condition)
