"""openFDA drug label client and section reader against label-endpoint fixtures served by httpx.MockTransport
(no network); the phrases come from the real condition vocabulary of the shared data."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from adrlens.sources.counts.openfda import OpenFdaError, OpenFdaRateLimitError
from adrlens.sources.online.cache import ResponseCache
from adrlens.sources.online.openfda_label import (
    LABEL_URL_ENV,
    OPENFDA_LABEL_URL,
    LabelDocument,
    fetch_label,
    find_mentions,
    postmarketing_span,
    sentences,
)
from adrlens.vocab.conditions import ConditionVocabulary, label_phrases
from test_sources_openfda import client  # one way to make a client over a fake openFDA

FIX = Path(__file__).parent / "fixtures" / "online" / "openfda_label"
LABEL_HOST, LABEL_PATH = "api.fda.gov", "/drug/label.json"


def fixture(name: str) -> dict:
    return json.loads((FIX / f"{name}.json").read_text())


def fake_label_endpoint(
    answers: dict[str, dict] | None = None, seen: list[httpx.Request] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    """Answer like api.fda.gov/drug/label.json: the fixture of the drug named in the search, else NOT_FOUND."""
    answers = (
        answers
        if answers is not None
        else {"amlodipine": fixture("amlodipine"), "levofloxacin": fixture("levofloxacin")}
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        search = request.url.params.get("search", "")
        for drug, body in answers.items():
            if search == f'openfda.generic_name:"{drug}"':
                return httpx.Response(200, json=body)
        return httpx.Response(404, json=fixture("not_found"))

    return handler




@pytest.fixture(scope="module")
def vocab() -> ConditionVocabulary:
    return ConditionVocabulary.load()


@pytest.fixture(scope="module")
def neuropathy_phrases(vocab: ConditionVocabulary) -> dict[str, str]:
    concept = vocab.concept("peripheral neuropathy")
    return label_phrases(vocab, concept.narrow, concept)


def label(drug: str) -> LabelDocument:
    with client(fake_label_endpoint()) as c:
        doc = fetch_label(c, drug)
    assert doc is not None
    return doc


# -- fetching -------------------------------------------------------------------------------------------


def test_newest_single_ingredient_label_is_chosen_and_combinations_skipped() -> None:
    seen: list[httpx.Request] = []
    with client(fake_label_endpoint(seen=seen)) as c:
        doc = fetch_label(c, "Amlodipine")
    assert doc is not None
    # The newest result is amlodipine + benazepril (a combination); the older single label is not the newest.
    assert doc.set_id == "9c0f83f4-06ad-4bb1-a8e3-dcac43b840cf"
    assert (doc.effective_date, doc.manufacturer, doc.generic_names) == (
        "2025-03-05",
        "GSMS, Incorporated",
        ("AMLODIPINE BESYLATE",),
    )
    assert "boxed_warning" not in doc.sections and len(doc.sections["adverse_reactions_table"]) == 2
    assert doc.from_cache is False and doc.fetched_at
    (req,) = seen
    assert (req.url.host, req.url.path) == (LABEL_HOST, LABEL_PATH)
    assert req.url.params["sort"] == "effective_time:desc" and req.url.params["limit"] == "20"


def test_only_combination_labels_is_no_label() -> None:
    body = fixture("amlodipine")
    body["results"] = [r for r in body["results"] if len(r["openfda"]["substance_name"]) > 1]
    body["meta"]["results"]["total"] = len(body["results"])
    with client(fake_label_endpoint({"amlodipine": body})) as c:
        assert fetch_label(c, "amlodipine") is None


def _combination_pages(total: int, exact: dict | None) -> Callable[[httpx.Request], httpx.Response]:
    """`total` labels naming amlodipine, every one of them on the searched pages a combination; the exact-name
    search answers `exact` (None: NOT_FOUND)."""
    combo = next(r for r in fixture("amlodipine")["results"] if len(r["openfda"]["substance_name"]) > 1)

    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if params["search"].startswith("openfda.generic_name.exact:"):
            assert params["search"] == 'openfda.generic_name.exact:"AMLODIPINE"'
            return httpx.Response(200, json=exact) if exact else httpx.Response(404, json=fixture("not_found"))
        skip, limit = int(params.get("skip", 0)), int(params["limit"])
        n = max(0, min(limit, total - skip))
        body = {"meta": {"results": {"skip": skip, "limit": limit, "total": total}}, "results": [combo] * n}
        return httpx.Response(200, json=body)

    return handler


def test_many_combinations_then_an_exact_name_search() -> None:
    single = fixture("amlodipine")
    single["results"] = [r for r in single["results"] if r["set_id"].startswith("eb82ef86")]
    with client(_combination_pages(45, single)) as c:
        doc = fetch_label(c, "amlodipine")
        assert doc is not None and doc.set_id.startswith("eb82ef86") and c.requests_made == 3
    with client(_combination_pages(45, None)) as c, pytest.raises(OpenFdaError, match="unknown, not absent"):
        fetch_label(c, "amlodipine")  # 40 of 45 read, none single: unknown, never "no label"
    with client(_combination_pages(30, None)) as c:
        assert fetch_label(c, "amlodipine") is None  # all 30 read: truly only combinations
        assert c.requests_made == 2


def test_drug_unknown_to_openfda_is_none() -> None:
    with client(fake_label_endpoint()) as c:
        assert fetch_label(c, "metformin") is None
        assert c.requests_made == 1


def test_endpoint_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LABEL_URL_ENV, "http://mirror.test/label.json")
    seen: list[httpx.Request] = []
    with client(fake_label_endpoint(seen=seen)) as c:
        assert fetch_label(c, "levofloxacin") is not None
    assert str(seen[0].url).startswith("http://mirror.test/label.json?") and OPENFDA_LABEL_URL not in str(seen[0].url)


def test_second_fetch_comes_from_the_cache(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    with client(fake_label_endpoint(seen=seen), cache=ResponseCache(tmp_path)) as c:
        first = fetch_label(c, "levofloxacin")
        second = fetch_label(c, "levofloxacin")
    assert first is not None and second is not None and len(seen) == 1
    assert (first.from_cache, second.from_cache) == (False, True) and second.fetched_at == first.fetched_at


def test_429_forever_is_a_rate_limit_error_never_none() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"error": {"code": "OVER_RATE_LIMIT", "message": "You have exceeded"}})

    with client(handler, max_retries=2) as c, pytest.raises(OpenFdaRateLimitError):
        fetch_label(c, "amlodipine")
    assert len(c.sleeps) == 2  # retried politely first


def test_500_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": {"code": "SERVER_ERROR", "message": "Check your request"}})

    with client(handler, max_retries=1) as c, pytest.raises(OpenFdaError, match="unknown, not zero"):
        fetch_label(c, "amlodipine")


@pytest.mark.parametrize(
    "body",
    [
        {"meta": {"results": {"skip": 0, "limit": 20, "total": 1}}},  # no results list
        {"results": "AMLODIPINE"},
        {
            "results": [{"openfda": {"generic_name": ["AMLODIPINE BESYLATE"]}, "effective_time": "20250101"}]
        },  # no set_id
    ],
)
def test_malformed_answer_is_an_error(body: dict) -> None:
    with (
        client(lambda r: httpx.Response(200, json=body)) as c,
        pytest.raises(OpenFdaError, match="unknown, not absent"),
    ):
        fetch_label(c, "amlodipine")


def test_non_json_answer_is_an_error() -> None:
    with client(lambda r: httpx.Response(200, text="<html>maintenance</html>")) as c, pytest.raises(OpenFdaError):
        fetch_label(c, "amlodipine")


def test_a_combination_asked_for_is_refused() -> None:
    with client(fake_label_endpoint()) as c, pytest.raises(OpenFdaError, match="not one ingredient"):
        fetch_label(c, "amlodipine and benazepril")
    assert c.requests_made == 0


# -- reading --------------------------------------------------------------------------------------------


def test_boxed_warning_found(vocab: ConditionVocabulary, neuropathy_phrases: dict[str, str]) -> None:
    mentions = find_mentions(label("levofloxacin"), neuropathy_phrases)
    boxed = [m for m in mentions if m.section == "boxed warning"]
    assert boxed and {m.field for m in boxed} == {"boxed_warning"}
    assert all(m.context == "text" and not m.uncertain for m in boxed)
    assert {m.pt for m in boxed} == {"neuropathy peripheral"}  # "PERIPHERAL NEUROPATHY": the other word order
    assert any("Peripheral neuropathy [see Warnings" in m.snippet for m in boxed)
    tendon = vocab.concept("tendon rupture")
    found = {m.pt for m in find_mentions(label("levofloxacin"), label_phrases(vocab, tendon.narrow, tendon))}
    assert {"tendon rupture", "tendonitis"} <= found  # "TENDINITIS" is a lower level term of tendonitis


def test_rate_in_the_adverse_reactions_table_with_british_spelling() -> None:
    mentions = find_mentions(label("amlodipine"), {"oedema": "oedema"})
    table = [m for m in mentions if m.field == "adverse_reactions_table"]
    assert [(m.context, m.section, m.snippet) for m in table] == [
        ("table", "adverse reactions", "Edema 1.8 3.0 10.8 0.6")
    ]
    text = [m for m in mentions if m.field == "adverse_reactions"]
    assert {m.context for m in text} == {"text", "rate"}  # the summary sentence, and the flattened table text


def test_postmarketing_part_found_by_heading() -> None:
    doc = label("amlodipine")
    text = doc.sections["adverse_reactions"][0]
    span = postmarketing_span(text)
    assert span is not None and text[span[0] :].startswith("6.2 Postmarketing Experience")
    (m,) = find_mentions(doc, {"gynaecomastia": "gynaecomastia"})
    assert (m.context, m.section, m.uncertain) == ("postmarketing", "adverse reactions", True)
    (j,) = find_mentions(doc, {"jaundice": "jaundice"})
    assert j.context == "postmarketing" and not j.uncertain


def test_patients_own_condition_is_pre_existing() -> None:
    amlodipine = label("amlodipine")
    (m,) = find_mentions(amlodipine, {"aortic stenosis": "aortic stenosis"})
    assert (m.context, m.section) == ("pre-existing", "warnings and precautions")
    (h,) = [x for x in find_mentions(amlodipine, {"hypotension": "hypotension"}) if "Symptomatic" in x.snippet]
    assert h.context == "text"  # the same sentence's side effect is not the patient's condition
    mg = find_mentions(label("levofloxacin"), {"myasthenia gravis": "myasthenia gravis"})
    # "EXACERBATION OF MYASTHENIA GRAVIS", "in patients with myasthenia gravis", "a known history of ...".
    assert len(mg) == 3 and {m.context for m in mg} == {"pre-existing"}
    (c,) = find_mentions(amlodipine, {"sensitivity": "hypersensitivity"})
    assert (c.section, c.context) == ("contraindications", "pre-existing")


def test_word_order_and_uncertain_list(neuropathy_phrases: dict[str, str]) -> None:
    # Amlodipine's label does name the PT, in a list of events whose causal relationship is uncertain.
    (m,) = find_mentions(label("amlodipine"), neuropathy_phrases)
    assert (m.pt, m.phrase, m.context, m.uncertain) == ("neuropathy peripheral", "neuropathy peripheral", "text", True)
    assert m.snippet.startswith("Central and Peripheral Nervous System:")
    # Word order both ways, whole words only, British spelling folded, and a plural.
    doc = dataclasses.replace(
        label("amlodipine"), sections={"warnings": ("Peripheral neuropathies and paresthesia occurred.",)}
    )
    found = find_mentions(doc, {"neuropathy peripheral": "neuropathy peripheral", "paraesthesia": "paraesthesia"})
    assert [(f.pt, f.context) for f in found] == [("neuropathy peripheral", "text"), ("paraesthesia", "text")]
    assert find_mentions(doc, {"thesia": "x", "neuropath": "y"}) == []


def test_no_boxed_warning_no_boxed_mention(neuropathy_phrases: dict[str, str]) -> None:
    doc = label("amlodipine")
    assert "boxed_warning" not in doc.sections
    assert not [m for m in find_mentions(doc, neuropathy_phrases) if m.section == "boxed warning"]


def test_sentences_keep_abbreviations_and_split_flattened_bullets() -> None:
    text = "Rash, e.g. urticaria, occurred. Avoid it [see Warnings (5.1)] Peripheral neuropathy [see (5.3)]"
    assert [s for _, s in sentences(text)] == [
        "Rash, e.g. urticaria, occurred.",
        "Avoid it [see Warnings (5.1)]",
        "Peripheral neuropathy [see (5.3)]",
    ]


def test_long_sentence_snippet_is_short_and_keeps_the_phrase() -> None:
    long = "Word " * 200 + "tendon rupture was seen " + "again " * 200 + "."
    doc = dataclasses.replace(label("levofloxacin"), sections={"warnings": (long,)})
    (m,) = find_mentions(doc, {"tendon rupture": "tendon rupture"})
    assert len(m.snippet) <= 300 and "tendon rupture" in m.snippet and m.snippet.startswith("\u2026Word")


# -- phrases ----------------------------------------------------------------------------------------------


def test_label_phrases_of_the_peripheral_neuropathy_concept(
    vocab: ConditionVocabulary, neuropathy_phrases: dict[str, str]
) -> None:
    concept = vocab.concept("peripheral neuropathy")
    assert neuropathy_phrases["peripheral neuropathy"] in concept.narrow
    assert neuropathy_phrases["neuropathy peripheral"] == "neuropathy peripheral"
    assert set(neuropathy_phrases.values()) <= set(concept.narrow)
    for pt in concept.narrow:
        assert neuropathy_phrases[pt] == pt  # each PT's own name
    assert "paraesthesia" not in neuropathy_phrases  # a broad PT, not asked for
    # Without the concept: only the PTs and their own terms.
    bare = label_phrases(vocab, ["Neuropathy peripheral"], None)
    assert bare["neuropathy peripheral"] == "neuropathy peripheral" and "tingling" not in bare
