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
from adrlens.wording import jargon_in

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
        head = a.verdict.headline
        narrow_signal = any(
            e.direction == "supports" for e in counted if e.kind == "reports" and e.data.scope == "narrow"
        )
        if "do not show it more often than expected" in head:
            assert not narrow_signal, a.question
        if "show it more often than expected" in head.replace("do not show", ""):
            assert narrow_signal, a.question
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
            assert head.startswith("No: ") and "is what" in head, a.question


# ---- the article people read (issue 9): advice fitted to the condition, plain words, readability ----------


def _rows_and_answers(panel_run: tuple[PanelReport, list[Answer]], data_dir: Path):
    _, answers = panel_run
    rows = read_panel(data_dir / PANEL)
    by_q = {a.question: a for a in answers}
    return [(r, by_q[r.question]) for r in rows if r.question in by_q]


def _plain_text(a: Answer) -> str:
    md = render_markdown(a)
    return md.split("## For professionals")[0]


def test_advice_fits_the_condition(panel_run: tuple[PanelReport, list[Answer]], data_dir: Path) -> None:
    mentioned = 0
    for row, a in _rows_and_answers(panel_run, data_dir):
        advice = " ".join(s.text for s in a.layers.what_to_do)
        short = " ".join(a.layers.short_answer)
        plain = _plain_text(a)
        if row.action == "stop_now":  # stop now and get care, never "do not stop"
            assert "stop taking" in advice.lower() and ("care" in advice or "prescriber" in advice), row.question
            assert "stop taking" in short.lower(), row.question
            assert "do not stop" not in plain.lower(), row.question
        if row.action == "urgent_care":  # the warning signs, and urgent care
            assert "urgent medical care" in advice and "urgent medical care" in short, row.question
            assert any(s.kind == "action" and " if you have " in s.text for s in a.layers.what_to_do), row.question
        if row.must_mention:
            assert any(w.lower() in plain.lower() for w in row.must_mention), (row.question, row.must_mention)
            mentioned += 1
        assert plain.lower().count("do not stop") <= 1, row.question
        assert all(s.source for s in a.layers.what_to_do), row.question
    assert mentioned >= FLOORS["plain_words"]["must_mention"]


def test_no_jargon_above_the_professional_part(panel_run: tuple[PanelReport, list[Answer]]) -> None:
    _, answers = panel_run
    clean = 0
    for a in answers:
        found = jargon_in(_plain_text(a).split("\n", 1)[1])  # the title is the question as asked
        assert not found, (a.question, found)
        clean += not found
    assert clean >= FLOORS["plain_words"]["jargon_free"]


def test_short_answers_read_at_grade_8_or_below(panel_run: tuple[PanelReport, list[Answer]]) -> None:
    import statistics

    import textstat

    _, answers = panel_run
    grades = [textstat.flesch_kincaid_grade(" ".join(a.layers.short_answer)) for a in answers]
    assert statistics.median(grades) <= 8, sorted(grades)  # the bar
    assert statistics.median(grades) <= FLOORS["plain_words"]["short_answer_median_fk_max"]  # what was won
    assert all(2 <= len(a.layers.short_answer) <= 4 for a in answers)


def test_the_plain_part_is_short(panel_run: tuple[PanelReport, list[Answer]]) -> None:
    _, answers = panel_run
    amlo = next(a for a in answers if a.question.startswith("Can amlodipine cause peripheral neuropathy"))
    words = len(_plain_text(amlo).split())
    assert words < FLOORS["plain_words"]["amlodipine_plain_words_max"], words


# -- reading the panel file: encodings (issue 12, item 10d) ----------------------------------------------
_PANEL_TEXT = (
    "question\tdrug\tcondition\tgrades\taction\tmust_mention\tbasis\n"
    "Can Norvasc cause ankle swelling?\tamlodipine\toedema\testablished|probable\tsee_clinician\tswelling\tlabel\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_read_panel_in_utf8_or_utf16(tmp_path: Path, data_dir: Path, encoding: str) -> None:
    p = tmp_path / "panel.tsv"
    p.write_bytes(_PANEL_TEXT.encode(encoding))
    (row,) = read_panel(p)
    assert (row.question, row.grades, row.action) == ("Can Norvasc cause ankle swelling?", ["established", "probable"],
                                                      "see_clinician")
    # The real dev panel, saved by a spreadsheet as "Unicode text", reads the same.
    real = (data_dir / PANEL).read_text(encoding="utf-8")
    p.write_bytes(real.encode("utf-16"))
    assert read_panel(p) == read_panel(data_dir / PANEL)


@pytest.mark.parametrize(
    ("content", "why"),
    [(b"\x89PNG\r\n\x1a\n\x00\x00", "binary"), (_PANEL_TEXT.encode("cp1252") + b"\x81\xe9", "not UTF-8"),
     (_PANEL_TEXT.encode("utf-16-be"), "NUL bytes")],
)
def test_binary_or_undecodable_panel_is_one_clear_error(tmp_path: Path, content: bytes, why: str) -> None:
    from adrlens.errors import AdrlensError

    p = tmp_path / "panel.tsv"
    p.write_bytes(content)
    with pytest.raises(AdrlensError) as e:
        read_panel(p)
    msg = str(e.value)
    assert str(p) in msg and why in msg and "UTF-16" in msg and "\n" not in msg
