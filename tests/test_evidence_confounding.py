"""Confounding and indication overlap on a complete real store (FAERS 2022Q3 PS, FAERS samples, VAERS,
knowledge tables): the store built from the shared data (real_store)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import adrlens.evidence as evidence_pkg
from adrlens.evidence import causes
from adrlens.evidence.common import source_label
from adrlens.evidence.confounding import confounding
from adrlens.evidence.indication import indication_overlap
from adrlens.model import ConfoundingData, IndicationData
from adrlens.signals import rules
from adrlens.signals.tables import SignalSettings, two_by_two
from adrlens.sources import registry
from adrlens.sources.reports import faers, faers_ps, vaers
from adrlens.store import db as store_db

FAERS, PS, VAERS = faers.SOURCE, faers_ps.SOURCE, vaers.SOURCE
NEUROPATHY_NARROW = [
    "neuropathy peripheral", "peripheral sensory neuropathy", "peripheral motor neuropathy",
    "peripheral sensorimotor neuropathy", "polyneuropathy", "toxic neuropathy", "axonal neuropathy",
    "demyelinating polyneuropathy",
]  # fmt: skip
NEUROPATHY = [
    *NEUROPATHY_NARROW, "paraesthesia", "hypoaesthesia", "burning sensation", "dysaesthesia", "neuralgia",
    "neuropathy", "neurotoxicity", "sensory loss", "hyperaesthesia", "areflexia", "hyporeflexia",
    "muscular weakness", "sensory disturbance",
]  # fmt: skip
RHABDO = ["rhabdomyolysis", "myoglobinuria", "myopathy", "necrotising myositis", "myositis"]
MY_MODULES = ("confounding.py", "cause_shares.py", "classeffect.py", "causes.py", "indication.py")


@pytest.fixture(scope="module")
def con(real_store: Path):
    with store_db.connect(real_store) as c:
        yield c


def _json_ok(evs) -> None:
    ids = [e.id for e in evs]
    assert len(ids) == len(set(ids))
    for e in evs:
        json.dumps(e.to_dict(), allow_nan=False)  # JSON-safe: no NaN, no numpy
        assert e.finding.endswith(".") and e.finding.count("\n") == 0


def _cells(m: dict) -> tuple[int, int, int, int]:
    return m["a"], m["b"], m["c"], m["d"]


# -- the curated table (no store needed) ------------------------------------------------------------------
def test_curated_table_loads_and_is_consistent() -> None:
    entries = causes.curated()
    assert len(entries) >= 15 and causes.curated() is entries  # cached
    for entry in entries:
        assert entry.triggers and entry.causes and entry.references
        assert all(t == t.lower().strip() for t in entry.triggers)
        for c in entry.causes:
            assert c.name and (c.exact or c.patterns or c.age_min)
            assert c.role in causes.ROLES and c.reference
            assert all(p == p.lower() for p in (*c.exact, *c.patterns))
    names, found = causes.curated_causes(["Paraesthesia"])
    assert names == ["peripheral neuropathy"]
    assert {"diabetes", "vitamin B12 deficiency", "HIV infection", "alcohol"} <= {c.name for c in found}
    assert causes.curated_causes(["deafness"]) == ([], [])
    # Shared causes are one definition: the same diabetes in neuropathy and heart failure.
    by_cond = {e.condition: {c.name: c for c in e.causes} for e in entries}
    pn_diab, hf_diab = by_cond["peripheral neuropathy"]["diabetes"], by_cond["heart failure"]["diabetes"]
    assert (pn_diab.exact, pn_diab.patterns) == (hf_diab.exact, hf_diab.patterns)
    cancer = by_cond["peripheral neuropathy"]["cancer and its chemotherapy"]
    assert cancer.matches("breast cancer") and cancer.matches("metastases to bone") and cancer.matches("chemotherapy")
    assert causes.references(["rhabdomyolysis"])["rhabdomyolysis"][0].startswith("Harrison's")


def test_curated_file_references_are_declared() -> None:
    doc = json.loads((Path(evidence_pkg.__file__).parent / "data" / causes.DATA_FILE).read_text())
    shared = set(doc["shared_causes"])
    for e in doc["conditions"]:
        assert set(e) == {"condition", "triggers", "causes", "references"}
        for c in e["causes"]:  # every cause says its role; a risk factor names its own reference
            assert c["role"] in causes.ROLES and ("use" not in c or c["use"] in shared)
            assert c["role"] == causes.CONFOUNDER or c.get("reference")
    with pytest.raises(Exception, match="unknown shared cause"):
        causes.parse({"conditions": [{"condition": "x", "triggers": ["x"], "causes": ["nope"]}]})
    with pytest.raises(Exception, match="role"):
        causes.parse({"conditions": [{"condition": "x", "triggers": ["x"], "causes": [{"name": "y", "role": "z"}]}]})


def test_risk_factors_are_not_confounders() -> None:
    """Kidney failure makes the drug's own risk of lactic acidosis larger; sepsis and shock cause it alone."""
    _names, found = causes.curated_causes(["lactic acidosis"])
    role = {c.name: c.role for c in found}
    assert role["kidney failure"] == role["age 65 or older"] == causes.RISK_FACTOR
    assert role["sepsis"] == role["shock and hypoxia"] == causes.CONFOUNDER
    conf, risk = causes.split_roles(found)
    assert {c.name for c in conf}.isdisjoint(c.name for c in risk)
    _names, found = causes.curated_causes(["hyponatraemia"])
    assert {c.name for c in found if c.role == causes.RISK_FACTOR} >= {"age 65 or older", "volume depletion"}


def test_no_source_key_literals_in_evidence_modules() -> None:
    root = Path(evidence_pkg.__file__).parent
    keys = "|".join(re.escape(s.key) for s in registry.SOURCES)
    for name in MY_MODULES:
        text = (root / name).read_text()
        assert not re.search(rf"""["']({keys})["']""", text), name


# -- confounding on the store ---------------------------------------------------------------------------
def test_original_table_is_the_projects_2x2(con) -> None:
    """For each case and source, the unadjusted cells and E are exactly signals.tables.two_by_two."""
    cases = [
        ("amlodipine", NEUROPATHY_NARROW, "peripheral neuropathy"),
        ("atorvastatin", ["rhabdomyolysis"], "rhabdomyolysis"),
        ("metformin", ["lactic acidosis"], "lactic acidosis"),
    ]
    for drug, pts, label in cases:
        for stratify in (True, False):
            for ev in confounding(con, drug, pts, SignalSettings(stratify=stratify), label):
                assert isinstance(ev.data, ConfoundingData)
                d = ev.data
                if not d.original:  # not measurable in this source
                    assert ev.direction == "not_available"
                    continue
                t = two_by_two(con, drug, pts, settings=SignalSettings(source=d.source, stratify=stratify))
                assert _cells(d.original) == (t.a, t.b, t.c, t.d)
                assert d.original["e"] == pytest.approx(t.e)
                call = rules.call(
                    t.a, ror_lo=d.original["ror_lo"], ror_hi=d.original["ror_hi"], ic025=d.original["ic025"]
                )
                assert d.signal_before == call.signal == d.original["signal"]


def test_baseline_numbers(con) -> None:
    """Counts on the store built from the shared data, equal to the previous implementation's."""
    by = {e.data.source: e.data for e in confounding(con, "atorvastatin", ["rhabdomyolysis"], SignalSettings(), "r")}
    assert _cells(by[PS].original) == (46, 483, 567, 214771) and by[PS].adjusted["a"] == 44
    assert _cells(by[FAERS].original) == (3, 78, 10, 12139) and by[FAERS].adjusted["a"] == 3
    by = {e.data.source: e for e in confounding(con, "metformin", ["lactic acidosis"], SignalSettings(), "la")}
    m = by[FAERS].data
    # Only the case with shock is removed: kidney failure is a risk factor (counted, never removed).
    assert _cells(m.original) == (4, 19, 2, 12205) and m.adjusted["a"] == 3
    assert by[FAERS].direction == "supports" and m.survives is True and m.signal_before and m.signal_after
    assert m.scope == "narrow" and m.summary.startswith("The link survives") and m.summary[:-1] in by[FAERS].finding
    kidney = next(r for r in m.risk_factors if r["name"] == "kidney failure")
    assert kidney["drug_event_cases"] >= 1 and kidney["reference"] and "kidney failure" in by[FAERS].finding
    assert all(r["role"] == "confounder" for r in m.confounders) and "kidney failure" not in {
        r["name"] for r in m.confounders
    }
    shock = next(r for r in m.confounders if r["name"] == "shock and hypoxia")
    assert shock["drug_cases"] == 1 and shock["share_drug_cases"] == pytest.approx(1 / 23)
    assert 0 < shock["share_all_cases"] < shock["share_drug_cases"]
    # "lactic acidosis" has two words: the PS extract cannot hold it, which is not a count of zero.
    assert by[PS].direction == "not_available" and "can occur in this source" in by[PS].finding
    assert not by[PS].data.original and by[PS].data.survives is None
    (ev,) = confounding(con, "amlodipine", NEUROPATHY_NARROW, SignalSettings(), "pn", sources=[PS])
    assert _cells(ev.data.original) == (0, 859, 322, 214686) and ev.data.population_excluded == 72227


def test_amlodipine_neuropathy_numbers_consistent(con) -> None:
    settings = SignalSettings(source=PS)
    evs = confounding(con, "amlodipine", NEUROPATHY, settings, "peripheral neuropathy")
    _json_ok(evs)
    assert {e.id for e in evs} == {f"confounding:{PS}", f"confounding:{FAERS}"}  # VAERS has no amlodipine
    ev = next(e for e in evs if e.id == f"confounding:{PS}")
    d = ev.data
    orig, adj = d.original, d.adjusted
    t = two_by_two(con, "amlodipine", NEUROPATHY, settings=settings)
    assert _cells(orig) == (t.a, t.b, t.c, t.d)
    assert orig["e"] == pytest.approx(t.e)
    for tab in (orig, adj, d.adjusted_indication_only, d.adjusted_codrug_only):
        assert all(isinstance(tab[k], int) and tab[k] >= 0 for k in ("a", "b", "c", "d", "n"))
        assert tab["a"] + tab["b"] + tab["c"] + tab["d"] == tab["n"]
    assert adj["a"] <= orig["a"] and adj["n"] <= orig["n"]
    assert adj["a"] == orig["a"] - d.event_cases_with_any
    assert orig["n"] - adj["n"] == d.population_excluded
    assert d.event_cases_with_any <= min(
        orig["a"], d.event_cases_with_confounding_indication + d.event_cases_with_codrug
    )
    assert d.method == "curated" and "diabetes" in d.curated_causes
    # Amlodipine's combination partners (valsartan, atorvastatin...) are labelled for neuropathy PTs.
    assert any(r["ingredient"] == "valsartan" and r["label_sources"] for r in d.codrugs)
    assert ev.direction in ("supports", "neutral", "against") and ev.strength in ("strong", "moderate", "weak", "none")
    assert str(orig["a"]) in ev.finding and str(adj["a"]) in ev.finding
    assert ev.source == source_label(con, settings) and ev.source.startswith(registry.get(PS).short)
    assert ev.source_ref["references"]["peripheral neuropathy"]


def test_concomitant_codrugs_are_not_removed(con) -> None:
    """In the FAERS samples both simvastatin + rhabdomyolysis cases carry other drugs labelled for it, all as
    concomitant (not suspected by the reporter): they are not another cause, so nothing is removed."""
    (ev,) = confounding(con, "simvastatin", RHABDO, SignalSettings(source=FAERS), "rhabdomyolysis", sources=[FAERS])
    d = ev.data
    assert d.original["a"] >= 2
    assert d.event_cases_with_codrug == 0 and d.adjusted["a"] == d.original["a"]
    assert all(r["event_cases"] == 0 for r in d.codrugs)  # suspect co-drugs only in cases without the event
    # a = 2 is no signal: nothing to test, which is neither support nor evidence against.
    assert ev.direction == "neutral" and d.survives is None and d.summary.startswith("There is no signal to test")


def test_atorvastatin_rhabdo_persists_in_faers_ps(con) -> None:
    (ev,) = confounding(con, "atorvastatin", RHABDO, SignalSettings(), "rhabdomyolysis", sources=[PS])
    assert ev.direction == "supports" and ev.data.signal_after and ev.data.survives is True
    assert 0 < ev.data.adjusted["a"] <= ev.data.original["a"]
    assert ev.data.adjusted["ic025"] > 0 and ev.data.adjusted["signal_criteria"]


def test_the_condition_is_not_its_own_confounder(con) -> None:
    """Hypertension recorded as an indication is the condition itself, not another cause of it."""
    pts = ["hypertension", "blood pressure increased", "hypertensive crisis"]
    for ev in confounding(con, "amlodipine", pts, SignalSettings(), "hypertension"):
        d = ev.data
        names = {r["name"] for r in d.confounders} | {r["cause"] for r in d.confounder_examples}
        assert names.isdisjoint(pts)
        assert all(r["indication"] not in pts for r in d.data_driven_indications)
        assert (d.survives is None) == (not d.signal_before)


def test_data_driven_path_and_absent_drug(con) -> None:
    (ev,) = confounding(con, "metformin", ["deafness"], SignalSettings(), "deafness", sources=[FAERS])
    assert ev.data.method == "data" and ev.data.curated_conditions == []
    for r in ev.data.data_driven_indications:
        assert r["event_cases"] >= 5 and (r["lift"] is None or r["lift"] >= 2)
    (na,) = confounding(con, "no such drug", RHABDO, SignalSettings(), "rhabdomyolysis")
    assert na.direction == "not_available" and isinstance(na.data, ConfoundingData)
    (na,) = confounding(con, "amlodipine", RHABDO, SignalSettings(), "x", sources=[VAERS])
    assert na.direction == "not_available"


def test_population_without_the_drug_is_not_available(con) -> None:
    # The PS extract has no demographics, so a sex filter leaves no amlodipine case there.
    settings = SignalSettings(sex="F", stratify=False)
    (ev,) = confounding(con, "amlodipine", ["paraesthesia"], settings, "paraesthesia", sources=[PS])
    assert ev.direction == "not_available" and "sex F" in ev.finding


# -- indication overlap ---------------------------------------------------------------------------------------
def test_indication_overlap(con) -> None:
    settings = SignalSettings(source=PS)
    (ev,) = indication_overlap(con, "metformin", ["type 2 diabetes mellitus"], settings)
    assert isinstance(ev.data, IndicationData)
    assert ev.kind == "indication" and ev.direction == "against" and ev.strength in ("strong", "moderate")
    assert "DrugCentral" in {m["source"] for m in ev.data.matches}
    (ev,) = indication_overlap(con, "levetiracetam", ["seizure", "convulsion", "epilepsy"], settings)
    assert ev.direction == "against"
    (ev,) = indication_overlap(con, "amlodipine", NEUROPATHY, settings)
    assert ev.direction == "neutral" and ev.data.matches == []
    (ev,) = indication_overlap(con, "no such drug", ["seizure"], settings)
    assert ev.direction == "not_available"
    _json_ok([ev])
