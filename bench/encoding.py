"""Benchmark: the Latin-1 repair of a FAERS file that is mostly UTF-8, side by side in one run.

    python bench/encoding.py [--mb 20] [--accented 8000]

A synthetic DEMO-like file of --mb megabytes with --accented lines carrying a Latin-1 byte (a real FAERS
file mixes encodings this way) is repaired by adrlens' `_to_utf8`, and the same bytes are decoded once as
Latin-1 (the floor: one pass over the bytes). Then the file is halved and doubled: a linear repair takes
about twice as long for twice the bytes and bad lines (the old one recounted lines from the start for each
bad byte, so it took four times as long). Ratios are printed and written to bench/results/encoding.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from adrlens.sources.base import FileResult
from adrlens.sources.reports.faers import _to_utf8

LINE = "{i}${i}$1$I$$$20240101$20240105$EXP$$X$ACME$$30$YR$$F$Y$$$20240105$$HP$US$US\n"
ACCENTED = "{i}${i}$1$I$$$20240101$20240105$EXP$$X$Soci\xe9t\xe9$$30$YR$$F$Y$$$20240105$$HP$FR$FR\n"


def make(mb: float, accented: int) -> bytes:
    target = int(mb * 1_000_000)
    n = target // len(LINE.format(i=10**7))
    every = max(n // max(accented, 1), 1)
    parts = [
        (ACCENTED.format(i=i).encode("latin-1") if i % every == 0 else LINE.format(i=i).encode("utf-8"))
        for i in range(n)
    ]
    return b"".join(parts)


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--accented", type=int, default=8000)
    args = ap.parse_args()
    rows = []
    for scale in (0.5, 1.0, 2.0):
        raw = make(args.mb * scale, int(args.accented * scale))
        repair = best_of(lambda raw=raw: _to_utf8(raw, FileResult(source="faers", layout="faers", table_name="DEMO")))
        floor = best_of(lambda raw=raw: raw.decode("latin-1"))
        rows.append(
            {
                "mb": round(len(raw) / 1e6, 1),
                "accented_lines": int(args.accented * scale),
                "repair_s": round(repair, 3),
                "latin1_decode_s": round(floor, 3),
                "repair_over_decode": round(repair / floor, 1),
            }
        )
        print(
            f"{rows[-1]['mb']:>6} MB, {rows[-1]['accented_lines']:>6} bad lines: repair {repair:.3f} s, "
            f"one Latin-1 decode {floor:.3f} s, ratio {repair / floor:.1f}"
        )
    growth = rows[2]["repair_s"] / rows[1]["repair_s"]
    print(f"twice the bytes and bad lines -> {growth:.2f} x the time (linear: about 2; quadratic: about 4)")
    out = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "rows": rows,
        "doubling_ratio": round(growth, 2),
    }
    Path(__file__).with_name("results").joinpath("encoding.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
