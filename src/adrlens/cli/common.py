"""What every command shares: the Typer app, the consoles, the shared options, progress and JSON output.

Every command prints short plain text for people, or JSON with --json for programs. Errors of
adrlens (AdrlensError) print one clear message and exit with code 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from adrlens import config

app = typer.Typer(
    help="adrlens: can drug X cause condition Y? Graded, sourced answers from FAERS, VAERS, labels and literature.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

StoreOpt = Annotated[
    Path | None, typer.Option("--store", help="Store file (default: $ADRLENS_STORE or ./stores/adrlens.duckdb).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs instead of text.")]
WaitOpt = Annotated[
    float,
    typer.Option(
        "--wait",
        envvar="ADRLENS_STORE_WAIT",
        min=0,
        help="Seconds to wait for another build of the same store to finish before refusing (0: refuse at once; "
        "default 600).",
    ),
]


def notice(message: str) -> None:
    """A one-off line on stderr beside the progress bar (for example: waiting for another build)."""
    err.print(message, markup=False, highlight=False, soft_wrap=True)


def _store(store: Path | None) -> Path:
    return store or config.default_store()


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def _progress_bar(label: str, quiet: bool = False) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
        disable=quiet,
    )


@contextlib.contextmanager
def build_progress(label: str, quiet: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar for a store build: yields the `progress(name, done, total)` callback the build calls,
    showing the file (or step) being worked on. The bar starts with the first call: when the store is
    already built, nothing is printed (not even the empty line a stopped bar leaves)."""
    bar = _progress_bar(label, quiet)
    task = None

    def progress(name: str, i: int, n: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task("", total=None)
        bar.update(task, completed=i, total=n, description=Path(name.split("::")[-1]).name)

    try:
        yield progress
    finally:
        if task is not None:
            bar.stop()


def _fmt(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def output_file(path: Path) -> Path:
    """An --out path checked before any work: a folder, or a folder we cannot write to, is a clear error
    (not an IsADirectoryError or PermissionError after minutes of work)."""
    import os

    from adrlens.errors import AdrlensError

    if path.is_dir():
        raise AdrlensError(f"--out {path} is a folder; give a file name, for example {path / 'answer.md'}")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not os.access(parent, os.W_OK):
        raise AdrlensError(f"cannot write into {parent}: choose another --out")
    return path
