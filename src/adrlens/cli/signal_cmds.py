"""Commands on the reports' statistics: signal (one pair, every source), signals (all pairs), online."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adrlens.cli.common import (
    JsonOpt,
    StoreOpt,
    _fmt,
    _print_json,
    _store,
    app,
    build_progress,
    console,
    err,
    output_file,
)
from adrlens.errors import AdrlensError
from adrlens.sources.registry import DEFAULT_SOURCE


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

    if sex not in (None, "M", "F"):
        raise AdrlensError("--sex must be M or F")
    year_from = year_to = None
    if years:
        try:
            lo, _, hi = years.partition("-")
            year_from, year_to = int(lo), int(hi or lo)
        except ValueError:
            raise AdrlensError("--years takes a year or a range: 2019 or 2015-2020") from None
    subgroup = lookup.subgroup(sex, age_band, reporter, country, year_from, year_to)

    if scope not in ("narrow", "broad"):
        raise AdrlensError("--scope must be narrow or broad")
    if by not in (None, "quarter", "sex", "age", "reporter", "year"):
        raise AdrlensError("--by must be one of quarter, sex, age, reporter, year")
    with build_progress("building store (first run)", as_json) as progress:
        ensure_store(store, progress=progress)
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
        if t["a"] == 0:  # no ratio or interval for an empty cell: a Haldane estimate is no measurement
            console.print("  no reports, so no ratio or interval (the --json output keeps the raw measures)")
        else:
            console.print(
                f"  PRR {_fmt(m['prr'])} ({_fmt(m['prr_lo'])}-{_fmt(m['prr_hi'])}) chi2 {_fmt(m['chi2'], 1)}"
                f" | ROR {_fmt(m['ror'])} ({_fmt(m['ror_lo'])}-{_fmt(m['ror_hi'])})"
                f" | IC {_fmt(m['ic'])} (IC025 {_fmt(m['ic025'])})"
                f" | EBGM {_fmt(e['ebgm'])} (EB05 {_fmt(e['eb05'])}, EB95 {_fmt(e['eb95'])})"
            )
        if r.get("ebgm_prior") or e.get("note"):
            console.print(f"  {e.get('note') or r['ebgm_prior']}", style="dim")
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
    from adrlens.signals import ebgm_prior, rules
    from adrlens.signals.allpairs import all_pairs as run_all_pairs
    from adrlens.signals.tables import SignalSettings
    from adrlens.store import db

    output_file(out)
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
        f"{n_sig:,} signals ({rules.methods_text()})."
    )
    console.print(ebgm_prior.describe(res.prior, source))


@app.command()
def online(
    drug: Annotated[str, typer.Argument(help="Drug: brand, generic or salt name.")],
    event: Annotated[str, typer.Argument(help="Condition: concept, PT or lay words.")],
    scope: Annotated[str, typer.Option(help="narrow or broad.")] = "narrow",
    as_json: JsonOpt = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Seconds each openFDA query may take, retries included.")
    ] = None,
) -> None:
    """The 2x2 and measures from openFDA's live counts (needs internet; OPENFDA_API_KEY optional)."""
    from adrlens.signals.measures import Measures
    from adrlens.sources.counts.openfda import OpenFdaClient
    from adrlens.vocab.resolve import resolve_condition, resolve_drug

    d, c = resolve_drug(drug), resolve_condition(event, scope=scope)
    with OpenFdaClient(timeout=timeout) as client:
        err.print(f"asking openFDA (each query gives up after {client.deadline:g} s)...", highlight=False)
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
