"""Pharmacogenomic risk: does PharmGKB (level 1A/1B toxicity annotation) or CPIC name a genetic risk factor
for the drug and the condition?

An annotation matches when one of its phenotypes maps (at build time, `store.knowledge._build_pgx`) to one of
the condition's narrow PTs; phenotypes that are the disease the drug treats are not matched. One record per
matching annotation (gene and variant), direction "supports", strength "strong" (levels 1A/1B are PharmGKB's
highest; a CPIC level A pair is also strong). Without a match, a single record: "neutral" when the drug has
PGx risk annotations or CPIC pairs for other effects, "not_available" when it has none.
"""

from __future__ import annotations

import duckdb

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import Evidence, PgxData
from adrlens.sources.knowledge import pgx as pgx_src
from adrlens.store.queries import pgx_risk

SOURCE = f"{pgx_src.PHARMGKB_SOURCE}; {pgx_src.CPIC_SOURCE}"
STRONG_LEVELS = frozenset({"1A", "1B"})
STRONG_CPIC = frozenset({"A"})


def _ref(drug: str, row: dict | None = None) -> dict:
    ref: dict = {"table": "pgx_risk", "query": f"pgx_risk WHERE ingredient = '{drug}' AND pts overlap concept PTs"}
    if row:
        ref |= {"annotation_id": row.get("annotation_id"), "url": row.get("url"), "pmids": row.get("cpic_pmids") or []}
    return ref


def pgx_evidence(con: duckdb.DuckDBPyConnection, drug: str, narrow: list[str], condition: str) -> list[Evidence]:
    rows = pgx_risk(con, drug)
    wanted = set(narrow)
    out: list[Evidence] = []
    seen: set[str] = set()
    for r in rows:
        matched = [p for p in (r.get("pts") or []) if p in wanted]
        key = str(r.get("annotation_id") or f"{r['gene']}:{r.get('variant')}")
        if not matched or key in seen:
            continue
        seen.add(key)
        data = PgxData(
            gene=r["gene"],
            variant=r.get("variant"),
            level=r.get("level"),
            phenotypes=list(r.get("phenotypes") or []),
            matched_pts=matched,
            source=r["source"],
            url=r.get("url"),
            annotation_id=r.get("annotation_id"),
            pmid_count=r.get("pmid_count"),
            cpic_level=r.get("cpic_level"),
            drug_annotations=len(rows),
        )
        strong = (data.level in STRONG_LEVELS) or (data.cpic_level in STRONG_CPIC)
        level = f"level {data.level}" if data.level else "no PharmGKB level"
        pmids = f", {data.pmid_count} PMIDs" if data.pmid_count else ""
        cpic = f"; CPIC level {data.cpic_level} gene-drug pair" if data.cpic_level else ""
        variant = f"{data.variant} ({data.gene})" if data.variant else data.gene
        out.append(
            Evidence(
                f"pgx:{data.gene}:{key}",
                "pgx",
                data.source or SOURCE,
                f"{data.source} ({level}{pmids}{cpic}) names {variant} as a genetic risk factor for "
                f"{', '.join(data.phenotypes)} with {drug}: carriers are at higher risk of "
                f"{condition.lower()}.",
                "supports",
                "strong" if strong else "moderate",
                data,
                _ref(drug, r),
            )
        )
    if out:
        return out
    data = PgxData(drug_annotations=len(rows))
    if rows:
        genes = ", ".join(sorted({r["gene"] for r in rows}))
        finding = f"PharmGKB and CPIC name genetic risk factors for {drug} ({genes}), but none for {condition.lower()}."
        return [Evidence("pgx", "pgx", SOURCE, finding, "neutral", "none", data, _ref(drug))]
    finding = f"PharmGKB (level 1A/1B toxicity) and CPIC name no genetic risk factor for {drug}."
    return [Evidence("pgx", "pgx", SOURCE, finding, "not_available", "none", data, _ref(drug))]


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """PGx risk records for the drug and the condition's narrow terms."""
    return pgx_evidence(con, q.drug, list(q.narrow), q.condition)
