"""The serve command: the HTTP API and the web app on uvicorn, over one store opened read-only."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from adrlens.cli.common import StoreOpt, _store, app, err
from adrlens.errors import AdrlensError


def _cannot_listen(host: str, port: int, e: OSError) -> AdrlensError:
    return AdrlensError(f"cannot listen on {host}:{port} ({e.strerror or e}); choose another --port or --host")


def _check_port(host: str, port: int) -> None:
    """Refuse a taken (or privileged, or unresolvable) address now, in one line: uvicorn only logs the bind error
    and exits (status 3, or 1 with several workers), after we have said "serving"."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a TIME_WAIT port is free
            s.bind(address)
    except OSError as e:  # gaierror (an unknown host) is an OSError too
        raise _cannot_listen(host, port, e) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default: this machine only).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    store: StoreOpt = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (each keeps warm engines).")] = 1,
    engines: Annotated[
        int | None, typer.Option(min=1, max=64, help="Answers computed at once per process (default: cores).")
    ] = None,
    online: Annotated[
        bool, typer.Option("--online", help="Let answers ask openFDA and PubMed (requests with online=true).")
    ] = False,
) -> None:
    """Serve the JSON API (/api/v1, OpenAPI at /openapi.json, docs at /docs) and the web app (/)."""
    import uvicorn

    from adrlens.serve.app import SETTINGS_ENV, settings_to_env
    from adrlens.serve.settings import LOOPBACK, ServeSettings
    from adrlens.store import db

    path = _store(store)
    db.connect(path).close()  # a missing or incomplete store is refused now, with the command that builds it
    chosen = {"engines": engines} if engines else {}  # else the settings' default: one per core
    settings = ServeSettings(store=path, host=host, port=port, workers=workers, online=online, **chosen)
    _check_port(host, port)
    if host not in (LOOPBACK, "localhost", "::1"):
        err.print(
            f"warning: listening on {host}: other machines can reach this server. adrlens has no login; put it "
            "behind your own proxy with authentication if it is not meant for everyone on the network.",
            markup=False,
        )
    err.print(f"adrlens: serving {path} on http://{host}:{port}/ (API docs: /docs). Ctrl-C stops.", markup=False)
    import os

    os.environ[SETTINGS_ENV] = settings_to_env(settings)
    try:
        uvicorn.run(
            "adrlens.serve.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            server_header=False,
            timeout_graceful_shutdown=5,
        )
    except OSError as e:  # the port is taken, or a privileged port
        raise _cannot_listen(host, port, e) from None
