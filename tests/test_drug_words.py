"""The drug in everyday words: class wording from the plain-words table, uses from precise sources only."""

from __future__ import annotations

import re

import pytest

from adrlens.store import queries
from adrlens.wording import drug_words

JARGON = re.compile(r"\b(EPC|MoA|antagonists?|inhibitors?|agonists?|receptors?)\b", re.I)


@pytest.fixture(scope="module")
def con(knowledge_built):
    return knowledge_built[0]


def _text(pairs: list[tuple[str, str]]) -> str:
    return " ".join(s for s, _ in pairs)


def test_amlodipine_in_plain_words(con) -> None:
    pairs = drug_words.describe_drug("amlodipine", "drug", queries.drug_profile(con, "amlodipine"))
    assert 1 <= len(pairs) <= 3
    assert all(isinstance(p, tuple) and len(p) == 2 for p in pairs)
    text = _text(pairs).lower()
    assert "blood vessels" in text
    assert "high blood pressure" in text
    assert "hypotension" not in text and "cardiac failure" not in text
    assert pairs[0][1]  # the class sentence names its reference


def test_uses_come_from_precise_sources_only(con) -> None:
    prof = queries.drug_profile(con, "amlodipine")
    uses = drug_words.plain_indications(prof)
    assert 1 <= len(uses) <= 3
    assert "high blood pressure" in uses
    assert not {"hypotension", "cardiac failure", "pulmonary oedema"} & set(uses)
    sider_only = dict(prof, indications=[r for r in prof["indications"] if r["source"].startswith("SIDER")])
    assert drug_words.plain_indications(sider_only) == []


def test_vaccine_is_generic() -> None:
    pairs = drug_words.describe_drug("mmr vaccine", "vaccine", None)
    assert len(pairs) == 1 and pairs[0][0].startswith("Mmr vaccine is a vaccine.")
    assert "immune system" in pairs[0][0] and pairs[0][1]


def test_no_profile_gives_one_honest_sentence() -> None:
    pairs = drug_words.describe_drug("zzdrug", "drug", None)
    assert len(pairs) == 1 and pairs[0][0].startswith("Zzdrug is a medicine")


def test_every_entry_has_what_how_source_in_plain_words() -> None:
    t = drug_words.table()
    assert t["version"] and t["about"]
    entries = list(t["classes"].values()) + list(t["atc"].values())
    assert len(entries) > 100
    sentences = []
    for e in entries:
        assert e["what"] and e["how"] and e["source"], e
        assert not JARGON.search(e["how"]), e["how"]
        sentences += [s for s in re.split(r"(?<=[.!?])\s+", e["how"]) if s]
    assert sum(len(s.split()) for s in sentences) / len(sentences) <= 20
    for e in t["indications"].values():
        assert e["plain"] and e["source"]


def test_half_life_in_words(con) -> None:
    text = _text(drug_words.describe_drug("amlodipine", "drug", queries.drug_profile(con, "amlodipine")))
    assert "lasts a long time in the body" in text and "30-50 hours" in text
    text = _text(drug_words.describe_drug("ciprofloxacin", "drug", queries.drug_profile(con, "ciprofloxacin")))
    assert "leaves the body fairly quickly" in text


def test_atc_fallback_when_no_class_name(con) -> None:
    prof = queries.drug_profile(con, "furosemide")  # no EPC row: the ATC code names it
    assert not prof["epc"]
    assert "water pill" in _text(drug_words.describe_drug("furosemide", "drug", prof))
