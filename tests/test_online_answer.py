"""Online sources inside the answer (`--online`), on recorded answers served through an httpx transport, and
with the network blocked. No test here touches the network: the blocked runs send every request to a proxy
port nothing listens on, so a request that tried to leave would fail, never reach a service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from adrlens.engine import Engine
from adrlens.report import render_markdown, validate_answer_json
from adrlens.serve.app import create_app
from adrlens.serve.settings import ServeSettings
from adrlens.sources.online.pubmed import PUBLICATION_TYPES
from adrlens.sources.online.settings import OnlineSettings
from conftest import free_port

FIX = Path(__file__).parent / "fixtures"
QUESTION = "Can amlodipine cause peripheral neuropathy?"
ONLINE_IDS = ("label:openfda", "online_reports:openfda", "online_literature:pubmed")


def blocked_env(port: int, cache: Path) -> dict[str, str]:
    """The environment of a machine whose only way out is a proxy that does not answer (refused)."""
    proxy = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}  # any case, any scheme
    return {**env, "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "ALL_PROXY": proxy, "NO_PROXY": "",
            "ADRLENS_ONLINE_CACHE": str(cache)}  # fmt: skip


def _json(name: str) -> dict:
    return json.loads((FIX / name).read_text())


N_REPORTS, DRUG_REPORTS, EVENT_REPORTS, PAIR_REPORTS = 20_000_000, 120_000, 150_000, 650


class FakeServices:
    """openFDA (FAERS counts, labels) and E-utilities answering from recorded answers, by host and path.

    `fail` maps a service ("event", "label", "esearch", "esummary") to an httpx.Response to give instead;
    `pair_reports` the reports of drug AND event (0: openFDA's documented NOT_FOUND)."""

    def __init__(self, fail: dict[str, httpx.Response] | None = None, pair_reports: int = PAIR_REPORTS) -> None:
        self.fail = fail or {}
        self.pair_reports = pair_reports
        self.requests: list[httpx.Request] = []

    def service(self, request: httpx.Request) -> str:
        if request.url.host == "api.fda.gov":
            return {"/drug/event.json": "event", "/drug/label.json": "label"}[request.url.path]
        assert request.url.host == "eutils.ncbi.nlm.nih.gov", request.url
        return request.url.path.rsplit("/", 1)[-1].removesuffix(".fcgi")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        kind = self.service(request)
        if kind in self.fail:
            return self.fail[kind]
        params = request.url.params
        if kind == "label":
            search = params.get("search", "")
            for drug in ("amlodipine", "levofloxacin"):
                if search == f'openfda.generic_name:"{drug}"':
                    return httpx.Response(200, json=_json(f"online/openfda_label/{drug}.json"))
            return httpx.Response(404, json=_json("online/openfda_label/not_found.json"))
        if kind == "event":
            search = params.get("search") or ""
            has_event = "reactionmeddrapt" in search
            has_drug = "generic_name" in search
            total = (
                (self.pair_reports if has_drug and has_event else EVENT_REPORTS if has_event else DRUG_REPORTS)
                if search
                else N_REPORTS
            )
            if total == 0:
                return httpx.Response(404, json=_json("openfda/not_found.json"))
            body = _json("openfda/search_limit1.json")
            body["meta"]["results"]["total"] = total
            return httpx.Response(200, json=body)
        if kind == "esummary":
            return httpx.Response(200, json=_json("online/pubmed/esummary_pair.json"))
        term = params.get("term", "")
        body = _json("online/pubmed/esearch_pair.json")
        if any(f" AND {clause}" in term for clause in PUBLICATION_TYPES.values()):
            body["esearchresult"].update(count="3", idlist=[], retmax="0")
        body["esearchresult"]["querytranslation"] = term
        return httpx.Response(200, json=body)


@pytest.fixture(scope="module")
def engine(real_store: Path) -> Engine:
    eng = Engine(real_store)
    yield eng
    eng.close()


def ask(engine: Engine, fake: FakeServices, cache: Path, question: str = QUESTION, **kw: object):
    settings = OnlineSettings(transport=httpx.MockTransport(fake), cache_dir=cache, **kw)
    return engine.answer(question, online=settings)


def records(answer) -> dict:
    return {e.id: e for e in answer.evidence if e.id in ONLINE_IDS}


def test_online_sources_are_separate_named_records_in_the_answer(engine: Engine, tmp_path: Path) -> None:
    fake = FakeServices()
    offline = engine.answer(QUESTION)
    a = ask(engine, fake, tmp_path)
    recs = records(a)
    assert set(recs) == set(ONLINE_IDS)
    assert not any(e.id in ONLINE_IDS for e in offline.evidence) and offline.online == {}
    d = a.to_dict()
    validate_answer_json(d)
    # openFDA FAERS: the four counts as the service gave them, with the unit said and measures computed.
    rep = recs["online_reports:openfda"].data
    assert (rep.a, rep.a + rep.b, rep.a + rep.c, rep.n) == (PAIR_REPORTS, DRUG_REPORTS, EVENT_REPORTS, N_REPORTS)
    assert rep.unit == "reports" and "cases" in rep.unit_note and rep.ror is not None and rep.ror_lo < rep.ror
    assert [r["pt"] for r in rep.by_pt] == list(a.condition.narrow)[: len(rep.by_pt)]
    assert recs["online_reports:openfda"].source != next(e.source for e in a.evidence if e.kind == "reports")
    # The current label: read by section, dated, with its set id; amlodipine's names it among uncertain events.
    lab = recs["label:openfda"].data
    assert lab.online["set_id"] and lab.online["effective_date"] and lab.listed_narrow_pts
    assert lab.strength == "weak" and lab.uncertain_causality and not lab.boxed_warning
    # PubMed: the pair's articles, by publication type, top PMIDs with titles.
    pm = recs["online_literature:pubmed"].data
    assert pm.total == 14 and pm.drug_as_mesh and set(pm.by_publication_type) >= {"randomized controlled trial"}
    assert len(pm.top) == 5 and all(t["title"] for t in pm.top)
    assert [s["status"] for s in a.online["sources"]] == ["counted"] * 3
    assert a.online["summary"].startswith("Online sources read")
    # The label's own text puts it among events of uncertain causality: a weak listing elsewhere does not add
    # up with it, so the grade stays what the offline evidence gives; openFDA's counts and PubMed are shown,
    # not graded.
    assert a.verdict.grade == offline.verdict.grade
    assert a.action == offline.action and not lab.online["stop_instructions"]
    md = render_markdown(a)
    assert "Online sources (openFDA, PubMed)" in md and "PMID 99000514" in md


def test_a_boxed_warning_on_the_current_label_feeds_the_label_rule(engine: Engine, tmp_path: Path) -> None:
    a = ask(engine, FakeServices(), tmp_path, "Can levofloxacin cause peripheral neuropathy?")
    lab = records(a)["label:openfda"]
    assert lab.direction == "supports" and lab.data.boxed_warning and lab.data.strength == "warning"
    assert "boxed warning" in lab.data.sections
    cited = {i for r in a.verdict.reasons for i in r.evidence_ids}
    assert "label:openfda" in cited
    assert "boxed warning" in " ".join(a.layers.short_answer)
    assert a.verdict.grade == "established"
    # The boxed warning says to stop the drug at once for it: the reader is told to stop, not to carry on.
    assert lab.data.online["stop_instructions"]["neuropathy peripheral"]["section"] == "boxed warning"
    assert a.action["action"] == "stop_now" and "Discontinue levofloxacin immediately" in a.action["reference"]
    plain = " ".join(s.text for s in a.layers.what_to_do)
    assert "stop taking levofloxacin" in plain and "Do not stop" not in plain


@pytest.mark.parametrize(
    "fail",
    [
        {"event": httpx.Response(429, json=_json("openfda/over_rate_limit.json"), headers={"Retry-After": "3600"})},
        {"event": httpx.Response(503, json=_json("openfda/server_error.json"))},
        {"event": httpx.Response(200, content=b"<html>maintenance</html>")},
    ],
    ids=["rate-limit", "server-error", "malformed"],
)
def test_a_failing_service_is_unavailable_never_zero(engine: Engine, tmp_path: Path, fail: dict) -> None:
    a = ask(engine, FakeServices(fail), tmp_path, timeout=3)
    rep = records(a)["online_reports:openfda"]
    assert rep.direction == "not_available" and rep.data.status == "unavailable" and rep.data.reason
    assert rep.data.a is None and rep.data.n is None and rep.data.ror is None
    assert rep.to_dict()["data"]["a"] is None
    assert "unknown, not zero" in rep.finding
    down = [s for s in a.online["sources"] if s["status"] == "unavailable"]
    assert [s["evidence_id"] for s in down] == ["online_reports:openfda"]
    assert a.online["summary"].startswith("Online sources partly unavailable")
    # the other sources still answer, and nothing failed is cached (the next ask tries again)
    assert records(a)["label:openfda"].data.online["status"] == "counted"
    again = FakeServices()
    ask(engine, again, tmp_path)
    assert any(again.service(r) == "event" for r in again.requests)


def test_label_errors_and_a_drug_openfda_does_not_know(engine: Engine, tmp_path: Path) -> None:
    a = ask(engine, FakeServices({"label": httpx.Response(200, content=b"{not json")}), tmp_path)
    lab = records(a)["label:openfda"]
    assert lab.direction == "not_available" and lab.data.online["status"] == "unavailable"
    assert not lab.data.listed and "unknown" in lab.finding
    # A drug with no label on openFDA: said so, not read as "not listed".
    b = ask(engine, FakeServices(), tmp_path, "Can atorvastatin cause rhabdomyolysis?")
    lab = records(b)["label:openfda"]
    assert lab.direction == "not_available" and "no current US label" in lab.finding


def test_zero_reports_is_a_real_zero_with_no_ratio(engine: Engine, tmp_path: Path) -> None:
    a = ask(engine, FakeServices(pair_reports=0), tmp_path)
    rep = records(a)["online_reports:openfda"].data
    assert rep.status == "counted" and rep.a == 0 and rep.ror is None and rep.ror_lo is None and rep.ic is None
    assert rep.e and rep.e > 0 and rep.ratio_upper is not None
    assert all("ror" not in r and r["a"] == 0 for r in rep.by_pt)
    assert "ROR" not in records(a)["online_reports:openfda"].finding


def test_vaccines_are_not_in_openfda_faers(engine: Engine, tmp_path: Path) -> None:
    fake = FakeServices()
    a = ask(engine, fake, tmp_path, "Can the flu shot cause Guillain-Barre syndrome?")
    rep = records(a)["online_reports:openfda"]
    assert rep.data.status == "not_applicable" and "VAERS" in rep.finding and rep.data.a is None
    assert not any(fake.service(r) == "event" for r in fake.requests)  # nothing asked of a source that cannot hold it


def test_answers_are_cached_with_their_date_and_refresh_refetches(engine: Engine, tmp_path: Path) -> None:
    first = FakeServices()
    a = ask(engine, first, tmp_path)
    assert first.requests and not any(s["from_cache"] for s in a.online["sources"])
    second = FakeServices()
    b = ask(engine, second, tmp_path)
    assert second.requests == []
    assert all(s["from_cache"] for s in b.online["sources"])
    assert [s["fetched_at"] for s in b.online["sources"]] == [s["fetched_at"] for s in a.online["sources"]]
    third = FakeServices()
    ask(engine, third, tmp_path, refresh=True)
    assert len(third.requests) == len(first.requests)


def test_cli_online_without_network_prints_the_offline_answer_and_one_line(real_store: Path, tmp_path: Path) -> None:
    env = {**blocked_env(free_port(), tmp_path / "cache"), "ADRLENS_STORE": str(real_store)}
    r = subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ask", QUESTION, "--online"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("# ") and "amlodipine" in r.stdout.lower()
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "online" in ln.lower()]
    assert len(lines) == 1 and lines[0].startswith("Online sources unreachable"), r.stderr
    assert not list((tmp_path / "cache").rglob("*.json"))  # nothing failed was kept


def test_server_online_switch(real_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app(ServeSettings(store=real_store, engines=1)), raise_server_exceptions=False) as c:
        r = c.get("/api/v1/answer", params={"q": QUESTION, "online": "true"})
        assert r.status_code == 400 and "--online" in r.json()["detail"]
    for k in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(k)
    for k, v in blocked_env(free_port(), tmp_path / "cache").items():
        monkeypatch.setenv(k, v)
    with TestClient(create_app(ServeSettings(store=real_store, engines=1, online=True))) as c:
        r = c.post("/api/v1/answer", json={"question": QUESTION, "online": True})
        assert r.status_code == 200
        body = r.json()
        assert body["online"]["summary"].startswith("Online sources unreachable")
        svc = c.app.state.service
        assert svc._cache.get(svc._key(QUESTION, None, None, "narrow", True)) is None  # asked again next time
        assert {e["id"] for e in body["evidence"]} >= set(ONLINE_IDS)
        offline = c.get("/api/v1/answer", params={"q": QUESTION}).json()
        assert offline["online"] == {} and not {e["id"] for e in offline["evidence"]} & set(ONLINE_IDS)
