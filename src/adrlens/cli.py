"""The adrlens command line: thin commands over the Python API (adrlens.ingest, adrlens.store ...).

Every command prints short plain text for people, or JSON with --json for programs. Errors of
adrlens (AdrlensError) print one clear message and exit with code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adrlens import config
from adrlens.errors import AdrlensError

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


def _store(store: Path | None) -> Path:
    return store or config.default_store()


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Quarterly zips, extracted folders or table files.")],
    store: StoreOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Read FDA FAERS/AERS quarterly releases, VAERS yearly files and count tables into a store."""
    from adrlens.ingest import ingest as run_ingest

    target = _store(store)
    if quiet or as_json:
        summary = run_ingest(paths, target)
    else:
        with Progress(
            TextColumn("[bold]ingest[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=None)

            def progress(name: str, i: int, n: int) -> None:
                bar.update(task, completed=i, total=n, description=Path(name.split("::")[-1]).name)

            summary = run_ingest(paths, target, progress=progress)
    if as_json:
        _print_json(summary.to_dict())
    elif not quiet:
        t = summary.totals()
        console.print(
            f"{t['files_ingested']} files ingested, {t['files_already_ingested']} already in the store, "
            f"{t['files_ignored']} ignored, {t['files_failed']} failed."
        )
        console.print(
            f"rows: {t['rows_read']:,} read, {t['rows_loaded']:,} loaded, "
            f"{t['rows_repaired']:,} repaired, {t['rows_skipped']:,} skipped (reasons: adrlens status)."
        )
        cases = ", ".join(f"{src} {n:,}" for src, n in summary.cases.items()) or "none"
        console.print(f"deduplicated cases in {target}: {cases}")
    for f in summary.failed:
        err.print(f"[red]failed[/]: {f.file}: {f.error}")
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def status(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """What a store holds: files, repaired and skipped rows, deduplication steps, drug mapping."""
    from adrlens import store as store_mod

    con = store_mod.connect(_store(store))
    try:
        info = store_mod.status(con)
    finally:
        con.close()
    if as_json:
        _print_json(info)
        return
    t = Table(title="Files", title_justify="left")
    for c in ("source", "files", "periods", "rows read", "loaded", "repaired", "skipped"):
        t.add_column(c, justify="right" if c not in ("source", "periods") else "left")
    for f in info["files"]:
        t.add_row(
            f["source"],
            str(f["files"]),
            f"{f['first_period']}..{f['last_period']}",
            f"{f['rows_read']:,}",
            f"{f['rows_loaded']:,}",
            f"{f['rows_repaired']:,}",
            f"{f['rows_skipped']:,}",
        )
    console.print(t)
    t = Table(title="Deduplication (cases before and after each step)", title_justify="left")
    for c in ("source", "report versions read", "latest version per case", "deleted ids listed", "after deletes"):
        t.add_column(c, justify="right" if c != "source" else "left")
    for d in info["dedup"]:
        t.add_row(
            d["source"],
            f"{d['report_versions_read']:,}",
            f"{d['distinct_cases_latest_version']:,}",
            f"{d['deleted_case_ids_listed']:,}",
            f"{d['cases_after_deletes']:,}",
        )
    console.print(t)
    if info["issues"]:
        t = Table(title="Repaired and skipped rows", title_justify="left")
        for c in ("source", "action", "reason", "rows"):
            t.add_column(c, justify="right" if c == "rows" else "left")
        for i in info["issues"]:
            t.add_row(i["source"], i["action"], i["reason"], f"{i['rows']:,}")
        console.print(t)
    for table, by_source in info["orphan_rows"].items():
        for src, n in by_source.items():
            console.print(f"{src}: {n:,} {table} rows name a report id with no DEMO row (not counted in reports).")
    for d in info["drug_rows"]:
        share = d["mapped"] / d["rows"] if d["rows"] else 0
        console.print(
            f"{d['source']}: {d['mapped']:,} of {d['rows']:,} drug rows mapped to an ingredient ({share:.1%})."
        )
    if info["top_unmapped"]:
        console.print(
            "Most frequent unmapped drug names: "
            + ", ".join(f"{u['name']} ({u['rows']})" for u in info["top_unmapped"])
        )


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the quarterly releases into.")],
    cases: Annotated[int, typer.Option("--cases", help="Number of cases.")] = 10_000,
    quarters: Annotated[int, typer.Option("--quarters", help="Number of quarters.")] = 4,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    legacy_quarters: Annotated[int, typer.Option("--legacy-quarters", help="First quarters in the AERS layout.")] = 0,
    start_quarter: Annotated[str, typer.Option("--start-quarter")] = "2023Q1",
    zip_output: Annotated[bool, typer.Option("--zip", help="Write faers_ascii_YYYYqN.zip files.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Write synthetic FAERS quarterly releases (for benchmarks and scale tests, never for answers)."""
    from adrlens.sources.synth import generate

    if cases < 1 or quarters < 1:
        raise AdrlensError("--cases and --quarters must be at least 1.")
    with Progress(
        TextColumn("[bold]synth[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task("", total=cases)
        truth = generate(
            out,
            cases=cases,
            quarters=quarters,
            seed=seed,
            start_quarter=start_quarter,
            legacy_quarters=legacy_quarters,
            zip_output=zip_output,
            progress=lambda n: bar.update(task, completed=n),
        )
    if not quiet:
        console.print(f"wrote {cases:,} cases in {quarters} quarters to {out} (truth: {out / 'truth.json'})")
    del truth


def main() -> None:
    """Console entry point: AdrlensError -> one clear line on stderr and exit code 2."""
    try:
        app(standalone_mode=False)
    except AdrlensError as e:
        err.print(f"[red]error:[/] {e}")
        cands = getattr(e, "candidates", None)
        if cands:
            err.print("did you mean: " + ", ".join(cands))
        sys.exit(e.exit_code)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(130)
    except Exception as e:  # click usage errors
        import click

        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(e.exit_code)
        raise


if __name__ == "__main__":
    main()
