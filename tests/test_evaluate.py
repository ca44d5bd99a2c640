"""Evaluation against reference sets: AUC and its bootstrap CI, reading EU-ADR, grade cut-offs, and an
end-to-end run on real EU-ADR pairs answered from the real store."""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from adrlens.errors import AdrlensError, DataNotFoundError
from adrlens.evaluate import (
    EvaluationReport,
    auc,
    bootstrap_auc,
    evaluate,
    grade_sens_spec,
    read_refset,
    source_scores,
)
from adrlens.model import (
    Answer,
    ConditionInfo,
    CountTableData,
    DrugInfo,
    Evidence,
    LabelData,
    LiteratureData,
    ReportData,
    Verdict,
)
from adrlens.refset import read_refset_file
from adrlens.signals.pair import pair_signal
from adrlens.signals.tables import SignalSettings
from adrlens.sources import registry
from adrlens.sources.reports import faers_ps
from adrlens.store.queries import label_listing
from adrlens.vocab.resolve import resolve_condition, resolve_drug


@pytest.fixture(scope="module")
def euadr(data_dir: Path) -> Path:
    return data_dir / "refsets" / "euadr" / "euadr.csv"


@pytest.fixture(scope="module")
def store(real_store: Path) -> Path:
    return real_store


# -- AUC ------------------------------------------------------------------------------------------------
def test_auc_known_values() -> None:
    assert auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    assert auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]) == 0.5
    # Hand count: positives {3, 5, 2}, negatives {1, 3, 4}. Pairs (p > n, ties 1/2):
    # 3: >1, =3, <4 -> 1.5; 5: 3; 2: >1 -> 1. Total 5.5 of 9.
    assert auc([3, 5, 2, 1, 3, 4], [1, 1, 1, 0, 0, 0]) == pytest.approx(5.5 / 9)
    assert math.isnan(auc([1, 2], [1, 1]))


def test_auc_equals_mann_whitney_u() -> None:
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 2, 200)
    scores = np.round(rng.normal(truth * 0.8, 1.0), 1)  # rounding makes ties
    pos, neg = scores[truth == 1], scores[truth == 0]
    u = mannwhitneyu(pos, neg).statistic
    assert auc(scores, truth) == pytest.approx(u / (len(pos) * len(neg)), abs=1e-12)


def test_auc_rejects_bad_input() -> None:
    with pytest.raises(AdrlensError, match="NaN"):
        auc([0.1, float("nan")], [0, 1])
    with pytest.raises(AdrlensError, match="0 or 1"):
        auc([0.1, 0.2], [0, 2])


def test_bootstrap_ci_contains_point_and_is_seeded() -> None:
    rng = np.random.default_rng(1)
    truth = np.array([1] * 40 + [0] * 50)
    scores = rng.normal(truth * 1.0, 1.0)
    point = auc(scores, truth)
    lo, hi = bootstrap_auc(scores, truth, n_boot=2000, seed=3)
    assert 0 <= lo < point < hi <= 1
    assert 0.1 < hi - lo < 0.35  # a 90-pair set gives a wide but not absurd interval
    assert bootstrap_auc(scores, truth, n_boot=2000, seed=3) == (lo, hi)
    assert bootstrap_auc(scores, truth, n_boot=2000, seed=4) != (lo, hi)
    # Perfect separation stays perfect in every stratified resample.
    assert bootstrap_auc([0, 1, 2, 3], [0, 0, 1, 1], n_boot=200) == (1.0, 1.0)


# -- reference sets -------------------------------------------------------------------------------------
def test_read_refset_both_euadr_files(euadr: Path) -> None:
    plain = read_refset(euadr)
    omop = read_refset(euadr.with_name("euadr_reference_set.csv"))
    for pairs in (plain, omop):
        assert len(pairs) == 93
        assert sum(t for _, _, t in pairs) == 43
    # The OMOP outcome names ('OMOP Acute Renal Failure 1', 'HOI Upper GI #3') reduce to the same questions.
    assert {(d.lower(), c.lower(), t) for d, c, t in plain} == {(d.lower(), c.lower(), t) for d, c, t in omop}
    assert ("acetaminophen", "acute kidney injury", 1) in plain


def test_read_refset_errors(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError):
        read_refset(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,outcome_x,label\na,b,1\n")
    with pytest.raises(AdrlensError, match="columns"):
        read_refset(bad)
    bad.write_text("drug,condition,truth\naspirin,bleeding,maybe\n")
    with pytest.raises(AdrlensError, match="line 2"):
        read_refset(bad)


def test_duplicate_rows_are_collapsed_counted_and_conflicts_refused(tmp_path: Path) -> None:
    """Issue 12, item 8c: 1,000 duplicate rows once meant 1,000 answers of the same question."""
    ref = tmp_path / "dups.csv"
    ref.write_text(
        "drug,condition,truth\n"
        + "acetaminophen,anaphylaxis,1\n" * 1000
        + "Acetaminophen ,  Anaphylaxis,1\n"  # the same pair: case and spacing aside
        + "allopurinol,Stevens-Johnson syndrome,1\n" * 3
        + "aspirin,anaphylaxis,0\n"
    )
    r = read_refset_file(ref)
    assert r.pairs == [
        ("acetaminophen", "anaphylaxis", 1),
        ("allopurinol", "Stevens-Johnson syndrome", 1),
        ("aspirin", "anaphylaxis", 0),
    ]
    assert (r.n_rows, r.n_duplicate_rows) == (1005, 1002)
    assert r.duplicates[0] == {"drug": "acetaminophen", "condition": "anaphylaxis", "rows": 1001}
    (notice,) = r.notices()
    assert "1,002 duplicate row(s) collapsed" in notice and "3 distinct pair(s) from 1,005 rows" in notice
    assert read_refset(ref) == r.pairs
    ref.write_text("drug,condition,truth\naspirin,anaphylaxis,0\nx,y,1\nASPIRIN,anaphylaxis,1\n")
    with pytest.raises(AdrlensError, match=r"line 4: ASPIRIN / anaphylaxis has truth 1 here but 0 on line 2"):
        read_refset(ref)


def test_evaluate_answers_each_distinct_pair_once(euadr: Path, tmp_path: Path) -> None:
    pairs = read_refset(euadr)
    subset = [p for p in pairs if p[2] == 1][:5] + [p for p in pairs if p[2] == 0][:5]
    ref = tmp_path / "dup_subset.csv"
    ref.write_text("drug,condition,truth\n" + "".join(f"{d},{c},{t}\n" for d, c, t in subset) * 100)
    asked: list[tuple[str, str]] = []

    def answer(drug: str, condition: str) -> Answer:
        asked.append((drug, condition))
        grade, score = ("probable", 2.0) if (drug, condition, 1) in subset else ("not supported", -1.0)
        return Answer(
            question=f"Can {drug} cause {condition}?",
            drug=DrugInfo(drug, drug, "drug", drug, "exact"),
            condition=ConditionInfo(condition, condition, None, "narrow", [], [], []),
            evidence=[],
            verdict=Verdict(grade, score, "by truth"),
        )

    report = evaluate(ref, answer_fn=answer, n_boot=200)
    assert sorted(asked) == sorted((d, c) for d, c, _ in subset)  # 1,000 rows, 10 questions
    assert (report.n_rows, report.n_pairs) == (1000, 10)
    assert report.notices and "990 duplicate row(s)" in report.notices[0]
    assert report.to_dict()["duplicates"][0]["rows"] == 100
    assert "Note: 990 duplicate row(s) collapsed" in report.to_markdown()
    assert report.source("combined").auc == 1.0


def test_an_auc_with_too_few_of_a_class_is_not_estimable_never_zero(tmp_path: Path) -> None:
    """Issue 12, item 8d: 50 duplicates once gave 'AUC 0.00 (0.00-0.00)'."""
    ref = tmp_path / "few.csv"
    ref.write_text("drug,condition,truth\n" + "a,b,1\n" * 50 + "c,d,0\ne,f,0\n")

    def answer(drug: str, condition: str) -> Answer:
        return Answer(
            question="q",
            drug=DrugInfo(drug, drug, "drug", drug, "exact"),
            condition=ConditionInfo(condition, condition, None, "narrow", [], [], []),
            evidence=[],
            verdict=Verdict("possible", {"a": 0.0, "c": 1.0, "e": 2.0}[drug], "fixed"),
        )

    report = evaluate(ref, answer_fn=answer, n_boot=200)
    comb = report.source("combined")
    assert (comb.n_pos, comb.n_neg) == (1, 2)
    assert comb.auc is None and comb.auc_lo is None and comb.auc_hi is None
    assert comb.auc_note is not None and "not estimable" in comb.auc_note and "1 positive" in comb.auc_note
    md = report.to_markdown()
    assert "0.00 (0.00-0.00)" not in md and "not estimable: 1 positive(s) and 2 negative(s)" in md
    assert report.to_dict()["sources"][0]["auc_note"] == comb.auc_note


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_refset_in_utf8_or_utf16_is_read(tmp_path: Path, encoding: str) -> None:
    text = "drug,condition,truth\r\nacetaminophen,anaphylaxis,1\r\nSjögren drug,Stevens–Johnson syndrome,0\r\n"
    ref = tmp_path / "r.csv"
    if encoding.endswith("-bom"):
        codec = encoding[: -len("-bom")]
        bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
        ref.write_bytes(bom + text.encode(codec))
    else:
        ref.write_bytes(text.encode(encoding))
    assert read_refset(ref) == [
        ("acetaminophen", "anaphylaxis", 1),
        ("Sjögren drug", "Stevens–Johnson syndrome", 0),
    ]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00binary zip", "binary"),
        ("drug,condition,truth\na,b,1\n".encode("utf-16-le"), "NUL bytes"),  # UTF-16 without its mark
        ("drug,condition,truth\nSjögren,b,1\n".encode("latin-1"), "not UTF-8"),
        (b"\xff\xfe\x00\xd8", "not UTF-16"),  # a BOM, then a lone surrogate
        (bytes(range(256)) * 4, "binary"),
    ],
)
def test_binary_or_undecodable_refset_is_one_clear_error(tmp_path: Path, content: bytes, why: str) -> None:
    ref = tmp_path / "r.csv"
    ref.write_bytes(content)
    with pytest.raises(AdrlensError) as e:
        read_refset(ref)
    msg = str(e.value)
    assert str(ref) in msg and why in msg and "UTF-8" in msg and "UTF-16" in msg and "\n" not in msg


# -- grade cut-offs -------------------------------------------------------------------------------------
def test_grade_sens_spec() -> None:
    grades = [
        "established",  # pos
        "probable",  # pos
        "possible",  # pos
        "insufficient evidence",  # pos
        "probable",  # neg
        "not supported",  # neg
        "possible inverse association",  # neg: an inverse association is no call of harm
        "possible",  # neg
    ]
    truth = [1, 1, 1, 1, 0, 0, 0, 0]
    r = grade_sens_spec(grades, truth)
    assert r[">= established"]["sensitivity"] == 0.25 and r[">= established"]["specificity"] == 1.0
    assert r[">= probable"]["sensitivity"] == 0.5 and r[">= probable"]["specificity"] == 0.75
    assert r[">= possible"]["sensitivity"] == 0.75 and r[">= possible"]["specificity"] == 0.5
    assert all(x["n"] == 8 for x in r.values())
    with pytest.raises(AdrlensError, match="unknown grade"):
        grade_sens_spec(["likely"], [1])


# -- scores from evidence -------------------------------------------------------------------------------
def _answer(evidence: list[Evidence], score: float = 0.5, grade: str = "possible") -> Answer:
    return Answer(
        question="q",
        drug=DrugInfo("d", "d", "drug", "d", "exact"),
        condition=ConditionInfo("c", "c", None, "narrow", ["c"], ["c"], ["c"]),
        evidence=evidence,
        verdict=Verdict(grade, score, "h"),
    )


def test_source_scores_reads_each_kind() -> None:
    ev = [
        Evidence("l1", "label", "SIDER 4.1", "not listed", "neutral", "none", LabelData(drug_known=True)),
        Evidence("l2", "label", "SPL", "listed", "supports", "strong", LabelData(True, ["x"], ["x"], drug_known=True)),
        Evidence(
            "lit", "literature", "ADE corpus", "2 articles", "supports", "moderate", LiteratureData(2, drug_known=True)
        ),
        Evidence("r1", "reports", "FAERS", "x", "supports", "strong", ReportData("faers_ps", "narrow", ic025=1.5)),
        Evidence("r2", "reports", "VAERS", "x", "neutral", "none", ReportData("vaers", "narrow", eb05=0.5)),
        Evidence("r3", "reports", "X", "x", "neutral", "none", ReportData("x", "narrow")),
        Evidence("rb", "reports", "FAERS", "x", "supports", "weak", ReportData("faers_ps", "broad", ic025=2)),
        Evidence("na", "reports", "AERS", "x", "not_available", "none", ReportData("faers", drug_cases=0)),
        Evidence(
            "t",
            "count_table",
            "DAEN",
            "x",
            "supports",
            "weak",
            CountTableData(rows=[{"status": "counted", "ror_lo": math.e}, {"status": "zero", "ror_lo": None}]),
        ),
        Evidence(
            "t2",
            "count_table",
            "Other",
            "x",
            "neutral",
            "none",
            CountTableData(rows=[{"status": "counted", "ror_lo": 50}]),
        ),
    ]
    s = source_scores(_answer(ev, score=0.7))
    assert s["label"] == 1.0 and s["label:narrow"] == 1.0 and s["literature"] == 2.0
    assert s["reports:faers_ps"] == 1.5 and s["reports:vaers"] == pytest.approx(-1.0)
    assert s["reports:x"] is None and s["reports:faers"] is None
    assert s["reports:faers_ps:broad"] == 2  # the broad term set is scored apart from the narrow one
    assert s["count_table"] == pytest.approx(1.0) and s["combined"] == 0.7
    # A drug no label source knows is not covered; no evidence at all -> no score.
    unknown = [Evidence("l", "label", "SIDER", "unknown drug", "not_available", "none", LabelData(drug_known=False))]
    s = source_scores(_answer(unknown))
    assert s["label"] is None and s["literature"] is None and s["count_table"] is None
    broad_only = [Evidence("l", "label", "SPL", "x", "supports", "weak", LabelData(True, ["a"], [], drug_known=True))]
    s = source_scores(_answer(broad_only))
    assert s["label"] == 1.0 and s["label:narrow"] == 0.0


# -- end to end on real pairs ---------------------------------------------------------------------------
def store_answer_scaffold(store: Path) -> Callable[[str, str], Answer]:
    """TEST SCAFFOLDING, not the engine: a minimal answer function over the real store so that evaluate()
    runs end to end before adrlens.engine exists. Label evidence from label_listing, report evidence from
    pair_signal in FAERS (PS) or VAERS; the verdict score is 0.5 * listed + 0.5 * logistic(IC025)."""
    con = duckdb.connect(str(store), read_only=True)

    def answer(drug: str, condition: str) -> Answer:
        d = resolve_drug(drug)
        c = resolve_condition(condition)
        known = con.execute("SELECT count(*) FROM label_effect WHERE ingredient = ?", [d.name]).fetchall()[0][0] > 0
        rows = label_listing(con, d.name, list(c.pts))
        ev = [
            Evidence(
                f"label:{c.label}",
                "label",
                "labels",
                f"{len(rows)} label rows",
                "supports" if rows else "neutral",
                "strong" if rows else "none",
                LabelData(listed=bool(rows), drug_known=known),
            )
        ]
        source = "vaers" if d.kind == "vaccine" else "faers_ps"
        sig = pair_signal(con, d.name, c.pts, settings=SignalSettings(source=source), extras=False)
        m = sig.measures.to_dict()
        data = ReportData(
            source_name=source,
            scope="narrow",
            a=sig.table.a,
            e=sig.table.e,
            ic025=m["ic025"],
            ror_lo=m["ror_lo"],
            eb05=sig.ebgm["eb05"],
        )
        ic025 = m["ic025"] if m["ic025"] is not None else 0.0
        ev.append(
            Evidence(f"reports:{source}", "reports", source, "x", "supports" if ic025 > 0 else "neutral", "weak", data)
        )
        score = 0.5 * bool(rows) + 0.5 / (1 + math.exp(-ic025))
        grade = "probable" if rows and ic025 > 0 else "possible" if rows or ic025 > 0 else "not supported"
        return Answer(
            question=f"Can {drug} cause {condition}?",
            drug=DrugInfo(drug, d.name, d.kind, d.matched, d.method),
            condition=ConditionInfo(
                condition, c.label, c.concept_id, "narrow", list(c.pts), list(c.narrow), list(c.broad)
            ),
            evidence=ev,
            verdict=Verdict(grade, score, "scaffold"),
        )

    return answer


def test_evaluate_end_to_end_on_euadr_pairs(euadr: Path, store: Path, tmp_path: Path) -> None:
    pairs = read_refset(euadr)
    # Ten real pairs with both classes, plus one drug nobody can resolve (counted, not a crash).
    subset = [p for p in pairs if p[2] == 1][:5] + [p for p in pairs if p[2] == 0][:5]
    ref = tmp_path / "subset.csv"
    ref.write_text(
        "drug,condition,truth\n" + "".join(f"{d},{c},{t}\n" for d, c, t in subset) + "qqzzxx-not-a-drug,anaphylaxis,0\n"
    )
    calls: list[tuple[str, int, int]] = []
    report = evaluate(
        ref, answer_fn=store_answer_scaffold(store), n_boot=500, progress=lambda m, i, n: calls.append((m, i, n))
    )
    assert isinstance(report, EvaluationReport)
    assert report.n_pairs == 11 and report.n_resolved == 10
    assert len(report.unresolved) == 1 and "qqzzxx" in report.unresolved[0]["reason"]
    assert calls[-1][1:] == (11, 11)

    comb = report.source("combined")
    assert comb is not None and comb.n_covered == 10 and comb.n_excluded == 1
    assert (comb.n_pos, comb.n_neg) == (5, 5)
    assert comb.auc is not None and comb.auc_lo <= comb.auc <= comb.auc_hi
    assert set(comb.sens_spec) == {">= established", ">= probable", ">= possible"}
    label = report.source("label")
    assert label is not None and 0 < label.n_covered <= 10
    faers = report.source("reports:faers_ps")
    # Pairs with 0 reports have no estimate, so they are not scored for the source (the verdict covers them).
    assert faers is not None and 0 < faers.n_covered <= 10
    # Known positives in the first rows of EU-ADR (acetaminophen - anaphylaxis, allopurinol - SJS) are
    # listed on labels: the label source must call some positives.
    assert label.sens_spec["listed on a label"]["tp"] >= 2

    d = report.to_dict()
    json.dumps(d, allow_nan=False)  # JSON-safe: no NaN, no numpy scalars
    assert d["sources"][0]["name"] == "combined" and d["sources"][0]["n_excluded"] == 1
    md = report.to_markdown()
    assert "| combined |" in md and "AUC" in md and "qqzzxx" in md
    assert "nan" not in md.lower()


def test_evaluate_with_the_engine_reads_its_evidence(euadr: Path, store: Path, tmp_path: Path) -> None:
    """The engine's evidence keys line up with source_scores: labels, literature and reports are covered."""
    pairs = read_refset(euadr)
    subset = [p for p in pairs if p[2] == 1][:3] + [p for p in pairs if p[2] == 0][:3]
    ref = tmp_path / "engine_subset.csv"
    ref.write_text("drug,condition,truth\n" + "".join(f"{d},{c},{t}\n" for d, c, t in subset))
    report = evaluate(ref, store=store, n_boot=200)
    assert report.n_resolved == 6
    for name in ("combined", "label", "literature", "reports:faers"):
        s = report.source(name)
        assert s is not None and s.n_covered >= 3, name
    # The one-word-PT extract covers exactly the pairs whose narrow terms it can contain (else: not measurable).
    spec = registry.get(faers_ps.SOURCE)
    measurable = sum(any(spec.can_contain(p) for p in resolve_condition(c).narrow) for _d, c, _t in subset)
    assert report.source("reports:faers_ps").n_covered == measurable
    assert all(p["grade"] for p in report.per_pair)


def test_the_real_refsets_have_no_duplicates(euadr: Path) -> None:
    for f in (euadr, euadr.with_name("euadr_reference_set.csv")):
        r = read_refset_file(f)
        assert (r.n_rows, len(r.pairs), r.notices()) == (93, 93, [])
