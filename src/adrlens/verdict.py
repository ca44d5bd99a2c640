"""The graded verdict: fixed rules over the evidence records, each reason naming its records.

Rules version 3, in plain words. The evidence is first read as *lines of evidence*, each with a level
(0 none, 1 weak, 2 moderate, 3 strong), counting only the condition's own (narrow) terms:

* label       3: a boxed warning or warnings-section entry, or a rate above placebo; 2: a rate (or a
              frequency word from "very common" to "uncommon") without placebo; 1: listed with no rate, "rare",
              postmarketing only, or among events "where a causal relationship is uncertain". Listed in two or
              more label sources: one level more (at most 2 when every listing is weak), unless every listing
              is weak and one label calls the causal relationship uncertain (then it stays 1, uncertain). The
              current US label read online and the offline copy of the same label count as one.
* literature  3: two or more controlled studies (trials, cohort, case-control, meta-analyses) support it;
              2: two or more articles, or one controlled study; 1: one article.
* reports     2: a disproportionality signal (adrlens.signals.rules) in two or more sources (report sources
              or publishers of count tables), or a strong one (`rules.strong`: the EB05 screen, or a >= 5 with
              ROR025 >= 2); 1: a signal in one source. A signal counts only when it survives the confounding
              check and is not explained by the drug's indication. A signal in published count tables alone
              (not deduplicated or checked for confounding here) is weak (1) when it is the only line.
* cases       1: case-level evidence in the reports: onsets of at least CASES_DATED_MIN dated cases mostly
              (upper quartile) within ONSET_Q3_MAX_DAYS days, or RECHALLENGE_MIN positive rechallenges.
* genetics    3: a PharmGKB level 1A/1B or CPIC level A genetic risk factor named for this pair.
* class       1: other drugs of the same class carry it (context: never one of "several kinds" by itself).

Evidence against: controlled studies that found no link ("contradicting", strong when two or more and
more than the controlled studies supporting it); report sources with enough expected reports that an
excess would have shown, and none did (`no_excess`).

Grades, the first rule that holds:

0. The condition is what the drug treats (or a sign of the disease it treats), by high-precision
   indication sources, and no label rates it as a side effect (label level >= 2): "not supported" when
   label or report data exist, else "insufficient evidence"; flagged "indication". Report signals on it are
   explained, not counted.
1. Controlled studies contradict it (strong) and neither a strong label statement nor controlled studies
   support it: "not supported"; a report signal is then flagged as possibly stimulated reporting.
2. established: label level 3; or literature level 3; or a label listing (not one "where a causal
   relationship is uncertain") with literature level >= 2, or confirmed independently: a reports line of
   level 2 plus articles, a class effect, a genetic risk factor or case-level evidence (a listing that rests
   on postmarketing reports alone is not confirmed by reports again); or genetics with any other line.
3. probable: two drug-specific lines (label, literature, reports, genetics, case-level evidence) of level
   >= 1 with levels summing to 3 or more; or a drug-specific line of level >= 2 with a class effect; or
   genetics. A label rate alone (no placebo comparison) is one kind of evidence: possible.
4. possible: any drug-specific line of level >= 1, or a class effect alone ("one kind of evidence");
   except one weak report signal that nothing else supports while the labels know the drug and list
   nothing of the condition: insufficient evidence.
5. possible inverse association: nothing supports it and a report source shows fewer reports than
   expected (ROR upper bound < 1 with E >= 5).
6. not supported: nothing supports it, label sources know the drug and do not list it, and report data
   argue against an excess (no_excess) or controlled studies contradict it.
7. insufficient evidence: everything else.

Broad terms (related symptoms) never lift a grade: they appear as their own reasons only. The rules are
monotone: adding a supporting record never lowers the grade, adding a record against never raises it (a test
checks this over random evidence). No signal is never "no"; reports never give an incidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adrlens.model import LABEL_STRENGTHS, Evidence, Reason, Verdict
from adrlens.signals import rules

RULES_VERSION = "3"
BASE_SCORE = {
    "established": 0.95,
    "probable": 0.8,
    "possible": 0.6,
    "insufficient evidence": 0.35,
    "not supported": 0.15,
    "possible inverse association": 0.05,
}
# Label strength -> level of the label line (LABEL_STRENGTHS is strongest first).
LABEL_LEVEL = {"warning": 3, "above_placebo": 3, "frequency": 2, "weak": 1, "related_only": 0, "none": 0}
# Literature: controlled studies for level 3 (and for "strong" contradiction), articles for level 2.
LIT_CONTROLLED_STRONG = 2
LIT_ARTICLES_MODERATE = 2
# Report sources with a signal for reports level 2.
REPORT_SOURCES_MODERATE = 2
# Case-level evidence: dated cases whose onsets mostly (the upper quartile) fall within a risk window, or
# positive rechallenges.
CASES_DATED_MIN = 10
ONSET_Q3_MAX_DAYS = 42
RECHALLENGE_MIN = 3

# What each grade means, in words a reader can check (the article shows them).
GRADE_MEANING: dict[str, str] = {
    "established": "A strong label statement (a warning, or a rate above placebo), consistent controlled studies, "
    "or a label listing that independent evidence confirms.",
    "probable": "Several independent kinds of evidence agree (for example a label listing and a clear signal in "
    "the reports), but none of them is conclusive.",
    "possible": "One kind of evidence points to a link (a label listing, an article or a report signal), but "
    "not several.",
    "insufficient evidence": 'Too little data to say either way. This is not a "no".',
    "not supported": "Enough data or controlled studies, and none of it points to a link. This is still not proof "
    "that there is no risk.",
    "possible inverse association": "Fewer reports than expected, consistently. This is something to be studied, "
    "not a benefit.",
}

FLAGS = (
    "indication",  # the condition is what the drug treats
    "contradicting_studies",  # controlled studies found no link
    "stimulated_reporting",  # reports rose sharply after some year: possibly publicity, not new cases
    "protective_findings",  # some studies suggest it may help: not established
    "genetic_risk",  # a pharmacogenomic risk factor is named
    "risk_factors",  # co-morbidities that raise the risk (kept, not removed)
    "related_symptoms_only",  # only broad terms carry listings or signals
    "inconsistent_reports",  # one report source shows a signal, another argues against an excess
)
assert set(LABEL_LEVEL) == set(LABEL_STRENGTHS)


@dataclass
class Line:
    """One line of evidence: its level and the records it rests on."""

    kind: str
    level: int = 0
    ids: list[str] = field(default_factory=list)
    text: str = ""


def _ids(records: list[Evidence]) -> list[str]:
    return [r.id for r in records]


def _one_per_document(narrow: list[Evidence]) -> list[Evidence]:
    """The current label read online and the older offline copy of the same label are one label source, not
    two that agree: the current one stands for both."""
    current = {e.data.same_document_as for e in narrow if e.data.same_document_as}
    return [e for e in narrow if e.source not in current]


def _label_line(labels: list[Evidence]) -> tuple[Line, list[Evidence], bool]:
    """The label line from the narrow listings; also the broad-only listings and whether every narrow
    listing sits among events of uncertain causality."""
    narrow = _one_per_document([e for e in labels if e.direction == "supports" and e.data.listed_narrow_pts])
    broad_only = [e for e in labels if e.direction == "supports" and not e.data.listed_narrow_pts]
    if not narrow:
        return Line("label"), broad_only, False
    levels = [LABEL_LEVEL.get(e.data.strength, 1) or 1 for e in narrow]
    level = max(levels)
    # A label whose text puts the condition among events of uncertain causality has said the most a label
    # says about it; weak listings without that context (a database extracted from labels) do not overrule
    # it, and do not add up to agreement.
    uncertain = all(e.data.uncertain_causality for e in narrow) or (
        level <= 1 and any(e.data.uncertain_causality for e in narrow)
    )
    if len(narrow) >= 2 and not uncertain:
        level = min(3, level + 1) if level >= 2 else 2
    best = narrow[levels.index(max(levels))]
    words = {
        "warning": "in a boxed warning or the warnings section",
        "above_placebo": "with a rate above placebo",
        "frequency": "with a rate (no placebo comparison)",
        "weak": "with no rate (rare, postmarketing or no frequency)",
    }.get(best.data.strength, "")
    text = f"listed on {len(narrow)} label source{'s' if len(narrow) > 1 else ''} {words}".rstrip()
    if uncertain:
        text += ", among events where a causal relationship is uncertain"
    return Line("label", level, _ids(narrow), text), broad_only, uncertain


def _lit_lines(lit: list[Evidence]) -> tuple[Line, Line, list[Evidence]]:
    """(supporting line, contradicting line, protective records)."""
    sup = [e for e in lit if e.data.stance == "supporting" and e.direction == "supports"]
    con = [e for e in lit if e.data.stance == "contradicting"]
    pro = [e for e in lit if e.data.stance == "protective"]
    # Findings on the condition's own terms only: an article on a related symptom is context, not support.
    s_ctrl = sum(e.data.narrow_controlled_articles for e in sup)
    s_art = sum(e.data.narrow_articles for e in sup)
    c_ctrl = sum(e.data.narrow_controlled_articles for e in con)
    c_art = sum(e.data.narrow_articles for e in con)
    if s_ctrl >= LIT_CONTROLLED_STRONG:
        s_level = 3
    elif s_art >= LIT_ARTICLES_MODERATE or s_ctrl >= 1:
        s_level = 2
    else:
        s_level = 1 if s_art else 0
    support = Line(
        "literature", s_level, _ids(sup), f"{s_art} article(s) report it ({s_ctrl} controlled)" if s_level else ""
    )
    c_level = 3 if (c_ctrl >= LIT_CONTROLLED_STRONG and c_ctrl > s_ctrl) else (1 if c_art else 0)
    against = Line(
        "literature", c_level, _ids(con), f"{c_art} article(s) found no link ({c_ctrl} controlled)" if c_level else ""
    )
    return support, against, pro


def _explained_sources(conf: list[Evidence]) -> set[str]:
    """Report sources whose signal the confounding check explains away (no signal left without confounders)."""
    return {e.data.source for e in conf if e.direction == "against" and e.data.scope in (None, "narrow")}


def _table_family(e: Evidence) -> str:
    """Tables cut from one publisher's data (cumulative openFDA quarters) are one source."""
    return (e.data.table or e.id).split(":")[0]


def _strong_cell(e: Evidence, narrow_pts: set[str]) -> bool:
    return any(
        r.get("event") in narrow_pts and rules.strong(r.get("a"), r.get("ror_lo"), r.get("eb05")) for r in e.data.rows
    )


def _report_lines(
    reps: list[Evidence], counts: list[Evidence], conf: list[Evidence], narrow_pts: set[str]
) -> tuple[Line, Line, list[Evidence], list[Evidence], bool]:
    """(support line, against line, narrow signals explained by confounders, broad-only signals, whether the
    support rests on published count tables only)."""
    explained = _explained_sources(conf)
    narrow = [e for e in reps if e.data.scope == "narrow" and e.data.measurable]
    sig = [e for e in narrow if e.direction == "supports"]
    kept = [e for e in sig if e.data.source_name not in explained]
    lost = [e for e in sig if e.data.source_name in explained]
    broad_sig = [e for e in reps if e.data.scope == "broad" and e.direction == "supports"]
    table_sig = [e for e in counts if e.direction == "supports" and set(e.data.signal_pts or []) & narrow_pts]
    broad_sig += [e for e in counts if e.direction == "supports" and e not in table_sig]
    n_sources = len({e.data.source_name for e in kept}) + len({_table_family(e) for e in table_sig})
    strong = any(rules.strong(e.data.a, e.data.ror_lo, e.data.eb05) for e in kept) or any(
        _strong_cell(e, narrow_pts) for e in table_sig
    )
    if n_sources >= REPORT_SOURCES_MODERATE or strong:
        level = 2
    elif kept or table_sig:
        level = 1
    else:
        level = 0
    support = Line("reports", level, _ids(kept + table_sig), "")
    if level:
        names = sorted({e.data.source_name for e in kept})
        where = f"in {len(names)} report source(s)" if names else "in published count tables"
        if names and table_sig:
            where += " and published count tables"
        support.text = ("clearly " if strong else "") + f"more reports than expected {where}"
    quiet = [e for e in narrow if e.direction != "supports" and e.data.no_excess]
    against = Line("reports", 1 if quiet else 0, _ids(quiet), "enough expected reports and no excess" if quiet else "")
    return support, against, lost, broad_sig, bool(table_sig) and not kept


def _case_line(temporal: list[Evidence], challenge: list[Evidence]) -> Line:
    """Case-level evidence in the reports (not disproportionality): onsets that cluster soon after exposure,
    or the reaction coming back when the drug was restarted."""
    clustered = [
        e
        for e in temporal
        if e.data.cases_with_usable_dates >= CASES_DATED_MIN
        and e.data.q3_days is not None
        and e.data.q3_days <= ONSET_Q3_MAX_DAYS
    ]
    rechallenged = [e for e in challenge if (e.data.rechallenge or {}).get("positive", 0) >= RECHALLENGE_MIN]
    recs = clustered + rechallenged
    if not recs:
        return Line("cases")
    parts = []
    if clustered:
        parts.append(f"onsets cluster within {ONSET_Q3_MAX_DAYS} days of starting in most dated cases")
    if rechallenged:
        parts.append("it came back on restarting in some cases")
    return Line("cases", 1, _ids(recs), "; ".join(parts))


def grade(evidence: list[Evidence], drug: str, condition: str) -> Verdict:
    by = lambda kind: [e for e in evidence if e.kind == kind]  # noqa: E731
    labels, lit, reps = by("label"), by("literature"), by("reports")
    counts, klass, conf = by("count_table"), by("class_effect"), by("confounding")
    indic, pgx, stim = by("indication"), by("pgx"), by("stimulated_reporting")
    narrow_pts: set[str] = set()
    for e in reps:
        if e.data.scope == "narrow":
            narrow_pts |= set(e.data.pts) | set(e.data.pts_not_measurable)
    for e in labels:
        narrow_pts |= set(e.data.listed_narrow_pts)

    label, label_broad, uncertain = _label_line(labels)
    lit_sup, lit_con, protective = _lit_lines(lit)
    rep_sup, rep_con, explained, broad_sig, tables_only = _report_lines(reps, counts, conf, narrow_pts)
    cases = _case_line(by("temporality"), by("challenge")) if rep_sup.level else Line("cases")
    gen = [e for e in pgx if e.direction == "supports"]
    genetics = Line("genetics", 3 if any(e.strength == "strong" for e in gen) else (2 if gen else 0), _ids(gen))
    class_sup = [e for e in klass if e.direction == "supports"]
    indication = [e for e in indic if e.direction == "against" and e.data.is_indication]
    surges = [e for e in stim if e.direction == "supports"]
    inverse = [e for e in reps if e.direction == "inverse"]
    label_known = [e for e in labels if e.data.drug_known]

    flags: list[str] = []
    reasons: list[Reason] = []
    caveats = ["Spontaneous reports cannot give an incidence or prove causation; a signal is a hypothesis."]
    cond = condition.lower()

    # Report signals on the drug's indication are explained, not counted.
    if indication and label.level < 2:
        flags.append("indication")
        if rep_sup.level:
            reasons.append(
                Reason(f"reports of {cond} with {drug} reflect why it is given, not a side effect", rep_sup.ids)
            )
        rep_sup, cases = Line("reports"), Line("cases")
    drug_lines = [x for x in (label, lit_sup, rep_sup, genetics, cases) if x.level]
    kinds = len(drug_lines)
    total = sum(x.level for x in drug_lines)
    # A signal in published count tables only (which cannot be deduplicated or checked for confounding here)
    # is weak on its own; beside other lines it counts at its strength.
    if kinds == 1 and tables_only:
        total = min(total, 1)
    # Independent confirmation of a label listing: a clear report signal and one more kind (articles, the
    # drug's class, a genetic risk factor, case-level evidence).
    # A listing that rests on postmarketing reports alone is not confirmed by reports again.
    confirmed = (
        rep_sup.level >= 2
        and bool(lit_sup.level or class_sup or genetics.level or cases.level)
        and not all(e.data.postmarketing_only for e in labels if e.id in label.ids)
    )
    label_unlisted = [e for e in labels if e.data.drug_known and not e.data.listed_pts]
    # One weak report signal, and the labels know the drug but do not list the condition: too little to go on.
    lone_weak = kinds == 1 and total <= 1 and bool(rep_sup.level) and bool(label_unlisted) and not class_sup

    def support_reasons() -> None:
        if label.level:
            reasons.append(Reason(f"{cond} is {label.text} for {drug}", label.ids))
        if lit_sup.level:
            reasons.append(Reason(lit_sup.text, lit_sup.ids))
        if rep_sup.level:
            reasons.append(Reason(rep_sup.text + " (a hypothesis, not proof)", rep_sup.ids))
        if genetics.level:
            reasons.append(Reason(_genetic_text(gen), genetics.ids))
        if cases.level:
            reasons.append(Reason(cases.text, cases.ids))
        if class_sup:
            reasons.append(Reason("other drugs of the same class carry it", _ids(class_sup)))

    if "indication" in flags:
        g = "not supported" if (label_known or any(e.data.e for e in reps)) else "insufficient evidence"
        reasons.insert(0, Reason(f"{cond} is what {drug} is used to treat", _ids(indication)))
    elif lit_con.level >= 3 and label.level < 3 and lit_sup.level < 3:
        g = "not supported"
        flags.append("contradicting_studies")
        reasons.append(Reason(lit_con.text, lit_con.ids))
        if rep_sup.level:
            reasons.append(
                Reason(
                    "the report signal is not borne out by controlled studies (reporting may be stimulated)",
                    rep_sup.ids,
                )
            )
    elif (
        label.level >= 3
        or lit_sup.level >= 3
        or (label.level >= 1 and not uncertain and (lit_sup.level >= 2 or confirmed))
        or (genetics.level and kinds >= 2)
    ):
        g = "established"
        support_reasons()
    elif (kinds >= 2 and total >= 3) or (class_sup and any(x.level >= 2 for x in drug_lines)) or genetics.level:
        g = "probable"
        support_reasons()
    elif (kinds or class_sup) and not lone_weak:
        g = "possible"
        support_reasons()
    elif inverse:
        g = "possible inverse association"
        reasons.append(Reason("fewer reports than expected; to be studied, not a benefit", _ids(inverse)))
    elif label_known and (rep_con.level or lit_con.level) and not broad_sig and not label_broad:
        g = "not supported"
        reasons.append(
            Reason(f"no label lists {cond} for {drug} although label sources know the drug", _ids(label_known))
        )
        if rep_con.level:
            reasons.append(
                Reason("report sources had enough expected reports to show an excess, and none did", rep_con.ids)
            )
        if lit_con.level:
            reasons.append(Reason(lit_con.text, lit_con.ids))
    else:
        g = "insufficient evidence"
        if lone_weak:
            reasons.append(
                Reason(
                    f"{rep_sup.text}, but nothing else supports it and no label lists it: too little to go on",
                    rep_sup.ids + _ids(label_unlisted),
                )
            )
        else:
            reasons.append(Reason("too little data to say either way", _ids(labels + reps)))

    # Reasons and flags that travel with any grade.
    if lit_con.level and "contradicting_studies" not in flags:
        flags.append("contradicting_studies")
        if g != "not supported":
            reasons.append(Reason(lit_con.text, lit_con.ids))
    if rep_con.level and rep_sup.level:
        flags.append("inconsistent_reports")
        reasons.append(Reason("another report source had enough expected reports and shows no excess", rep_con.ids))
    elif rep_con.level and g not in ("not supported",):
        reasons.append(Reason("report sources with enough expected reports show no excess", rep_con.ids))
    if surges:
        flags.append("stimulated_reporting")
        reasons.append(
            Reason(
                "reports rose sharply after a point in time, as happens after publicity (stimulated reporting)",
                _ids(surges),
            )
        )
        caveats.append("A rise in reports after publicity does not mean more people were harmed.")
    if protective:
        flags.append("protective_findings")
        reasons.append(Reason("some studies suggest it may help; this is not established", _ids(protective)))
    if genetics.level:
        flags.append("genetic_risk")
    risk = [e for e in conf if e.data.risk_factors]
    if risk:
        flags.append("risk_factors")
        reasons.append(
            Reason("some conditions make the risk larger (risk factors, not other explanations)", _ids(risk))
        )
    if explained:
        caveats.append("A report signal does not survive removing reports with other causes of the condition.")
        reasons.append(Reason("a report signal is explained by other causes", _ids(explained + conf)))
    related = label_broad + broad_sig
    if related:
        if not (label.level or rep_sup.level):
            flags.append("related_symptoms_only")
        reasons.append(Reason("related symptoms (broad terms), not counted towards the grade", _ids(related)))
    if g in ("not supported", "insufficient evidence"):
        caveats.append("No signal is not the same as no risk.")

    score = BASE_SCORE[g] + _within(label.level, lit_sup.level, rep_sup.level, bool(class_sup), reps)
    return Verdict(
        grade=g,
        score=round(score, 4),
        headline="",
        reasons=reasons,
        caveats=caveats,
        rules_version=RULES_VERSION,
        flags=flags,
    )


def _genetic_text(gen: list[Evidence]) -> str:
    """ "a genetic risk factor: HLA-B*15:02 (PharmGKB 1A, CPIC A); ..." with source and level."""
    parts = []
    for e in gen[:3]:
        d = e.data
        level = ", ".join(
            x for x in (f"PharmGKB {d.level}" if d.level else "", f"CPIC {d.cpic_level}" if d.cpic_level else "") if x
        )
        parts.append(f"{d.variant or d.gene}" + (f" ({level})" if level else ""))
    return "a genetic risk factor raises the risk: " + "; ".join(parts)


def _within(label: int, lit: int, rep: int, klass: bool, reps: list[Evidence]) -> float:
    """A small within-grade term (|x| < 0.05) that orders pairs of one grade by the strength of their evidence
    (for AUC ties); the grade gaps are wider, so the score stays monotone in the grade."""
    ic = max((e.data.ic025 for e in reps if e.data.scope == "narrow" and e.data.ic025 is not None), default=-5.0)
    return 0.004 * (label + lit + rep + klass) + 0.02 * max(min(ic, 5.0), -5.0) / 5.0
