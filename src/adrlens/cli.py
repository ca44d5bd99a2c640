"""The adrlens command line: thin commands over the Python API (adrlens.store.ingest, adrlens.store ...).

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
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adrlens import config
from adrlens.errors import AdrlensError
from adrlens.sources.registry import DEFAULT_SOURCE

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


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Quarterly zips, extracted folders or table files.")],
    store: StoreOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add FDA FAERS/AERS quarterly releases or VAERS yearly files to a store; every derived table is rebuilt."""
    from adrlens.build import ingest as run_ingest

    target = _store(store)
    if quiet or as_json:
        summary = run_ingest(paths, target)
    else:
        with _progress_bar("ingest") as bar:
            task = bar.add_task("", total=None)

            def progress(name: str, i: int, n: int) -> None:
                bar.update(task, completed=i, total=n, description=Path(name.split("::")[-1]).name)

            summary = run_ingest(paths, target, progress=progress)
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
    for f in summary.failed:
        err.print(f"[red]failed[/]: {escape(f.file)}: {escape(str(f.error))}")
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def status(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """What a store holds: files, repaired and skipped rows, deduplication steps, drug mapping."""
    from adrlens.store import db

    with db.connect(_store(store), require=("reports",)) as con:
        info = db.status(con)
        info["build"] = db.read_marker(con)
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
) -> None:
    """Build the default store from the shared data: FAERS samples, VAERS 1990-2006, FAERS 2022Q3,
    then label/literature/profile tables and all-pairs statistics."""

    from adrlens.build import build_store

    target = _store(store)
    with _progress_bar("build", quiet or as_json) as bar:
        task = bar.add_task("", total=None)
        summary = build_store(
            target,
            progress=lambda name, i, n: bar.update(
                task, completed=i, total=n, description=Path(name.split("::")[-1]).name
            ),
        )
    if as_json:
        _print_json(summary.to_dict())
    elif not quiet:
        console.print(f"store {target}: cases " + ", ".join(f"{k} {v:,}" for k, v in summary.cases.items()))
        console.print("pairs with statistics: " + ", ".join(f"{k} {v:,}" for k, v in summary.pairs.items()))


def _fmt(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


@app.command()
def signal(
    drug: Annotated[str, typer.Argument(help="Drug or vaccine: brand, generic or salt name.")],
    event: Annotated[str, typer.Argument(help="Condition: concept (peripheral neuropathy), PT or lay words.")],
    store: StoreOpt = None,
    scope: Annotated[str, typer.Option(help="narrow or broad set of the concept's preferred terms.")] = "narrow",
    role: Annotated[str, typer.Option(help="ps (primary suspect), suspect (PS or SS) or any.")] = "suspect",
    by: Annotated[str | None, typer.Option("--by", help="quarter, sex, age, reporter or year.")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these report sources.")] = None,
    sex: Annotated[str | None, typer.Option(help="Subgroup: M or F.")] = None,
    age_band: Annotated[str | None, typer.Option(help="Subgroup: 0-1, 2-11, 12-17, 18-44, 45-64, 65-74, 75+.")] = None,
    reporter: Annotated[
        str | None, typer.Option(help="Subgroup: 'health professional', consumer, lawyer or unknown.")
    ] = None,
    country: Annotated[str | None, typer.Option(help="Subgroup: country code (US, GB, ...).")] = None,
    years: Annotated[str | None, typer.Option(help="Subgroup: report years, e.g. 2015-2020 or 2019.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Disproportionality of a drug and an event in every report source: 2x2, PRR, ROR, IC, EBGM."""
    from adrlens import lookup
    from adrlens.build import ensure_store

    subgroup: dict = {
        "sex": sex,
        "age_band": age_band,
        "reporter_type": reporter,
        "country": country.upper() if country else None,
    }
    if sex not in (None, "M", "F"):
        raise AdrlensError("--sex must be M or F")
    if years:
        try:
            lo, _, hi = years.partition("-")
            subgroup["year_from"], subgroup["year_to"] = int(lo), int(hi or lo)
        except ValueError:
            raise AdrlensError("--years takes a year or a range: 2019 or 2015-2020") from None
    subgroup = {k: v for k, v in subgroup.items() if v is not None}

    if scope not in ("narrow", "broad"):
        raise AdrlensError("--scope must be narrow or broad")
    if by not in (None, "quarter", "sex", "age", "reporter", "year"):
        raise AdrlensError("--by must be one of quarter, sex, age, reporter, year")
    with _progress_bar("building store (first run)", as_json) as bar:
        task = bar.add_task("", total=None)
        ensure_store(
            store,
            progress=lambda name, i, n: bar.update(
                task, completed=i, total=n, description=Path(name.split("::")[-1]).name
            ),
        )
    res = lookup.signal(drug, event, store=store, scope=scope, role=role, by=by, sources=source, subgroup=subgroup)
    if as_json:
        _print_json(res)
        return
    console.print(
        f"[bold]{res['drug']['name']}[/] x [bold]{res['event']['label']}[/] "
        f"({len(res['event']['pts'])} preferred terms: {', '.join(res['event']['pts'][:8])}"
        f"{' ...' if len(res['event']['pts']) > 8 else ''})"
    )
    console.print(
        "Disproportionality generates hypotheses; it is not proof that the drug causes the event, "
        "and report counts give no incidence.",
        style="dim",
    )
    for src, r in res["sources"].items():
        if r["status"] != lookup.STATUS_COUNTED:
            console.print(f"\n[bold]{src}[/]: {r['status']}")
            continue
        t, m, e = r["table"], r["measures"], r["ebgm"]
        console.print(
            f"\n[bold]{src}[/] (role {t['settings']['role']}): a={t['a']:,} b={t['b']:,} c={t['c']:,} "
            f"d={t['d']:,} N={t['n']:,}; expected {_fmt(m['e'])} (stratified age x sex x year)"
        )
        console.print(
            f"  PRR {_fmt(m['prr'])} ({_fmt(m['prr_lo'])}-{_fmt(m['prr_hi'])}) chi2 {_fmt(m['chi2'], 1)}"
            f" | ROR {_fmt(m['ror'])} ({_fmt(m['ror_lo'])}-{_fmt(m['ror_hi'])})"
            f" | IC {_fmt(m['ic'])} (IC025 {_fmt(m['ic025'])})"
            + (f" | EBGM {_fmt(e['ebgm'])} (EB05 {_fmt(e['eb05'])}, EB95 {_fmt(e['eb95'])})" if e else "")
        )
        call = r["signal"]
        console.print(
            ("  signal: " if call["signal"] else "  no signal (which is not 'no'): ")
            + call["reason"]
            + ("; Evans criterion met" if call["evans"] else "")
        )
        if r["not_measurable_pts"]:
            console.print(
                f"  not measurable here: {', '.join(r['not_measurable_pts'])} (this source cannot contain them)",
                style="dim",
            )
        x = r.get("extras") or {}
        if x:
            tto = x["time_to_onset"]
            console.print(
                f"  time to onset: median {_fmt(tto['median_days'], 0)} days (IQR {_fmt(tto['q1_days'], 0)}-"
                f"{_fmt(tto['q3_days'], 0)}) from {tto['cases_with_usable_dates']} of {tto['cases']} cases"
            )
            dc, rc = x["dechallenge"], x["rechallenge"]
            console.print(
                f"  dechallenge +{dc['positive']} -{dc['negative']} ?{dc['unknown']}; "
                f"rechallenge +{rc['positive']} -{rc['negative']} ?{rc['unknown']}"
            )
            o = x["outcomes"]
            console.print(
                f"  serious outcome in {o['cases_with_a_serious_outcome']} cases: "
                + ", ".join(f"{k} {v}" for k, v in o["by_outcome"].items())
            )
            console.print("  reporters: " + ", ".join(f"{k} {v}" for k, v in x["reporters"].items()))
        if by == "quarter":
            for q in r["trend"]:
                console.print(
                    f"  {q['quarter']}: cumulative a={q['a']} PRR {_fmt(q['prr'])} "
                    f"({_fmt(q['prr_lo'])}-{_fmt(q['prr_hi'])}) IC025 {_fmt(q['ic025'])}"
                )
        for g in r.get("groups", []):
            console.print(
                f"  {g['group']}={g['value']}: a={g['a']} PRR {_fmt(g['prr'])} ROR {_fmt(g['ror'])} "
                f"({_fmt(g['ror_lo'])}-{_fmt(g['ror_hi'])}) IC025 {_fmt(g['ic025'])}"
            )
    if res["count_tables"]:
        console.print("\n[bold]count tables[/] (published aggregates; each kept apart)")
        absent: dict[str, int] = {}
        for row in res["count_tables"]:
            if row["status"] != "counted":
                absent[row["status"]] = absent.get(row["status"], 0) + 1
                continue
            m = row
            extra = f" PRR {_fmt(m['prr'])} ROR {_fmt(m['ror'])} ({_fmt(m['ror_lo'])}-{_fmt(m['ror_hi'])})"
            if m.get("eb05") is not None:
                extra += f" EBGM {_fmt(m['ebgm'])} (EB05 {_fmt(m['eb05'])})"
            console.print(f"  {row['table']} [{row['period']}] {row['event']}: a={row['a']}{extra}")
        for status, n in absent.items():
            label = (
                "not listed in a flagged-only table (not the same as zero)" if status.startswith("absent") else status
            )
            console.print(f"  {n} table x term look-ups: {label}", style="dim")


@app.command()
def signals(
    out: Annotated[Path, typer.Option("--out", help="Parquet file to write.")],
    all_pairs: Annotated[bool, typer.Option("--all", help="Every (ingredient, PT) pair with a >= 1.")] = True,
    store: StoreOpt = None,
    source: Annotated[str, typer.Option(help="Report source key (adrlens status lists them).")] = DEFAULT_SOURCE,
    role: Annotated[str, typer.Option(help="ps, suspect or any.")] = "suspect",
    no_squash: Annotated[bool, typer.Option("--no-squash", help="Fit the EBGM prior on all pairs unsquashed.")] = False,
) -> None:
    """All-pairs statistics (PRR, ROR, IC, EBGM with EB05/EB95) of one source, to Parquet."""
    from adrlens.signals import rules
    from adrlens.signals.allpairs import all_pairs as run_all_pairs
    from adrlens.signals.tables import SignalSettings
    from adrlens.store import db

    with db.connect(_store(store), require=("reports",)) as con:
        res = run_all_pairs(
            con,
            SignalSettings(source=source, role=role, stratify=False),  # type: ignore[arg-type]
            squash=not no_squash,
        )
    res.write_parquet(out)
    n_sig = sum(res.table.column("signal").to_pylist())
    console.print(
        f"{res.table.num_rows:,} pairs from {res.n_cases:,} cases of {source} written to {out}; "
        f"{n_sig:,} signals ({rules.methods_text()}). Prior (alpha1, beta1, alpha2, beta2, P): "
        + ", ".join(f"{x:.4g}" for x in res.prior.as_array())
    )


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
    from adrlens.engine import Engine

    with _progress_bar("building the store from the shared data (first run only)") as bar:
        task = bar.add_task("", total=None)
        engine = Engine(
            store,
            progress=lambda name, i, n: bar.update(
                task, completed=i, total=n, description=Path(name.split("::")[-1]).name
            ),
        )
    try:
        answer = engine.answer(question, drug=drug, condition=condition, scope=scope)
    finally:
        engine.close()
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
def download(
    what: Annotated[str, typer.Argument(help="faers (quarterly ASCII zips), vaers or sider.")],
    quarters: Annotated[str, typer.Option("--quarters", help="2025q4 or a range 2024q1..2025q4 (faers).")] = "",
    dest: Annotated[Path, typer.Option("--dest", help="Folder to save into.")] = Path("downloads"),
) -> None:
    """Fetch the public releases from their official homes (then: adrlens ingest DEST)."""
    from adrlens.sources import download as dl

    if what == "faers":
        if not quarters:
            raise AdrlensError("say which quarters: --quarters 2025q4 or --quarters 2024q1..2025q4")
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


@app.command()
def online(
    drug: Annotated[str, typer.Argument(help="Drug: brand, generic or salt name.")],
    event: Annotated[str, typer.Argument(help="Condition: concept, PT or lay words.")],
    scope: Annotated[str, typer.Option(help="narrow or broad.")] = "narrow",
    as_json: JsonOpt = False,
) -> None:
    """The 2x2 and measures from openFDA's live counts (needs internet; OPENFDA_API_KEY optional)."""
    from adrlens.signals.measures import Measures
    from adrlens.sources.counts.openfda import OpenFdaClient
    from adrlens.vocab.resolve import resolve_condition, resolve_drug

    d, c = resolve_drug(drug), resolve_condition(event, scope=scope)
    with OpenFdaClient() as client:
        pc = client.concept(d.name, list(c.pts), c.concept_id)
    m = Measures.from_counts(pc.a, pc.b, pc.c, pc.d).to_dict() if pc.complete else None
    res = {
        "drug": d.name,
        "event": c.label,
        "pts": list(c.pts),
        "source": pc.source,
        "status": pc.status,
        "a": pc.a,
        "b": pc.b,
        "c": pc.c,
        "d": pc.d,
        "n": pc.n,
        "note": pc.note,
        "measures": m,
    }
    if as_json:
        _print_json(res)
        return
    console.print(f"openFDA: {d.name} x {c.label}: a={pc.a} b={pc.b} c={pc.c} d={pc.d} ({pc.status})")
    if m:
        console.print(
            f"  PRR {_fmt(m['prr'])} ({_fmt(m['prr_lo'])}-{_fmt(m['prr_hi'])}) | ROR {_fmt(m['ror'])} "
            f"({_fmt(m['ror_lo'])}-{_fmt(m['ror_hi'])}) | IC025 {_fmt(m['ic025'])}"
        )
    if pc.note:
        console.print(f"  {pc.note}", style="dim")


@app.command()
def evaluate(
    refset: Annotated[Path, typer.Argument(help="CSV with columns drug, condition, truth (1/0).")],
    store: StoreOpt = None,
    boot: Annotated[int, typer.Option("--boot", help="Bootstrap resamples for the AUC intervals.")] = 2000,
    as_json: JsonOpt = False,
) -> None:
    """Coverage, AUC (bootstrap 95% CI) and sensitivity/specificity per evidence source and combined."""
    from adrlens.evaluate import evaluate as run_evaluate

    if not refset.exists():
        raise AdrlensError(f"{refset} does not exist")
    with _progress_bar("evaluate", as_json) as bar:
        task = bar.add_task("", total=None)
        report = run_evaluate(
            refset,
            store=store,
            n_boot=boot,
            progress=lambda msg, i, n: bar.update(task, completed=i, total=n, description=msg),
        )
    if as_json:
        _print_json(report.to_dict())
    else:
        sys.stdout.write(report.to_markdown().rstrip("\n") + "\n")


def main() -> None:
    """Console entry point: AdrlensError -> one clear line on stderr and exit code 2; an unexpected
    error -> one line saying it is a bug (ADRLENS_DEBUG=1 shows the traceback) and exit code 1."""
    import os

    try:
        app()
    except AdrlensError as e:
        err.print(f"[red]error:[/] {escape(str(e))}", highlight=False)
        cands = getattr(e, "candidates", None)
        if cands:
            err.print("did you mean: " + ", ".join(cands), markup=False, highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:
        if os.environ.get("ADRLENS_DEBUG"):
            raise
        err.print(
            f"[red]internal error[/] ({e.__class__.__name__}: {escape(str(e))}). This is a bug in adrlens; "
            "run again with ADRLENS_DEBUG=1 to see the traceback.",
            highlight=False,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
