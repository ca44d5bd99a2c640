"""Related questions: the drug's other effects and the condition's other drugs make sense (adrlens.related)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adrlens.engine import Engine
from adrlens.evidence.indication import treats
from adrlens.related import CO_REPORT_SHARE, co_reporting, is_effect, plain_label, plain_name

ADMIN = re.compile(r"overdose|poison|error|product|off label|ineffective|interaction|exposure|adverse event", re.I)


@pytest.fixture(scope="module")
def engine(real_store: Path) -> Engine:
    eng = Engine(real_store)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def answers(engine: Engine) -> dict:
    qs = {
        "neuropathy": "Can amlodipine cause peripheral neuropathy?",
        "liver": "Can acetaminophen cause liver injury?",
        "angioedema": "Can lisinopril cause angioedema?",
    }
    return {k: engine.answer(q) for k, q in qs.items()}


def test_not_an_effect_patterns() -> None:
    for pt in (
        "overdose",
        "intentional overdose",
        "poisoning",
        "toxicity to various agents",
        "medication error",
        "wrong drug administered",
        "product quality issue",
        "off label use",
        "drug ineffective",
        "drug interaction",
        "exposure during pregnancy",
        "no adverse event",
        "product dose omission issue",
    ):
        assert not is_effect(pt), pt
    for pt in ("hypotension", "hepatotoxicity", "neurotoxicity", "shock", "fall", "angioedema", "cardiac failure"):
        assert is_effect(pt), pt


def test_plain_names() -> None:
    assert plain_label("Hypotension (low blood pressure)", ("low blood pressure",)) == "low blood pressure"
    assert plain_label("Myasthenia gravis (worsening)") == "myasthenia gravis"
    assert plain_label("Anaphylaxis / anaphylactic shock") == "anaphylaxis"
    assert plain_label("Bullous eruptions (SJS / TEN)") == "bullous eruptions"
    assert plain_name("hypotension") == "low blood pressure"  # the concept the PT heads
    assert plain_name("some unlisted term") == "some unlisted term"


def _check_block(engine: Engine, answer) -> None:
    rel = answer.related
    assert set(rel) >= {"drug_top_signals", "condition_top_drugs", "questions"}
    for q in rel["questions"]:
        assert not ADMIN.search(q), q
        assert q == q.strip() and q.startswith("Can ") and q.endswith("?")
    for r in rel["drug_top_signals"]:
        assert is_effect(r["pt"]), r
    drugs = [r["drug"] for r in rel["condition_top_drugs"]]
    narrow = list(answer.condition.narrow)
    settings = engine.settings.signal
    for d in drugs:  # no suggested drug treats the condition
        assert not treats(engine.con, d, narrow, settings, condition=answer.condition.label), d
    # No listed drug has most of its cases with the condition co-reported with a stronger listed drug.
    for d, hit in co_reporting(engine.con, drugs, narrow, settings).items():
        assert hit is None or hit[1] < CO_REPORT_SHARE, (d, hit)
    assert answer.drug.name not in drugs


def test_amlodipine_neuropathy(engine: Engine, answers: dict) -> None:
    a = answers["neuropathy"]
    _check_block(engine, a)
    rel = a.related
    assert rel["questions"], rel
    pts = [r["pt"] for r in rel["drug_top_signals"]]
    assert "hypertension" not in pts  # what amlodipine treats
    assert not set(pts) & set(a.condition.narrow)


def test_acetaminophen_liver_no_overdose(engine: Engine, answers: dict) -> None:
    a = answers["liver"]
    _check_block(engine, a)
    assert not any("overdose" in q.lower() or "poisoning" in q.lower() for q in a.related["questions"])


def test_angioedema_not_its_treatment(engine: Engine, answers: dict) -> None:
    a = answers["angioedema"]
    _check_block(engine, a)
    drugs = [r["drug"] for r in a.related["condition_top_drugs"]]
    assert "icatibant" not in drugs
    assert not any("icatibant" in q for q in a.related["questions"])
