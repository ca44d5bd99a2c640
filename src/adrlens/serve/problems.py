"""Errors as RFC 9457 problem details (application/problem+json), each saying what to do.

400 a question that cannot be read      404 an unknown drug, condition or source
409 an ambiguous name (with `choices`)  413 a body over the limit      422 invalid parameters
500 anything else: a fixed message and an id to quote; the traceback goes to the server log only.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from adrlens.errors import AdrlensError, ResolutionError, StoreError
from adrlens.serve.service import Busy

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "https://adrlens.invalid/problems/"  # problem types are names, not pages to fetch
log = logging.getLogger("adrlens.serve")

_TITLES = {
    400: "The question could not be read",
    404: "Not found",
    405: "Method not allowed",
    409: "Ambiguous name",
    413: "Request body too large",
    422: "Invalid parameters",
    500: "Internal error",
    503: "Service unavailable",
}
STATUS_OF_KIND = {  # a ResolutionError kind -> its HTTP status (API and pages)
    ResolutionError.UNREADABLE: 400,
    ResolutionError.UNKNOWN: 404,
    ResolutionError.AMBIGUOUS: 409,
}


class Problem(Exception):
    """An error the API answers with a given status and detail (raised by the routes)."""

    def __init__(self, status: int, detail: str, kind: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.kind, self.extra = status, detail, kind, extra


def problem_response(
    status: int,
    detail: str,
    instance: str | None = None,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    slug = kind or _TITLES.get(status, "error").lower().replace(" ", "-")
    body = {
        "type": TYPE_BASE + slug,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **({"instance": instance} if instance else {}),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def _path(request: Request) -> str:
    return request.url.path


async def on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.detail, _path(request), exc.kind, **exc.extra)


async def on_adrlens_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ResolutionError):
        status = STATUS_OF_KIND.get(exc.kind, 400)
        extra = {"choices": exc.candidates} if status == 409 else {"suggestions": exc.candidates}
        return problem_response(status, str(exc), _path(request), exc.kind, **extra)
    if isinstance(exc, Busy):
        headers = {"Retry-After": str(exc.retry_after)}
        return problem_response(503, str(exc), _path(request), "busy", headers=headers, retry_after=exc.retry_after)
    if isinstance(exc, StoreError):
        return problem_response(503, str(exc), _path(request), "store-unavailable")
    return problem_response(400, str(exc), _path(request), "bad-request")


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"parameter": ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "body")), "message": e["msg"]}
        for e in exc.errors()
    ]
    shown = "; ".join(f"{e['parameter'] or 'body'}: {e['message']}" for e in errors[:5])
    return problem_response(
        422, f"Fix these parameters and try again: {shown}", _path(request), "invalid-parameters", errors=errors
    )


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = {
        404: f"No such page or endpoint: {request.url.path}. The API is under /api/v1 (see /docs).",
        405: f"{request.method} is not allowed here; see /docs for the methods of {request.url.path}.",
    }.get(exc.status_code, str(exc.detail))
    return problem_response(exc.status_code, detail, _path(request))


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    ref = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s on %s", ref, request.url.path)
    return problem_response(
        500,
        f"adrlens could not answer this request (error id {ref}, in the server log). Try again; if it keeps "
        "happening, report the id and the request.",
        _path(request),
        "internal-error",
        error_id=ref,
    )


HANDLERS = {
    Problem: on_problem,
    AdrlensError: on_adrlens_error,
    RequestValidationError: on_validation_error,
    StarletteHTTPException: on_http_error,
    Exception: on_unexpected,
}
