"""Benchmark: adrlens ingest vs DuckDB merely reading the same files, side by side in one run.

    python bench/ingest.py --cases 1000000 5000000 [--quarters 4] [--work bench/work]

For each size: synthetic FAERS releases are generated once (cached under --work), then
(1) `adrlens ingest` into a fresh store (parse, repair, normalise drugs, deduplicate, atomic write) and
(2) DuckDB reading every table file into tables with read_csv (all VARCHAR, no cleaning)
each run in a fresh subprocess so peak memory (max RSS) is measured per step. Results: cases/s,
MB/s, peak memory, and the ratio of our wall time to the raw read's. JSON goes to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

RAW_READ = r"""
import duckdb, sys, pathlib
files = [p for p in pathlib.Path(sys.argv[1]).rglob('*') if p.is_file() and p.suffix.lower() == '.txt']
con = duckdb.connect(sys.argv[2])
for i, f in enumerate(sorted(files)):
    if f.parent.name.lower() == 'deleted':
        cols = "{'caseid': 'VARCHAR'}"
        con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv('{f}', header=false, columns={cols})")
        continue
    con.execute(f'''CREATE TABLE t{i} AS SELECT * FROM read_csv('{f}', delim='$', header=true, all_varchar=true,
                    quote='', escape='', strict_mode=false, null_padding=true, ignore_errors=true,
                    encoding='latin-1')''')
con.execute('CHECKPOINT')
"""


def _peak_of(cmd: list[str]) -> tuple[float, int]:
    # Run through /usr/bin/time-free wrapper: a fresh python that reports its own child's max RSS.
    wrapper = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], check=True, capture_output=True, text=True)
    wall, peak = out.stdout.split()
    return float(wall), int(peak)


def bench_size(cases: int, quarters: int, work: Path, keep: bool) -> dict:
    from adrlens.synth import generate

    data = work / f"synth_{cases}"
    if not (data / "truth.json").exists():
        shutil.rmtree(data, ignore_errors=True)
        t = time.perf_counter()
        generate(data, cases=cases, quarters=quarters, seed=42)
        print(f"generated {cases:,} cases in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    size = sum(p.stat().st_size for p in data.rglob("*.txt"))
    store = work / f"store_{cases}.duckdb"
    raw = work / f"raw_{cases}.duckdb"
    for p in (store, raw):
        p.unlink(missing_ok=True)
    ours_wall, ours_peak = _peak_of(
        [sys.executable, "-m", "adrlens.cli", "ingest", str(data), "--store", str(store), "--quiet", "--reports-only"]
    )
    raw_wall, raw_peak = _peak_of([sys.executable, "-c", RAW_READ, str(data), str(raw)])
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    n_cases = con.execute("SELECT count(*) FROM report").fetchall()[0][0]
    n_versions = con.execute("SELECT count(*) FROM stage_demo").fetchall()[0][0]
    con.close()
    if not keep:
        store.unlink(missing_ok=True)
        raw.unlink(missing_ok=True)
    return {
        "cases_generated": cases,
        "quarters": quarters,
        "report_versions": n_versions,
        "cases_after_dedup": n_cases,
        "input_mb": round(size / 1e6, 1),
        "adrlens_ingest": {
            "seconds": round(ours_wall, 2),
            "cases_per_s": round(n_versions / ours_wall),
            "mb_per_s": round(size / 1e6 / ours_wall, 1),
            "peak_rss_mb": round(ours_peak / 1e6),
        },
        "duckdb_raw_read": {
            "seconds": round(raw_wall, 2),
            "mb_per_s": round(size / 1e6 / raw_wall, 1),
            "peak_rss_mb": round(raw_peak / 1e6),
        },
        "ratio_ours_to_raw": round(ours_wall / raw_wall, 2),
        "goal_ratio_at_most": 3.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--quarters", type=int, default=4)
    ap.add_argument("--work", type=Path, default=Path("bench/work"))
    ap.add_argument("--keep", action="store_true", help="keep the stores for inspection")
    ap.add_argument("--out", type=Path, default=Path("bench/results/ingest.json"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.cases:
        r = bench_size(n, args.quarters, args.work, args.keep)
        print(json.dumps(r), file=sys.stderr)
        results.append(r)
    import duckdb

    out = {
        "benchmark": "ingest",
        "machine": {
            "cpus": __import__("os").cpu_count(),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
        },
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
