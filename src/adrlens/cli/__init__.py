"""The adrlens command line: thin commands over the Python API (adrlens.build, adrlens.lookup, adrlens.engine,
adrlens.evaluate). Each command module registers its commands on the one Typer app of `common`.

Every command prints short plain text for people, or JSON with --json for programs. Errors of
adrlens (AdrlensError) print one clear message and exit with code 2, never a traceback.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

from adrlens.cli import answer_cmds, serve_cmds, signal_cmds, store_cmds  # noqa: F401  (they register the commands)
from adrlens.cli.common import app, err
from adrlens.errors import AdrlensError, Interrupted

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: AdrlensError -> one clear line on stderr and exit code 2; a build stopped by
    SIGINT or SIGTERM -> "interrupted: ..." and exit 130 or 143; an unexpected error -> one line saying it
    is a bug (ADRLENS_DEBUG=1 shows the traceback) and exit code 1."""
    import os

    try:
        app()
    except Interrupted as e:
        # A console of its own: `err` may hold a line the signal cut short, which it would print again.
        Console(stderr=True).print(f"interrupted: {escape(str(e))}", highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except AdrlensError as e:
        err.print(f"[red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
        cands = getattr(e, "candidates", None)
        if cands:
            err.print("did you mean: " + ", ".join(cands), markup=False, highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:
        if _interrupted_query(e):
            err.print("interrupted")
            sys.exit(130)
        if os.environ.get("ADRLENS_DEBUG"):
            raise
        err.print(
            f"[red]internal error[/] ({e.__class__.__name__}: {escape(str(e))}). This is a bug in adrlens; "
            "run again with ADRLENS_DEBUG=1 to see the traceback.",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


def _interrupted_query(e: Exception) -> bool:
    """A DuckDB query cut short by Ctrl-C outside a build (a build says so itself): not a bug."""
    import duckdb

    return isinstance(e, duckdb.InterruptException) or (
        isinstance(e, RuntimeError) and str(e).startswith("Query interrupted")
    )
