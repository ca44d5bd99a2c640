"""Class effect on a complete real store: the store built from the shared data (real_store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adrlens.evidence.classeffect import class_effect, report_counts
from adrlens.model import ClassEffectData
from adrlens.signals import rules
from adrlens.signals.tables import SignalSettings, two_by_two
from adrlens.sources.reports import faers, faers_ps
from adrlens.store import db as store_db
from adrlens.store.queries import same_class_drugs

FAERS, PS = faers.SOURCE, faers_ps.SOURCE
RHABDO = ["rhabdomyolysis", "myoglobinuria", "myopathy", "necrotising myositis", "myositis"]
NEUROPATHY_NARROW = [
    "neuropathy peripheral", "peripheral sensory neuropathy", "peripheral motor neuropathy",
    "peripheral sensorimotor neuropathy", "polyneuropathy", "toxic neuropathy", "axonal neuropathy",
    "demyelinating polyneuropathy",
]  # fmt: skip


@pytest.fixture(scope="module")
def con(real_store: Path):
    with store_db.connect(real_store) as c:
        yield c


def test_class_effect_statins_rhabdo(con) -> None:
    (ev,) = class_effect(con, "atorvastatin", RHABDO, condition_label="rhabdomyolysis")
    json.dumps(ev.to_dict(), allow_nan=False)
    assert ev.finding.endswith(".")
    d = ev.data
    assert isinstance(d, ClassEffectData)
    assert ev.kind == "class_effect" and ev.direction == "supports"
    assert d.class_type == "EPC" and "atorvastatin" not in [m["ingredient"] for m in d.members]
    names = {m["ingredient"] for m in d.members if m["on_label"]}
    assert {"simvastatin", "rosuvastatin", "pravastatin"} <= names
    assert d.members_labelled == len(names) and d.members_with_signal >= 1
    assert d.signal_rule == rules.methods_text()
    rosu = next(m for m in d.members if m["ingredient"] == "rosuvastatin")["reports"][PS]
    t = two_by_two(con, "rosuvastatin", RHABDO, settings=SignalSettings(source=PS, stratify=False))
    assert (rosu["a"], rosu["drug_cases"]) == (t.a, t.a + t.b)
    assert rosu["e"] == pytest.approx(t.e)
    assert d.drug_itself["reports_in_store"] > 0


def test_member_measures_follow_the_rule(con) -> None:
    """Each member's table equals two_by_two; the signal is rules.call; a = 0 rows have no EB05."""
    st = SignalSettings(source=PS, stratify=False)
    drugs = ["atorvastatin", *same_class_drugs(con, "atorvastatin", "EPC")]
    recs = report_counts(con, drugs, RHABDO, st)
    assert recs
    for ing, r in recs.items():
        t = two_by_two(con, ing, RHABDO, settings=st)
        assert (r["a"], r["drug_cases"]) == (t.a, t.a + t.b)
        call = rules.call(r["a"], ror_lo=r["ror_lo"], ror_hi=r["ror_hi"], ic025=r["ic025"], eb05=r["eb05"], e=r["e"])
        assert r["signal"] == call.signal and r["signal_criteria"] == list(call.criteria_met)
        if r["a"] == 0:
            assert r["eb05"] is None
    assert any(r["a"] > 0 and r["eb05"] is not None for r in recs.values())  # the PS prior is stored
    # A source that can hold none of the PTs gives no table at all (not measurable, not zero).
    assert report_counts(con, drugs, ["lactic acidosis"], st) == {}


def test_class_effect_fallbacks(con) -> None:
    # Metformin has no EPC class mates; ATC4 A10BA "Biguanides" must not pull in proguanil (P01BB, same name).
    assert "proguanil" not in same_class_drugs(con, "metformin", "ATC4")
    (ev,) = class_effect(con, "metformin", ["lactic acidosis"])
    assert ev.data.class_type == "ATC4" and "proguanil" not in [m["ingredient"] for m in ev.data.members]
    (ev,) = class_effect(con, "no such drug", RHABDO)
    assert ev.direction == "not_available" and isinstance(ev.data, ClassEffectData)
    (ev,) = class_effect(con, "amlodipine", NEUROPATHY_NARROW, {PS: SignalSettings(source=PS)})
    assert set(ev.data.sources) <= {PS}
    (ev,) = class_effect(con, "amlodipine", NEUROPATHY_NARROW)
    assert ev.data.class_type == "EPC" and ev.data.members_checked >= 3
