"""The short answer: 2-4 plain sentences (the verdict with how common it is where a label says, what the
reports show, who is at higher risk or what else causes it, and the one action that matters).

Every clause reads a field of an evidence record; nothing here decides the grade (adrlens.verdict does).
"""

from __future__ import annotations

import re

from adrlens.model import Answer, Evidence, LabelData, ReportData
from adrlens.wording.advice import higher_risk, short_action
from adrlens.wording.phrases import PLACEBO, and_list, per_100, report_system, sentence

_RARE = re.compile(r"\b(very )?rare\b", re.I)
_PT_PCT = re.compile(r"(?:^|; )([^:;()]+): (\d+(?:\.\d+)?)%")
_VS_PLACEBO = re.compile(r"(\d+(?:\.\d+)?)% vs placebo (\d+(?:\.\d+)?)%")
# Words that mark a listed cause of a condition as a medicine rather than a disease or a habit.
_MEDICINE_WORDS = re.compile(
    r"\b(drugs?|medicines?|medications?|antibiotics?|chemotherapy|vaccines?|analogues?|inhibitors?|"
    r"blockers?|statins?|steroids?|corticosteroids?|antidepressants?|antipsychotics?|diuretics?|nsaids?|"
    r"opioids?|anticoagulants?|antiepileptics?|anticonvulsants?|immunosuppressants?|sedatives?|hypnotics?|"
    r"antihypertensives?|retinoids?|therap(?:y|ies)|hormones?|antibacterials?|antivirals?|antifungals?|"
    r"contraceptives?|antihistamines?|supplements?|agents?)\b",
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
        return f"Studies that looked for a link with {drug} did not find one."
    return {
        "established": f"Yes, this is a known side effect of {drug}.",
        "probable": f"Probably, this is a side effect of {drug}, but it is not fully proven.",
        "possible": f"Possibly, but this is not an established side effect of {drug}.",
        "insufficient evidence": f"We do not know: there is too little evidence to say if {drug} causes it.",
        "not supported": f"The evidence here does not link {drug} to it, though no study can rule out all risk.",
        "possible inverse association": f"It is reported less often than expected with {drug}. This does not "
        "mean the drug protects against it.",
    }[g]


def placebo_rates(a: Answer) -> tuple[float, float, Evidence] | None:
    """(% on the drug, % on placebo, the label record) where a label gives the condition above placebo."""
    for e in _labels(a):
        d = e.data
        m = _VS_PLACEBO.search(d.placebo_text or "") if d.listed_narrow_pts and d.above_placebo else None
        if m:
            return float(m.group(1)), float(m.group(2)), e
    return None


def main_report(a: Answer) -> Evidence | None:
    """The narrow report record of the source with the most reports of the drug (measured, with a count)."""
    narrow = [
        e
        for e in a.evidence_by_kind("reports")
        if isinstance(e.data, ReportData) and e.data.scope == "narrow" and e.data.measurable and e.data.a is not None
    ]
    return max(narrow, key=lambda e: e.data.drug_cases) if narrow else None


def label_sentence(a: Answer) -> str:
    """How the label lists it, with how often in words and numbers where a label source gives a rate."""
    listed = [e.data for e in _labels(a) if e.data.listed_narrow_pts]
    if not listed:
        if any(e.data.drug_known for e in _labels(a)) and "indication" not in a.verdict.flags:
            return "The label data here do not list it."
        return ""
    rates = placebo_rates(a)
    if rates:
        on, off, _ = rates
        return f"In studies it happened to {per_100(on)} taking it, against {per_100(off)} on {PLACEBO}."
    if any(d.boxed_warning for d in listed):
        return "Its label warns about it in a boxed warning, the strongest kind."
    if any(d.warning_section for d in listed):
        return "Its label warns about it."
    for d in listed:
        if d.strength == "frequency":
            # The rates of the condition's own terms only (freq_text also holds the related terms' rates).
            own = {p.lower() for p in d.listed_narrow_pts}
            pcts = [float(m.group(2)) for m in _PT_PCT.finditer(d.freq_text or "") if m.group(1).lower() in own]
            if pcts:
                return f"Its label says it happens to {per_100(max(pcts))} who take it."
    # A weak listing, said as the label data show it: uncertain causality, after marketing only, or rare.
    if any(d.uncertain_causality for d in listed):
        return "Its label lists it only among uncommon events where a link to the drug was uncertain."
    if all(d.postmarketing_only for d in listed):
        return "Its label lists it only among events reported after the drug came on the market, with no rate."
    if any(_RARE.search(d.freq_text or "") for d in listed):
        return "Its label lists it only as a rare event."
    if a.verdict.grade in ("established", "probable"):
        return "Its label lists it, but gives no rate."
    return "Its label lists it, but with no rate and no comparison with a dummy pill."


def reports_sentence(a: Answer) -> str:
    """What the reports show for the condition's own (narrow) terms, in plain words. A published screening
    table that flags it is named as a lead to check; a source that cannot hold the terms says nothing."""
    narrow = [e for e in a.evidence if isinstance(e.data, ReportData) and e.data.scope == "narrow"]
    measured = [e for e in narrow if e.data.measurable and e.data.a is not None]
    tables = [e for e in a.evidence if e.kind == "count_table" and e.direction == "supports"]
    if "indication" in a.verdict.flags:
        return ""
    if not measured:
        return ""
    system = report_system(measured[0].data.source_name, short=True)
    if any(e.direction == "supports" for e in measured):
        if "stimulated_reporting" in a.verdict.flags:
            return sentence(
                f"{system} show it more often than expected, but they rose after news coverage, and more "
                "reports need not mean more harm"
            )
        if a.verdict.grade in ("not supported", "insufficient evidence"):
            return sentence(f"{system} show it more often than expected, but the stronger evidence does not back this")
        return sentence(f"{system} show it more often than expected: a warning sign, not proof")
    if any(e.direction == "inverse" for e in measured):
        base = f"{system} show it less often than expected"
    else:
        base = f"{system} do not show it more often than expected"
    if tables:
        base += ", though one published screening flagged it"
    return sentence(base)


def _is_medicine(cause: str) -> bool:
    """A listed cause that is a medicine: medicine words, or a part (split at commas and "and"/"or", notes
    in brackets dropped) that the drug vocabulary knows as an ingredient."""
    if _MEDICINE_WORDS.search(cause):
        return True
    from adrlens.vocab.drugs import DrugVocabulary  # loaded already by the question's understanding

    vocab = DrugVocabulary.load()
    bare = re.sub(r"\([^()]*\)", "", cause)
    return any(vocab.is_known(part.strip()) for part in re.split(r",|\band\b|\bor\b", bare) if part.strip())


def causes_in_order(a: Answer) -> tuple[list[str], list[str]]:
    """The condition's common causes (the catalogue), split into (diseases and habits, medicines)."""
    causes = [c["text"] if isinstance(c, dict) else str(c) for c in (a.condition.description or {}).get(
        "common_causes"
    ) or []]
    meds = [c for c in causes if _is_medicine(c)]
    return [c for c in causes if c not in meds], meds


def causes_sentence(a: Answer) -> str:
    """Other common causes, diseases and habits first, then "other medicines" when the catalogue lists
    medicines among the causes."""
    if "indication" in a.verdict.flags or a.verdict.grade in ("established", "probable"):
        return ""
    other, meds = causes_in_order(a)
    if not other:
        return ""
    names = [*other[:3], "other medicines"] if meds else other[:3]
    return sentence(f"{and_list(names)} are common causes")


def short_answer(a: Answer) -> list[str]:
    """2-4 sentences: the verdict, the label's rate or listing, the reports, who is at higher risk (or what
    else causes it), and the one action. Five parts make four sentences: the verdict and the label join."""
    lead, label = _lead(a), label_sentence(a)
    risk = higher_risk(a)
    parts = [lead, label, reports_sentence(a), risk[0].text if risk else causes_sentence(a), short_action(a)]
    parts = [sentence(x) for x in parts if x]
    if len(parts) > 4 and label:
        joint = "; " if ":" in lead else ": "
        parts[0:2] = [lead.rstrip(".") + joint + label[:1].lower() + label[1:]]
    return parts
