"""The graded verdict: fixed rules over the evidence records, each reason naming its records.

Grades (adrlens.model.GRADES), strongest first, and the rules (version 1):

1. established   a label lists the condition (a narrow term) with a frequency, or in two or more label
                 sources, or one label listing is backed by supporting literature.
2. probable      a label lists the condition (narrow term) in one source without a frequency (a report
                 signal is then named as a further reason, not a promotion); or, with no label listing, a
                 report signal that survives the confounding check, backed by literature or a class effect.
3. possible      a report signal (any source), or literature alone, or only a related (broad) term on
                 a label, or a class effect alone.
4. possible inverse association
                 no label listing, no literature, no source with a signal, and at least one source with
                 fewer reports than expected (ROR upper bound < 1 with E >= 5).
5. not supported no label listing although label sources know the drug, no literature, and reports with
                 enough data (E >= 5 somewhere) show no signal. Wording stays "not supported by the
                 evidence here", never "no".
6. insufficient evidence
                 everything else: too little data to say either way.

Always: a label listing outranks a report signal (rules 1-2 look at labels first); no signal is never
"no" (rule 5's wording, and 'insufficient evidence' as the default); reports never yield an incidence
(no rule or sentence divides report counts by users).
"""

from __future__ import annotations

from adrlens.model import Evidence, Reason, Verdict

RULES_VERSION = "1"
# Expected reports a source must reach before "no signal" counts towards "not supported".
MIN_E_ENOUGH = 5.0
BASE_SCORE = {
    "established": 0.95,
    "probable": 0.8,
    "possible": 0.6,
    "insufficient evidence": 0.35,
    "not supported": 0.15,
    "possible inverse association": 0.05,
}


def _ids(records: list[Evidence]) -> list[str]:
    return [r.id for r in records]


def _robust(rep: Evidence, confounding: list[Evidence]) -> bool:
    """A report signal survives when its source's confounding check (if any) still supports it."""
    src = rep.data.source_name
    checks = [c for c in confounding if c.data.source == src]
    return not checks or any(c.direction == "supports" for c in checks)


def grade(evidence: list[Evidence], drug: str, condition: str) -> Verdict:
    by = lambda kind: [e for e in evidence if e.kind == kind]  # noqa: E731
    labels, lit, reps = by("label"), by("literature"), by("reports")
    counts, klass, conf = by("count_table"), by("class_effect"), by("confounding")
    indic = by("indication")
    label_narrow = [e for e in labels if e.direction == "supports" and e.data.listed_narrow_pts]
    label_freq = [e for e in label_narrow if e.data.freq_text]
    label_broad = [e for e in labels if e.direction == "supports" and not e.data.listed_narrow_pts]
    lit_sup = [e for e in lit if e.direction == "supports"]
    rep_sig = [e for e in reps if e.direction == "supports" and e.data.scope == "narrow"]
    rep_sig_broad = [e for e in reps if e.direction == "supports" and e.data.scope == "broad"]
    rep_robust = [e for e in rep_sig if _robust(e, conf)]
    count_sig = [e for e in counts if e.direction == "supports"]
    class_sup = [e for e in klass if e.direction == "supports"]
    inverse = [e for e in reps if e.direction == "inverse"]
    label_known = [e for e in labels if e.data.drug_known]
    powered = [e for e in reps if (e.data.e or 0) >= MIN_E_ENOUGH]
    any_signal = rep_sig or rep_sig_broad or count_sig
    reasons: list[Reason] = []
    cond = condition.lower()

    if label_narrow and (label_freq or len(label_narrow) >= 2 or lit_sup):
        g = "established"
        reasons.append(
            Reason(
                f"{cond} is listed for {drug} on "
                f"{len(label_narrow)} label source(s)" + (" with a frequency" if label_freq else ""),
                _ids(label_narrow),
            )
        )
        if lit_sup:
            reasons.append(Reason("articles report the association", _ids(lit_sup)))
        if rep_sig or count_sig:
            reasons.append(Reason("reports show a disproportionality signal", _ids(rep_sig + count_sig)))
    elif label_narrow:
        g = "probable"
        reasons.append(
            Reason(f"{cond} is listed for {drug} on one label source, with no frequency", _ids(label_narrow))
        )
        if rep_sig or count_sig:
            reasons.append(
                Reason("reports show a disproportionality signal (hypothesis-generating)", _ids(rep_sig + count_sig))
            )
    elif rep_robust and (lit_sup or class_sup):
        g = "probable"
        reasons.append(Reason("a report signal that survives the confounding check", _ids(rep_robust)))
        reasons.append(Reason("backed by literature or the drug's class", _ids(lit_sup + class_sup)))
    elif any_signal or lit_sup or label_broad or class_sup:
        g = "possible"
        if rep_sig or rep_sig_broad or count_sig:
            reasons.append(
                Reason(
                    "reports show a disproportionality signal (hypothesis-generating)",
                    _ids(rep_sig + rep_sig_broad + count_sig),
                )
            )
        if lit_sup:
            reasons.append(Reason("articles report the association", _ids(lit_sup)))
        if label_broad:
            reasons.append(Reason("only a related term is on a label", _ids(label_broad)))
        if class_sup:
            reasons.append(Reason("other drugs of the same class show it", _ids(class_sup)))
    elif inverse:
        g = "possible inverse association"
        reasons.append(Reason("fewer reports than expected; to be studied, not a benefit", _ids(inverse)))
    elif label_known and powered:
        g = "not supported"
        reasons.append(Reason("no label lists it although label sources know the drug", _ids(label_known)))
        reasons.append(Reason("reports with enough expected cases show no signal", _ids(powered)))
    else:
        g = "insufficient evidence"
        reasons.append(Reason("too little data to say either way", _ids(labels + reps)))

    # Caveats that always travel with the grade.
    caveats = ["Spontaneous reports cannot give an incidence or prove causation; a signal is a hypothesis."]
    if g in ("not supported", "insufficient evidence"):
        caveats.append("No signal is not the same as no risk.")
    overlap = [e for e in indic if e.direction == "against"]
    if overlap:
        caveats.append("The condition overlaps the drug's own indication: reports may reflect why it was given.")
        reasons.append(Reason("confounding by indication is likely", _ids(overlap)))
    if rep_sig and not rep_robust:
        caveats.append("The report signal does not survive removing reports with other causes of the condition.")
        reasons.append(Reason("signal explained by confounders", _ids(conf)))

    # A small within-grade term keeps scores ordered by strength of report evidence (for AUC ties).
    ic = max((e.data.ic025 if e.data.ic025 is not None else -10 for e in reps if e.data.scope == "narrow"), default=-10)
    score = BASE_SCORE[g] + 0.04 * max(min(ic, 5), -5) / 5
    return Verdict(
        grade=g, score=round(score, 4), headline="", reasons=reasons, caveats=caveats, rules_version=RULES_VERSION
    )
