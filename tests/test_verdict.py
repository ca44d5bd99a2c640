"""The grade rules (version 2) on constructed evidence: one test per rule, and the properties that always hold
(monotone in the evidence, no drug or condition literals, scores ordered by grade)."""

from __future__ import annotations

import json
import random
import re
from importlib import resources
from pathlib import Path

import pytest

from adrlens.model import (
    GRADES,
    ConfoundingData,
    Evidence,
    IndicationData,
    LabelData,
    LiteratureData,
    ReportData,
    StimulatedData,
)
from adrlens.verdict import BASE_SCORE, grade


def label(
    strength: str = "weak",
    src: str = "SIDER 4.1",
    listed: bool = True,
    narrow: bool = True,
    known: bool = True,
    uncertain: bool = False,
) -> Evidence:
    direction = "supports" if listed else ("neutral" if known else "not_available")
    return Evidence(
        f"label:{src}",
        "label",
        src,
        "",
        direction,
        "moderate",
        LabelData(
            listed=listed,
            listed_pts=["x"] if listed else [],
            listed_narrow_pts=["x"] if listed and narrow else [],
            drug_known=known,
            strength=(strength if narrow else "related_only") if listed else "none",
            uncertain_causality=uncertain,
        ),
    )


def reports(
    src: str = "faers",
    direction: str = "supports",
    e: float = 10.0,
    ic025: float = 1.0,
    scope: str = "narrow",
    a: int = 20,
    no_excess: bool = False,
    eb05: float | None = None,
) -> Evidence:
    return Evidence(
        f"reports:{src}:{scope}",
        "reports",
        src,
        "",
        direction,  # type: ignore[arg-type]
        "moderate",
        ReportData(
            source_name=src,
            scope=scope,
            e=e,
            ic025=ic025,
            a=a,
            pts=["x"],
            no_excess=no_excess,
            eb05=eb05,
            signal=direction == "supports",
        ),
    )


def lit(stance: str = "supporting", articles: int = 1, controlled: int = 0) -> Evidence:
    direction = {"supporting": "supports", "contradicting": "against", "protective": "neutral"}[stance]
    eid = "literature" if stance == "supporting" else f"literature:{stance}"
    return Evidence(
        eid,
        "literature",
        "literature",
        "",
        direction,  # type: ignore[arg-type]
        "moderate",
        LiteratureData(
            n_records=articles,
            n_articles=articles,
            drug_known=True,
            stance=stance,
            controlled_articles=controlled,
            narrow_articles=articles,
            narrow_controlled_articles=controlled,
        ),
    )


def conf(src: str = "faers", direction: str = "supports", risk_factors: list | None = None) -> Evidence:
    data = ConfoundingData(drug="drugx", condition="condition", source=src, scope="narrow")
    data.risk_factors = risk_factors or []
    data.survives = direction == "supports"
    return Evidence(f"confounding:{src}", "confounding", src, "", direction, "moderate", data)  # type: ignore[arg-type]


def indication(is_ind: bool = True) -> Evidence:
    data = IndicationData(drug="drugx", pts=["x"])
    data.is_indication = is_ind
    return Evidence(
        "indication:overlap", "indication", "DrugCentral", "", "against" if is_ind else "neutral", "strong", data
    )


def surge() -> Evidence:
    data = StimulatedData(source_name="vaers", pts=["x"], surge={"year": 1999, "fold": 8.0})
    return Evidence("stimulated:vaers", "stimulated_reporting", "VAERS", "", "supports", "moderate", data)


def g(*ev: Evidence) -> str:
    return grade(list(ev), "drugx", "Condition").grade


# -- one test per rule ------------------------------------------------------------------------------------
def test_a_strong_label_statement_is_established_a_weak_one_possible() -> None:
    assert g(label("warning")) == "established"
    assert g(label("above_placebo")) == "established"
    assert g(label("frequency")) == "possible"  # one kind of evidence
    assert g(label("weak")) == "possible"
    # Agreement across label sources counts.
    assert g(label("weak"), label("weak", src="SPL (TAC 2017)")) == "possible"
    assert g(label("frequency"), label("frequency", src="EU SmPC")) == "established"


def test_a_broad_only_listing_or_signal_stays_below_possible() -> None:
    for ev in ([label(narrow=False)], [reports(scope="broad")], [label(narrow=False), reports(scope="broad")]):
        v = grade(ev, "drugx", "Condition")
        assert GRADES.index(v.grade) > GRADES.index("possible"), ev
        assert "related_symptoms_only" in v.flags
        assert any("related symptoms" in r.text for r in v.reasons)


def test_the_indication_gives_the_indication_outcome() -> None:
    v = grade([indication(), label(listed=False), reports()], "drugx", "Condition")
    assert v.grade == "not supported" and "indication" in v.flags
    assert any("used to treat" in r.text for r in v.reasons)
    # A noisy-source overlap (not an indication by high-precision sources) changes nothing.
    assert g(indication(False), reports()) == "possible"


def test_a_risk_factor_does_not_remove_a_signal() -> None:
    rf = [{"name": "renal failure", "drug_cases": 3, "share_drug_cases": 0.6, "share_all_cases": 0.05}]
    v = grade([reports(), conf(direction="supports", risk_factors=rf), lit(articles=3)], "drugx", "Condition")
    assert v.grade == "probable" and "risk_factors" in v.flags
    # A confounder that explains the signal away does remove it.
    assert g(reports(), conf(direction="against"), lit(articles=3)) == "possible"


def test_a_publicity_spike_with_contradicting_controlled_studies_is_not_supported() -> None:
    ev = [
        label(listed=False),
        reports(e=300, eb05=2.5),
        reports("vaers", e=300),
        surge(),
        lit("contradicting", articles=12, controlled=6),
        lit("supporting", articles=2),
    ]
    v = grade(ev, "drugx", "Condition")
    assert v.grade == "not supported"
    assert {"contradicting_studies", "stimulated_reporting"} <= set(v.flags)
    # The spike alone is a flag, not a verdict: the signal still counts.
    assert g(reports(), surge()) == "possible"


def test_literature_levels_and_protective_findings() -> None:
    assert g(lit(articles=1)) == "possible"
    assert g(lit(articles=4, controlled=2)) == "established"
    assert g(label("weak"), lit(articles=3)) == "established"
    # A label listing among events of uncertain causality needs more than literature to be established.
    assert g(label("weak", uncertain=True), lit(articles=3)) == "probable"
    v = grade([lit("protective", articles=1)], "drugx", "Condition")
    assert v.grade == "insufficient evidence" and "protective_findings" in v.flags
    assert any("may help" in r.text and "not established" in r.text for r in v.reasons)


def test_reports_alone_are_possible_and_no_excess_argues_against() -> None:
    assert g(reports()) == "possible"
    assert g(reports(), reports("vaers")) == "possible"  # several sources, still one kind of evidence
    assert g(reports(), label("weak")) == "possible"  # two weak lines
    assert g(reports(eb05=3.0), label("weak")) == "probable"  # a strong signal and a listing
    v = grade([label(listed=False), reports(direction="neutral", a=0, e=9, no_excess=True)], "drugx", "Condition")
    assert v.grade == "not supported" and any("no excess" in c or "none did" in c for c in [r.text for r in v.reasons])
    assert any("not the same as no risk" in c for c in v.caveats)
    # Too few expected reports: insufficient evidence, never "no".
    assert g(label(listed=False), reports(direction="neutral", a=0, e=0.4)) == "insufficient evidence"
    assert g(label(listed=False, known=False), reports(direction="neutral", e=50, no_excess=True)) == (
        "insufficient evidence"
    )
    assert g() == "insufficient evidence"


def test_a_source_that_cannot_measure_is_no_evidence_either_way() -> None:
    not_measurable = Evidence(
        "reports:faers_ps:narrow",
        "reports",
        "FAERS 2022Q3",
        "",
        "not_available",
        "none",
        ReportData(source_name="faers_ps", scope="narrow", measurable=False, pts_not_measurable=["x"]),
    )
    assert g(label(listed=False), not_measurable) == "insufficient evidence"
    assert g(label("weak"), not_measurable) == g(label("weak"))


def test_inverse_association_is_reported_as_such() -> None:
    inv = reports(direction="inverse", e=30, ic025=-2)
    v = grade([label(listed=False), inv], "drugx", "Condition")
    assert v.grade == "possible inverse association"
    assert "not a benefit" in v.reasons[0].text


# -- properties --------------------------------------------------------------------------------------------
SUPPORT = [
    lambda: label("weak"),
    lambda: label("frequency", src="EU SmPC"),
    lambda: label("warning", src="SPL (TAC 2017)"),
    lambda: lit(articles=2),
    lambda: lit(articles=5, controlled=3),
    lambda: reports(),
    lambda: reports("vaers", eb05=3.0),
    lambda: label(narrow=False, src="SIDER broad"),
]
AGAINST = [
    lambda: lit("contradicting", articles=6, controlled=4),
    lambda: reports("faers_ps", direction="neutral", a=0, e=12, no_excess=True),
]


def _rank(grade_name: str) -> int:
    """Higher is a stronger link; the inverse association sits with 'not supported'."""
    order = [
        "possible inverse association",
        "not supported",
        "insufficient evidence",
        "possible",
        "probable",
        "established",
    ]
    return max(order.index(grade_name), 1) if grade_name != "insufficient evidence" else 2


def test_the_rules_are_monotone_in_the_evidence() -> None:
    rnd = random.Random(7)
    for _ in range(400):
        base = [f() for f in rnd.sample(SUPPORT, rnd.randint(0, 3))]
        base += [f() for f in rnd.sample(AGAINST, rnd.randint(0, 1))]
        base = list({e.id: e for e in base}.values())
        before = _rank(grade(base, "drugx", "Condition").grade)
        extra = rnd.choice(SUPPORT)()
        if extra.id not in {e.id for e in base}:
            assert _rank(grade([*base, extra], "drugx", "Condition").grade) >= before, (base, extra)
        more = rnd.choice(AGAINST)()
        if more.id not in {e.id for e in base}:
            assert _rank(grade([*base, more], "drugx", "Condition").grade) <= before, (base, more)


def test_every_reason_names_evidence_and_scores_follow_grades() -> None:
    cases = [
        [label("warning")],
        [label("frequency"), reports(eb05=3.0)],
        [reports()],
        [],
        [label(listed=False), reports(direction="neutral", a=0, e=9, no_excess=True)],
        [label(listed=False), reports(direction="inverse", e=9, ic025=-3)],
    ]
    verdicts = [grade(c, "drugx", "Condition") for c in cases]
    assert [v.grade for v in verdicts] == list(GRADES)
    for v, c in zip(verdicts, cases, strict=True):
        ids = {e.id for e in c}
        assert v.reasons and all(set(r.evidence_ids) <= ids for r in v.reasons)
        assert abs(v.score - BASE_SCORE[v.grade]) < 0.06
        assert any("incidence" in x for x in v.caveats)
    scores = [v.score for v in verdicts]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("module", ["verdict.py", "action.py", "evidence/stimulated.py"])
def test_no_drug_or_condition_literals_in_the_rules(module: str) -> None:
    src = (Path(str(resources.files("adrlens"))) / module).read_text("utf-8")
    code = re.sub(r'"""[\s\S]*?"""', "", src)  # docstrings may cite the literature
    code = re.sub(r"#.*", "", code).lower()
    concepts = json.loads(resources.files("adrlens").joinpath("vocab/concepts.json").read_text("utf-8"))["concepts"]
    words = set()
    for c in concepts:
        words |= {c["name"].lower(), *(p.lower() for p in c["narrow"])}
    from adrlens.vocab.drugs import DrugVocabulary

    words |= {n for n in DrugVocabulary.load().ingredients() if len(n) > 4} - {"placebo"}  # a comparator, not a drug
    tokens = re.findall(r"[a-z0-9'\-]+", code)
    grams = {" ".join(tokens[i : i + n]) for n in range(1, 5) for i in range(len(tokens) - n + 1)}
    found = sorted(w for w in words if len(w) > 4 and w in grams)
    assert not found, f"{module} names drugs or conditions in its rules: {found[:10]}"
