"""Benchmark: how long an answer takes, cold (new process: imports, vocabularies, store) and warm
(the same Engine answering again), on the store built from the shared data.

    python bench/answer.py [--store stores/adrlens.duckdb] [--repeat 5]

Writes bench/results/answer.json. The issue's goal: a warm answer in under a second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTIONS = (
    "Can amlodipine cause peripheral neuropathy?",
    "Can Norvasc cause pins and needles?",
    "Can the flu shot cause Guillain-Barre syndrome?",
    "Can atorvastatin cause rhabdomyolysis?",
    "Is hair loss a side effect of atorvastatin?",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("bench/results/answer.json"))
    args = ap.parse_args()
    from adrlens.engine import Engine

    store_args = ["--store", str(args.store)] if args.store else []
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ask", QUESTIONS[0], "--format", "json", *store_args],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    cold = time.perf_counter() - t
    eng = Engine(args.store)
    per_q = {}
    for q in QUESTIONS:
        eng.answer(q)  # warm-up: vocabulary entries, DuckDB caches
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            eng.answer(q)
            times.append(time.perf_counter() - t)
        per_q[q] = {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}
    eng.close()
    out = {
        "benchmark": "answer",
        "cold_cli_process_s": round(cold, 2),
        "warm": per_q,
        "warm_median_of_medians_s": round(statistics.median(v["median_s"] for v in per_q.values()), 3),
        "goal_warm_s": 1.0,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
