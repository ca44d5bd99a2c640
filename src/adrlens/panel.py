"""Expert-panel evaluation: how often does adrlens give the grade, the action and the words that clinical
pharmacists accept for a question?

A panel is a TSV with the columns of `refsets/expert_panel/dev.tsv` (see its README): question, drug,
condition, grades (accepted grades, '|'-separated), action (stop_now | urgent_care | see_clinician |
indication | none), must_mention ('|'-separated words, at least one must appear), basis. Each question is
answered as a person would type it; it is resolved when the question and the drug/condition columns resolve
to the same drug and the same condition. Scores:

* grade agreement: the answer's grade is among the accepted ones (exact), or one step from one of them on
  the grade scale (within one);
* action: the answer's first action (`Answer.action`) is the panel's;
* words: one of the must-mention words appears in the article (Markdown) a reader gets.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from adrlens.errors import AdrlensError, DataNotFoundError, StoreError
from adrlens.jsonsafe import json_safe
from adrlens.model import GRADES, Answer

PANEL_COLUMNS = ("question", "drug", "condition", "grades", "action", "must_mention", "basis")
# The grade scale for "within one": a link grade ladder. The inverse association sits beside "not supported".
_SCALE = {g: i for i, g in enumerate(GRADES)}
_SCALE["possible inverse association"] = _SCALE["not supported"]

QuestionFn = Callable[[str], Answer]
PairFn = Callable[[str, str], Answer]
RenderFn = Callable[[Answer], str]


@dataclass
class PanelRow:
    question: str
    drug: str
    condition: str
    grades: list[str]
    action: str
    must_mention: list[str]
    basis: str


def read_panel(path: str | Path) -> list[PanelRow]:
    """Read a panel TSV; a missing column or an unknown grade is an error that names the line."""
    p = Path(path)
    if not p.exists():
        raise AdrlensError(f"{p} does not exist")
    raw = p.read_bytes()
    try:  # UTF-8, or UTF-16 with a BOM (a spreadsheet's "Unicode text"); else say how to fix it
        text = raw.decode("utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig")
    except UnicodeDecodeError as e:
        raise AdrlensError(f"{p} is not UTF-8 text (byte at offset {e.start}): save the panel as UTF-8.") from None
    with io.StringIO(text, newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = [c for c in PANEL_COLUMNS[:5] if c not in (reader.fieldnames or [])]
        if missing:
            raise AdrlensError(f"{p}: missing column(s) {', '.join(missing)}; a panel has {', '.join(PANEL_COLUMNS)}")
        rows = []
        for i, r in enumerate(reader, start=2):
            grades = [g.strip() for g in (r.get("grades") or "").split("|") if g.strip()]
            bad = [g for g in grades if g not in GRADES]
            if not grades or bad:
                raise AdrlensError(
                    f"{p} line {i}: grades {(r.get('grades') or '')[:60]!r} must be '|'-separated from {GRADES}"
                )
            rows.append(
                PanelRow(
                    question=(r.get("question") or "").strip(),
                    drug=(r.get("drug") or "").strip(),
                    condition=(r.get("condition") or "").strip(),
                    grades=grades,
                    action=(r.get("action") or "").strip(),
                    must_mention=[w.strip() for w in (r.get("must_mention") or "").split("|") if w.strip()],
                    basis=(r.get("basis") or "").strip(),
                )
            )
    return rows


def grade_distance(grade: str, accepted: list[str]) -> int:
    return min(abs(_SCALE[grade] - _SCALE[a]) for a in accepted)


@dataclass
class PanelReport:
    panel: str
    n: int
    n_resolved: int
    n_exact: int
    n_within_one: int
    n_action: int
    n_action_checked: int
    n_words: int
    n_words_checked: int
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return json_safe(asdict(self))

    def to_markdown(self) -> str:
        def share(k: int, n: int) -> str:
            return f"{k}/{n}" + (f" ({k / n:.0%})" if n else "")

        lines = [
            f"**{self.panel}**: {self.n} questions; resolved {share(self.n_resolved, self.n)}; grade accepted "
            f"{share(self.n_exact, self.n)}, within one grade {share(self.n_within_one, self.n)}; action "
            f"{share(self.n_action, self.n_action_checked)}; words {share(self.n_words, self.n_words_checked)}.",
            "",
            "| Question | Grade | Accepted | OK | Action (panel) | Words |",
            "|---|---|---|:-:|---|:-:|",
        ]
        for r in self.rows:
            ok = "yes" if r["exact"] else ("~" if r["within_one"] else "no")
            act = f"{r['answer_action'] or '-'} ({r['action']})" + ("" if r["action_ok"] else " ✗")
            words = "" if r["words_ok"] is None else ("yes" if r["words_ok"] else "no")
            grade = r["grade"] or "unresolved"
            lines.append(f"| {r['question']} | {grade} | {' / '.join(r['grades'])} | {ok} | {act} | {words} |")
        return "\n".join(lines) + "\n"


def _default_fns(store: str | Path | None) -> tuple[QuestionFn, PairFn, RenderFn]:
    from adrlens.engine import answer, answer_pair
    from adrlens.report import render_markdown

    return (lambda q: answer(q, store=store)), (lambda d, c: answer_pair(d, c, store=store)), render_markdown


def evaluate_panel(
    path: str | Path,
    store: str | Path | None = None,
    question_fn: QuestionFn | None = None,
    pair_fn: PairFn | None = None,
    render_fn: RenderFn | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> PanelReport:
    rows = read_panel(path)
    if question_fn is None or pair_fn is None or render_fn is None:
        dq, dp, dr = _default_fns(store)
        question_fn, pair_fn, render_fn = question_fn or dq, pair_fn or dp, render_fn or dr
    qf, pf, rf = question_fn, pair_fn, render_fn
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if progress:
            progress(row.question, i, len(rows))
        rec: dict[str, Any] = {**asdict(row), "grade": None, "resolved": False, "reason": None}
        try:
            ans = qf(row.question)
            by_columns = pf(row.drug, row.condition)
        except (StoreError, DataNotFoundError):
            raise
        except AdrlensError as exc:
            rec.update(exact=False, within_one=False, action_ok=False, answer_action=None, words_ok=None)
            rec["reason"] = str(exc)
            out.append(rec)
            continue
        same = ans.drug.name == by_columns.drug.name and set(ans.condition.narrow) == set(by_columns.condition.narrow)
        text = rf(ans).lower()
        grade = ans.verdict.grade
        rec.update(
            resolved=same,
            reason=None
            if same
            else f"question -> {ans.drug.name} / {ans.condition.label}; columns -> "
            f"{by_columns.drug.name} / {by_columns.condition.label}",
            resolved_drug=ans.drug.name,
            resolved_condition=ans.condition.label,
            grade=grade,
            flags=list(ans.verdict.flags),
            exact=grade in row.grades,
            within_one=grade_distance(grade, row.grades) <= 1,
            answer_action=(ans.action or {}).get("action"),
            action_ok=(ans.action or {}).get("action") == row.action,
            words_ok=any(w.lower() in text for w in row.must_mention) if row.must_mention else None,
        )
        out.append(rec)
    if progress:
        progress("done", len(rows), len(rows))
    checked_words = [r for r in out if r.get("words_ok") is not None]
    return PanelReport(
        panel=Path(path).name,
        n=len(rows),
        n_resolved=sum(bool(r["resolved"]) for r in out),
        n_exact=sum(bool(r.get("exact")) for r in out),
        n_within_one=sum(bool(r.get("within_one")) for r in out),
        n_action=sum(bool(r.get("action_ok")) for r in out),
        n_action_checked=len(out),
        n_words=sum(bool(r["words_ok"]) for r in checked_words),
        n_words_checked=len(checked_words),
        rows=out,
    )
