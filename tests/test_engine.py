"""The answer engine on the real store: the amlodipine question, sources, rules and the JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from adrlens.engine import Engine
from adrlens.model import SCHEMA_VERSION


@pytest.fixture(scope="module")
def engine(real_store: Path) -> Engine:
    eng = Engine(real_store)
    yield eng
    eng.close()


def test_amlodipine_peripheral_neuropathy(engine: Engine) -> None:
    a = engine.answer("Can amlodipine cause peripheral neuropathy?")
    assert a.drug.name == "amlodipine" and a.condition.concept_id == "peripheral_neuropathy"
    sider = next(e for e in a.evidence if e.id == "label:SIDER 4.1")
    # SIDER lists both terms for amlodipine, and gives no frequency for either: the answer says so.
    assert {"neuropathy peripheral", "paraesthesia"} <= set(sider.data.listed_pts)
    assert sider.data.freq_text is None and "No frequency" in sider.finding
    # The short answer (the acceptance of the article issue): not established; the label lists it only
    # without a rate; the reports do not show it more often than expected; other causes; what to do.
    layers = a.to_dict()["layers"]  # the JSON a program reads
    short = " ".join(layers["short_answer"]).lower()
    assert 2 <= len(layers["short_answer"]) <= 4, layers["short_answer"]
    assert "not an established side effect" in short
    assert "label" in short and ("no rate" in short or "uncertain" in short)
    assert "do not show it more often than expected" in short
    assert "diabetes" in short and "other medicines" in short
    assert "talk to your doctor or pharmacist" in short
    assert a.verdict.headline == " ".join(a.layers.short_answer)
    # Reports from every source are kept apart; confounding was looked at.
    assert {e.data.source_name for e in a.evidence if e.kind == "reports"} >= {"faers", "faers_ps"}
    assert any(e.kind == "confounding" for e in a.evidence)
    # Listed only with no rate, no report signal of its own: not an established effect (the expert panel).
    assert a.verdict.grade in ("possible", "insufficient evidence")
    ids = {e.id for e in a.evidence}
    assert all(set(r.evidence_ids) <= ids for r in a.verdict.reasons)
    advice = [s.text for s in a.layers.what_to_do]
    assert sum("Do not stop" in t for t in advice) == 1 and all(s.source for s in a.layers.what_to_do)
    assert a.methods["deduplication"] and a.methods["data_sources"]
    assert any(line.startswith("EBGM prior (faers_ps): converged") for line in a.methods["ebgm"])


def test_lay_words_and_brand_reach_the_same_answer(engine: Engine) -> None:
    a = engine.answer("Can Norvasc cause pins and needles?")
    assert a.drug.name == "amlodipine" and a.condition.concept_id == "peripheral_neuropathy"


def test_vaccine_question_answers_from_vaers(engine: Engine) -> None:
    a = engine.answer("Can the flu shot cause Guillain-Barre syndrome?")
    vaers = next(e for e in a.evidence if e.id == "reports:vaers:narrow")
    assert vaers.direction == "supports" and vaers.data.a > 100
    assert a.verdict.grade in ("possible", "probable", "established")


def test_statin_rhabdomyolysis_is_established(engine: Engine) -> None:
    a = engine.answer(drug="atorvastatin", condition="rhabdomyolysis")
    assert a.verdict.grade == "established"
    assert any(e.kind == "class_effect" and e.direction == "supports" for e in a.evidence)


def test_answer_json_is_plain_json_without_nan_and_follows_the_schema(engine: Engine) -> None:
    from adrlens.report import render_html, render_markdown, validate_answer_json

    for q in ("Can amlodipine cause peripheral neuropathy?", "Can the flu shot cause Guillain-Barre syndrome?"):
        a = engine.answer(q)
        d = a.to_dict()
        text = json.dumps(d, allow_nan=False)  # raises on NaN/inf
        assert json.loads(text)["schema_version"] == SCHEMA_VERSION
        assert validate_answer_json(d) == []
        md, html = render_markdown(a), render_html(a)
        assert "<svg" in html and "## What to do" in md and a.layers.what_to_do
        # No undefined value leaks to a person ("None of the terms ..." is English, not a leak).
        assert not re.search(r"\b(nan|NaN|inf)\b", md)
        assert not re.search(r"[=:(] ?None\b|\bNone[),]|\bNone$", md, re.M)


def test_unknown_drug_exits_2_without_traceback(real_store: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ask", "Can zzqxv cause headache?", "--store", str(real_store)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "zzqxv" in r.stderr


def test_unknown_condition_exits_2_with_suggestions(real_store: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "adrlens.cli",
            "ask",
            "--drug",
            "amlodipine",
            "--condition",
            "qqzzxx blorft",
            "--store",
            str(real_store),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "condition" in r.stderr.lower()


def test_no_ebgm_for_pairs_without_reports(engine: Engine) -> None:
    a = engine.answer("Can amlodipine cause peripheral neuropathy?")
    zero = [e for e in a.evidence if e.kind == "reports" and e.data.a == 0]
    assert zero and all(e.data.eb05 is None and e.data.ebgm is None for e in zero)
    # ... and the sentence quotes no ratio for them
    assert all("no reports, so no ratio" in e.finding for e in zero)


@pytest.mark.parametrize(
    "question",
    [
        "Can amlodipine cause peripheral neuropathy?",
        "Can metformin cause lactic acidosis?",
        "Can atorvastatin cause rhabdomyolysis?",
        "Can lisinopril cause hair loss?",
    ],
)
def test_the_answer_never_says_no_signal_and_a_signal_at_once(engine: Engine, question: str) -> None:
    """One rule decides: the headline, the reasons and the records agree on whether the reports signal."""
    a = engine.answer(question)
    signalled = [e for e in a.evidence if e.kind in ("reports", "count_table") and e.direction == "supports"]
    narrow = [e for e in signalled if e.kind == "reports" and e.data.scope == "narrow"]
    tables = [e for e in signalled if e.kind == "count_table"]
    says_signal = "show it more often than expected" in a.verdict.headline.replace("do not show", "")
    says_none = "do not show it more often than expected" in a.verdict.headline
    assert says_signal == bool(narrow) and not (says_signal and says_none)
    if says_none:  # a published screening that flags it is never left out of the short answer
        assert ("screening flagged it" in a.verdict.headline) == bool(tables)
    # Every record that signals is named by a reason (counted, explained, or kept as a related symptom).
    cited = {i for r in a.verdict.reasons for i in r.evidence_ids}
    assert {e.id for e in signalled} <= cited, [e.id for e in signalled if e.id not in cited]
    for e in a.evidence:  # each record's direction is the rule's call on its own numbers
        if e.kind == "reports" and e.direction != "not_available":
            assert (e.direction == "supports") == e.data.signal
            assert ("a disproportionality signal" in e.finding) == e.data.signal


def test_the_same_question_gives_the_same_json(engine: Engine) -> None:
    runs = [engine.answer("Can amlodipine cause peripheral neuropathy?").to_dict() for _ in range(2)]
    for r in runs:
        r.pop("generated_at")
    assert json.dumps(runs[0], sort_keys=True) == json.dumps(runs[1], sort_keys=True)


def test_the_same_question_gives_the_same_json_in_parallel_processes(real_store: Path, tmp_path: Path) -> None:
    """Issue 12, item 12: byte-identical answers (but the time stamp) from processes run at once."""
    q = "Can amlodipine cause peripheral neuropathy?"
    cmd = [sys.executable, "-m", "adrlens.cli", "ask", q, "--format", "json", "--store", str(real_store)]
    procs = [
        subprocess.Popen([*cmd, "--out", str(tmp_path / f"a{i}.json")], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
        for i in range(3)
    ]
    for p in procs:
        assert p.wait(timeout=600) == 0, p.stderr.read()
    outs = []
    for i in range(3):
        d = json.loads((tmp_path / f"a{i}.json").read_text(encoding="utf-8"))
        d.pop("generated_at")
        outs.append(json.dumps(d))
    assert outs[0] == outs[1] == outs[2]
