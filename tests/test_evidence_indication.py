"""Indication and disease: the condition is what the drug treats, or a sign of it, by high-precision sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.evidence.indication import atc_diseases, provide
from adrlens.evidence.indication_terms import term_match
from adrlens.model import IndicationData
from adrlens.store import db as store_db
from adrlens.vocab.conditions import load_catalogue

CATALOGUE = {c.id: c for c in load_catalogue()[1]}


@pytest.mark.parametrize(
    ("term", "indication", "how"),
    [
        ("hypertension", "Hypertension NOS", "exact"),
        ("angioedema", "hereditary angioedema", "subtype"),
        ("diabetes mellitus", "type ii diabetes mellitus [non-insulin dependent type]", "subtype"),
        ("hyperlipidaemia", "Other and unspecified hyperlipidemia", "exact"),
        ("hypertension", "primary pulmonary hypertension", "words"),  # a site: shown, never decides
        ("oedema", "pulmonary oedema", "words"),
        ("hypotension", "hypertension", None),
        ("renal failure", "diabetes with renal manifestations", None),
    ],
)
def test_term_match(term: str, indication: str, how: str | None) -> None:
    assert term_match(term, indication) == how


@pytest.fixture(scope="module")
def con(real_store: Path):
    with store_db.connect(real_store) as c:
        yield c


def _ask(con, drug: str, concept_id: str):
    c = CATALOGUE[concept_id]
    q = EvidenceQuery(drug, "drug", c.name, c.pts("narrow"), c.pts("broad"))
    (ev,) = provide(con, q, EvidenceSettings())
    assert ev.id == "indication:overlap" and ev.kind == "indication" and isinstance(ev.data, IndicationData)
    json.dumps(ev.to_dict(), allow_nan=False)
    assert ev.finding.endswith(".")
    return ev


def test_atc_class_names_name_diseases(con) -> None:
    from adrlens.evidence.indication_terms import ontology as _ontology

    ont = _ontology(con)
    assert atc_diseases("Drugs used in hereditary angioedema", ont) == ["hereditary angioedema"]
    assert atc_diseases("ANTIEPILEPTICS", ont) == ["epilepsy"]
    assert atc_diseases("ANTIGOUT PREPARATIONS", ont) == ["gout"]
    assert atc_diseases("CALCIUM CHANNEL BLOCKERS", ont) == []
    assert atc_diseases("ANTIDIARRHEALS, INTESTINAL ANTIINFLAMMATORY/ANTIINFECTIVE AGENTS", ont) == []
    assert atc_diseases("ANTIBACTERIALS FOR SYSTEMIC USE", ont) == []


@pytest.mark.parametrize(
    ("drug", "concept", "relation", "treated"),
    [
        ("amlodipine", "hypertension", "indication", "hypertension"),
        ("lisinopril", "hypertension", "indication", "hypertension"),
        ("atorvastatin", "hyperlipidaemia", "indication", "hypercholesterolemia"),
        ("icatibant", "angioedema", "indication", "hereditary angioedema"),
        ("metformin", "hyperglycaemia", "manifestation", "diabetes"),
        ("carbamazepine", "seizure", "manifestation", "epilepsy"),
    ],
)
def test_indications(con, drug: str, concept: str, relation: str, treated: str) -> None:
    ev = _ask(con, drug, concept)
    assert ev.direction == "against" and ev.strength == "strong"
    assert ev.data.is_indication and ev.data.relation == relation
    assert any(treated in t for t in ev.data.treated), ev.data.treated
    assert ev.data.deciding_sources and not any(s.startswith("SIDER") for s in ev.data.deciding_sources)
    assert ("is a sign of" in ev.finding) == (relation == "manifestation")


@pytest.mark.parametrize(
    ("drug", "concept"),
    [
        ("amlodipine", "peripheral_oedema"),  # SIDER 'pulmonary oedema' must not count
        ("amlodipine", "hypotension"),  # SIDER 'hypotension' is noisy
        ("lisinopril", "angioedema"),
        ("lisinopril", "acute_kidney_injury"),  # MEDI 'diabetes with renal manifestations'
        ("metformin", "lactic_acidosis"),
        ("atorvastatin", "rhabdomyolysis"),
        ("sertraline", "hyponatraemia"),
        ("bosentan", "hypertension"),  # pulmonary hypertension is not high blood pressure
        ("ticlopidine", "leukopenia"),  # MEDI mined the boxed warning
    ],
)
def test_not_indications(con, drug: str, concept: str) -> None:
    ev = _ask(con, drug, concept)
    assert ev.direction == "neutral" and not ev.data.is_indication
    assert ev.data.relation is None and ev.data.treated == [] and ev.data.deciding_sources == []


def test_noisy_overlap_is_named_not_decided(con) -> None:
    ev = _ask(con, "amlodipine", "hypotension")
    assert ev.data.noisy_overlap and "possibly confounded by indication" in ev.finding


def test_unknown_drug_not_available(con) -> None:
    c = CATALOGUE["seizure"]
    (ev,) = provide(con, EvidenceQuery("no such drug", "drug", c.name, c.narrow, c.broad), EvidenceSettings())
    assert ev.direction == "not_available" and not ev.data.is_indication
