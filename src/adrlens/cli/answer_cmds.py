"""Commands that answer and evaluate: ask, evaluate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from adrlens.cli.common import (
    JsonOpt,
    StoreOpt,
    _print_json,
    _progress_bar,
    app,
    build_progress,
    err,
    output_file,
)
from adrlens.errors import AdrlensError


@app.command()
def ask(
    question: Annotated[
        str | None, typer.Argument(help='For example: "Can amlodipine cause peripheral neuropathy?"')
    ] = None,
    drug: Annotated[str | None, typer.Option("--drug", help="The drug, instead of a question.")] = None,
    condition: Annotated[str | None, typer.Option("--condition", help="The condition, instead of a question.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, html or json.")] = "md",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    scope: Annotated[str, typer.Option(help="narrow or broad set of the condition's preferred terms.")] = "narrow",
    store: StoreOpt = None,
    online: Annotated[
        bool, typer.Option("--online", help="Also ask openFDA (FAERS counts, current label) and PubMed.")
    ] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="With --online: refetch, do not read the cache.")] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="With --online: seconds each online query may take.")
    ] = None,
) -> None:
    """Answer "Can DRUG cause CONDITION?" with a graded, sourced article (Markdown, HTML or JSON)."""
    from adrlens.vocab.question import understand

    if fmt not in ("md", "html", "json"):
        raise AdrlensError("--format must be md, html or json")
    if scope not in ("narrow", "broad"):
        raise AdrlensError("--scope must be narrow or broad")
    if question is None and not (drug and condition):
        raise AdrlensError(
            'Ask a question ("Can amlodipine cause peripheral neuropathy?") or give --drug and --condition.'
        )
    understand(question, drug=drug, condition=condition, scope=scope)  # a typo fails now, before any store build
    if out:
        output_file(out)
    from adrlens.engine import Engine

    with build_progress("building the store from the shared data (first run only)") as progress:
        engine = Engine(store, progress=progress)
    if (refresh or timeout is not None) and not online:
        raise AdrlensError("--refresh and --timeout apply to the online sources: add --online.")
    settings = None
    if online:
        from adrlens.sources import net
        from adrlens.sources.online.settings import OnlineSettings

        seconds = net.deadline_seconds(timeout) if timeout is not None else None  # a bad --timeout: one clear line
        settings = OnlineSettings(timeout=seconds, refresh=refresh)
    try:
        answer = engine.answer(question, drug=drug, condition=condition, scope=scope, online=settings)
    finally:
        engine.close()
    if answer.online:
        err.print(answer.online["summary"], highlight=False, soft_wrap=True)
    if fmt == "json":
        text = json.dumps(answer.to_dict(), indent=2) + "\n"
    elif fmt == "html":
        from adrlens.report import render_html

        text = render_html(answer)
    else:
        from adrlens.report import render_markdown

        text = render_markdown(answer)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        err.print(f"wrote {out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command()
def evaluate(
    refset: Annotated[Path | None, typer.Argument(help="CSV with columns drug, condition, truth (1/0).")] = None,
    panel: Annotated[
        Path | None,
        typer.Option("--panel", help="An expert panel TSV (question, drug, condition, grades, action, must_mention)."),
    ] = None,
    store: StoreOpt = None,
    boot: Annotated[int, typer.Option("--boot", help="Bootstrap resamples for the AUC intervals.")] = 2000,
    as_json: JsonOpt = False,
) -> None:
    """A reference set: coverage, AUC (bootstrap 95% CI), sensitivity/specificity per source and combined, and
    the share of positives per grade. An expert panel (--panel): grade agreement, actions and words."""
    if (refset is None) == (panel is None):
        raise AdrlensError(
            "give a reference set (adrlens evaluate FILE.csv) or a panel (adrlens evaluate --panel FILE.tsv)"
        )
    path = refset or panel
    assert path is not None
    if not path.exists():
        raise AdrlensError(f"{path} does not exist")
    with _progress_bar("evaluate", as_json) as bar:
        task = bar.add_task("", total=None)

        def step(msg: str, i: int, n: int) -> None:
            bar.update(task, completed=i, total=n, description=msg[:60])

        if panel is not None:
            from adrlens.panel import evaluate_panel

            report = evaluate_panel(panel, store=store, progress=step)
        else:
            from adrlens.evaluate import evaluate as run_evaluate

            report = run_evaluate(path, store=store, n_boot=boot, progress=step)
            for note in report.notices:
                err.print(f"note: {note}", highlight=False)
    if as_json:
        _print_json(report.to_dict())
    else:
        sys.stdout.write(report.to_markdown().rstrip("\n") + "\n")
