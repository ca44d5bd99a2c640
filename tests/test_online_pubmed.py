"""PubMed client against E-utilities-format fixtures served by httpx.MockTransport (no network)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from adrlens.sources.online.cache import ResponseCache
from adrlens.sources.online.pubmed import (
    MESH_LAG_NOTE,
    PUBLICATION_TYPES,
    PubMedClient,
    PubMedError,
    PubMedUnavailableError,
)

FIX = Path(__file__).parent / "fixtures" / "online" / "pubmed"
TERMS = ["peripheral nervous system diseases", "polyneuropathies"]
MESH_CONDITION = (
    '("peripheral nervous system diseases/chemically induced"[MeSH Terms]'
    ' OR "polyneuropathies/chemically induced"[MeSH Terms])'
)
PAIR = f'"amlodipine/adverse effects"[MeSH Terms] AND {MESH_CONDITION}'
TYPE_COUNTS = {"randomized controlled trial": 1, "meta-analysis": 0, "cohort study": 2, "case report": 7}
Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> dict:
    return json.loads((FIX / f"{name}.json").read_text())


def count_body(n: int, ids: list[str] | None = None) -> dict:
    body = copy.deepcopy(fixture("esearch_count"))
    body["esearchresult"].update(count=str(n), idlist=ids or [], retmax=str(len(ids or [])))
    return body


def not_found(count: int, *phrases: str) -> dict:
    """PubMed's answer when it does not know some quoted phrases: it ran the rest of the query."""
    body = count_body(count)
    body["esearchresult"]["warninglist"] = {"quotedphrasesnotfound": list(phrases), "outputmessages": []}
    return body


def with_types(pair: str, body: dict, counts: dict[str, int] = TYPE_COUNTS) -> dict[str, dict]:
    return {pair: body, **{f"{pair} AND {c}": count_body(counts[k]) for k, c in PUBLICATION_TYPES.items()}}


class FakeTime:
    """A clock that only moves when the client sleeps, so no test waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeEutils:
    """Answers like eutils.ncbi.nlm.nih.gov: each esearch term from `searches`, esummary from `summary`."""

    def __init__(self, searches: dict[str, dict], summary: dict | None = None, host: str = "eutils.ncbi.nlm.nih.gov"):
        self.searches, self.summary, self.host = searches, summary or fixture("esummary_pair"), host
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        params = request.url.params
        assert request.url.host == self.host
        assert params["db"] == "pubmed" and params["retmode"] == "json" and params["tool"] == "adrlens"
        if request.url.path.endswith("/esummary.fcgi"):
            return httpx.Response(200, json=self.summary)
        assert request.url.path.endswith("/esearch.fcgi")
        return httpx.Response(200, json=self.searches[params["term"]])  # an unexpected term fails the test

    def params(self, i: int) -> httpx.QueryParams:
        return self.requests[i].url.params


def client(handler: Handler, t: FakeTime | None = None, **kw: object) -> PubMedClient:
    t = t or FakeTime()
    kw.setdefault("api_key", "")
    kw.setdefault("email", "")
    return PubMedClient(transport=httpx.MockTransport(handler), sleep=t.sleep, clock=t.clock, timeout=60, **kw)


def test_pair_by_mesh_counts_by_type_and_top_titles() -> None:
    eutils = FakeEutils(with_types(PAIR, fixture("esearch_pair")))
    with client(eutils) as c:
        r = c.search_pair("amlodipine", TERMS, top=5)
    assert r.query == PAIR and r.query_translation == PAIR
    assert r.drug_as_mesh and r.condition_as_mesh
    assert r.total == 14
    assert r.by_publication_type == TYPE_COUNTS
    ids = fixture("esearch_pair")["esearchresult"]["idlist"]
    assert [a.pmid for a in r.top] == ids  # PubMed's relevance order, not the summaries' order
    first = r.top[0]
    assert first.title.startswith("Painful peripheral neuropathy after starting amlodipine")
    assert (first.journal, first.year) == ("J Clin Pharm Ther", "2019")
    assert "Case Reports" in first.publication_types
    assert r.top[2].year == "2012"  # "2012 Nov-Dec"
    assert r.notes == [MESH_LAG_NOTE] and not r.from_cache
    assert dt.datetime.fromisoformat(r.fetched_at).tzinfo is not None
    # one search for the pair, one count per publication type, one summary request
    assert len(eutils.requests) == 2 + len(PUBLICATION_TYPES)
    assert eutils.params(0)["sort"] == "relevance" and eutils.params(0)["retmax"] == "5"
    assert all(eutils.params(i)["retmax"] == "0" for i in range(1, 1 + len(PUBLICATION_TYPES)))
    assert eutils.params(-1)["id"] == ",".join(ids)
    assert all("api_key" not in req.url.params and "email" not in req.url.params for req in eutils.requests)


def test_drug_unknown_to_mesh_is_searched_in_titles_and_abstracts() -> None:
    drug_mesh = f'"fictozumab/adverse effects"[MeSH Terms] AND {MESH_CONDITION}'
    tiab = f'"fictozumab"[Title/Abstract] AND {MESH_CONDITION}'
    searches = {drug_mesh: fixture("esearch_drug_not_mesh"), **with_types(tiab, count_body(3))}
    eutils = FakeEutils(searches)
    r = client(eutils).search_pair("fictozumab", TERMS, top=0)
    assert r.total == 3  # never the 1204 PubMed counted without the drug
    assert r.query == tiab and not r.drug_as_mesh and r.condition_as_mesh
    assert any("fictozumab is no MeSH heading" in n and "titles and abstracts" in n for n in r.notes)
    assert r.top == [] and not any(req.url.path.endswith("esummary.fcgi") for req in eutils.requests)


def test_condition_terms_unknown_to_mesh_are_dropped_then_searched_as_words() -> None:
    drug = '"amlodipine/adverse effects"[MeSH Terms]'
    both = (
        f'{drug} AND ("peripheral neuropathy/chemically induced"[MeSH Terms]'
        ' OR "polyneuropathies/chemically induced"[MeSH Terms])'
    )
    narrowed = f'{drug} AND "polyneuropathies/chemically induced"[MeSH Terms]'
    searches = {
        both: not_found(5, '"peripheral neuropathy/chemically induced"[MeSH Terms]'),
        **with_types(narrowed, count_body(4)),
    }
    r = client(FakeEutils(searches)).search_pair("amlodipine", ["peripheral neuropathy", "polyneuropathies"], top=0)
    assert r.query == narrowed and r.total == 4 and r.condition_as_mesh
    assert any("peripheral neuropathy" in n for n in r.notes)

    # no term is a MeSH heading: the condition side goes to titles and abstracts
    words = f'{drug} AND "tingling feet"[Title/Abstract]'
    searches = {
        f'{drug} AND "tingling feet/chemically induced"[MeSH Terms]': not_found(
            900, '"tingling feet/chemically induced"[MeSH Terms]'
        ),
        **with_types(words, count_body(2)),
    }
    r = client(FakeEutils(searches)).search_pair("amlodipine", ["Tingling  feet"], top=0)
    assert r.query == words and r.total == 2 and not r.condition_as_mesh and r.drug_as_mesh


def test_a_side_found_nowhere_makes_a_true_zero_without_more_requests() -> None:
    mesh = '"fictozumab/adverse effects"[MeSH Terms] AND "polyneuropathies/chemically induced"[MeSH Terms]'
    tiab = '"fictozumab"[Title/Abstract] AND "polyneuropathies/chemically induced"[MeSH Terms]'
    searches = {
        mesh: not_found(310, '"fictozumab/adverse effects"[MeSH Terms]'),
        tiab: not_found(310, '"fictozumab"[Title/Abstract]'),
    }
    eutils = FakeEutils(searches)
    r = client(eutils).search_pair("fictozumab", ["polyneuropathies"])
    assert r.total == 0 and r.by_publication_type == dict.fromkeys(PUBLICATION_TYPES, 0) and r.top == []
    assert any("no article naming fictozumab" in n for n in r.notes)
    assert len(eutils.requests) == 2


def test_a_phrase_pubmed_lost_that_is_neither_side_makes_the_count_unknown() -> None:
    searches = {PAIR: not_found(12, '"something else entirely"[MeSH Terms]')}
    with pytest.raises(PubMedError, match="unknown, not zero"):
        client(FakeEutils(searches)).search_pair("amlodipine", TERMS)


def test_empty_result_is_a_real_zero_and_asks_nothing_more() -> None:
    eutils = FakeEutils({PAIR: fixture("esearch_empty")})
    r = client(eutils).search_pair("amlodipine", TERMS)
    assert r.total == 0 and r.top == []
    assert r.by_publication_type == dict.fromkeys(PUBLICATION_TYPES, 0)
    assert len(eutils.requests) == 1  # no count per type, no esummary


def test_rate_limit_then_success_waits_as_told() -> None:
    eutils = FakeEutils(with_types(PAIR, fixture("esearch_pair")))
    answered: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not answered:
            answered.append(429)
            return httpx.Response(429, json=fixture("rate_limit_429"), headers={"Retry-After": "2"})
        return eutils(request)

    t = FakeTime()
    r = client(handler, t).search_pair("amlodipine", TERMS)
    assert r.total == 14 and r.by_publication_type == TYPE_COUNTS
    assert 2.0 in t.sleeps


@pytest.mark.parametrize("api_key", ["", "a-key"])
def test_rate_limit_forever_is_unavailable_never_zero(api_key: str) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, json=fixture("rate_limit_429"))

    with pytest.raises(PubMedUnavailableError, match="rate limited") as err:
        client(handler, api_key=api_key).search_pair("amlodipine", TERMS)
    message = str(err.value)
    assert "not zero" in message and "\n" not in message
    assert ("NCBI_API_KEY" in message) is (not api_key)  # a key is suggested only to who has none
    assert len(calls) == 4  # max_retries=3
    assert all(
        (req.url.params.get("api_key") == api_key) if api_key else "api_key" not in req.url.params for req in calls
    )


def test_server_error_forever_is_unavailable_never_zero() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500, text="<html><body>Internal Server Error</body></html>")

    t = FakeTime()
    with pytest.raises(PubMedUnavailableError, match=r"HTTP 500.*not zero"):
        client(handler, t).search_pair("amlodipine", TERMS)
    assert len(calls) == 4
    backoffs = [s for s in t.sleeps if s >= 1.0]  # the back-off pauses (the throttle's are 1/3 s)
    assert len(backoffs) == 3 and backoffs == sorted(backoffs)


def test_a_200_that_is_not_json_is_an_error_not_zero() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, text="<html>Service temporarily unavailable</html>")

    with pytest.raises(PubMedError, match=r"not JSON.*not zero") as err:
        client(handler).search_pair("amlodipine", TERMS)
    assert not isinstance(err.value, PubMedUnavailableError) and len(calls) == 1


def test_esearchresult_error_and_missing_count_are_errors_not_zero() -> None:
    with pytest.raises(PubMedError, match=r"Invalid db name specified.*not zero"):
        client(FakeEutils({PAIR: fixture("esearch_error")})).search_pair("amlodipine", TERMS)
    no_count = copy.deepcopy(fixture("esearch_pair"))
    del no_count["esearchresult"]["count"]
    with pytest.raises(PubMedError, match=r"no count.*not zero"):
        client(FakeEutils({PAIR: no_count})).search_pair("amlodipine", TERMS)
    # a count with no ids although some were asked for is no answer either
    with pytest.raises(PubMedError, match="inconsistent"):
        client(FakeEutils({PAIR: {"esearchresult": {"count": "14", "retmax": "5", "idlist": []}}})).search_pair(
            "amlodipine", TERMS
        )


def test_transport_error_is_unavailable_at_once_in_one_line() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)

    t = FakeTime()
    with pytest.raises(PubMedUnavailableError, match=r"unreachable.*ConnectError") as err:
        client(handler, t).search_pair("amlodipine", TERMS)
    assert "\n" not in str(err.value) and len(calls) == 1 and t.sleeps == []


def test_timeouts_are_retried_then_unavailable() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(PubMedUnavailableError, match="did not answer within 60 s"):
        client(handler).search_pair("amlodipine", TERMS)
    assert len(calls) == 4


def test_a_wait_longer_than_the_deadline_gives_up_without_waiting() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json=fixture("rate_limit_429"), headers={"Retry-After": "3600"})

    t = FakeTime()
    with pytest.raises(PubMedUnavailableError, match="did not answer within 60 s"):
        client(handler, t).search_pair("amlodipine", TERMS)
    assert all(s < 1 for s in t.sleeps)


def test_requests_are_spaced_to_ncbi_limits() -> None:
    for key, interval in (("", 1 / 3), ("a-key", 1 / 10)):
        t = FakeTime()
        client(FakeEutils(with_types(PAIR, fixture("esearch_pair"))), t, api_key=key).search_pair("amlodipine", TERMS)
        assert t.sleeps == pytest.approx([interval] * (1 + len(PUBLICATION_TYPES)))  # before each request but the first


def test_cache_serves_the_second_call_and_keeps_no_secret(tmp_path: Path) -> None:
    searches = with_types(PAIR, fixture("esearch_pair"))
    first = FakeEutils(searches)
    key, mail = "SECRET-KEY-0123456789", "someone@example.org"
    r1 = client(first, cache=ResponseCache(tmp_path), api_key=key, email=mail).search_pair("amlodipine", TERMS)
    assert all(req.url.params["api_key"] == key and req.url.params["email"] == mail for req in first.requests)
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == len(first.requests) == 6
    assert not any(key in f.read_text() or mail in f.read_text() for f in files)

    again = FakeEutils(searches)
    r2 = client(again, cache=ResponseCache(tmp_path)).search_pair("amlodipine", TERMS)
    assert again.requests == [] and r2.from_cache and r2.fetched_at == r1.fetched_at
    assert (r2.total, r2.by_publication_type, r2.top) == (r1.total, r1.by_publication_type, r1.top)

    refreshed = FakeEutils(searches)
    r3 = client(refreshed, cache=ResponseCache(tmp_path, refresh=True)).search_pair("amlodipine", TERMS)
    assert len(refreshed.requests) == 6 and not r3.from_cache


def test_unusable_answers_are_never_cached(tmp_path: Path) -> None:
    with pytest.raises(PubMedError):
        client(FakeEutils({PAIR: fixture("esearch_error")}), cache=ResponseCache(tmp_path)).search_pair(
            "amlodipine", TERMS
        )
    with pytest.raises(PubMedUnavailableError):
        client(lambda r: httpx.Response(503), cache=ResponseCache(tmp_path)).search_pair("amlodipine", TERMS)
    assert list(tmp_path.rglob("*.json")) == []


def test_ncbi_summary_sample_and_a_record_without_summary() -> None:
    """NCBI's own esummary sample (real PMIDs), plus a PMID PubMed has no summary for."""
    ids = ["22144687", "5683731", "99999999"]
    pair = count_body(3, ids)
    summary = fixture("esummary_ncbi_sample")
    summary["result"]["uids"].append("99999999")
    summary["result"]["99999999"] = {"uid": "99999999", "error": "cannot get document summary"}
    eutils = FakeEutils(with_types(PAIR, pair, dict.fromkeys(PUBLICATION_TYPES, 0)), summary=summary)
    r = client(eutils).search_pair("amlodipine", TERMS, top=3)
    assert [(a.pmid, a.title, a.journal, a.year) for a in r.top] == [
        ("22144687", "GenBank.", "Nucleic Acids Res", "2012"),
        ("5683731", "An assistive device for smoking.", "Paraplegia", "1968"),
    ]
    assert any("99999999" in n for n in r.notes)


def test_other_base_url_and_bad_input() -> None:
    eutils = FakeEutils(with_types(PAIR, fixture("esearch_pair")), host="mirror.test")
    r = client(eutils, base_url="http://mirror.test/entrez/eutils").search_pair("amlodipine", TERMS)
    assert r.total == 14 and eutils.requests[0].url.path == "/entrez/eutils/esearch.fcgi"
    with pytest.raises(PubMedError, match="drug"):
        client(eutils).search_pair("  ", TERMS)
    with pytest.raises(PubMedError, match="condition"):
        client(eutils).search_pair("amlodipine", ['""', " "])


def test_a_count_by_type_pubmed_ran_without_part_of_its_search_is_an_error() -> None:
    searches = with_types(PAIR, fixture("esearch_pair"))
    rct = f"{PAIR} AND {PUBLICATION_TYPES['randomized controlled trial']}"
    searches[rct] = not_found(51_000, '"randomized controlled trial"[Publication Type]')
    with pytest.raises(PubMedError, match="not zero"):
        client(FakeEutils(searches)).search_pair("amlodipine", TERMS)
