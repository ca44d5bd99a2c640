"""Benchmark: name normalisation and vocabulary loads, each beside a floor measured in the same run.

    python bench/vocab.py

- Drug names: a whole FAERS quarter's primary-suspect drug names (496,312 rows, ../shared/data) normalised
  with a cold memo, beside the floor of one `str.casefold` per name (the least any normaliser must do).
- Condition vocabulary: the cached load beside building the index afresh (the cache's whole point).
- Condition text (MedQuAD): a warm lookup beside the first, index-loading one.

The tests check what these produce; how fast they run is measured here, on whatever machine runs it, and
written to bench/results/vocab.json (ratios travel between machines, seconds do not).
"""

from __future__ import annotations

import csv
import gzip
import json
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from adrlens.config import data_path


def timed(fn: Callable[[], object], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def drug_names() -> dict[str, float]:
    from adrlens.vocab.drugs import DrugVocabulary

    vocab = DrugVocabulary.load()
    with gzip.open(data_path("faers", "quarter_2022q3_ps", "cases_ps_drug_pt.csv.gz"), "rt") as f:
        rows = csv.reader(f)
        next(rows)
        names = [r[1] for r in rows]

    def cold() -> None:
        fresh = DrugVocabulary(vocab._canon, vocab._known, vocab._index, vocab._brands)
        fresh.normalise_many((n, None) for n in names)

    normalise = timed(cold)
    floor = timed(lambda: [n.casefold() for n in names])
    return {
        "names": len(names),
        "normalise_s": round(normalise, 3),
        "names_per_s": round(len(names) / normalise),
        "casefold_s": round(floor, 4),
        "normalise_over_casefold": round(normalise / floor, 1),
    }


def condition_vocabulary() -> dict[str, float]:
    import os

    from adrlens.vocab.conditions import ConditionVocabulary

    with tempfile.TemporaryDirectory() as cache:
        old = os.environ.get("ADRLENS_CACHE")
        os.environ["ADRLENS_CACHE"] = cache
        try:
            build = timed(ConditionVocabulary.load, runs=1)  # the first load builds and caches the index
            cached = timed(ConditionVocabulary.load)
        finally:
            if old is None:
                os.environ.pop("ADRLENS_CACHE", None)
            else:
                os.environ["ADRLENS_CACHE"] = old
    return {
        "build_s": round(build, 2),
        "cached_load_s": round(cached, 2),
        "build_over_cached": round(build / cached, 1),
    }


def condition_text() -> dict[str, float]:
    from adrlens.vocab import condition_text as ct

    t = time.perf_counter()
    ct.condition_text(["Stroke"])
    first = time.perf_counter() - t
    warm = timed(lambda: ct.condition_text(["Haemorrhagic stroke", "brain bleed", "cerebral haemorrhage"]))
    return {"first_lookup_s": round(first, 3), "warm_lookup_s": round(warm, 5), "first_over_warm": round(first / warm)}


def main() -> None:
    out: dict[str, object] = {"machine": platform.platform(), "python": platform.python_version()}
    for name, fn in (
        ("drug_names", drug_names),
        ("condition_vocabulary", condition_vocabulary),
        ("condition_text", condition_text),
    ):
        out[name] = fn()
        print(name, out[name])
    Path(__file__).with_name("results").joinpath("vocab.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
