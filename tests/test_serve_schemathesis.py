"""Property tests of the HTTP API: Schemathesis generates requests from the app's own OpenAPI document (valid
and invalid ones) and sends them in-process (ASGI) to the app over the real store.

Every response must be a non-5xx, with a status code, content type and body that the OpenAPI document declares
for that operation. The answer endpoints compute a fresh answer for each new question (about 2 s uncached), so
they get fewer examples than the cheap ones; every operation gets some.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from adrlens.serve.app import create_app
from adrlens.serve.settings import ServeSettings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ANSWER_PATH = "/api/v1/answer"
CHEAP_EXAMPLES = 40  # per operation: the tables, suggest, trend, signal, sources, health
ANSWER_EXAMPLES = 10  # per answer operation (GET and POST): each new question is a full answer
# No deadline (an uncached answer takes seconds); derandomized under CI so a run is repeatable.
FUZZ = {
    "deadline": None,
    "database": None,
    "derandomize": bool(os.environ.get("CI")),
    "suppress_health_check": list(HealthCheck),
    "print_blob": True,
}


def _document() -> dict:
    """The app's OpenAPI document, made at collection time (before any fixture, so before the store exists: the
    document depends on the routes only, so the app is made here over no store; test_document_is_the_served_one
    checks it is the document the real app serves)."""
    return create_app(ServeSettings(store=Path("no-store-needed")), service=_NO_SERVICE).openapi()


_NO_SERVICE = object()  # the document never calls the service
DOCUMENT = _document()
# Loaded from the document rather than with schemathesis.pytest.from_fixture: its lazy loader (4.32) sets
# pytest's private node._nodeid, which this pytest no longer has.
schema = schemathesis.openapi.from_dict(DOCUMENT)
SEEN: Counter[tuple[str, str, int]] = Counter()  # (method, path, status) of every generated request


@pytest.fixture(scope="module")
def app(real_store: Path):
    app = create_app(ServeSettings(store=real_store, engines=2))
    yield app
    app.state.service.close()


def test_document_is_the_served_one(app) -> None:
    from fastapi.testclient import TestClient

    served = TestClient(app).get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == DOCUMENT


@schema.exclude(path=ANSWER_PATH).parametrize()
@settings(max_examples=CHEAP_EXAMPLES, **FUZZ)
def test_api_conforms(case, app) -> None:
    response = case.call_and_validate(checks=CHECKS, app=app)
    SEEN[(case.method.upper(), case.path, response.status_code)] += 1


@schema.include(path=ANSWER_PATH).parametrize()
@settings(max_examples=ANSWER_EXAMPLES, **FUZZ)
def test_answer_conforms(case, app) -> None:
    response = case.call_and_validate(checks=CHECKS, app=app)
    SEEN[(case.method.upper(), case.path, response.status_code)] += 1


def test_generated_requests_reached_answers_and_errors() -> None:
    # The examples in the document make some generated requests real questions, so the Answer schema is
    # checked on real answers, not only on refusals; invalid requests must have been sent too.
    if not SEEN:
        pytest.skip("runs after the property tests of this module")
    for method in ("GET", "POST"):
        assert SEEN[(method, ANSWER_PATH, 200)] > 0, sorted(SEEN.items())
    assert any(status == 422 for _, _, status in SEEN), sorted(SEEN.items())
    assert {path for _, path, status in SEEN if status == 200} == set(DOCUMENT["paths"])  # every operation
