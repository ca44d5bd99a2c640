"""Confounding, indication overlap and class effect on the real shared store (FAERS 2022Q3 PS, FAERS samples,
VAERS, knowledge tables)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pytest

from adrlens.evidence.classeffect import class_effect, same_class
from adrlens.evidence.confounding import CURATED, confounding, curated_causes, indication_overlap
from adrlens.signals.tables import SignalSettings, two_by_two

SHARED_STORE = Path("/tmp/t4/s.duckdb")  # the lead's prebuilt store; else the session-built real_store
NEUROPATHY = [
    "neuropathy peripheral", "peripheral sensory neuropathy", "peripheral motor neuropathy",
    "peripheral sensorimotor neuropathy", "polyneuropathy", "toxic neuropathy", "axonal neuropathy",
    "demyelinating polyneuropathy", "paraesthesia", "hypoaesthesia", "burning sensation", "dysaesthesia",
    "neuralgia", "neuropathy", "neurotoxicity", "sensory loss", "hyperaesthesia", "areflexia", "hyporeflexia",
    "muscular weakness", "sensory disturbance",
]  # fmt: skip
RHABDO = ["rhabdomyolysis", "myoglobinuria", "myopathy", "necrotising myositis", "myositis"]


@pytest.fixture(scope="module")
def con(request: pytest.FixtureRequest):
    path = SHARED_STORE if SHARED_STORE.exists() else request.getfixturevalue("real_store")
    c = duckdb.connect(str(path), read_only=True)
    yield c
    c.close()


def _json_ok(evs) -> None:
    ids = [e.id for e in evs]
    assert len(ids) == len(set(ids))
    for e in evs:
        json.dumps(e.to_dict(), allow_nan=False)  # JSON-safe: no NaN, no numpy
        assert e.finding.endswith(".") and e.finding.count("\n") == 0


def test_curated_map_is_consistent() -> None:
    for entry in CURATED:
        assert entry.triggers and entry.causes
        assert all(t == t.lower().strip() for t in entry.triggers)
        for c in entry.causes:
            assert all(p == p.lower() for p in (*c.exact, *c.patterns))
    names, causes = curated_causes(["Paraesthesia"])
    assert names == ["peripheral neuropathy"]
    assert {"diabetes", "vitamin B12 deficiency", "HIV infection", "alcohol"} <= {c.name for c in causes}
    assert curated_causes(["deafness"]) == ([], [])


def test_amlodipine_neuropathy_numbers_consistent(con) -> None:
    settings = SignalSettings(source="faers_ps")
    t0 = time.perf_counter()
    evs = confounding(con, "amlodipine", NEUROPATHY, settings, "peripheral neuropathy")
    elapsed = time.perf_counter() - t0
    _json_ok(evs)
    assert {e.id for e in evs} == {"confounding:faers_ps", "confounding:faers"}  # VAERS has no amlodipine
    ev = next(e for e in evs if e.id == "confounding:faers_ps")
    d = ev.data
    orig, adj = d["original"], d["adjusted"]
    # The unadjusted counts are exactly the project's 2x2 table.
    t = two_by_two(con, "amlodipine", NEUROPATHY, settings=settings)
    assert (orig["a"], orig["b"], orig["c"], orig["d"]) == (t.a, t.b, t.c, t.d)
    assert orig["e"] == pytest.approx(t.e)
    for tab in (orig, adj, d["adjusted_indication_only"], d["adjusted_codrug_only"]):
        assert all(isinstance(tab[k], int) and tab[k] >= 0 for k in ("a", "b", "c", "d", "n"))
        assert tab["a"] + tab["b"] + tab["c"] + tab["d"] == tab["n"]
    assert adj["a"] <= orig["a"] and adj["n"] <= orig["n"]
    assert adj["a"] == orig["a"] - d["event_cases_with_any"]
    assert orig["n"] - adj["n"] == d["population_excluded"]
    assert d["event_cases_with_any"] <= min(orig["a"], d["event_cases_with_confounding_indication"]
                                            + d["event_cases_with_codrug"])  # fmt: skip
    assert d["method"] == "curated" and "diabetes" in d["curated_causes"]
    # Amlodipine's combination partners (valsartan, atorvastatin...) are labelled for neuropathy PTs.
    assert any(r["ingredient"] == "valsartan" for r in d["codrugs"])
    assert ev.direction in ("supports", "neutral", "against") and ev.strength in ("strong", "moderate", "weak", "none")
    assert str(orig["a"]) in ev.finding and str(adj["a"]) in ev.finding
    assert elapsed < 5.0


def test_comedication_explains_simvastatin_rhabdo_in_samples(con) -> None:
    """In the FAERS samples both simvastatin + rhabdomyolysis cases carry another drug labelled for it."""
    evs = confounding(con, "simvastatin", RHABDO, SignalSettings(source="faers"), "rhabdomyolysis", sources=["faers"])
    (ev,) = evs
    d = ev.data
    assert d["original"]["a"] >= 2
    assert d["event_cases_with_codrug"] == d["original"]["a"]
    assert d["adjusted"]["a"] == 0
    assert ev.direction != "supports"
    assert any(r["event_cases"] >= 1 for r in d["codrugs"])


def test_atorvastatin_rhabdo_persists_in_faers_ps(con) -> None:
    (ev,) = confounding(con, "atorvastatin", RHABDO, SignalSettings(), "rhabdomyolysis", sources=["faers_ps"])
    assert ev.direction == "supports" and ev.data["signal_after"]
    assert 0 < ev.data["adjusted"]["a"] <= ev.data["original"]["a"]
    assert ev.data["adjusted"]["ic025"] > 0


def test_data_driven_path_and_absent_drug(con) -> None:
    (ev,) = confounding(con, "metformin", ["deafness"], SignalSettings(), "deafness", sources=["faers"])
    assert ev.data["method"] == "data" and ev.data["curated_conditions"] == []
    for r in ev.data["data_driven_indications"]:
        assert r["event_cases"] >= 5 and (r["lift"] is None or r["lift"] >= 2)
    (na,) = confounding(con, "no such drug", RHABDO, SignalSettings(), "rhabdomyolysis")
    assert na.direction == "not_available"
    assert confounding(con, "amlodipine", RHABDO, SignalSettings(), "x", sources=["vaers"])[0].direction == (
        "not_available"
    )


def test_indication_overlap(con) -> None:
    settings = SignalSettings(source="faers_ps")
    (ev,) = indication_overlap(con, "metformin", ["type 2 diabetes mellitus"], settings)
    assert ev.kind == "indication" and ev.direction == "against" and ev.strength in ("strong", "moderate")
    assert "DrugCentral" in {m["source"] for m in ev.data["matches"]}
    (ev,) = indication_overlap(con, "levetiracetam", ["seizure", "convulsion", "epilepsy"], settings)
    assert ev.direction == "against"
    (ev,) = indication_overlap(con, "amlodipine", NEUROPATHY, settings)
    assert ev.direction == "neutral" and ev.data["matches"] == []
    (ev,) = indication_overlap(con, "no such drug", ["seizure"], settings)
    assert ev.direction == "not_available"
    _json_ok([ev])


def test_class_effect_statins_rhabdo(con) -> None:
    t0 = time.perf_counter()
    (ev,) = class_effect(con, "atorvastatin", RHABDO, condition_label="rhabdomyolysis")
    elapsed = time.perf_counter() - t0
    _json_ok([ev])
    d = ev.data
    assert ev.kind == "class_effect" and ev.direction == "supports"
    assert d["class_type"] == "EPC" and "atorvastatin" not in [m["ingredient"] for m in d["members"]]
    names = {m["ingredient"] for m in d["members"] if m["on_label"]}
    assert {"simvastatin", "rosuvastatin", "pravastatin"} <= names
    assert d["members_labelled"] == len(names) and d["members_with_signal"] >= 1
    rosu = next(m for m in d["members"] if m["ingredient"] == "rosuvastatin")["reports"]["faers_ps"]
    t = two_by_two(con, "rosuvastatin", RHABDO, settings=SignalSettings(source="faers_ps"))
    assert (rosu["a"], rosu["drug_cases"]) == (t.a, t.a + t.b)
    assert elapsed < 5.0


def test_class_effect_fallbacks(con) -> None:
    # Metformin has no EPC class mates; ATC4 A10BA "Biguanides" must not pull in proguanil (P01BB, same name).
    assert "proguanil" not in same_class(con, "metformin", "ATC4")
    (ev,) = class_effect(con, "metformin", ["lactic acidosis"])
    assert ev.data["class_type"] == "ATC4" and "proguanil" not in [m["ingredient"] for m in ev.data["members"]]
    (ev,) = class_effect(con, "no such drug", RHABDO)
    assert ev.direction == "not_available"
    (ev,) = class_effect(con, "amlodipine", NEUROPATHY, {"faers_ps": SignalSettings(source="faers_ps")})
    assert set(ev.data["sources"]) <= {"faers_ps"}


def test_population_without_the_drug_is_not_available(con) -> None:
    # The PS extract has no demographics, so a sex filter leaves no amlodipine case there.
    settings = SignalSettings(sex="F", stratify=False)
    (ev,) = confounding(con, "amlodipine", ["paraesthesia"], settings, "paraesthesia", sources=["faers_ps"])
    assert ev.direction == "not_available" and "sex F" in ev.finding
