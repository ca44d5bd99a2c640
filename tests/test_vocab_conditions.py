"""Condition vocabulary on the real shared data: catalogue integrity, PT validation, lay-term resolution."""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path

import pytest

from adrlens import config
from adrlens.errors import ResolutionError
from adrlens.vocab.conditions import (
    CATALOGUE_PATH,
    Concept,
    ConditionVocabulary,
    bag_key,
    is_ambiguous,
    spelling_key,
)

# PTs we list although no shared file spells them (keep this short and justified).
PT_ALLOW_LIST: set[str] = set()


@pytest.fixture(scope="module")
def vocab(tmp_path_factory: pytest.TempPathFactory) -> ConditionVocabulary:
    # A private cache: the first load builds the index from the data (what a new user gets).
    old = os.environ.get("ADRLENS_CACHE")
    os.environ["ADRLENS_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    try:
        yield ConditionVocabulary.load()
    finally:
        if old is None:
            os.environ.pop("ADRLENS_CACHE", None)
        else:
            os.environ["ADRLENS_CACHE"] = old


def top(v: ConditionVocabulary, q: str) -> str | None:
    r = v.resolve(q)
    return r[0].concept.id if r and r[0].concept else None


# ---- catalogue integrity


def test_catalogue_integrity() -> None:
    raw = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    assert raw["version"]
    concepts = raw["concepts"]
    assert len(concepts) >= 150
    ids = [c["id"] for c in concepts]
    assert len(ids) == len(set(ids))
    for c in concepts:
        assert c["name"] and c["definition"] and c["category"], c["id"]
        assert c["narrow"], f"{c['id']} has no narrow PT"
        assert all(p == p.lower() for p in c["narrow"] + c["broad"]), c["id"]
        assert set(c["narrow"]) <= set(c["broad"]), f"{c['id']}: narrow PT missing from broad"
        assert c["red_flags"] is not None


def test_every_listed_pt_is_a_real_pt_name(vocab: ConditionVocabulary) -> None:
    unknown = sorted(
        (c.id, p) for c in vocab.concepts() for p in c.pts("broad") if not vocab.is_pt(p) and p not in PT_ALLOW_LIST
    )
    assert unknown == [], f"PTs not found in SIDER / FAERS / VAERS / label data: {unknown}"


def test_pt_set_matches_sider_file_read_independently(vocab: ConditionVocabulary) -> None:
    # Read SIDER's PT rows directly: every one of them must be a known PT of the vocabulary.
    path = config.data_path("labels", "sider41", "meddra_all_se.tsv.gz")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        sider = {row[5].lower() for row in csv.reader(fh, delimiter="\t") if len(row) > 5 and row[3] == "PT"}
    assert len(sider) > 4000
    assert all(vocab.is_pt(p) for p in sider)
    assert "sider" in vocab.pt_sources("Neuropathy peripheral")
    # One-word PT from the whole 2022Q3 FAERS quarter and the aggregate tables.
    assert {"faers_sample", "faers_aggregate"} <= set(vocab.pt_sources("rhabdomyolysis"))
    assert vocab.is_pt("Intussusception") and "vaers" in vocab.pt_sources("intussusception")
    assert not vocab.is_pt("pins and needles")  # a lay term, not a PT


def test_required_concepts_present(vocab: ConditionVocabulary) -> None:
    pn = vocab.concept("peripheral_neuropathy")
    assert {"neuropathy peripheral", "peripheral sensory neuropathy", "polyneuropathy"} <= set(pn.pts("narrow"))
    assert {"paraesthesia", "hypoaesthesia", "burning sensation", "dysaesthesia"} <= set(pn.pts("broad"))
    assert "paraesthesia" not in pn.pts("narrow")
    for name in [
        "QT prolongation",
        "rhabdomyolysis",
        "hyponatraemia",
        "angioedema",
        "pancreatitis",
        "interstitial lung disease",
        "Guillain-Barre syndrome",
        "intussusception",
        "serotonin syndrome",
        "lactic acidosis",
        "tardive dyskinesia",
        "osteonecrosis of the jaw",
        "pulmonary embolism",
        "DVT",
        "tinnitus",
        "photosensitivity",
        "hyperkalaemia",
        "agranulocytosis",
        "erectile dysfunction",
        "suicidal ideation",
        "kidney stones",
        "gout",
        "Parkinsonism",
    ]:
        assert isinstance(vocab.concept(name), Concept), name


def test_concept_api(vocab: ConditionVocabulary) -> None:
    c = vocab.concept("Rhabdomyolysis")
    assert c.pts("broad")[: len(c.narrow)] == c.narrow
    with pytest.raises(ValueError):
        c.pts("wide")
    assert c in vocab.concepts_for_pt("Rhabdomyolysis")
    assert vocab.concepts_for_pt("paraesthesia")[0].id in {
        "peripheral_neuropathy",
        "guillain_barre_syndrome",
        "hypocalcaemia",
    }
    with pytest.raises(ResolutionError) as e:
        vocab.concept("no such condition at all")
    assert isinstance(e.value.candidates, list)


# ---- resolution


@pytest.mark.parametrize(
    "query",
    [
        "pins and needles",
        "tingling",
        "numb feet",
        "my feet are numb",
        "paraesthesia",
        "hypoaesthesia",
        "peripheral neuropathy",
        "Neuropathy peripheral",
    ],
)
def test_lay_terms_reach_peripheral_neuropathy(vocab: ConditionVocabulary, query: str) -> None:
    r = vocab.resolve(query)
    assert r and r[0].concept is not None and r[0].concept.id == "peripheral_neuropathy", r[:3]
    assert not is_ambiguous(r)


@pytest.mark.parametrize(
    ("query", "cid"),
    [
        ("heart attack", "acute_myocardial_infarction"),
        ("liver damage", "acute_liver_injury"),
        ("kidney failure", "acute_kidney_injury"),
        ("muscle breakdown", "rhabdomyolysis"),
        ("GBS", "guillain_barre_syndrome"),
        ("Guillain Barre", "guillain_barre_syndrome"),
        ("Guillain-Barré syndrome", "guillain_barre_syndrome"),
        ("hair loss", "alopecia"),
        ("swollen ankles", "peripheral_oedema"),
        ("swelling of the ankles", "peripheral_oedema"),
        ("low sodium", "hyponatraemia"),
        ("hyponatremia", "hyponatraemia"),  # American spelling
        ("diarrhea", "diarrhoea"),
        ("blood clot in the lung", "pulmonary_embolism"),
        ("peripherel neuropathy", "peripheral_neuropathy"),  # misspelt: fuzzy
        ("rhabdomylosis", "rhabdomyolysis"),
    ],
)
def test_resolves(vocab: ConditionVocabulary, query: str, cid: str) -> None:
    assert top(vocab, query) == cid, vocab.resolve(query)[:3]


def test_hpo_lay_synonym_path_without_catalogue_synonym(vocab: ConditionVocabulary) -> None:
    # "Pins and needles feeling" is only in HPO (lay synonym of Paresthesia, UMLS C0030554 -> PT Paraesthesia).
    r = vocab.resolve("pins and needles feeling")
    assert r[0].pt == "paraesthesia" and r[0].method == "hpo_lay"
    assert r[0].concept is not None and r[0].concept.id == "peripheral_neuropathy"


def test_euadr_outcomes_all_resolve(vocab: ConditionVocabulary) -> None:
    ref = config.data_path("refsets", "euadr")
    with open(ref / "euadr.csv", encoding="utf-8") as fh:
        names = {row["condition"] for row in csv.DictReader(fh)}
    with open(ref / "euadr_reference_set.csv", encoding="utf-8") as fh:
        names |= {row["outcomeName"] for row in csv.DictReader(fh)}
    assert len(names) >= 20
    unresolved = [n for n in names if not vocab.resolve(n) or vocab.resolve(n)[0].concept is None]
    assert unresolved == []
    # The ten EU-ADR events (Coloma et al. 2013) by their usual names.
    expected = {
        "bullous eruptions": "bullous_eruptions",
        "acute renal failure": "acute_kidney_injury",
        "anaphylactic shock": "anaphylaxis",
        "acute myocardial infarction": "acute_myocardial_infarction",
        "rhabdomyolysis": "rhabdomyolysis",
        "aplastic anaemia": "aplastic_anaemia",
        "acute liver injury": "acute_liver_injury",
        "upper gastrointestinal bleeding": "upper_gi_bleeding",
        "cardiac valve fibrosis": "cardiac_valve_fibrosis",
        "hip fracture": "hip_fracture",
        "OMOP Acute Renal Failure 1": "acute_kidney_injury",
        "HOI Upper GI #3": "upper_gi_bleeding",
    }
    assert {q: top(vocab, q) for q in expected} == expected


def test_lone_pt_match(vocab: ConditionVocabulary) -> None:
    r = vocab.resolve("abasia")
    assert r[0].concept is None and r[0].pt == "abasia" and r[0].method == "pt"


def test_ambiguous_query_returns_close_matches(vocab: ConditionVocabulary) -> None:
    # "thrombosis" (a parent term, broad in each) could be a DVT, a pulmonary embolism or a VTE.
    r = vocab.resolve("thrombosis")
    assert len(r) >= 2 and is_ambiguous(r)
    assert {m.concept.id for m in r if m.concept} >= {"deep_vein_thrombosis", "pulmonary_embolism"}
    assert not is_ambiguous(vocab.resolve("heart attack"))
    assert not is_ambiguous(vocab.resolve("bleeding"))  # the general haemorrhage concept


@pytest.mark.parametrize("query", ["asdf qwerty", "xyzzy", "", "   ", "!!!", "zzzzzzzzzzzzzz"])
def test_nonsense_returns_nothing(vocab: ConditionVocabulary, query: str) -> None:
    assert vocab.resolve(query) == []


def test_limit_and_order(vocab: ConditionVocabulary) -> None:
    r = vocab.resolve("tingling", limit=3)
    assert 1 <= len(r) <= 3
    assert [m.score for m in r] == sorted((m.score for m in r), reverse=True)
    assert vocab.resolve("tingling", limit=0) == []


def test_normalisation_keys() -> None:
    assert spelling_key("Paraesthesia") == spelling_key("paresthesia")
    assert spelling_key("Oedema peripheral") == spelling_key("edema peripheral")
    assert spelling_key("Guillain-Barré syndrome") == "guillain barre syndrome"
    assert bag_key("swelling of the ankles") == bag_key("ankle swelling")


# ---- description and loading


def test_describe_concept_has_sourced_facts(vocab: ConditionVocabulary) -> None:
    d = vocab.describe(vocab.concept("peripheral_neuropathy"))
    assert d["definition"]["source"] == "adrlens condition catalogue"
    assert d["red_flags"] and all(f["source"] for f in d["red_flags"])
    assert d["common_causes"]
    assert any(x["source"].startswith("HPO HP:") for x in d["ontology_definitions"])
    assert "Neuropathy peripheral" in d["pts"]["narrow"]


def test_describe_pt_without_concept(vocab: ConditionVocabulary) -> None:
    d = vocab.describe("abasia")
    assert d["pt"] == "abasia" and d["concepts"] == []
    assert d["definition"] and d["definition"]["source"].startswith("HPO")


def test_cached_load_gives_the_same_vocabulary(vocab: ConditionVocabulary) -> None:
    # How much faster the cached load is belongs to bench/vocab.py; here only that it is the same.
    cache = Path(os.environ["ADRLENS_CACHE"])
    assert list(cache.glob("condition_index_*.json"))
    v2 = ConditionVocabulary.load()
    assert len(v2.concepts()) == len(vocab.concepts())
