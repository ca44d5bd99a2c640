"""Commands that fill and inspect a store: ingest, status, build, synth, download."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adrlens.cli.common import (
    JsonOpt,
    StoreOpt,
    WaitOpt,
    _print_json,
    _store,
    app,
    build_progress,
    console,
    err,
    notice,
)
from adrlens.errors import AdrlensError
from adrlens.sources.base import MAX_MEMBER_ENV, MAX_MEMBER_MB, MAX_RATIO, MAX_RATIO_ENV
from adrlens.store.guard import DEFAULT_WAIT_S


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Quarterly zips, extracted folders or table files.")],
    store: StoreOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    reports_only: Annotated[
        bool,
        typer.Option(
            "--reports-only",
            help="Build only the report tables (for status and signals --all); ask and signal need a full build.",
        ),
    ] = False,
    as_json: JsonOpt = False,
    max_member_mb: Annotated[
        float | None,
        typer.Option(
            "--max-member-mb", envvar=MAX_MEMBER_ENV, help=f"Largest zip member read (default {MAX_MEMBER_MB} MB)."
        ),
    ] = None,
    max_ratio: Annotated[
        float | None,
        typer.Option(
            "--max-ratio", envvar=MAX_RATIO_ENV, help=f"Highest zip compression ratio read (default {MAX_RATIO}:1)."
        ),
    ] = None,
    wait: WaitOpt = DEFAULT_WAIT_S,
) -> None:
    """Add FDA FAERS/AERS quarterly releases or VAERS yearly files to a store; every derived table is rebuilt."""
    from functools import partial

    from adrlens.build import PARTS, REPORTS_ONLY
    from adrlens.build import ingest as build_ingest
    from adrlens.sources.base import set_zip_limits

    set_zip_limits(max_member_mb, max_ratio)

    run_ingest = partial(build_ingest, parts=REPORTS_ONLY if reports_only else PARTS)
    target = _store(store)
    with build_progress("ingest", quiet or as_json) as progress:
        summary = run_ingest(paths, target, progress=progress, wait=wait, notice=notice)
    if as_json:
        _print_json(summary.to_dict())
    elif not quiet:
        t = summary.ingest.totals()
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
    # A failed file never reaches here: the whole command is refused (IngestFailed names every failed file).


@app.command()
def status(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """What a store holds: files, repaired and skipped rows, deduplication steps, drug mapping."""
    from adrlens.signals.allpairs import prior_lines
    from adrlens.store import db

    with db.connect(_store(store), require=("reports",)) as con:
        info = db.status(con)
        info["build"] = db.read_marker(con)
        info["ebgm_priors"] = prior_lines(con)
    if as_json:
        _print_json(info)
        return
    b = info["build"]
    console.print(
        f"build: complete at {b['built_at']} by adrlens {b['adrlens_version']} (schema {b['schema_version']}); "
        f"parts: {', '.join(b['parts'])}; inputs: "
        + ", ".join(f"{len(v)} {k} files" for k, v in b["inputs"].items())
        + " (sha256 in status --json)"
    )
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
    for line in info["ebgm_priors"]:
        console.print(line)


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the quarterly releases into.")],
    cases: Annotated[int, typer.Option("--cases", help="Number of cases.")] = 10_000,
    quarters: Annotated[int, typer.Option("--quarters", help="Number of quarters.")] = 4,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    legacy_quarters: Annotated[int, typer.Option("--legacy-quarters", help="First quarters in the AERS layout.")] = 0,
    start_quarter: Annotated[str, typer.Option("--start-quarter")] = "2023Q1",
    zip_output: Annotated[bool, typer.Option("--zip", help="Write faers_ascii_YYYYqN.zip files.")] = False,
    signal: Annotated[
        list[str] | None, typer.Option("--signal", help="Inject a signal: INGREDIENT:PT:RATIO (repeatable).")
    ] = None,
    damage_rate: Annotated[float, typer.Option(help="Share of rows damaged like real files.")] = 1e-4,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Write synthetic FAERS quarterly releases (for benchmarks and scale tests, never for answers)."""
    from adrlens.synth import generate

    if cases < 1 or quarters < 1:
        raise AdrlensError("--cases and --quarters must be at least 1.")
    injected = []
    for spec in signal or []:
        ing, _, rest = spec.partition(":")
        pt, _, ratio = rest.rpartition(":")
        try:
            injected.append((ing.strip(), pt.strip(), float(ratio)))
        except ValueError:
            raise AdrlensError(
                f"--signal {spec!r}: use INGREDIENT:PT:RATIO, e.g. atorvastatin:Rhabdomyolysis:5"
            ) from None
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
            signals=injected or None,
            damage_rate=damage_rate,
            progress=lambda n: bar.update(task, completed=n),
        )
    if not quiet:
        console.print(f"wrote {cases:,} cases in {quarters} quarters to {out} (truth: {out / 'truth.json'})")
    del truth


@app.command()
def build(
    store: StoreOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    as_json: JsonOpt = False,
    wait: WaitOpt = DEFAULT_WAIT_S,
) -> None:
    """Build the default store from the shared data: FAERS samples, VAERS 1990-2006, FAERS 2022Q3,
    then label/literature/profile tables and all-pairs statistics."""

    from adrlens.build import build_store

    target = _store(store)
    with build_progress("build", quiet or as_json) as progress:
        summary = build_store(target, progress=progress, wait=wait, notice=notice)
    if as_json:
        _print_json(summary.to_dict())
    elif not quiet:
        console.print(f"store {target}: cases " + ", ".join(f"{k} {v:,}" for k, v in summary.cases.items()))
        console.print("pairs with statistics: " + ", ".join(f"{k} {v:,}" for k, v in summary.pairs.items()))


@app.command()
def rebuild(
    store: StoreOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    wait: WaitOpt = DEFAULT_WAIT_S,
) -> None:
    """Rebuild every derived table of a store (knowledge, pair statistics, count tables) from its report files."""
    from adrlens.build import rebuild as run_rebuild

    target = _store(store)
    with build_progress("rebuild", quiet) as progress:
        summary = run_rebuild(target, progress=progress, wait=wait, notice=notice)
    if not quiet:
        console.print(
            f"store {target} rebuilt: parts {', '.join(summary.parts)}; cases "
            + ", ".join(f"{k} {v:,}" for k, v in summary.cases.items())
        )


@app.command()
def download(
    what: Annotated[str, typer.Argument(help="faers (quarterly ASCII zips), vaers or sider.")],
    quarters: Annotated[str, typer.Option("--quarters", help="2025q4 or a range 2024q1..2025q4 (faers).")] = "",
    dest: Annotated[Path, typer.Option("--dest", help="Folder to save into.")] = Path("downloads"),
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Seconds a server may take to start answering.")
    ] = None,
) -> None:
    """Fetch the public releases from their official homes (then: adrlens ingest DEST)."""
    from adrlens.sources import download as dl
    from adrlens.sources import net

    if what == "faers":
        if not quarters:
            raise AdrlensError("say which quarters: --quarters 2025q4 or --quarters 2024q1..2025q4")
        wait = net.deadline_seconds(timeout)
        err.print(f"downloading FAERS {quarters} (a silent server is given up after {wait:g} s)...", highlight=False)
        with Progress(
            TextColumn("[bold]download[/]"),
            BarColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=None)
            got = dl.download_faers(
                quarters,
                dest,
                progress=lambda url, n, t: bar.update(task, completed=n, total=t, description=url.rsplit("/", 1)[1]),
                timeout=wait,
            )
        for g in got:
            console.print(f"{g.path} {g.bytes:,} bytes sha256 {g.sha256[:16]}...")
        console.print(f"next: adrlens ingest {dest}")
    elif what == "vaers":
        console.print(
            f"VAERS yearly zips are behind a consent page: download them from {dl.VAERS_PAGE} "
            f"into {dest}, then run: adrlens ingest {dest}"
        )
    elif what == "sider":
        console.print(
            "SIDER 4.1 files: "
            + ", ".join(dl.SIDER_URL.format(name=n) for n in dl.SIDER_FILES)
            + f"; save them under $ADRLENS_DATA/labels/sider41/ (or {dest})."
        )
    else:
        raise AdrlensError("download what? faers, vaers or sider")
