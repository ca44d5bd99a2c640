"""Benchmark: all-pairs statistics with EBGM, adrlens vs vigipy on the same synthetic cases, side by side.

    .venv/bin/python bench/allpairs.py                              # 1M and 5M cases
    .venv/bin/python bench/allpairs.py --cases 1000000              # one size
    .venv/bin/python bench/allpairs.py --quick                      # ~50k cases smoke run (< 1 min), prints only

For each size a synthetic FAERS release (adrlens.synth.generate, seed 42, 4 quarters, cached
as bench/work/synth_N) is ingested once into bench/work/allpairs_store_N.duckdb (reused when present).
Then, each in a fresh subprocess so that peak memory (max RSS) belongs to that job alone:

* ours:   ``all_pairs(con, SignalSettings(source='faers', stratify=False))`` on the store: SQL counts
          over the case tables, PRR/ROR/IC and chi2 in numpy, MGPS prior fit over all pairs, EBGM,
          EB05, EB95.
* vigipy: the same job from the same case-level rows (suspect-drug ingredient per case, PT per case,
          exported once from the store to parquet; the export is not timed for either side): pandas
          counts a, drug and event margins and N (the step vigipy leaves to its user), then
          ``vigipy.prr``, ``ror``, ``bcpnn`` and ``gps`` (prior fitted by vigipy, Nelder-Mead) on
          every pair (min_events=1).

The vigipy input is a ``DataContainer`` holding case-level margins (cases with the drug, cases with
the event, N = cases), i.e. the same 2x2 tables ours uses. ``vigipy.convert()`` is not used for the
timed job because it derives margins from the pair counts themselves (row/column sums of the
drug x event table, N = number of drug-event pairs), a different 2x2 whose numbers could not be
compared; its timing on the same pair counts is reported separately when the table fits in memory.

Job times are measured inside each worker, after imports; peak RSS is the worker's own max RSS.
If vigipy does not finish within --vigipy-timeout seconds (or dies), both sides are rerun on a
random subset of --subset cases (DuckDB reservoir sample, seed 42) and that is what is reported;
nothing is extrapolated.

Numbers are then compared pair by pair (joined on ingredient, PT): PRR and ROR with vigipy's
continuity convention (Haldane +0.5 for tables with a zero cell), BCPNN IC025 (our ``ic_bcpnn``),
and EBGM/EB05/EB95 computed by ours with vigipy's fitted prior. Writes bench/results/allpairs.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUICK_CASES = 50_000


# ---------------------------------------------------------------------------------------------------
# workers (run in fresh subprocesses)


def _peak_rss() -> int:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker_ours(store: str, out: str) -> dict[str, Any]:
    """Time all_pairs on the store; write its table to `out` (parquet, untimed)."""
    import duckdb

    from adrlens.signals.allpairs import all_pairs
    from adrlens.signals.tables import SignalSettings

    con = duckdb.connect(store, read_only=True)
    t0 = time.perf_counter()
    res = all_pairs(con, SignalSettings(source="faers", stratify=False))
    seconds = time.perf_counter() - t0
    peak = _peak_rss()
    res.write_parquet(out)
    return {
        "seconds": seconds,
        "peak_rss": peak,
        "pairs": res.table.num_rows,
        "cases": res.n_cases,
        "prior": res.prior.to_dict(),
    }


def worker_vigipy(drugs: str, events: str, n_cases: int, out: str) -> dict[str, Any]:
    """From case-level rows: pandas counts, then vigipy prr, ror, bcpnn, gps; results to `out`."""
    import warnings

    import numpy as np
    import pandas as pd
    import vigipy
    from vigipy.utils.Container import DataContainer

    warnings.simplefilter("ignore")  # vigipy warns per call about FDR ties and the like
    steps: dict[str, float] = {}
    t0 = t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = now - t
        t = now

    dc = pd.read_parquet(drugs)  # caseid, ingredient (distinct suspect ingredients per case)
    ev = pd.read_parquet(events)  # caseid, pt
    for df, col in ((dc, "ingredient"), (ev, "pt")):
        if not isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype("category")
    lap("read")
    pairs = dc.merge(ev, on="caseid")
    a = pairs.groupby(["ingredient", "pt"], observed=True).size().rename("events").reset_index()
    del pairs
    nd = dc.groupby("ingredient", observed=True).size()
    ne = ev.groupby("pt", observed=True).size()
    data = pd.DataFrame(
        {
            "events": a["events"].to_numpy(np.float64),
            "product_aes": nd.reindex(a["ingredient"]).to_numpy(np.float64),
            "count_across_brands": ne.reindex(a["pt"]).to_numpy(np.float64),
            "ae_name": a["pt"].astype(str).to_numpy(),
            "product_name": a["ingredient"].astype(str).to_numpy(),
        }
    )
    del a
    cont = DataContainer(data=data, N=n_cases)
    lap("count")
    r_prr = vigipy.prr(cont, min_events=1).all_signals
    lap("prr")
    r_ror = vigipy.ror(cont, min_events=1).all_signals
    lap("ror")
    r_ic = vigipy.bcpnn(cont, min_events=1).all_signals
    lap("bcpnn")
    g = vigipy.gps(cont, min_events=1)
    lap("gps")
    seconds = time.perf_counter() - t0
    peak = _peak_rss()
    key = ["Product", "Adverse Event"]
    res = r_prr[[*key, "Count", "Expected Count", "PRR", "CI Lower", "CI Upper"]].rename(
        columns={"CI Lower": "PRR_lo", "CI Upper": "PRR_hi"}
    )
    res = res.merge(
        r_ror[[*key, "ROR", "CI Lower", "CI Upper"]].rename(columns={"CI Lower": "ROR_lo", "CI Upper": "ROR_hi"}),
        on=key,
    )
    res = res.merge(r_ic[[*key, "quantile"]].rename(columns={"quantile": "IC025"}), on=key)
    res = res.merge(g.all_signals[[*key, "EBGM", "LowerBound", "UpperBound"]], on=key)
    # v_ prefix: DuckDB identifiers are case-insensitive, so "PRR" would clash with our "prr" in the join
    res = res.rename(columns={c: f"v_{c}" for c in res.columns if c not in key})
    res.rename(columns={"Product": "ingredient", "Adverse Event": "pt"}).to_parquet(out, index=False)
    return {
        "seconds": seconds,
        "peak_rss": peak,
        "steps_s": steps,
        "pairs": len(data),
        "prior": [float(x) for x in g.params["prior_param"]],
        "prior_message": str(g.params.get("convergence", "")),
    }


def worker_convert(drugs: str, events: str) -> dict[str, Any]:
    """vigipy's own input route: pair counts -> vigipy.convert() (dense drug x event table)."""
    import pandas as pd
    import vigipy

    dc, ev = pd.read_parquet(drugs), pd.read_parquet(events)
    counts = dc.merge(ev, on="caseid").groupby(["ingredient", "pt"], observed=True).size()
    counts = counts.rename("count").reset_index().rename(columns={"ingredient": "name", "pt": "AE"})
    t0 = time.perf_counter()
    cont = vigipy.convert(counts)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_rss": _peak_rss(), "n_pairs_vigipy": len(cont.data), "N_vigipy": float(cont.N)}


def _run_worker(args: list[str], timeout: float | None = None) -> dict[str, Any] | None:
    """Run one worker in a fresh interpreter; None when it times out or fails (reason on stderr)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        print(f"  {args[0]} timed out after {timeout:.0f} s", file=sys.stderr)
        return None
    if out.returncode != 0:
        print(f"  {args[0]} failed (exit {out.returncode}):\n{out.stderr[-3000:]}", file=sys.stderr)
        return None
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["process_seconds"] = time.perf_counter() - t0
    return res


# ---------------------------------------------------------------------------------------------------
# preparation


def ensure_store(cases: int, work: Path) -> Path:
    """bench/work/allpairs_store_N.duckdb, ingesting bench/work/synth_N (generated if missing)."""
    store = work / f"allpairs_store_{cases}.duckdb"
    if store.exists():
        return store
    data = work / f"synth_{cases}"
    if not (data / "truth.json").exists():
        from adrlens.synth import generate

        t = time.perf_counter()
        generate(data, cases=cases, quarters=4, seed=42)
        print(f"  generated {cases:,} cases in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ingest", str(data), "--store", str(store), "--quiet", "--reports-only"],
        check=True,
        cwd=ROOT,
    )
    print(f"  ingested {cases:,} cases in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return store


def subset_store(store: Path, n: int, work: Path, cases: int) -> Path:
    """A store holding a random sample of n cases (reservoir, seed 42) with their drug and event rows."""
    import duckdb

    out = work / f"allpairs_store_{cases}_sub{n}.duckdb"
    if out.exists():
        return out
    tmp = out.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute(f"ATTACH '{store}' AS src (READ_ONLY)")
    con.execute(
        f"CREATE TEMP TABLE pick AS SELECT caseid FROM src.report USING SAMPLE reservoir({n} ROWS) REPEATABLE (42)"
    )
    for t in ("report", "report_drug", "report_event"):
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM src.{t} SEMI JOIN pick USING (caseid)")
    con.execute("DETACH src")
    con.close()
    tmp.rename(out)
    return out


def export_cases(store: Path, prefix: Path) -> tuple[Path, Path, int, float]:
    """Case-level (caseid, ingredient) and (caseid, pt) rows exactly as all_pairs counts them, as parquet."""
    import duckdb

    from adrlens.signals.tables import SignalSettings

    s = SignalSettings(source="faers", stratify=False)
    pop, params = s.population_sql()
    drugs, events = Path(f"{prefix}_drug.parquet"), Path(f"{prefix}_event.parquet")
    t0 = time.perf_counter()
    con = duckdb.connect(str(store), read_only=True)
    n_cases = con.execute(f"SELECT count(*) FROM report r WHERE {pop}", params).fetchall()[0][0]
    pop_cte = f"WITH pop AS (SELECT r.caseid FROM report r WHERE {pop})"
    con.execute(
        f"""COPY ({pop_cte} SELECT DISTINCT rd.caseid, rd.ingredient FROM report_drug rd SEMI JOIN pop USING (caseid)
            WHERE rd.source = ? AND {s.role_sql()} AND rd.ingredient IS NOT NULL) TO '{drugs}' (FORMAT parquet)""",
        [*params, s.source],
    )
    con.execute(
        f"""COPY ({pop_cte} SELECT re.caseid, re.pt FROM report_event re SEMI JOIN pop USING (caseid)
            WHERE re.source = ?) TO '{events}' (FORMAT parquet)""",
        [*params, s.source],
    )
    con.close()
    return drugs, events, int(n_cases), time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------------
# comparison


def _maxdiff(x: Any, y: Any) -> dict[str, Any]:
    import numpy as np

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return {
            "max_abs": None,
            "max_rel": None,
            "compared": 0,
            "undefined_in_one_only": int(np.sum(np.isfinite(x) ^ np.isfinite(y))),
        }
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(x[ok] - y[ok]) / np.maximum(np.abs(y[ok]), 1e-300)
    return {
        "max_abs": float(np.max(np.abs(x[ok] - y[ok]))),
        "max_rel": float(np.max(rel)),
        "compared": int(ok.sum()),
        "undefined_in_one_only": int(np.sum(np.isfinite(x) ^ np.isfinite(y))),
    }


def compare(ours_pq: Path, vigi_pq: Path, ours_prior: dict[str, Any], vigi_prior: list[float]) -> dict[str, Any]:
    """Pair-by-pair differences between our table and vigipy's results (joined on ingredient, PT)."""
    import duckdb
    import numpy as np

    from adrlens.signals import ebgm as eb
    from adrlens.signals import measures as m

    con = duckdb.connect()
    j = con.execute(
        f"""SELECT o.*, v.* EXCLUDE (ingredient, pt) FROM read_parquet('{ours_pq}') o
            FULL JOIN read_parquet('{vigi_pq}') v USING (ingredient, pt)"""
    ).fetch_df()
    con.close()
    unmatched = int(j["a"].isna().sum() + j["v_Count"].isna().sum())
    j = j.dropna(subset=["a", "v_Count"])
    a, b, c, d = (j[k].to_numpy(float) for k in "abcd")
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    pr_h = m.prr(a, b, c, d, continuity="haldane")
    bc = m.ic_bcpnn(a, b, c, d)
    post = eb.ebgm(a, j["e"].to_numpy(float), eb.Prior.from_array(np.clip(vigi_prior, [1e-300] * 4 + [0], None)))
    col = j.__getitem__
    res: dict[str, Any] = {
        "pairs_joined": len(j),
        "pairs_in_one_side_only": unmatched,
        "tables_with_a_zero_cell": int(zero.sum()),
        "a_vs_count": _maxdiff(col("a"), col("v_Count")),
        "e_vs_expected": _maxdiff(col("e"), col("v_Expected Count")),
        "prr_no_zero_cell": _maxdiff(col("prr")[~zero], col("v_PRR")[~zero]),
        "prr_lo_no_zero_cell": _maxdiff(col("prr_lo")[~zero], col("v_PRR_lo")[~zero]),
        "prr_hi_no_zero_cell": _maxdiff(col("prr_hi")[~zero], col("v_PRR_hi")[~zero]),
        "prr_haldane_all": _maxdiff(pr_h["prr"], col("v_PRR")),
        "prr_lo_haldane_all": _maxdiff(pr_h["prr_lo"], col("v_PRR_lo")),
        "ror": _maxdiff(col("ror"), col("v_ROR")),
        "ror_lo": _maxdiff(col("ror_lo"), col("v_ROR_lo")),
        "ror_hi": _maxdiff(col("ror_hi"), col("v_ROR_hi")),
        "ic025_bcpnn": _maxdiff(bc["ic025"], col("v_IC025")),
        "ebgm_same_prior": _maxdiff(post["ebgm"], col("v_EBGM")),
        "eb05_same_prior": _maxdiff(post["eb05"], col("v_LowerBound")),
        "eb95_same_prior": _maxdiff(post["eb95"], col("v_UpperBound")),
        "ebgm_each_own_prior": _maxdiff(col("ebgm"), col("v_EBGM")),
        "notes": [
            "prr_no_zero_cell: our table's PRR (no continuity correction) where no cell is 0; "
            "prr_haldane_all: ours with continuity='haldane' (vigipy's default) on every pair",
            "ic025_bcpnn: vigipy's closed-form BCPNN IC025 vs our ic_bcpnn; the table's IC is the shrinkage IC",
            "eb05/eb95: vigipy bisects to |F(x) - p| < 1e-5 (max 35 steps); ours converges to 1e-10 relative",
            "ebgm_each_own_prior: our fitted prior vs vigipy's fitted prior (different likelihood truncation "
            "and optimiser), shown for scale only",
        ],
    }
    # Both fitted priors scored on one likelihood each way, to say which fit is better.
    theta_o = [ours_prior[k] for k in ("alpha1", "beta1", "alpha2", "beta2", "p")]
    e = j["e"].to_numpy(float)
    res["neg_loglik"] = {
        tr: {"ours_prior": _nll(theta_o, a, e, tr), "vigipy_prior": _nll(vigi_prior, a, e, tr)} for tr in eb.TRUNCATIONS
    }
    return res


def _nll(theta: list[float], n: Any, e: Any, truncation: str) -> float | str:
    """Negative log-likelihood, or why it could not be evaluated (e.g. a prior with P exactly 0)."""
    from adrlens.signals import ebgm as eb

    try:
        return eb.neg_log_likelihood(theta, n, e, truncation=truncation)
    except (ValueError, ArithmeticError) as exc:  # MeasureInputError is a ValueError
        return f"not evaluable: {type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------------------------------------
# driver


def machine() -> dict[str, Any]:
    import duckdb
    import numpy
    import pandas
    import scipy
    import vigipy

    cpu = ""
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as f:
        cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": round(mem / 1e9, 1),
        "load_avg_at_start": list(os.getloadavg()),
        "shared": "machine shared with other jobs; wall times are noisy",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "vigipy": vigipy.__version__,
    }


def _mb(x: int) -> int:
    return round(x / 1e6)


def bench_size(cases: int, args: argparse.Namespace, subset: int | None = None) -> dict[str, Any]:
    work: Path = args.work
    store = ensure_store(cases, work)
    if subset:
        store = subset_store(store, subset, work, cases)
    tag = f"{cases}" + (f"_sub{subset}" if subset else "")
    drugs, events, n_cases, export_s = export_cases(store, work / f"allpairs_cases_{tag}")
    ours_pq, vigi_pq = work / f"allpairs_ours_{tag}.parquet", work / f"allpairs_vigipy_{tag}.parquet"
    print(f"  {tag}: ours ...", file=sys.stderr)
    ours = _run_worker(["ours", str(store), str(ours_pq)])
    if ours is None:
        raise SystemExit("our all_pairs job failed; see the error above")
    print(f"  {tag}: ours {ours['seconds']:.1f} s, {ours['pairs']:,} pairs; vigipy ...", file=sys.stderr)
    vigi = _run_worker(["vigipy", str(drugs), str(events), str(n_cases), str(vigi_pq)], timeout=args.vigipy_timeout)
    result: dict[str, Any] = {
        "cases_generated": cases,
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_avg_before": list(os.getloadavg()),
        "subset_cases": subset,
        "cases": n_cases,
        "pairs": ours["pairs"],
        "export_case_rows_s": round(export_s, 2),
        "ours": {
            "seconds": round(ours["seconds"], 2),
            "process_seconds": round(ours["process_seconds"], 2),
            "peak_rss_mb": _mb(ours["peak_rss"]),
            "prior": ours["prior"],
        },
    }
    if vigi is None:
        result["vigipy"] = {"finished": False, "timeout_s": args.vigipy_timeout}
        return result
    result["vigipy"] = {
        "finished": True,
        "pairs": vigi["pairs"],
        "seconds": round(vigi["seconds"], 2),
        "process_seconds": round(vigi["process_seconds"], 2),
        "steps_s": {k: round(v, 2) for k, v in vigi["steps_s"].items()},
        "peak_rss_mb": _mb(vigi["peak_rss"]),
        "prior": vigi["prior"],
        "prior_message": vigi["prior_message"],
    }
    stats_only = vigi["seconds"] - vigi["steps_s"]["read"] - vigi["steps_s"]["count"]
    result["ratio_vigipy_to_ours"] = round(vigi["seconds"] / ours["seconds"], 1)
    result["ratio_vigipy_stats_only_to_ours"] = round(stats_only / ours["seconds"], 1)
    result["goal_ratio_at_least"] = 50
    try:
        result["differences"] = compare(ours_pq, vigi_pq, ours["prior"], vigi["prior"])
    except Exception as exc:  # keep the measured times even if a comparison step breaks
        result["differences"] = {"error": f"{type(exc).__name__}: {exc}"}
    if not args.no_convert:
        conv = _run_worker(["convert", str(drugs), str(events)], timeout=args.vigipy_timeout)
        result["vigipy_convert"] = (
            {
                "seconds": round(conv["seconds"], 2),
                "peak_rss_mb": _mb(conv["peak_rss"]),
                "N_vigipy": conv["N_vigipy"],
                "note": "vigipy.convert() on the pair counts: dense drug x PT table, margins and N from pair "
                "counts (not cases), so its 2x2 tables differ from ours; not part of the timed job",
            }
            if conv
            else {"finished": False}
        )
    for p in (drugs, events, ours_pq, vigi_pq):
        p.unlink(missing_ok=True)
    return result


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        kind, rest = sys.argv[2], sys.argv[3:]
        fn = {"ours": worker_ours, "vigipy": worker_vigipy, "convert": worker_convert}[kind]
        if kind == "vigipy":
            rest[2] = int(rest[2])  # type: ignore[call-overload]
        print(json.dumps(fn(*rest)))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--quick", action="store_true", help=f"smoke run on {QUICK_CASES:,} cases")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    ap.add_argument("--vigipy-timeout", type=float, default=1200.0, help="seconds before vigipy is given up")
    ap.add_argument("--subset", type=int, default=1_000_000, help="cases in the fallback subset")
    ap.add_argument("--no-convert", action="store_true", help="skip timing vigipy.convert()")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.quick:
        args.cases = [QUICK_CASES]
    # A smoke run only prints (unless --out is given), so it never overwrites the real results.
    out = args.out or (None if args.quick else ROOT / "bench" / "results" / "allpairs.json")
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.cases:
        print(f"{n:,} cases", file=sys.stderr)
        r = bench_size(n, args)
        if not r["vigipy"].get("finished") and args.subset < n:
            print(f"  vigipy did not finish on {n:,} cases; both on a {args.subset:,}-case subset", file=sys.stderr)
            r["subset_run"] = bench_size(n, args, subset=args.subset)
        print(json.dumps(r), file=sys.stderr)
        results.append(r)
    # Sizes not rerun this time keep their earlier results (so one size can be rerun alone).
    if out is not None and out.exists():
        done = {r["cases_generated"] for r in results}
        try:
            earlier = json.loads(out.read_text()).get("results", [])
        except (OSError, ValueError):
            earlier = []
        results = sorted(
            [*results, *(r for r in earlier if r["cases_generated"] not in done)], key=lambda r: r["cases_generated"]
        )
    report = {
        "benchmark": "all-pairs statistics with EBGM: adrlens all_pairs vs vigipy prr+ror+bcpnn+gps",
        "settings": "FAERS synthetic, suspect role (PS+SS), unstratified, every (ingredient, PT) pair with a >= 1",
        "machine": machine(),
        "results": results,
    }
    from adrlens.jsonsafe import json_safe

    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(json_safe(report), indent=2) + "\n")
    print(json.dumps(json_safe(report), indent=2))


if __name__ == "__main__":
    main()
