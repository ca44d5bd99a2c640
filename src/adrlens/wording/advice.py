"""What to do, in plain words, fitted to the condition and the drug.

The action class comes from adrlens.action (the condition's class, or a drug-class override a label gives);
this module words it once. Warning signs are the condition's red flags (the condition catalogue); population
and dose warnings come from `data/advice.json` (label sections, by ingredient or class name) and from
sentences of the condition's consumer text that name the drug. "Do not stop without your clinician" is
said only where stopping is not the action, and then once.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from adrlens.action import drug_class_names
from adrlens.model import Answer, Statement
from adrlens.wording.phrases import and_list, sentence

CATALOGUE = "adrlens condition catalogue"
ACTION_SOURCE = "adrlens condition actions"
GENERAL_SOURCE = "adrlens general advice"
MEDWATCH = "FDA MedWatch (https://www.fda.gov/safety/medwatch)"
# What to do when nothing fitted to the condition is known (an answer built without its layers).
GENERAL_ADVICE = (
    Statement("Talk to your doctor or pharmacist about any symptom you think may be a side effect.", GENERAL_SOURCE),
)
DO_NOT_STOP = "Do not stop taking {drug} or change the dose on your own."


@cache
def _warnings() -> tuple[dict, ...]:
    raw = json.loads(resources.files("adrlens.wording").joinpath("data/advice.json").read_text("utf-8"))
    return tuple(raw["warnings"])


def warning_signs(a: Answer, limit: int = 3) -> list[str]:
    """The condition's red flags (the signs that need urgent care), plain words."""
    flags = (a.condition.description or {}).get("red_flags") or []
    return [f["text"] if isinstance(f, dict) else str(f) for f in flags][:limit]


def label_warnings(a: Answer) -> list[dict]:
    """The population and dose warnings of data/advice.json that fit this drug and this condition."""
    name = a.drug.name.lower()
    classes = {c.lower() for c in drug_class_names(a.drug.profile)}
    pts = {p.lower() for p in [*a.condition.narrow, *a.condition.pts]}
    out = []
    for w in _warnings():
        fits_drug = name in {i.lower() for i in w["ingredients"]} or classes & {c.lower() for c in w["classes"]}
        if fits_drug and pts & {p.lower() for p in w["pts"]}:
            out.append(w)
    return out


def higher_risk(a: Answer) -> list[Statement]:
    """Who is at higher risk, each with its source: label warnings, a genetic risk factor (PharmGKB), and
    co-morbidities that make the drug's risk larger (counted in the reports, named by the confounding
    record)."""
    out = [
        Statement(sentence(w["risk"].replace("{drug}", a.drug.name)), w["reference"], kind="population")
        for w in label_warnings(a)
        if w.get("risk")
    ]
    for e in a.evidence_by_kind("pgx"):
        d = e.data
        if d.gene:
            out.append(
                Statement(
                    sentence(
                        f"People who carry a certain form of the {d.gene} gene have a higher risk; a genetic test "
                        "can show this before treatment starts"
                    ),
                    d.source or "PharmGKB",
                    d.url,
                    [e.id],
                    kind="population",
                )
            )
            break
    return out


def _product(a: Answer) -> str:
    return "vaccination" if a.drug.kind == "vaccine" else "medicine"


def _action_lines(a: Answer) -> list[Statement]:
    act = a.action or {}
    kind = act.get("action")
    drug = a.drug.name
    signs = warning_signs(a)
    ref = act.get("reference") or ACTION_SOURCE
    if kind == "stop_now":
        lead = act.get("advice") or (
            f"If you get signs of {a.condition.label.lower()} while taking {drug}, stop taking it now and get "
            "emergency medical care. Do not take it again unless a doctor says it is safe."
        )
        out = [Statement(sentence(lead), ref, kind="action")]
        if signs:
            out.append(Statement(sentence(f"The signs to act on: {and_list(signs)}"), CATALOGUE, kind="warning_signs"))
        return out
    if kind == "urgent_care":
        what = and_list(signs, "or") if signs else "severe or sudden symptoms"
        return [
            Statement(sentence(f"Get urgent medical care straight away if you have {what}"), ref, kind="action"),
            Statement(
                sentence(f"Tell them you take {drug}: they will decide whether you should keep taking it"),
                ACTION_SOURCE,
                kind="general",
            ),
        ]
    if kind == "indication":
        return [
            Statement(
                sentence(
                    f"{a.condition.label} is what {drug} is used to treat. Keep taking it as prescribed, and tell "
                    "your prescriber if it is not well controlled"
                ),
                ACTION_SOURCE,
                kind="action",
            )
        ]
    if kind == "none":
        return [
            Statement(
                f"Nothing here calls for a change in your {_product(a)}. If you are worried about a symptom, ask "
                "your doctor or pharmacist.",
                ACTION_SOURCE,
                kind="action",
            )
        ]
    out = [
        Statement(
            sentence(
                f"If you think {drug} is causing it, talk to your doctor or pharmacist soon"
            ),
            ACTION_SOURCE,
            kind="action",
        ),
        Statement(DO_NOT_STOP.format(drug=drug), GENERAL_SOURCE, kind="general"),
    ]
    if signs:
        out.append(
            Statement(sentence(f"Get urgent medical care for {and_list(signs, 'or')}"), CATALOGUE, kind="warning_signs")
        )
    return out


def what_to_do(a: Answer, condition_passages: list[Statement] | None = None) -> list[Statement]:
    """The 'What to do' layer, most important first. `condition_passages`: sentences of the condition's
    consumer text that name the drug (population warnings in the condition's own source)."""
    out = _action_lines(a)
    for w in label_warnings(a):
        out.append(Statement(sentence(w["text"].replace("{drug}", a.drug.name)), w["reference"], kind=w["kind"]))
    for p in condition_passages or []:
        if all(p.text != s.text for s in out):
            out.append(Statement(p.text, p.source, p.url, kind="population"))
    if (a.action or {}).get("action") != "none":
        out.append(
            Statement(
                "You or your pharmacist can report a side effect to the FDA (MedWatch).",
                MEDWATCH,
                kind="general",
            )
        )
    return out


def short_action(a: Answer) -> str:
    """The one action that matters, as the short answer's last sentence."""
    kind = (a.action or {}).get("action")
    drug = a.drug.name
    signs = warning_signs(a, 2)
    if kind == "stop_now":
        if (a.action or {}).get("advice"):
            return sentence(a.action["advice"])
        when = f" ({and_list(signs, 'or')})" if signs else ""
        return sentence(f"If you get signs of it{when}, stop taking {drug} now and get emergency care")
    if kind == "urgent_care":
        what = and_list(signs, "or") if signs else "severe or sudden symptoms"
        return sentence(f"Get urgent medical care if you have {what}")
    if kind == "indication":
        return "Keep taking it as prescribed."
    if kind == "none":
        return f"Nothing here calls for a change in your {_product(a)}."
    return "If you have symptoms, talk to your doctor or pharmacist."
