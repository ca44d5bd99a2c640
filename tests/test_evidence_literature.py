"""Literature findings by stance, on the real shared data: BC5CDR, MEDLINE MeSH agents, SemMedDB predicates."""

from __future__ import annotations

import duckdb
import pytest

from adrlens.config import data_dir
from adrlens.evidence import literature as lit
from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import LiteratureData
from adrlens.sources.knowledge import literature as src
from adrlens.store import queries as q


@pytest.fixture(scope="module")
def con(knowledge_built) -> duckdb.DuckDBPyConnection:
    return knowledge_built[0]


def _ask(con: duckdb.DuckDBPyConnection, drug: str, condition: str, pts: tuple[str, ...]) -> dict[str, object]:
    query = EvidenceQuery(drug, "drug", condition, pts, pts)
    return {e.id: e for e in lit.provide(con, query, EvidenceSettings())}


def test_bc5cdr_reader_reads_every_cid_relation() -> None:
    mesh = src.read_mesh_names(data_dir() / "vocab" / "conditions" / "mesh_2015" / "terms.tsv")
    rows, mentions, results = src.read_bc5cdr(data_dir() / "literature" / "bc5cdr", mesh)
    # The corpus has 1,038 + 1,012 + 1,066 CID relations in 1,500 abstracts (DATA.md); none is lost.
    assert sum(r.rows_read for r in results) == 3_116
    assert sum(r.rows_loaded for r in results) + sum(sum(r.skipped.values()) for r in results) == 3_116
    assert len({r["pmid"] for r in mentions}) == 1_500
    reye = [r for r in rows if r["pmid"] == "3670965"]
    assert [(r["drug_name"].lower(), r["term"]) for r in reye] == [("aspirin", "Reye Syndrome")]
    assert all(r["stance"] == src.SUPPORTING for r in rows)


def test_study_design_from_the_abstract() -> None:
    assert src.study_design("A randomized, double-blind trial", "Patients received drug or placebo.") == (
        "randomised controlled trial"
    )
    assert src.study_design("Drug-induced neuropathy", "Rats were given the drug for 4 weeks.") == src.ANIMAL_STUDY
    # Animals and patients both: not an animal study.
    assert src.study_design("Drug X in rats and man", "A 54-year-old patient ...") == "case report"
    assert src.study_design("Hepatitis after drug X", "Liver enzymes rose.") == "other"


def test_classic_drugs_are_known_to_the_literature_tables(con) -> None:
    for drug in ("amlodipine", "atorvastatin", "amoxicillin"):
        assert q.literature_drug_articles(con, drug), drug
    # A MeSH vaccine heading ("Influenza Vaccines") is the project's vaccine product group.
    assert "MEDLINE MeSH ADE" in q.literature_drug_articles(con, "influenza vaccine")
    # Known without a finding for the pair: neutral, never "not_available".
    rec = _ask(con, "atorvastatin", "Rhabdomyolysis", ("rhabdomyolysis",))
    assert rec["literature"].direction == "neutral" and rec["literature"].data.drug_known
    none = _ask(con, "no such drug", "Rhabdomyolysis", ("rhabdomyolysis",))
    assert none["literature"].direction == "not_available" and none["literature"].data.stance == "none"


def test_bc5cdr_and_ade_corpus_support_aspirin_reye_syndrome(con) -> None:
    # MedDRA writes "Reye's syndrome", MeSH and the ADE corpus "Reye syndrome".
    rec = _ask(con, "aspirin", "Reye's syndrome", ("reye's syndrome",))
    e = rec["literature"]
    assert e.direction == "supports" and e.data.stance == "supporting"
    assert {"3670965", "4036917"} <= set(e.data.pmids)
    assert {"BC5CDR", "ADE corpus v2"} <= set(e.data.by_source)
    assert e.data.pmids == sorted(e.data.pmids, key=lambda p: (len(p), p))


def test_medline_agents_name_drugs_outside_the_rxcui_keys(con) -> None:
    # Amoxicillin is no RxCUI key of the extract; the article on succinylcholine names it as an agent too.
    rows = q.literature(con, "amoxicillin", ["anaphylaxis"])
    med = [r for r in rows if r["source"] == "MEDLINE MeSH ADE"]
    assert [r["pmid"] for r in med] == ["19646842"]
    assert "Amoxicillin" in med[0]["note"] and med[0]["study_type"] == "case report"


def test_protective_predications_never_support(con) -> None:
    pairs = con.execute(
        "SELECT DISTINCT ingredient, pt_or_term FROM literature_pair WHERE stance = 'protective'"
    ).fetchall()
    assert len(pairs) >= 10  # SemMedDB "disrupts": suppression of arrhythmias, tachycardia ...
    for drug, term in pairs:
        rec = _ask(con, drug, term, (term,))
        e = rec["literature:protective"]
        assert e.direction == "neutral" and e.data.stance == "protective"
        assert lit.PROTECTIVE_CAVEAT in e.finding and e.data.pmids
        supporting = rec.get("literature")
        if supporting is not None and supporting.direction == "supports":
            assert not set(supporting.data.pmids) & set(e.data.pmids) or supporting.data.stance == "supporting"
    disopyramide = _ask(con, "disopyramide", "Ventricular arrhythmia", ("ventricular arrhythmia",))
    assert disopyramide["literature:protective"].data.by_study_type == {"clinical trial": 1}
    assert "literature" not in disopyramide  # no supporting finding, no neutral placeholder either


def test_negated_causes_is_contradicting(con) -> None:
    rec = _ask(con, "ethanol", "Gastrointestinal haemorrhage", ("gastrointestinal haemorrhage",))
    e = rec["literature:contradicting"]
    assert e.direction == "against" and e.data.stance == "contradicting"
    assert e.data.pmids == ["5303551"] and e.data.controlled_articles == 1  # a clinical trial


def test_strength_counts_controlled_articles() -> None:
    assert lit.strength_of(LiteratureData(n_articles=2, controlled_articles=2)) == "strong"
    assert lit.strength_of(LiteratureData(n_articles=5, controlled_articles=1)) == "moderate"
    assert lit.strength_of(LiteratureData(n_articles=2, controlled_articles=1)) == "weak"


def test_animal_and_controlled_articles_are_counted(con) -> None:
    rows = q.literature(con, "acetaminophen", ["renal tubular necrosis"])
    data = lit.stance_data([r for r in rows if r["stance"] == "supporting"], "supporting", True)
    assert data.animal_articles >= 1 and data.by_study_type.get(src.ANIMAL_STUDY) == data.animal_articles
    assert data.controlled_articles == sum(n for t, n in data.by_study_type.items() if t in src.CONTROLLED_STUDY_TYPES)
