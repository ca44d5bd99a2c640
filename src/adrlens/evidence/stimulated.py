"""Stimulated reporting: did reports of the condition with the drug surge after some year, out of step with the
drug's other reports? Publicity (a paper, a lawsuit, a news story) makes people report a suspected link; the
surge then reflects attention, not new harm. The VAERS autism reports after MMR vaccination from 1999 on are
the known case (Goodman & Nordin, Pediatrics 2006;117:387; Woo et al., Vaccine 2004;22:3045).

For each report source with several report years, the share of the drug's cases that carry the condition's
narrow terms is computed per year (the one count path, `signals.tables.count_tables`, grouped by report year).
A year is a surge when, against all earlier years together (a baseline of at least BASELINE_MIN_DRUG_CASES
of the drug's cases), its share is at least SURGE_FOLD times the baseline share, with at least
SURGE_MIN_CASES reports that year and a one-sided Poisson p below SURGE_P. A source with no such baseline
(a new product, a single quarter) cannot show a surge and says so.

A surge is a flag, not a verdict: a surge also follows the discovery of a real reaction. The verdict grades
such a pair "not supported" only when controlled studies contradict the link.
"""

from __future__ import annotations

import duckdb
from scipy.stats import poisson

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import Evidence, StimulatedData
from adrlens.signals.tables import count_tables
from adrlens.sources import registry
from adrlens.store.queries import drug_cases_by_source, sources_in_store

BASELINE_MIN_DRUG_CASES = 500
SURGE_FOLD = 3.0
SURGE_MIN_CASES = 10
SURGE_P = 0.001
MIN_YEARS = 3


def _by_year(con: duckdb.DuckDBPyConnection, drug: str, pts: list[str], settings) -> list[dict]:
    per = count_tables(con, [drug], pts, settings=settings, group_by="r.report_year").per_stratum(drug)
    rows = []
    for key in sorted(k for k in per if k[0] is not None):
        a, nd, _ne, _n = per[key]
        rows.append({"year": int(key[0]), "a": int(a), "drug_cases": int(nd)})
    return rows


def find_surge(rows: list[dict]) -> dict | None:
    """The first year whose share of the drug's cases with the condition surges against all earlier years."""
    base_a = base_n = 0
    for r in rows:
        if base_n >= BASELINE_MIN_DRUG_CASES and r["drug_cases"] and r["a"] >= SURGE_MIN_CASES:
            base_share = (base_a + 0.5) / base_n  # half a case: a baseline of none is not a share of zero
            expected = base_share * r["drug_cases"]
            fold = (r["a"] / r["drug_cases"]) / base_share
            p = float(poisson.sf(r["a"] - 1, expected))
            if fold >= SURGE_FOLD and p < SURGE_P:
                return {
                    "year": r["year"],
                    "a": r["a"],
                    "drug_cases": r["drug_cases"],
                    "expected_at_baseline_share": round(expected, 2),
                    "fold": round(fold, 2),
                    "p": p,
                    "baseline_cases": base_a,
                    "baseline_drug_cases": base_n,
                }
        base_a += r["a"]
        base_n += r["drug_cases"]
    return None


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record per report source holding the drug over several years: a surge ('supports' a flag of
    stimulated reporting), no surge ('neutral'), or too few years ('not_available')."""
    present = drug_cases_by_source(con, q.drug)
    out: list[Evidence] = []
    for src in sources_in_store(con):
        if src not in present:
            continue
        spec = registry.get(src)
        pts, _cannot = spec.split_measurable(list(q.narrow))
        if not pts:
            continue
        rows = _by_year(con, q.drug, pts, settings.for_source(src, stratify=False))
        data = StimulatedData(source_name=src, pts=pts, by_year=rows)
        ref = {"store_source": src, "group_by": "report year", "rule": __name__}
        eid = f"stimulated:{src}"
        if len(rows) < MIN_YEARS:
            out.append(
                Evidence(
                    eid,
                    "stimulated_reporting",
                    spec.name,
                    f"{spec.name} holds {q.drug} reports from fewer than {MIN_YEARS} years, so a surge in "
                    "reporting cannot be seen.",
                    "not_available",
                    "none",
                    data,
                    ref,
                )
            )
            continue
        surge = find_surge(rows)
        data.surge = surge
        cond = q.condition.lower()
        if surge:
            finding = (
                f"In {spec.name}, reports of {cond} with {q.drug} rose in {surge['year']} to {surge['a']} of "
                f"{surge['drug_cases']:,} of its reports, {surge['fold']:.1f} times the share of the years before "
                f"({surge['baseline_cases']} of {surge['baseline_drug_cases']:,}): a surge like this often follows "
                "publicity (stimulated reporting); it does not by itself mean more people were harmed."
            )
            direction, strength = "supports", "moderate"
        else:
            finding = f"In {spec.name}, reports of {cond} with {q.drug} show no sudden surge across report years."
            direction, strength = "neutral", "none"
        out.append(Evidence(eid, "stimulated_reporting", spec.name, finding, direction, strength, data, ref))
    return out
