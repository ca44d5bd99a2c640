"""The expert dev panel (refsets/expert_panel/dev.tsv), answered end to end on the store built from the shared
data: every question resolves, grade agreement does not fall below the figure last landed
(tests/quality_floors.json), and no answer says two contradicting things about the reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adrlens.engine import Engine
from adrlens.model import Answer
from adrlens.panel import PanelReport, evaluate_panel, grade_distance, read_panel
from adrlens.report import render_markdown

FLOORS = json.loads((Path(__file__).parent / "quality_floors.json").read_text(encoding="utf-8"))
PANEL = "refsets/expert_panel/dev.tsv"


@pytest.fixture(scope="module")
def panel_run(real_store: Path, data_dir: Path) -> tuple[PanelReport, list[Answer]]:
    eng = Engine(real_store)
    answers: list[Answer] = []

    def ask(question: str) -> Answer:
        a = eng.answer(question)
        answers.append(a)
        return a

    report = evaluate_panel(
        data_dir / PANEL,
        question_fn=ask,
        pair_fn=lambda d, c: eng.answer(drug=d, condition=c),
        render_fn=render_markdown,
    )
    return report, answers


def test_panel_file_reads_and_bad_panels_are_refused(data_dir: Path, tmp_path: Path) -> None:
    rows = read_panel(data_dir / PANEL)
    assert len(rows) == 40 and all(r.grades and r.action for r in rows)
    bad = tmp_path / "bad.tsv"
    bad.write_text("question\tdrug\tcondition\tgrades\taction\nq\td\tc\tdefinitely\tnone\n", encoding="utf-8")
    with pytest.raises(Exception, match="grades"):
        read_panel(bad)
    assert grade_distance("possible", ["probable"]) == 1 and grade_distance("established", ["not supported"]) == 4


def test_dev_panel_resolves_and_agrees(panel_run: tuple[PanelReport, list[Answer]]) -> None:
    report, _ = panel_run
    floor = FLOORS["dev_panel"]
    unresolved = [(r["question"], r["reason"]) for r in report.rows if not r["resolved"]]
    assert report.n_resolved >= floor["resolved"], unresolved
    wrong = [(r["question"], r["grade"], r["grades"]) for r in report.rows if not r["exact"]]
    assert report.n_exact >= floor["accepted"], wrong
    assert report.n_within_one >= floor["within_one"], wrong
    assert report.n_action >= floor["action"]


def test_no_answer_contradicts_itself_about_reports(panel_run: tuple[PanelReport, list[Answer]]) -> None:
    _, answers = panel_run
    for a in answers:
        counted = [e for e in a.evidence if e.kind in ("reports", "count_table")]
        any_signal = any(e.direction == "supports" for e in counted)
        head = a.verdict.headline
        if "no source shows it more often than expected" in head:
            assert not any_signal, a.question
        if "more often than expected in" in head:
            assert any_signal, a.question
        ids = {e.id: e for e in a.evidence}
        for r in a.verdict.reasons:
            if "more reports than expected" in r.text:
                assert any(ids[i].direction == "supports" for i in r.evidence_ids), (a.question, r.text)
        for e in counted:
            if e.kind == "reports" and not e.data.measurable:
                assert e.data.a is None and e.direction == "not_available", (a.question, e.id)
                assert "0 reports" not in e.finding, (a.question, e.finding)
            if e.kind == "reports" and e.data.a == 0:
                assert e.data.ror is None and e.data.ror_lo is None and e.data.prr is None, (a.question, e.id)
                assert not e.data.signal_criteria, (a.question, e.id)
        if "indication" in a.verdict.flags:
            assert head.startswith("Not a side effect"), a.question
        if a.action["action"] == "stop_now":  # "do not stop without your clinician" only where stopping is not it
            assert not any("Do not stop" in x for x in a.safety) and any("stop taking it now" in x for x in a.safety)
