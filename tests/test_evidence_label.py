"""Label evidence by strength, on the knowledge tables built from the shared data (no report files needed)."""

from __future__ import annotations

import re

import pytest

from adrlens.evidence.label import label_evidence
from adrlens.model import LABEL_EVIDENCE_STRENGTH as EVIDENCE_STRENGTH
from adrlens.model import LABEL_STRENGTHS
from adrlens.sources.knowledge import labels, sider
from adrlens.vocab.resolve import resolve_condition


@pytest.fixture(scope="module")
def con(knowledge_built):
    """A store with the knowledge tables only (empty report tables)."""
    return knowledge_built[0]


def _ask(con, drug: str, condition: str):
    c = resolve_condition(condition)
    return {e.source: e for e in label_evidence(con, drug, list(c.narrow), list(c.broad), c.label)}


def test_strength_order_and_mapping() -> None:
    assert LABEL_STRENGTHS == ("warning", "above_placebo", "frequency", "weak", "related_only", "none")
    assert [EVIDENCE_STRENGTH[s] for s in LABEL_STRENGTHS] == ["strong", "strong", "moderate", "weak", "weak", "none"]


def test_sider_frequency_classes() -> None:
    assert sider.frequency_class("rare", 0.001) == "rare"
    assert sider.frequency_class("very rare", None) == "rare"
    assert sider.frequency_class("uncommon", 0.01) == "frequent"
    assert sider.frequency_class("infrequent", None) == "frequent"
    assert sider.frequency_class("postmarketing", 0.001) == "postmarketing"
    assert sider.frequency_class("10.8%", 0.108) == "rate"
    assert sider.frequency_class("0.05%", 0.0005) == "rare"  # under 1/1000 is CIOMS rare
    assert sider.frequency_class(None, None) is None


def test_rare_listing_is_weak(con) -> None:
    ev = _ask(con, "lisinopril", "alopecia")[sider.SOURCE]
    assert ev.direction == "supports" and ev.data.listed_narrow_pts
    assert ev.data.strength == "weak" and ev.strength == "weak"
    assert not ev.data.above_placebo and not ev.data.warning_section
    assert "rare" in ev.finding


def test_rate_above_placebo_is_strong(con) -> None:
    ev = _ask(con, "amlodipine", "peripheral oedema")[sider.SOURCE]
    assert ev.data.strength == "above_placebo" and ev.strength == "strong" and ev.data.above_placebo
    m = re.search(r"([\d.]+)% vs placebo ([\d.]+)%", ev.data.placebo_text or "")
    assert m and float(m.group(1)) > float(m.group(2))
    assert "above the placebo rate" in ev.finding


def test_listing_without_frequency_is_weak(con) -> None:
    ev = _ask(con, "amlodipine", "peripheral neuropathy")[sider.SOURCE]
    assert ev.data.listed_narrow_pts == ["neuropathy peripheral"]
    assert ev.data.strength == "weak" and ev.data.freq_text is None
    assert ev.data.pt_strength == {"neuropathy peripheral": "weak"}


def test_broad_only_is_related_only(con) -> None:
    (ev, *_) = label_evidence(con, "amlodipine", [], ["paraesthesia", "hypoaesthesia"], "Peripheral neuropathy")
    assert ev.direction == "supports" and ev.data.strength == "related_only" and ev.strength == "weak"
    assert ev.data.sources_listing_narrow == 0


def test_not_listed_is_neutral_none(con) -> None:
    ev = _ask(con, "amoxicillin", "cataract")[sider.SOURCE]
    assert ev.direction == "neutral" and ev.data.strength == "none" and ev.strength == "none"


def test_boxed_warning_is_warning(con) -> None:
    ing, pt = con.execute(
        "SELECT ingredient, pt FROM label_effect WHERE source = ? AND section = 'boxed warning' "
        "ORDER BY ingredient, pt LIMIT 1",
        [labels.SPL_SOURCE],
    ).fetchall()[0]
    ev = {e.source: e for e in label_evidence(con, ing, [pt], [pt], pt)}[labels.SPL_SOURCE]
    assert ev.data.strength == "warning" and ev.data.boxed_warning and ev.data.warning_section
    assert ev.strength == "strong" and ev.data.sources_listing_narrow >= 1


def test_uncertain_causality_listing_is_weak(con) -> None:
    ing, pt = con.execute(
        "SELECT ingredient, pt FROM label_effect l WHERE source = ? AND context = ? AND NOT EXISTS ("
        "SELECT 1 FROM label_effect o WHERE o.ingredient = l.ingredient AND o.pt = l.pt AND o.source = l.source "
        "AND coalesce(o.context, '') <> l.context) ORDER BY 1, 2 LIMIT 1",
        [labels.SPL_SOURCE, labels.CONTEXT_UNCERTAIN],
    ).fetchall()[0]
    ev = {e.source: e for e in label_evidence(con, ing, [pt], [pt], pt)}[labels.SPL_SOURCE]
    assert ev.data.strength == "weak" and ev.data.uncertain_causality
    assert "causal relationship is uncertain" in ev.finding


def test_safety_change_is_informational(con) -> None:
    ev = _ask(con, "carbamazepine", "Stevens-Johnson syndrome")[sider.SOURCE]
    sc = ev.data.safety_change
    assert sc is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", sc["date"])
    assert sc["source"] == labels.SRLC_SOURCE and sc["link"].startswith("https://")
    assert f"changed on {sc['date']}" in ev.finding and "topic is not recorded" in ev.finding
    # The change never lifts a listing: a rare or unfrequented listing stays as strong as its frequency says.
    assert ev.data.strength in ("weak", "frequency", "above_placebo")


# -- where a mention sits in an SPL adverse-reactions text (constructed texts) ----------------------------
_UNCERTAIN_TEXT = """6 ADVERSE REACTIONS

The following events occurred in <1% but >0.1% of patients in controlled clinical trials or under conditions
of open trials or marketing experience where a causal relationship is uncertain:

Cardiovascular: arrhythmia, bradycardia, chest pain.

Peripheral Nervous System: neuropathy peripheral, tremor.

In clinical trials, dizziness was reported in 3.4% of patients (placebo 1.5%).
"""

_POST_TEXT = """6 ADVERSE REACTIONS

Headache   83 (1.4)   115 (1.9)

6.2 Postmarketing Experience

The following adverse reactions have been identified during post-approval use: pancreatitis.
"""


def test_mention_context_patterns() -> None:
    t = _UNCERTAIN_TEXT
    assert labels.mention_context(t, t.index("neuropathy peripheral")) == labels.CONTEXT_UNCERTAIN
    assert labels.mention_context(t, t.index("bradycardia")) == labels.CONTEXT_UNCERTAIN
    assert labels.mention_context(t, t.index("dizziness")) == labels.CONTEXT_RATE
    p = _POST_TEXT
    assert labels.mention_context(p, p.index("Headache")) == labels.CONTEXT_RATE
    assert labels.mention_context(p, p.index("pancreatitis")) == labels.CONTEXT_POSTMARKETING
    assert labels.mention_context("Rash was reported.", 0) is None
