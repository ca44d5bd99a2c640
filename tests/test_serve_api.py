"""The HTTP API of `adrlens serve` over the real store: every /api/v1 endpoint, its problem+json errors, limits,
security headers and hostile input; and the `adrlens serve` command's refusals (a missing, incomplete or non-store
file; a taken port).

Most requests go in-process (FastAPI's TestClient over the real app and store); the few that need a real socket
(a chunked body without Content-Length, a huge declared length) go to `live_server`, a real `adrlens serve`.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from adrlens.report import validate_answer_json
from adrlens.serve.app import create_app
from adrlens.serve.settings import MAX_BODY_BYTES, MAX_PAGE_SIZE, ServeSettings
from adrlens.vocab.question import MAX_INPUT_CHARS

API = "/api/v1"
PROBLEM = "application/problem+json"
QUESTION = "Can amlodipine cause peripheral neuropathy?"
SOCKET_TIMEOUT = 30  # seconds: only so that a server that never answers fails the test instead of hanging it


@pytest.fixture(scope="module")
def client(real_store: Path) -> TestClient:
    app = create_app(ServeSettings(store=real_store, engines=2))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.service.close()


def call(client: TestClient | httpx.Client, method: str, url: str, **kw: Any) -> httpx.Response:
    """Every request of this module goes through here: no response is a 5xx or carries a traceback."""
    r = client.request(method, url, **kw)
    assert r.status_code < 500, (method, url, r.status_code, r.text[:500])
    assert "Traceback" not in r.text, (method, url, r.text[:500])
    return r


def ok(client: TestClient, url: str, **kw: Any) -> Any:
    r = call(client, "GET", url, **kw)
    assert r.status_code == 200, (url, r.text[:500])
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def problem(r: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status: its fields, each a non-empty text."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].split(";")[0] == PROBLEM
    body = r.json()
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key].strip(), (key, body)
    return body


# -- the answer: schema, and the same JSON as `adrlens ask --format json` --------------------------------------


@pytest.fixture(scope="module")
def cli_answer(real_store: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ask", QUESTION, "--format", "json", "--store", str(real_store)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout)


def _without_time(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != "generated_at"}


def test_answer_get_is_the_cli_json_and_valid(client: TestClient, cli_answer: dict[str, Any]) -> None:
    got = ok(client, f"{API}/answer", params={"q": QUESTION})
    assert validate_answer_json(got) == []
    assert got["generated_at"]
    assert _without_time(got) == _without_time(cli_answer)


def test_answer_post_question_and_pair(client: TestClient, cli_answer: dict[str, Any]) -> None:
    r = call(client, "POST", f"{API}/answer", json={"question": QUESTION})
    assert r.status_code == 200
    assert _without_time(r.json()) == _without_time(cli_answer)
    r = call(client, "POST", f"{API}/answer", json={"drug": "Norvasc", "condition": "tingling"})
    assert r.status_code == 200
    got = r.json()
    assert validate_answer_json(got) == []
    assert got["drug"]["name"] == "amlodipine"


# -- the other endpoints and their shapes ------------------------------------------------------------------------


def test_signal_keeps_sources_apart(client: TestClient) -> None:
    got = ok(client, f"{API}/signal", params={"drug": "amlodipine", "condition": "peripheral neuropathy"})
    assert got["drug"]["name"] == "amlodipine"
    assert got["event"]["pts"]
    assert isinstance(got["sources"], dict) and got["sources"] and isinstance(got["count_tables"], list)
    sub = ok(client, f"{API}/signal", params={"drug": "amlodipine", "condition": "peripheral neuropathy", "sex": "F"})
    assert sub != got  # the subgroup option reaches the computation


def test_drug_signals_shape(client: TestClient) -> None:
    got = ok(client, f"{API}/drugs/Norvasc/signals", params={"per_page": 5})
    assert got["drug"]["name"] == "amlodipine"
    assert got["page"] == 1 and got["per_page"] == 5 and 0 < len(got["rows"]) <= 5
    assert got["total"] >= len(got["rows"])
    for key in ("pt", "a", "e", "eb05", "source"):
        assert key in got["rows"][0], got["rows"][0]


def test_condition_drugs_shape(client: TestClient) -> None:
    got = ok(client, f"{API}/conditions/peripheral neuropathy/drugs", params={"per_page": 3})
    assert got["condition"]["label"] == "Peripheral neuropathy"
    assert got["pts"] and 0 < len(got["rows"]) <= 3 and got["total"] >= len(got["rows"])
    assert all(row["drug"] for row in got["rows"])


def test_trend_points(client: TestClient) -> None:
    got = ok(client, f"{API}/trend", params={"drug": "amlodipine", "pt": "peripheral neuropathy", "source": "faers"})
    assert (got["drug"], got["pt"], got["source"]) == ("amlodipine", "peripheral neuropathy", "faers")
    quarters = [p["quarter"] for p in got["points"]]
    assert quarters and quarters == sorted(quarters)
    cumulative = [p["a"] for p in got["points"]]
    assert cumulative == sorted(cumulative)  # the counts are cumulative


def test_sources_and_health(client: TestClient) -> None:
    src = ok(client, f"{API}/sources")
    assert src["built_at"] and src["report_sources"] and src["files"]
    assert all(s["cases"] > 0 for s in src["report_sources"])
    health = ok(client, f"{API}/health")
    assert health["status"] == "ok" and health["engines"] == 2 and health["built_at"] == src["built_at"]


@pytest.mark.parametrize(
    ("typed", "text", "kind", "means"),
    [("norv", "Norvasc", "brand", "amlodipine"), ("pins", "pins and needles", "lay term", "Peripheral neuropathy")],
)
def test_suggest(client: TestClient, typed: str, text: str, kind: str, means: str) -> None:
    got = ok(client, f"{API}/suggest", params={"q": typed})
    assert got["query"] == typed
    assert {"text": text, "kind": kind, "means": means} in [
        {k: s[k] for k in ("text", "kind", "means")} for s in got["suggestions"]
    ]


# -- sorting and paging of the drug table ------------------------------------------------------------------------


def test_drug_table_sorts_and_pages(client: TestClient) -> None:
    url, per_page = f"{API}/drugs/amlodipine/signals", 20
    first = ok(client, url, params={"sort": "a", "order": "asc", "per_page": per_page})
    counts = [row["a"] for row in first["rows"]]
    assert counts == sorted(counts)
    down = ok(client, url, params={"sort": "a", "order": "desc", "per_page": per_page})
    assert [row["a"] for row in down["rows"]] == sorted((row["a"] for row in down["rows"]), reverse=True)
    assert down["rows"][0]["a"] >= first["rows"][-1]["a"]
    total = first["total"]
    assert total > 2 * per_page  # so that page 2 is a full other page
    second = ok(client, url, params={"sort": "a", "order": "asc", "per_page": per_page, "page": 2})
    assert second["total"] == total and second["page"] == 2
    assert second["rows"] and second["rows"] != first["rows"]
    assert second["rows"][0]["a"] >= first["rows"][-1]["a"]
    past = ok(client, url, params={"sort": "a", "order": "asc", "per_page": per_page, "page": total // per_page + 2})
    assert past["rows"] == [] and past["total"] == total


# -- errors as problem+json --------------------------------------------------------------------------------------


def test_unreadable_question_is_400(client: TestClient) -> None:
    body = problem(call(client, "GET", f"{API}/answer", params={"q": "hello there"}), 400)
    assert "Can amlodipine cause" in body["detail"]  # says how to ask
    problem(call(client, "GET", f"{API}/answer"), 400)  # neither a question nor a pair


@pytest.mark.parametrize(
    "url",
    [f"{API}/drugs/zzqxzzqx/signals", f"{API}/conditions/zzqxzzqx/drugs", f"{API}/no-such-endpoint", "/no-such-page"],
)
def test_unknown_is_404(client: TestClient, url: str) -> None:
    problem(call(client, "GET", url), 404)


def test_unknown_drug_in_a_question_is_404(client: TestClient) -> None:
    problem(call(client, "GET", f"{API}/answer", params={"drug": "zzqxzzqx", "condition": "headache"}), 404)


@pytest.mark.parametrize(
    ("url", "choice"),
    [
        (f"{API}/drugs/statins/signals", "atorvastatin"),  # a drug class
        (f"{API}/drugs/Caduet/signals", "amlodipine"),  # a combination product
        (f"{API}/answer?q=Can Vicodin cause liver failure?", "hydrocodone"),
        (f"{API}/signal?drug=Exforge&condition=headache", "valsartan"),
    ],
)
def test_ambiguous_is_409_with_choices(client: TestClient, url: str, choice: str) -> None:
    body = problem(call(client, "GET", url), 409)
    assert choice in body["choices"], body


@pytest.mark.parametrize(
    ("method", "url", "kw"),
    [
        ("GET", f"{API}/drugs/amlodipine/signals", {"params": {"per_page": MAX_PAGE_SIZE + 1}}),
        ("GET", f"{API}/drugs/amlodipine/signals", {"params": {"sort": "name; DROP"}}),
        ("GET", f"{API}/drugs/amlodipine/signals", {"params": {"page": 0}}),
        ("GET", f"{API}/answer", {"params": {"q": QUESTION, "scope": "everything"}}),
        ("GET", f"{API}/answer", {"params": {"q": "Can amlodipine cause " + "x" * MAX_INPUT_CHARS}}),
        ("POST", f"{API}/answer", {"json": {"question": QUESTION, "bogus": 1}}),
        ("POST", f"{API}/answer", {"json": {"question": "Can amlodipine cause " + "x" * MAX_INPUT_CHARS}}),
        ("POST", f"{API}/answer", {"json": {"question": QUESTION, "scope": "wide"}}),
        ("POST", f"{API}/answer", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        ("GET", f"{API}/suggest", {}),
        ("GET", f"{API}/trend", {"params": {"drug": "amlodipine", "pt": "headache", "source": "nowhere"}}),
    ],
)
def test_invalid_parameters_are_422(client: TestClient, method: str, url: str, kw: dict[str, Any]) -> None:
    body = problem(call(client, method, url, **kw), 422)
    assert body["errors"] and body["detail"].startswith("Fix these parameters")


def test_body_over_the_limit_is_413_from_its_length(client: TestClient) -> None:
    big = json.dumps({"question": "x" * (MAX_BODY_BYTES + 10)}).encode()
    problem(call(client, "POST", f"{API}/answer", content=big, headers={"content-type": "application/json"}), 413)


def _raw_request(base: str, head: str, body: bytes) -> tuple[bytes, bool]:
    """Send a raw request (head lines, then body bytes, then nothing more: the body is never finished) and read
    the response; returns (response bytes, whether the server then closed the connection)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=SOCKET_TIMEOUT) as s:
        s.sendall(head.encode() + body)
        data = b""
        while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
            chunk = s.recv(65536)
            if not chunk:
                return data, True
            data += chunk
        try:
            return data, s.recv(1) == b""
        except ConnectionResetError:
            return data, True
        except TimeoutError:
            return data, False


def _length(data: bytes) -> int:
    headers = data.partition(b"\r\n\r\n")[0].lower().split(b"\r\n")
    return next(int(line.split(b":", 1)[1]) for line in headers if line.startswith(b"content-length:"))


def _status_and_body(data: bytes) -> tuple[int, dict[str, Any], bytes]:
    headers, _, body = data.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in headers.lower(), headers
    return int(headers.split(b" ", 2)[1]), json.loads(body), headers


def test_chunked_body_over_the_limit_is_refused_before_its_end(live_server: str) -> None:
    # A chunked body with no Content-Length: one chunk past the limit and no final chunk. The 413 can only come
    # from counting the bytes as they arrive, since the body never ends.
    chunk = b"x" * (MAX_BODY_BYTES + 1024)
    head = (
        "POST /api/v1/answer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    data, closed = _raw_request(live_server, head, f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    status, body, _ = _status_and_body(data)
    assert status == 413 and body["status"] == 413
    assert closed


def test_huge_declared_length_is_refused_at_once(live_server: str) -> None:
    head = (
        "POST /api/v1/answer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {10**12}\r\n\r\n"
    )
    data, closed = _raw_request(live_server, head, b'{"question": "Can')  # 17 of the 10^12 bytes announced
    status, body, _ = _status_and_body(data)
    assert status == 413 and "bytes" in body["detail"]
    assert closed


# -- methods, headers, hostile input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("HEAD", f"{API}/health"), ("OPTIONS", f"{API}/health"), ("DELETE", f"{API}/answer"), ("PUT", f"{API}/answer"),
     ("PATCH", f"{API}/drugs/amlodipine/signals"), ("POST", f"{API}/suggest?q=a")],
)  # fmt: skip
def test_unsupported_methods_are_405(client: TestClient, method: str, url: str) -> None:
    r = call(client, method, url)
    assert r.status_code == 405
    assert r.headers["content-type"].split(";")[0] == PROBLEM
    if method != "HEAD":  # a HEAD response has no body
        problem(r, 405)


@pytest.mark.parametrize("url", [f"{API}/health", f"{API}/answer?q=hello", f"{API}/nope", "/", "/docs"])
def test_security_headers(client: TestClient, url: str) -> None:
    r = call(client, "GET", url)
    csp = r.headers["content-security-policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'self'" in script_src
    assert "default-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_internal_error_is_a_problem_with_an_id_and_the_headers(real_store: Path) -> None:
    # A real failure: the service's own table connection closed under it (as when the store goes away).
    app = create_app(ServeSettings(store=real_store, engines=1))
    app.state.service.con.close()
    with TestClient(app, raise_server_exceptions=False) as broken:
        r = broken.get(f"{API}/drugs/amlodipine/signals")
        body = problem(r, 500)
        assert body["error_id"] in body["detail"] and "Traceback" not in r.text
        assert r.headers["x-content-type-options"] == "nosniff" and "content-security-policy" in r.headers
        assert call(broken, "GET", f"{API}/health").status_code == 200  # the rest still answers
    app.state.service.close()


RTL = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
SQL = "'; DROP TABLE report; --"
HOSTILE_URLS = [
    f"{API}/answer?q=Can%20amlodipine%00%20cause%20headache%3F",
    f"{API}/answer?q=%ED%A0%80",
    f"{API}/answer?drug=%ED%A0%80&condition=%00",
    f"{API}/drugs/%ED%A0%80/signals",
    f"{API}/drugs/a%00b/signals",
    f"{API}/conditions/%ED%A0%80%00/drugs",
    f"{API}/drugs/{'a' * 10_000}/signals",
    f"{API}/conditions/{'b' * 10_000}/drugs",
    f"/{'c' * 10_000}",
    f"{API}/suggest?q=%ED%A0%80",
    f"{API}/suggest?q=%00",
    f"{API}/trend?drug=%00&pt=%ED%A0%80&source=faers",
    f"{API}/signal?drug=amlodipine&condition=%ED%A0%80&country=%00%00",
]
HOSTILE_TEXTS = [f"Can {RTL}amlodipine cause headache?", f"Can amlodipine cause {SQL}?", SQL, f"{RTL}{SQL}\x00"]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_urls_never_5xx(client: TestClient, url: str) -> None:
    r = call(client, "GET", url)
    assert r.status_code in (200, 400, 404, 409, 422), (url, r.status_code)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_texts_never_5xx(client: TestClient, text: str) -> None:
    for method, url, kw in [
        ("GET", f"{API}/answer", {"params": {"q": text}}),
        ("POST", f"{API}/answer", {"json": {"question": text}}),
        ("GET", f"{API}/drugs/{quote(text, safe='')}/signals", {}),
        ("GET", f"{API}/suggest", {"params": {"q": text}}),
        ("GET", f"{API}/signal", {"params": {"drug": text, "condition": text}}),
    ]:
        r = call(client, method, url, **kw)
        assert r.status_code in (200, 400, 404, 409, 422), (url, text, r.status_code)
    assert ok(client, f"{API}/health")["status"] == "ok"  # and the store is still there


def test_invisible_characters_do_not_change_the_drug(client: TestClient) -> None:
    # Text copied from a web page can carry bidi overrides and byte-order marks; they are not part of the name.
    plain = ok(client, f"{API}/drugs/amlodipine/signals", params={"per_page": 5})
    for name in (f"{RTL}amlodipine", "\ufeffamlodipine", "amlo\u200bdipine\u2066"):
        got = ok(client, f"{API}/drugs/{quote(name, safe='')}/signals", params={"per_page": 5})
        assert got["drug"]["name"] == "amlodipine" and got["rows"] == plain["rows"], name
    answer = ok(client, f"{API}/answer", params={"q": f"Can {RTL}amlodipine cause peripheral neuropathy?"})
    assert answer["drug"]["name"] == "amlodipine"


def test_hostile_input_over_a_real_socket(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=SOCKET_TIMEOUT) as http:
        for url in HOSTILE_URLS:
            r = call(http, "GET", url)
            assert r.status_code in (200, 400, 404, 409, 422), (url, r.status_code)
        for text in HOSTILE_TEXTS:
            call(http, "GET", f"{API}/suggest", params={"q": text})


# -- the `adrlens serve` command's refusals ----------------------------------------------------------------------


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "serve", *args], capture_output=True, text=True, timeout=300
    )


def _incomplete_store(path: Path) -> Path:
    """A DuckDB file with the store's meta table and schema version but no build marker (a build that died)."""
    import duckdb

    from adrlens.store.db import SCHEMA_VERSION

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    con.close()
    return path


@pytest.mark.parametrize("kind", ["missing", "empty file", "incomplete"])
def test_serve_refuses_a_store_it_cannot_use(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "store.duckdb"
    if kind == "empty file":
        path.write_bytes(b"")
    elif kind == "incomplete":
        _incomplete_store(path)
    r = _serve("--store", str(path), "--port", "1")  # port 1 is never reached: the store is checked first
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert f"adrlens build --store {path}" in lines[0] or f"adrlens rebuild --store {path}" in lines[0]
    assert "Traceback" not in r.stdout + r.stderr


def test_serve_refuses_a_taken_port(real_store: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = _serve("--store", str(real_store), "--port", str(port))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: cannot listen on") and str(port) in lines[0] and "--port" in lines[0]


def test_a_full_answer_queue_is_503_with_retry_after_and_cached_answers_still_come(real_store: Path) -> None:
    # No room for new questions at all: every uncached question is refused, a cached one is served.
    settings = ServeSettings(store=real_store, engines=1, pending_per_engine=0)
    app = create_app(settings)
    svc = app.state.service
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            svc.answer(QUESTION)  # computed directly, into the cache
            cached = c.get("/api/v1/answer", params={"q": QUESTION})
            assert cached.status_code == 200 and cached.json()["question"] == QUESTION
            busy = c.get("/api/v1/answer", params={"q": "Can warfarin cause bleeding?"})
            body = problem(busy, 503)
            assert busy.headers["retry-after"] == str(body["retry_after"]) and body["retry_after"] > 0
            assert "ask again" in body["detail"]
            page = c.get("/ask", params={"q": "Can warfarin cause bleeding?"})
            assert page.status_code == 503 and page.headers["retry-after"]
            assert page.headers["content-type"].startswith("text/html")
    finally:
        svc.close()
