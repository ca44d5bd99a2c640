"""The short answer: 2-4 plain sentences (the verdict with how common it is where a label says, what the
reports show, who is at higher risk or what else causes it, and the one action that matters).

Every clause reads a field of an evidence record; nothing here decides the grade (adrlens.verdict does).
"""

from __future__ import annotations

import re

from adrlens.model import Answer, Evidence, LabelData, ReportData
from adrlens.wording.advice import higher_risk, short_action
from adrlens.wording.phrases import PLACEBO, and_list, per_100, report_system, sentence

_PCT = re.compile(r"(\d+(?:\.\d+)?)%")
_VS_PLACEBO = re.compile(r"(\d+(?:\.\d+)?)% vs placebo (\d+(?:\.\d+)?)%")
# Words that mark a listed cause of a condition as a medicine rather than a disease or a habit.
_MEDICINE_WORDS = re.compile(
    r"\b(drugs?|medicines?|medications?|antibiotics?|chemotherapy|vaccines?|analogues?|inhibitors?|"
    r"blockers?|statins?|steroids?|corticosteroids?|antidepressants?|antipsychotics?|diuretics?|nsaids?|"
    r"opioids?|anticoagulants?|antiepileptics?|anticonvulsants?|immunosuppressants?)\b",
    re.I,
)


def _labels(a: Answer) -> list[Evidence]:
    return [e for e in a.evidence if isinstance(e.data, LabelData)]


def _lead(a: Answer) -> str:
    drug, cond = a.drug.name, a.condition.label.lower()
    g = a.verdict.grade
    if "indication" in a.verdict.flags:
        return f"No: {cond} is what {drug} is used to treat, not a side effect of it."
    if g == "not supported" and "contradicting_studies" in a.verdict.flags:
        return f"Studies that looked for a link between {drug} and {cond} did not find one."
    return {
        "established": f"Yes: {cond} is a known side effect of {drug}.",
        "probable": f"Probably: {cond} is a likely side effect of {drug}, though not fully proven.",
        "possible": f"Possibly, but {cond} is not an established side effect of {drug}.",
        "insufficient evidence": f"We do not know: there is too little evidence to say if {drug} causes {cond}.",
        "not supported": f"The evidence here does not link {drug} to {cond}, though it cannot rule out all risk.",
        "possible inverse association": f"{cond[:1].upper() + cond[1:]} is reported less often than expected with "
        f"{drug}. This does not mean {drug} protects against it.",
    }[g]


def label_sentence(a: Answer) -> str:
    """How the label lists it, with how often in words and numbers where a label source gives a rate."""
    drug = a.drug.name
    listed = [e.data for e in _labels(a) if e.data.listed_narrow_pts]
    if not listed:
        if any(e.data.drug_known for e in _labels(a)) and "indication" not in a.verdict.flags:
            return f"The label data here do not list it for {drug}."
        return ""
    for d in listed:
        m = _VS_PLACEBO.search(d.placebo_text or "")
        if d.above_placebo and m:
            on, off = float(m.group(1)), float(m.group(2))
            return (
                f"In studies it happened to {per_100(on)} taking {drug}, against {per_100(off)} taking {PLACEBO}."
            )
    if any(d.boxed_warning for d in listed):
        return f"The label of {drug} warns about it in a boxed warning, its strongest warning."
    if any(d.warning_section for d in listed):
        return f"The label of {drug} warns about it."
    for d in listed:
        if d.strength == "frequency":
            pcts = [float(x) for x in _PCT.findall(d.freq_text or "")]
            if pcts:
                return f"The label says it happens to {per_100(max(pcts))} who take {drug}."
    if any(d.uncertain_causality for d in listed):
        return "The label lists it only among uncommon events where a link to the drug was uncertain."
    return (
        "The label lists it only among rarer events, with no rate and no comparison with "
        f"{PLACEBO}, so the label does not show that {drug} causes it."
    )


def reports_sentence(a: Answer) -> str:
    """What the reports show for the condition's own (narrow) terms, in plain words. A published screening
    table that flags it is named as a lead to check; a source that cannot hold the terms says nothing."""
    drug = a.drug.name
    narrow = [e for e in a.evidence if isinstance(e.data, ReportData) and e.data.scope == "narrow"]
    measured = [e for e in narrow if e.data.measurable and e.data.a is not None]
    tables = [e for e in a.evidence if e.kind == "count_table" and e.direction == "supports"]
    if "indication" in a.verdict.flags:
        return ""
    if not measured:
        return ""
    system = report_system(measured[0].data.source_name)
    if any(e.direction == "supports" for e in measured):
        return sentence(
            f"In {system}, it comes up more often than expected with {drug}: a warning sign to check, not proof"
        )
    fewer = any(e.direction == "inverse" for e in measured)
    base = (
        f"In {system}, it comes up less often than expected with {drug}"
        if fewer
        else f"In {system}, it does not come up more often than expected with {drug}"
    )
    if tables:
        base += "; one published screening of newer reports did flag it, a lead to check, not proof"
    return sentence(base)


def _is_medicine(cause: str) -> bool:
    return bool(_MEDICINE_WORDS.search(cause))


def causes_sentence(a: Answer) -> str:
    """Other common causes, diseases and habits first, then "some other medicines" when the catalogue
    lists medicines among the causes."""
    if "indication" in a.verdict.flags:
        return ""
    causes = [c["text"] if isinstance(c, dict) else str(c) for c in (a.condition.description or {}).get(
        "common_causes"
    ) or []]
    if not causes:
        return ""
    other = [c for c in causes if not _is_medicine(c)][:3]
    meds = any(_is_medicine(c) for c in causes)
    names = [*other, "other medicines"] if meds else other
    if not names:
        return ""
    return sentence(f"{and_list(names)} are common causes of {a.condition.label.lower()}")


def short_answer(a: Answer) -> list[str]:
    """2-4 sentences: the verdict, the label's rate or listing, the reports, and the one action; who is at
    higher risk (or what else causes it) goes with the action, so the answer stays at four sentences."""
    out = [_lead(a), label_sentence(a), reports_sentence(a)]
    out = [sentence(x) for x in out if x]
    risk = higher_risk(a)
    extra = risk[0].text if risk else causes_sentence(a)
    action = short_action(a)
    if extra:
        action = extra.rstrip(".") + "; " + action[:1].lower() + action[1:]
    return [*out, sentence(action)]
