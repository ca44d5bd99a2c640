"""Stimulated reporting: a surge in the share of a product's reports that carry the condition, by report
year, against all earlier years (adrlens.evidence.stimulated)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.evidence.stimulated import BASELINE_MIN_DRUG_CASES, find_surge, provide


def rows(shares: list[tuple[int, int]]) -> list[dict]:
    return [{"year": 2000 + i, "a": a, "drug_cases": n} for i, (a, n) in enumerate(shares)]


def test_a_surge_against_the_earlier_years_is_found_and_dated() -> None:
    s = find_surge(rows([(2, 600), (3, 700), (2, 650), (40, 700), (60, 800)]))
    assert s is not None and s["year"] == 2003 and s["fold"] > 3 and s["p"] < 0.001
    assert s["baseline_drug_cases"] == 1950


def test_steady_reporting_a_small_baseline_or_few_cases_is_no_surge() -> None:
    assert find_surge(rows([(20, 600), (25, 700), (22, 650), (24, 700)])) is None  # steady share
    assert find_surge(rows([(1, 23), (111, 518), (8, 104)])) is None  # a new product: no baseline
    small = BASELINE_MIN_DRUG_CASES // 2
    assert find_surge(rows([(0, small), (6, 700)])) is None  # baseline too small, and under 10 reports


def test_real_vaers_mmr_autism_surges_and_influenza_gbs_does_not(real_store: Path) -> None:
    con = duckdb.connect(str(real_store), read_only=True)
    try:
        mmr = provide(con, EvidenceQuery("measles mumps rubella vaccine", "vaccine", "Autism", ("autism",), ()),
                      EvidenceSettings())  # fmt: skip
        gbs = provide(con, EvidenceQuery("influenza vaccine", "vaccine", "GBS", ("guillain-barre syndrome",), ()),
                      EvidenceSettings())  # fmt: skip
    finally:
        con.close()
    vaers_mmr = [e for e in mmr if e.data.source_name == "vaers"]
    assert vaers_mmr and vaers_mmr[0].direction == "supports" and vaers_mmr[0].data.surge["fold"] >= 3
    assert "does not by itself mean" in vaers_mmr[0].finding
    assert all(e.direction != "supports" for e in gbs)
