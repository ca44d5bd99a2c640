"""The serve command: the HTTP API and the web app on uvicorn, over one store opened read-only."""

from __future__ import annotations

from typing import Annotated

import typer

from adrlens.cli.common import StoreOpt, _store, app, err
from adrlens.errors import AdrlensError


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
) -> None:
    """Serve the JSON API (/api/v1, OpenAPI at /openapi.json, docs at /docs) and the web app (/)."""
    import uvicorn

    from adrlens.serve.app import SETTINGS_ENV, settings_to_env
    from adrlens.serve.settings import LOOPBACK, ServeSettings
    from adrlens.store import db

    path = _store(store)
    db.connect(path).close()  # a missing or incomplete store is refused now, with the command that builds it
    settings = ServeSettings(store=path, host=host, port=port, workers=workers)
    if engines:
        settings = ServeSettings(store=path, host=host, port=port, workers=workers, engines=engines)
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
        raise AdrlensError(f"cannot listen on {host}:{port} ({e.strerror or e}); choose another --port") from None
