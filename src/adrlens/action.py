"""What the reader should do first, decided from the verdict and the condition (the article words it).

    stop_now      stop the medicine now and get care: the labels say so at the first sign (serious skin
                  reactions, angioedema, tendon pain on a fluoroquinolone)
    urgent_care   get urgent care for the warning signs
    see_clinician talk to the prescriber; do not stop on your own
    indication    the condition is what the drug treats: say so, no side-effect advice
    none          nothing points to a link: no specific action

The conditions that need stopping now or urgent care are curated data with references
(`data/condition_actions.json`), matched on the condition's MedDRA preferred terms. A drug-class override
there (fluoroquinolones and tendon pain) replaces the condition's own action where a label says so for
that class; it names its label and carries the advice in the label's words. The current US label read
online (`--online`) does the same for any drug: a warning section that names the condition and says to
stop the drug immediately makes the action stop_now, citing the label's sentence.
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
    advice: str | None = None  # a drug-specific instruction from a label ({drug} filled in), when one applies

    def to_dict(self) -> dict[str, str | None]:
        return {"action": self.action, "why": self.why, "reference": self.reference, "advice": self.advice}


@cache
def _raw() -> dict:
    return json.loads(resources.files("adrlens").joinpath("data/condition_actions.json").read_text("utf-8"))


@cache
def _table() -> tuple[tuple[str, frozenset[str], str, str], ...]:
    return tuple(
        (a["action"], frozenset(p.lower() for p in a["pts"]), a["why"], a["reference"]) for a in _raw()["actions"]
    )


def _override(pts: set[str], drug: str, drug_classes: list[str]) -> Action | None:
    classes = {c.lower() for c in drug_classes}
    for o in _raw().get("drug_overrides", []):
        by_class = classes & {c.lower() for c in o.get("classes", [])}
        by_name = drug.lower() in {i.lower() for i in o.get("ingredients", [])}
        if (by_class or by_name) and pts & {p.lower() for p in o["pts"]}:
            return Action(o["action"], o["why"], o["reference"], o["advice"].replace("{drug}", drug))
    return None


def _label_says_stop(evidence: list[Evidence], pts: set[str], drug: str) -> Action | None:
    """The current label's own instruction to stop the drug at once for the condition (a warning section
    read online, adrlens.evidence.online): the reader is told to stop and call, in the label's terms."""
    for e in evidence:
        online = getattr(e.data, "online", None) if e.kind == "label" else None
        stops = (online or {}).get("stop_instructions") or {}
        for pt in sorted(pts & set(stops)):
            said = stops[pt]
            ref = (
                f"US prescribing information via openFDA, {said['section']} (set id {online.get('set_id')}, "
                f"effective {online.get('effective_date')}): \u201c{said['text']}\u201d"
            )
            return Action(
                "stop_now",
                "The current US label says to stop the drug at once when this happens.",
                ref,
                f"If you get signs of it while taking {drug}, stop taking {drug} and call your prescriber straight "
                "away, or get medical care now",
            )
    return None


def _any_hint(evidence: list[Evidence]) -> bool:
    """Anything at all that points towards a link, narrow or broad (a label listing, a report signal, an
    article): then the reader is sent to the prescriber rather than told nothing."""
    return any(
        e.direction == "supports" for e in evidence if e.kind in ("label", "reports", "literature", "count_table")
    )


def action_for(
    verdict: Verdict,
    narrow_pts: list[str],
    evidence: list[Evidence],
    drug: str = "",
    drug_classes: tuple[str, ...] | list[str] = (),
) -> Action:
    """`narrow_pts`: the condition's own terms, its main term first (the action follows the main term: a
    QT-prolongation concept that also holds torsade de pointes is not itself an emergency). `drug_classes`:
    the drug's class names (EPC, ATC), for the label overrides of a class."""
    if "indication" in verdict.flags:
        return Action("indication", "The condition is what the medicine is used to treat, not a side effect.")
    if verdict.grade == "not supported" or (verdict.grade not in _LINK_GRADES and not _any_hint(evidence)):
        return Action("none", "Nothing in the evidence here points to a link.")
    pts = {narrow_pts[0].lower()} if narrow_pts else set()
    if verdict.grade in _LINK_GRADES:
        over = _override(pts, drug, list(drug_classes)) or _label_says_stop(evidence, pts, drug)
        if over:
            return over
        for kind in ("stop_now", "urgent_care"):
            for action, table_pts, why, ref in _table():
                if action == kind and pts & table_pts:
                    return Action(action, why, ref)
    return Action(
        "see_clinician",
        "Talk to the clinician who prescribed it about the symptom; do not stop the medicine on your own.",
    )


def drug_class_names(profile: dict | None) -> list[str]:
    """The class names a drug-class override can name: its EPC classes and its ATC level 3 and 4 groups."""
    classes = (profile or {}).get("classes") or {}
    names = [c.get("name") for key in ("EPC", "ATC3", "ATC4") for c in classes.get(key) or [] if isinstance(c, dict)]
    return list(dict.fromkeys(n for n in names if n))
