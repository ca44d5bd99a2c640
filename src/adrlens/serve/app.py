"""The ASGI app of `adrlens serve`: the JSON API under /api/v1, the web pages, static files and /docs.

    from adrlens.serve.app import create_app
    app = create_app(ServeSettings(store=Path("stores/adrlens.duckdb")))   # uvicorn.run(app), or TestClient(app)

Two pure-ASGI layers wrap everything: the body limit (a body over the limit is refused from its Content-Length,
or once the bytes read pass it, with 413 and without reading the rest) and the security headers (a
Content-Security-Policy allowing only our own scripts and styles, nosniff, no referrer, no framing).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from adrlens import __version__
from adrlens.report import SCHEMA_PATH
from adrlens.serve import web
from adrlens.serve.api import router as api_router
from adrlens.serve.problems import HANDLERS, PROBLEM_TYPE, on_http_error
from adrlens.serve.service import Service
from adrlens.serve.settings import API_PREFIX, ServeSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STATIC = Path(__file__).parent / "static"
# No inline script anywhere (the pages load /static/*.js); inline style attributes are allowed because the
# SVG charts carry them; images only from us or data: URIs (the charts are inline SVG).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _problem_bytes(status: int, detail: str) -> bytes:
    body = {"type": "https://adrlens.invalid/problems/body-too-large", "title": "Request body too large",
            "status": status, "detail": detail}  # fmt: skip
    return json.dumps(body).encode()


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413 problem+json, without reading the rest of them.

    The body (small by design) is read here up to the limit and replayed to the app, so that a chunked body
    without Content-Length is cut off as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def _refuse(self, send: Send) -> None:
        detail = f"The request body is over {self.limit:,} bytes; send a short JSON object (a question)."
        body = _problem_bytes(413, detail)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", PROBLEM_TYPE.encode()), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = self.limit + 1
            if declared > self.limit:
                await self._refuse(send)
                return
        if scope["method"] in ("GET", "HEAD", "OPTIONS") and length is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class SecurityHeaders:
    """Add the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The generated OpenAPI document plus the answer's JSON Schema (as Answer and Answer_<def>) and Problem."""
    original = app.openapi

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = original()
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        defs = schema.pop("$defs", {})
        for key in ("$schema", "$id"):
            schema.pop(key, None)

        def rewrite(node: Any) -> Any:
            if isinstance(node, dict):
                return {
                    k: (v.replace("#/$defs/", "#/components/schemas/Answer_") if k == "$ref" else rewrite(v))
                    for k, v in node.items()
                }
            if isinstance(node, list):
                return [rewrite(v) for v in node]
            return node

        comps = doc.setdefault("components", {}).setdefault("schemas", {})
        comps["Answer"] = rewrite(copy.deepcopy(schema))
        for name, sub in defs.items():
            comps[f"Answer_{name}"] = rewrite(sub)
        comps["Problem"] = {
            "type": "object",
            "description": "RFC 9457 problem details.",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
                "choices": {"type": "array", "items": {"type": "string"}},
                "suggestions": {"type": "array", "items": {"type": "string"}},
                "errors": {"type": "array", "items": {"type": "object"}},
                "error_id": {"type": "string"},
                "retry_after": {"type": "integer"},
            },
        }
        app.openapi_schema = doc
        return doc

    return build


_MACHINE_PATHS = (API_PREFIX + "/", "/openapi.json", "/docs-assets/", "/static/")


async def _http_error_for_client(request: Request, exc: Exception) -> Response:
    """A 404 or 405 outside the API is an HTML page for a browser (it asks for text/html) and problem+json for
    a program, as under /api/v1."""
    path = request.url.path
    wants_html = "text/html" in request.headers.get("accept", "")
    if wants_html and not path.startswith(_MACHINE_PATHS) and isinstance(exc, StarletteHTTPException):
        message = (
            f"There is no page at {path}. Start again from the search box."
            if exc.status_code == 404
            else f"{request.method} is not allowed at {path}."
        )
        return web.error_page(exc.status_code, message)
    return await on_http_error(request, exc)


def create_app(settings: ServeSettings | None = None, service: Service | None = None) -> FastAPI:
    """The app for a store (the Service is built now: the store is opened and the vocabularies loaded)."""
    settings = settings or ServeSettings()
    app = FastAPI(
        title="adrlens",
        version=__version__,
        summary="Can drug X cause condition Y? Graded, sourced answers from FAERS, VAERS, labels and literature.",
        docs_url=None,  # /docs is served from the packaged Swagger UI below: no CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.service = service or Service(settings)
    for exc, handler in HANDLERS.items():
        app.add_exception_handler(exc, handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_for_client)
    app.include_router(api_router, prefix=API_PREFIX, tags=["api"])
    app.include_router(web.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _mount_swagger(app)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    # The security headers wrap the whole stack, Starlette's ServerErrorMiddleware included: middleware added
    # with add_middleware sits inside it, so a 500 (answered there by problems.on_unexpected) had none.
    inner = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(inner())  # type: ignore[method-assign]
    return app


SETTINGS_ENV = "ADRLENS_SERVE_SETTINGS"  # how `adrlens serve` hands its settings to uvicorn's worker processes


def settings_to_env(settings: ServeSettings) -> str:
    return json.dumps({**settings.__dict__, "store": str(settings.store)})


def app_from_env() -> FastAPI:
    """uvicorn's factory (one call per worker process): the settings `adrlens serve` put in the environment."""
    import os

    raw = json.loads(os.environ.get(SETTINGS_ENV) or "{}")
    if "store" in raw:
        raw["store"] = Path(raw["store"])
    return create_app(ServeSettings(**raw))


def _mount_swagger(app: FastAPI) -> None:
    from swagger_ui_bundle import swagger_ui_path  # a dependency: Swagger UI's files, served without a CDN

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>adrlens API</title>"
            '<link rel=stylesheet href="/docs-assets/swagger-ui.css"></head><body><div id="swagger-ui"></div>'
            '<script src="/docs-assets/swagger-ui-bundle.js"></script>'
            '<script src="/static/docs.js"></script></body></html>'
        )
