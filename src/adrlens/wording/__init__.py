"""One source of wording: every sentence a person reads (grade names, the short answer, what to do, the drug
and the condition in everyday words, why we say this) is written here, once. The engine stores the result in
`Answer.layers`; the Markdown and HTML articles, the JSON and the web page all read it from there.
"""

from __future__ import annotations

from adrlens.model import GRADES, Answer, Layers
from adrlens.verdict import GRADE_MEANING
from adrlens.wording.about import about_condition, about_drug, condition_passages
from adrlens.wording.advice import what_to_do
from adrlens.wording.figure import plain_figure
from adrlens.wording.phrases import GRADE_LABELS, INDICATION_LABEL, JARGON, jargon_in
from adrlens.wording.short_answer import short_answer
from adrlens.wording.why import why

__all__ = ["GRADE_LABELS", "GRADE_MEANING", "JARGON", "compose", "grade_label", "jargon_in"]


def grade_label(a: Answer) -> str:
    """The grade in plain words, for the badge."""
    if "indication" in a.verdict.flags:
        return INDICATION_LABEL
    return GRADE_LABELS.get(a.verdict.grade, a.verdict.grade)


def compose(a: Answer) -> Layers:
    """Every plain layer of the article from a computed Answer (its evidence, verdict and action)."""
    return Layers(
        short_answer=short_answer(a),
        what_to_do=what_to_do(a, condition_passages(a)),
        about_drug=about_drug(a),
        about_condition=about_condition(a),
        why=why(a),
        figure=plain_figure(a),
        for_professionals={
            "grade": a.verdict.grade,
            "grade_label": grade_label(a),
            "grade_meaning": GRADE_MEANING.get(a.verdict.grade, ""),
            "grade_scale": [{"grade": g, "meaning": GRADE_MEANING[g]} for g in GRADES],
            "term_sets": {"narrow": list(a.condition.narrow), "broad": list(a.condition.broad)},
            "detail": ["evidence", "verdict.reasons", "charts", "related", "methods"],
        },
    )
