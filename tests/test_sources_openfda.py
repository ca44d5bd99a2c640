"""openFDA client against openFDA-format fixtures served by httpx.MockTransport (no network)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from adrlens.errors import AdrlensError
from adrlens.sources.counts.base import STATUS_COUNTED, STATUS_ZERO
from adrlens.sources.counts.openfda import (
    EVENT_FIELD,
    MAX_COUNT_BUCKETS,
    OpenFdaClient,
    OpenFdaError,
    OpenFdaRateLimitError,
    OpenFdaUnavailableError,
    drug_search,
    event_search,
)
from silent_server import silent_server

FIX = Path(__file__).parent / "fixtures" / "openfda"


def fixture(name: str) -> dict:
    return json.loads((FIX / f"{name}.json").read_text())


DRUG = drug_search("amlodipine")
PARA = event_search("paraesthesia")
NEURO = event_search("neuropathy peripheral")
# Report totals the fake server answers with (meta.results.total of a limit=1 search).
TOTALS: dict[str | None, int] = {
    None: 20_000_000,
    DRUG: 120_000,
    PARA: 152_000,
    f"{DRUG} AND {PARA}": 812,
    NEURO: 110_000,
    f"{DRUG} AND {NEURO}": 655,
    event_search(["paraesthesia", "neuropathy peripheral"]): 250_000,
    f"{DRUG} AND {event_search(['paraesthesia', 'neuropathy peripheral'])}": 1_400,
}


def json_response(status: int, body: dict, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers or {})


def fake_openfda(totals: dict[str | None, int] = TOTALS) -> Callable[[httpx.Request], httpx.Response]:
    """Answer like api.fda.gov: totals for limit=1 searches, count buckets, NOT_FOUND for no match."""

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.fda.gov" and request.url.path == "/drug/event.json"
        search = request.url.params.get("search")
        if "count" in request.url.params:
            assert request.url.params["count"] == EVENT_FIELD
            return json_response(200, fixture("count_reactions_amlodipine" if search else "count_reactions_all"))
        if search not in totals:
            return json_response(404, fixture("not_found"))
        body = copy.deepcopy(fixture("search_limit1"))
        body["meta"]["results"]["total"] = totals[search]
        return json_response(200, body)

    return handler


def client(handler: Callable[[httpx.Request], httpx.Response], **kw: object) -> OpenFdaClient:
    sleeps: list[float] = []
    c = OpenFdaClient(api_key="", transport=httpx.MockTransport(handler), sleep=sleeps.append, **kw)
    c.sleeps = sleeps  # type: ignore[attr-defined]
    return c


def test_two_by_two_from_fixtures() -> None:
    with client(fake_openfda()) as c:
        p = c.pair("Amlodipine", "Paraesthesia")
    assert (p.source, p.drug, p.event, p.unit, p.status) == (
        "openfda",
        "amlodipine",
        "paraesthesia",
        "reports",
        STATUS_COUNTED,
    )
    assert (p.a, p.b, p.c) == (812, 120_000 - 812, 152_000 - 812)
    assert p.a + p.b + p.c + p.d == p.n == 20_000_000
    assert c.requests_made == 4


def test_concept_counts_each_report_once() -> None:
    with client(fake_openfda()) as c:
        p = c.concept("amlodipine", ["Paraesthesia", "Neuropathy peripheral"], concept_id="peripheral_neuropathy")
    assert p.event == "peripheral_neuropathy" and p.a == 1_400 and p.c == 250_000 - 1_400
    assert p.a < 812 + 655  # the union, not a sum of PT counts


def test_not_found_is_zero_only_for_documented_body() -> None:
    totals = {k: v for k, v in TOTALS.items() if k != f"{DRUG} AND {PARA}"}
    with client(fake_openfda(totals)) as c:
        p = c.pair("amlodipine", "paraesthesia")
    assert p.status == STATUS_ZERO and p.a == 0 and p.b == 120_000 and p.c == 152_000

    def html_404(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="<html>Not Found</html>")

    with client(html_404) as c, pytest.raises(OpenFdaError, match="HTTP 404"):
        c.total(DRUG)


def test_429_then_200_is_retried_honouring_retry_after() -> None:
    calls = {"n": 0}
    ok = fake_openfda()

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return json_response(429, fixture("over_rate_limit"), {"Retry-After": "7"})
        return ok(request)

    with client(handler) as c:
        assert c.total(DRUG) == 120_000
    assert calls["n"] == 2 and c.sleeps == [7.0]


def test_500_forever_is_an_error_not_zero() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return json_response(500, fixture("server_error"))

    with client(handler, max_retries=3) as c, pytest.raises(OpenFdaError, match="unknown, not zero"):
        c.pair("amlodipine", "paraesthesia")
    assert calls["n"] == 4 and len(c.sleeps) == 3 and c.sleeps == sorted(c.sleeps)


def test_long_retry_after_and_persistent_429_raise_rate_limit_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(429, fixture("over_rate_limit"), {"Retry-After": "3600"})

    with client(handler) as c, pytest.raises(OpenFdaRateLimitError, match="OPENFDA_API_KEY"):
        c.total(DRUG)


def test_bad_request_is_not_retried() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return json_response(400, fixture("bad_request"))

    with client(handler) as c, pytest.raises(OpenFdaError, match="BAD_REQUEST"):
        c.total("patient.nonsense:1")
    assert calls["n"] == 1


def test_offline_gives_clear_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)

    with client(handler) as c, pytest.raises(OpenFdaUnavailableError) as err:
        c.pair("amlodipine", "paraesthesia")
    assert isinstance(err.value, AdrlensError)
    assert "openFDA is unreachable" in str(err.value) and "adrlens ingest" in str(err.value)


def test_truncated_count_never_becomes_zero() -> None:
    full = {"meta": {}, "results": [{"term": f"PT {i}", "count": 5000 - i} for i in range(MAX_COUNT_BUCKETS)]}

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(200, full)

    with client(handler) as c:
        res = c.count(EVENT_FIELD, DRUG)
    assert res.truncated and res.get("PT 3") == 4997 and res.get("PARAESTHESIA") is None
    with client(fake_openfda()) as c:
        small = c.count(EVENT_FIELD, DRUG)
    assert not small.truncated and small.get("RHABDOMYOLYSIS") == 0 and small.get("PARAESTHESIA") == 812


def test_drug_events_leaves_unknown_totals_unknown() -> None:
    with client(fake_openfda()) as c:
        rows = {p.event: p for p in c.drug_events("amlodipine")}
    assert rows["paraesthesia"].a == 812 and rows["paraesthesia"].c == 152_000 - 812
    assert rows["neuropathy peripheral"].c is None and rows["neuropathy peripheral"].d is None


def test_rate_limit_per_minute_and_per_day() -> None:
    now = {"t": 0.0}
    with client(fake_openfda(), per_minute=3, per_day=5, clock=lambda: now["t"]) as c:
        c.sleep_calls = []  # type: ignore[attr-defined]

        def advance(s: float) -> None:
            c.sleeps.append(s)  # type: ignore[attr-defined]
            now["t"] += s

        c._sleep = advance
        for search in (DRUG, PARA, NEURO):
            c.total(search)
        assert c.sleeps == []  # type: ignore[attr-defined]
        c.total(None)  # 4th request within the minute waits for the window
        assert c.sleeps == [60.0]  # type: ignore[attr-defined]
        c.total(f"{DRUG} AND {PARA}")
        with pytest.raises(OpenFdaRateLimitError, match="5 requests a day"):
            c.total(f"{DRUG} AND {NEURO}")


def test_api_key_sent_and_period_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        body = copy.deepcopy(fixture("search_limit1"))
        return json_response(200, body)

    monkeypatch.setenv("OPENFDA_API_KEY", "k123")
    with OpenFdaClient(transport=httpx.MockTransport(handler), period=("20040101", "20041231")) as c:
        assert c.per_day == 120_000
        c.total(DRUG)
    assert seen[0].params["api_key"] == "k123"
    assert seen[0].params["search"].endswith("AND receivedate:[20040101 TO 20041231]")


# -- a network that never answers (issue 12, item 10e) ----------------------------------------------------
# Real sockets on 127.0.0.1 (tests/silent_server.py): no mock can show that a timeout really ends the wait.
DEADLINE = 2.0
GUARD = 3 * DEADLINE  # a generous bound, only so that a wait that never ends fails the test


@pytest.mark.parametrize("trickle", [False, True], ids=["never-answers", "trickles-forever"])
def test_a_server_that_never_answers_ends_at_the_deadline_with_a_clear_error(trickle: bool) -> None:
    with silent_server(trickle=trickle) as port:
        c = OpenFdaClient(api_key="", base_url=f"http://127.0.0.1:{port}/drug/event.json", timeout=DEADLINE)
        t = time.monotonic()
        with c, pytest.raises(OpenFdaUnavailableError) as err:
            c.total(DRUG)
        waited = time.monotonic() - t
    msg = str(err.value)
    assert f"did not answer within {DEADLINE:g} s" in msg and "proxy" in msg and "--timeout" in msg
    assert waited < GUARD, waited


def test_the_deadline_comes_from_the_environment_and_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    from adrlens.sources import net

    monkeypatch.setenv(net.TIMEOUT_ENV, "7.5")
    assert OpenFdaClient(api_key="").deadline == 7.5
    assert OpenFdaClient(api_key="", timeout=3).deadline == 3  # an option beats the environment
    monkeypatch.delenv(net.TIMEOUT_ENV)
    assert OpenFdaClient(api_key="").deadline == net.DEADLINE_S
    for bad in ("soon", "0", "-1"):
        monkeypatch.setenv(net.TIMEOUT_ENV, bad)
        with pytest.raises(AdrlensError, match="seconds"):
            OpenFdaClient(api_key="")


def test_cli_online_behind_a_proxy_that_never_answers_fails_at_the_deadline(tmp_path: Path) -> None:
    """The reported case: a proxy that accepts and never answers kept `online` silent for 173 s."""
    with silent_server() as port:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(HTTPS_PROXY=f"http://127.0.0.1:{port}", COLUMNS="300")
        res = subprocess.run(
            [sys.executable, "-m", "adrlens.cli", "online", "amlodipine", "headache", "--timeout", str(DEADLINE)],
            capture_output=True, text=True, env=env, timeout=120,  # the guard: vocabulary load plus GUARD
        )
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2, res.stderr
    assert lines[0].startswith("asking openFDA") and f"{DEADLINE:g} s" in lines[0]  # said while it waits
    assert lines[-1].startswith("error: openFDA (api.fda.gov) did not answer within 2 s; check your connection or")
    assert "Traceback" not in res.stderr and len(lines) == 2


def test_cli_online_pointed_at_a_silent_server_by_environment(tmp_path: Path) -> None:
    with silent_server() as port:
        env = {**os.environ, "ADRLENS_OPENFDA_URL": f"http://127.0.0.1:{port}/drug/event.json", "COLUMNS": "300",
               "ADRLENS_TIMEOUT": "1.5"}
        res = subprocess.run(
            [sys.executable, "-m", "adrlens.cli", "online", "amlodipine", "headache"],
            capture_output=True, text=True, env=env, timeout=120,
        )
    assert res.returncode == 2 and "error: openFDA (127.0.0.1) did not answer within 1.5 s" in res.stderr
    assert "Traceback" not in res.stderr
