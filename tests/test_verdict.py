"""The grade rules on constructed evidence: each rule, and the rules that always hold."""

from __future__ import annotations

from adrlens.model import GRADES, ConfoundingData, Evidence, LabelData, LiteratureData, ReportData
from adrlens.verdict import BASE_SCORE, grade


def label(
    src: str = "SIDER 4.1", listed: bool = True, narrow: bool = True, freq: str | None = None, known: bool = True
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
            listed_narrow_pts=["x"] if listed and narrow else [],
            drug_known=known,
            freq_text=freq,
        ),
    )


def reports(
    src: str = "faers", direction: str = "supports", e: float = 10.0, ic025: float = 1.0, scope: str = "narrow"
) -> Evidence:
    return Evidence(
        f"reports:{src}:{scope}",
        "reports",
        src,
        "",
        direction,
        "moderate",  # type: ignore[arg-type]
        ReportData(source_name=src, scope=scope, e=e, ic025=ic025, a=20),
    )


def lit(direction: str = "supports") -> Evidence:
    return Evidence(
        "literature",
        "literature",
        "literature",
        "",
        direction,
        "moderate",
        LiteratureData(n_records=3, drug_known=True),
    )  # type: ignore[arg-type]


def conf(src: str = "faers", direction: str = "supports") -> Evidence:
    data = ConfoundingData(drug="drugx", condition="condition", source=src)
    return Evidence(f"confounding:{src}", "confounding", src, "", direction, "moderate", data)  # type: ignore[arg-type]


def g(*ev: Evidence) -> str:
    return grade(list(ev), "drugx", "Condition").grade


def test_label_with_frequency_is_established() -> None:
    assert g(label(freq="1.6%")) == "established"


def test_two_label_sources_or_label_plus_literature_is_established() -> None:
    assert g(label(), label("SPL (TAC 2017)")) == "established"
    assert g(label(), lit()) == "established"


def test_label_listing_outranks_report_signal() -> None:
    # One label source, no frequency: probable, whatever the reports say, even no signal at all.
    assert g(label(), reports(direction="neutral", ic025=-1)) == "probable"
    assert g(label(), reports()) == "probable"
    # A report signal alone never reaches the grade a label listing gives.
    assert GRADES.index(g(reports())) > GRADES.index(g(label()))


def test_robust_signal_with_literature_is_probable_but_confounded_signal_is_not() -> None:
    assert g(reports(), conf(direction="supports"), lit()) == "probable"
    v = grade([reports(), conf(direction="neutral"), lit()], "drugx", "Condition")
    assert v.grade == "possible"
    assert any("confounders" in r.text for r in v.reasons)


def test_signal_alone_or_broad_label_term_is_possible() -> None:
    assert g(reports()) == "possible"
    assert g(label(narrow=False)) == "possible"
    assert g(lit()) == "possible"


def test_no_signal_is_never_no() -> None:
    v = grade([label(listed=False), reports(direction="neutral", e=50, ic025=-0.5)], "drugx", "Condition")
    assert v.grade == "not supported"
    assert v.grade != "no" and any("not the same as no risk" in c for c in v.caveats)
    # Without enough expected cases (or no label data) it is only insufficient evidence.
    assert g(label(listed=False), reports(direction="neutral", e=0.5)) == "insufficient evidence"
    assert g(label(listed=False, known=False), reports(direction="neutral", e=50)) == "insufficient evidence"
    assert g() == "insufficient evidence"


def test_inverse_association_is_reported_as_such() -> None:
    inv = reports(direction="inverse", e=30, ic025=-2)
    v = grade([label(listed=False), inv], "drugx", "Condition")
    assert v.grade == "possible inverse association"
    assert "not a benefit" in v.reasons[0].text


def test_every_reason_names_evidence_and_scores_follow_grades() -> None:
    cases = [
        [label(freq="2%")],
        [label()],
        [reports()],
        [],
        [label(listed=False), reports(direction="neutral", e=9)],
        [label(listed=False), reports(direction="inverse", e=9, ic025=-3)],
    ]
    verdicts = [grade(c, "drugx", "Condition") for c in cases]
    assert [v.grade for v in verdicts] == list(GRADES)
    for v, c in zip(verdicts, cases, strict=True):
        ids = {e.id for e in c}
        assert v.reasons and all(set(r.evidence_ids) <= ids for r in v.reasons)
        assert abs(v.score - BASE_SCORE[v.grade]) <= 0.04 + 1e-9
        assert any("incidence" in x for x in v.caveats)
    scores = [v.score for v in verdicts]
    assert scores == sorted(scores, reverse=True)
