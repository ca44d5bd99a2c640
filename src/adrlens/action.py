"""What the reader should do first, decided from the verdict and the condition (the article words it).

    stop_now      stop the medicine now and get care: the labels say so at the first sign (serious skin
                  reactions, angioedema, tendon pain on a fluoroquinolone)
    urgent_care   get urgent care for the warning signs
    see_clinician talk to the prescriber; do not stop on your own
    indication    the condition is what the drug treats: say so, no side-effect advice
    none          nothing points to a link: no specific action

The conditions that need stopping now or urgent care are curated data with references
(`data/condition_actions.json`), matched on the condition's MedDRA preferred terms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from adrlens.model import Evidence, Verdict

ACTIONS = ("stop_now", "urgent_care", "see_clinician", "indication", "none")
# Grades at which a possible link calls for advice about the condition itself.
_LINK_GRADES = frozenset({"established", "probable", "possible"})


@dataclass(frozen=True)
class Action:
    action: str  # one of ACTIONS
    why: str
    reference: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"action": self.action, "why": self.why, "reference": self.reference}


@cache
def _table() -> tuple[tuple[str, frozenset[str], str, str], ...]:
    raw = json.loads(resources.files("adrlens").joinpath("data/condition_actions.json").read_text("utf-8"))
    return tuple(
        (a["action"], frozenset(p.lower() for p in a["pts"]), a["why"], a["reference"]) for a in raw["actions"]
    )


def _any_hint(evidence: list[Evidence]) -> bool:
    """Anything at all that points towards a link, narrow or broad (a label listing, a report signal, an
    article): then the reader is sent to the prescriber rather than told nothing."""
    return any(
        e.direction == "supports" for e in evidence if e.kind in ("label", "reports", "literature", "count_table")
    )


def action_for(verdict: Verdict, narrow_pts: list[str], evidence: list[Evidence]) -> Action:
    """`narrow_pts`: the condition's own terms, its main term first (the action follows the main term: a
    QT-prolongation concept that also holds torsade de pointes is not itself an emergency)."""
    if "indication" in verdict.flags:
        return Action("indication", "The condition is what the medicine is used to treat, not a side effect.")
    if verdict.grade == "not supported" or (verdict.grade not in _LINK_GRADES and not _any_hint(evidence)):
        return Action("none", "Nothing in the evidence here points to a link.")
    pts = {narrow_pts[0].lower()} if narrow_pts else set()
    if verdict.grade in _LINK_GRADES:
        for kind in ("stop_now", "urgent_care"):
            for action, table_pts, why, ref in _table():
                if action == kind and pts & table_pts:
                    return Action(action, why, ref)
    return Action(
        "see_clinician",
        "Talk to the clinician who prescribed it about the symptom; do not stop the medicine on your own.",
    )
