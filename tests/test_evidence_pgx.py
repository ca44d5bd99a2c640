"""Pharmacogenomic risk evidence on the knowledge tables built from the shared data (PharmGKB, CPIC)."""

from __future__ import annotations

import pytest

from adrlens.evidence.pgx import pgx_evidence
from adrlens.model import PgxData
from adrlens.sources.knowledge import pgx as pgx_src
from adrlens.vocab.resolve import resolve_condition


@pytest.fixture(scope="module")
def con(knowledge_built):
    return knowledge_built[0]


def _ask(con, drug: str, condition: str):
    c = resolve_condition(condition)
    return pgx_evidence(con, drug, list(c.narrow), c.label)


def _supporting(records):
    return [e for e in records if e.direction == "supports"]


@pytest.mark.parametrize(
    ("drug", "condition", "allele"),
    [
        ("carbamazepine", "Stevens-Johnson syndrome", "HLA-B*15:02"),
        ("allopurinol", "severe cutaneous adverse reaction", "HLA-B*58:01"),
        ("allopurinol", "Stevens-Johnson syndrome", "HLA-B*58:01"),
        ("abacavir", "hypersensitivity", "HLA-B*57:01"),
    ],
)
def test_named_genetic_risk(con, drug: str, condition: str, allele: str) -> None:
    sup = _supporting(_ask(con, drug, condition))
    hit = [e for e in sup if allele in (e.data.variant or "")]
    assert hit, [e.finding for e in sup]
    e = hit[0]
    assert isinstance(e.data, PgxData) and e.kind == "pgx" and e.strength == "strong"
    assert e.data.gene == "HLA-B" and e.data.level in ("1A", "1B") and e.data.matched_pts
    assert e.data.source == pgx_src.PHARMGKB_SOURCE and e.data.url.startswith("https://www.pharmgkb.org/")
    assert allele in e.finding and "level" in e.finding


def test_cpic_level_attached(con) -> None:
    (e, *_) = [x for x in _supporting(_ask(con, "abacavir", "hypersensitivity")) if x.data.gene == "HLA-B"]
    assert e.data.cpic_level == "A"


def test_no_pgx_for_amlodipine_neuropathy(con) -> None:
    recs = _ask(con, "amlodipine", "peripheral neuropathy")
    assert not _supporting(recs)
    assert len(recs) == 1 and recs[0].direction == "not_available" and recs[0].strength == "none"


def test_drug_with_other_pgx_risks_is_neutral(con) -> None:
    recs = _ask(con, "atorvastatin", "peripheral neuropathy")
    assert len(recs) == 1 and recs[0].direction == "neutral" and recs[0].data.drug_annotations > 0


def test_disease_treated_is_not_a_risk(con) -> None:
    # PharmGKB lists the disease treated among a toxicity annotation's phenotypes (Epilepsy for an
    # anticonvulsant's SJS annotation); it is disease context, not a genetic risk of that disease.
    rows = con.execute(
        "SELECT ingredient, context_phenotypes FROM pgx_risk WHERE len(context_phenotypes) > 0 ORDER BY 1 LIMIT 50"
    ).fetchall()
    assert rows
    for ing, ctx in rows:
        for ph in ctx:
            assert not any(
                ph.lower() in [p.lower() for p in r[0]]
                for r in con.execute("SELECT phenotypes FROM pgx_risk WHERE ingredient = ?", [ing]).fetchall()
            )
