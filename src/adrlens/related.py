"""Related questions: the drug's strongest other side effects, and the other drugs most linked to the condition.

    related(con, "amlodipine", "Peripheral neuropathy", narrow, broad, settings)
    -> {"drug_top_signals": [...], "condition_top_drugs": [...], "questions": [...], "excluded": {...}}

Placement: a module of its own between the engine and the evidence layer (beside ``verdict`` and ``action``
in the import-linter layers). It reads the indication decision of ``evidence.indication`` (``treats``) and the
case counts of ``signals.tables`` (``count_tables``), so it cannot live in ``store``; it is no evidence
provider (it is not about the asked pair), so it is not in ``evidence``.

The drug's effects: its signalling pairs (``rules``: a >= MIN_CASES and a lower bound above its threshold) in
the source holding most of its reports, the ones its labels list first, without

* terms that are what the drug treats (``evidence.indication.treats``: amlodipine 'hypertension');
* terms that name no effect of the drug on the body (``NOT_AN_EFFECT``: overdose, medication errors, product
  issues, exposures, lack of effect, interactions).

The condition's drugs: drugs with a signalling pair for the condition's narrow terms, by their best EB05, without

* drugs that treat the condition (icatibant and angioedema);
* co-travellers: a drug whose cases with the condition mostly (>= ``CO_REPORT_SHARE``) also report a drug
  ranked above it (dexamethasone given with bortezomib in myeloma regimens), counted in the drug's own source
  by ``signals.tables.count_tables`` with one exclusion flag per stronger drug.

Questions name conditions in plain words (``plain_name``): the catalogue concept whose headline term is the
PT, by its everyday name where it gives one ("Hypotension (low blood pressure)" -> "low blood pressure").
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache

import duckdb

from adrlens.evidence.base import EvidenceSettings
from adrlens.evidence.indication import treats
from adrlens.evidence.indication_terms import Ontology, ontology
from adrlens.signals import rules
from adrlens.signals.tables import Exclusion, SignalSettings, count_tables
from adrlens.store import queries
from adrlens.vocab.conditions import Concept, load_catalogue

# Terms that report what happened to the product or the prescription, not what the drug did to the body.
# Reference: MedDRA SOC "Injury, poisoning and procedural complications" (HLGTs "Medication errors and other
# product use errors and issues", "Chemical injury and poisoning", "Exposures, chemical injuries and
# poisoning"), SOC "Product issues", and the SOC "General disorders and administration site conditions" HLT
# "Therapeutic and nontherapeutic responses" (lack of effect, interactions) and "no adverse event" style
# terms (MedDRA Introductory Guide, ICH "MedDRA Term Selection: Points to Consider" 3.15-3.17, 3.20). The
# store holds no MedDRA hierarchy (the shared CTCAE file gives a SOC for some 800 terms only, and that SOC also
# holds real effects such as falls and fractures), so the terms are matched by these word patterns.
NOT_AN_EFFECT: tuple[tuple[str, str], ...] = (
    (r"\b(?:over|under)dose\b", "overdose / underdose (poisoning; medication errors)"),
    (r"\bpoisoning\b|^toxicity to various agents$|^drug toxicity$", "chemical injury and poisoning"),
    (r"\berror\b|\bwrong\b|\bincorrect\b|\binappropriate schedule\b", "medication errors"),
    (r"\bdose omi|\bextra dose\b|\bdose administered\b|\bproduct administered\b", "medication errors"),
    (r"\bproduct\b|\bdevice\b|\bcounterfeit\b|\bexpired\b", "product issues (quality, use, device)"),
    (r"\boff label\b|\bunapproved indication\b|\bmisuse\b|\babuse(?:r)?\b", "off-label use, misuse and abuse"),
    (r"\bexposure\b", "exposures (pregnancy, accidental, previous exposure)"),
    (r"\bineffective\b|\btreatment failure\b|\bvaccination failure\b|\bdrug resistance\b", "lack of effect"),
    (r"\b(?:drug|therapeutic product) effect\b|\btherapeutic response\b|\bdrug tolerance\b", "lack of effect"),
    (r"\binteraction\b|\bdrug level\b|\bdrug screen\b", "interactions and drug levels"),
    (r"^(?:no )?adverse (?:drug )?(?:event|reaction)$|^unevaluable event$|^ill-defined disorder$", "no event"),
    (r"^drug intolerance$|^condition aggravated$|^(?:concomitant )?disease progression$", "no specific event"),
    (r"\bnoncompliance\b|^death$", "no specific event"),
)
_NOT_AN_EFFECT = re.compile("|".join(f"(?:{p})" for p, _ in NOT_AN_EFFECT))

CO_REPORT_SHARE = 0.5  # a drug is a co-traveller when this share of its cases also report a stronger drug
SHOWN = 5  # rows kept on each side
ASKED = 3  # questions on each side
_CANDIDATES = 60  # pairs read before the filters
_CANDIDATE_DRUGS = 12


def is_effect(pt: str) -> bool:
    """False for terms that name no effect of a drug on the body (``NOT_AN_EFFECT``)."""
    return _NOT_AN_EFFECT.search(pt.lower()) is None


@cache
def _by_headline() -> dict[str, Concept]:
    """Catalogue concepts by their headline (first narrow) term; the first concept wins."""
    out: dict[str, Concept] = {}
    for c in load_catalogue()[1]:
        if c.narrow:
            out.setdefault(c.narrow[0], c)
    return out


@cache
def _by_name() -> dict[str, Concept]:
    return {c.name: c for c in load_catalogue()[1]}


def _lower(text: str) -> str:
    """Lower case, keeping abbreviations ('QT', 'SJS')."""
    return " ".join(w if len(w) > 1 and w.isupper() else w.lower() for w in text.split())


def plain_label(name: str, synonyms: tuple[str, ...] = ()) -> str:
    """A concept name in words for a question: 'Hypotension (low blood pressure)' -> 'low blood pressure',
    'Anaphylaxis / anaphylactic shock' -> 'anaphylaxis', 'Myasthenia gravis (worsening)' -> 'myasthenia gravis'.
    The part in brackets is the everyday name when the catalogue lists it as a synonym, or when it is a
    lower-case phrase of two words or more."""
    m = re.match(r"^(.*?)\s*\((.*)\)\s*$", name)
    if m:
        outer, inner = m.group(1), m.group(2)
        if inner.lower() in {s.lower() for s in synonyms} or (len(inner.split()) >= 2 and inner == inner.lower()):
            return _lower(inner)
        name = outer
    return _lower(name.split(" / ")[0])


def plain_name(pt_or_label: str) -> str:
    """A PT or a concept name in plain words: the catalogue concept it heads (its everyday name), else the PT in
    lower case."""
    c = _by_name().get(pt_or_label) or _by_headline().get(pt_or_label.lower().strip())
    return plain_label(c.name, c.synonyms) if c else _lower(pt_or_label)


def _condition_of(pt: str) -> tuple[list[str], str | None]:
    """The narrow terms and name to check an indication with: the concept the PT heads, else the PT alone."""
    c = _by_headline().get(pt)
    return (list(c.narrow), c.name) if c else ([pt], None)


def _misuse_share(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pt: str,
    source: str,
    settings: SignalSettings,
    cache: dict[str, Exclusion],
) -> float:
    """The share of the drug's cases with the PT (in `source`) that also report a term of ``NOT_AN_EFFECT``
    (an overdose, a medication error): counted by `count_tables` with that exclusion flag."""
    if source not in cache:
        rows = con.execute("SELECT DISTINCT pt FROM report_event WHERE source = ?", [source]).fetchall()
        terms = [t for (t,) in rows]
        cache[source] = Exclusion("not_an_effect", event_pts=tuple(sorted(t for t in terms if t and not is_effect(t))))
    s = dataclasses.replace(settings, source=source, stratify=False)
    ts = count_tables(con, [drug], [pt], settings=s, exclusions=[cache[source]])
    a = ts.table(drug).a
    return ts.flagged(drug, ["not_an_effect"])[1] / a if a else 0.0


def drug_effects(
    con: duckdb.DuckDBPyConnection, drug: str, exclude_pts: list[str], settings: SignalSettings, ont: Ontology
) -> tuple[list[dict], dict[str, list[str]]]:
    """The drug's strongest other effects (labelled signals first, then signals) and what was left out."""
    out: list[dict] = []
    excluded: dict[str, list[str]] = {"not_an_effect": [], "after_misuse": [], "treated": []}
    names: set[str] = set()
    misuse: dict[str, Exclusion] = {}
    for r in queries.top_signals_for_drug(con, drug, exclude_pts, rules.MIN_CASES, limit=_CANDIDATES):
        if len(out) >= SHOWN:
            break
        pt = r["pt"]
        if not is_effect(pt):
            excluded["not_an_effect"].append(pt)
            continue
        with_misuse = _misuse_share(con, drug, pt, r["source"], settings, misuse)
        if with_misuse >= CO_REPORT_SHARE:  # shock after an overdose: a consequence of the overdose
            excluded["after_misuse"].append(f"{pt} ({with_misuse:.0%})")
            continue
        pts, name = _condition_of(pt)
        if treats(con, drug, pts, settings, condition=name, ont=ont):
            excluded["treated"].append(pt)
            continue
        plain = plain_name(pt)
        if plain in names:  # two terms of one concept: one question
            continue
        names.add(plain)
        out.append({**r, "name": plain})
    return out, excluded


def co_reporting(
    con: duckdb.DuckDBPyConnection, ranked: list[str], pts: list[str], settings: SignalSettings
) -> dict[str, tuple[str, float, int] | None]:
    """For each drug of `ranked` (strongest first), the drug ranked above it that the largest share of its cases
    with the condition also report: (that drug, the share, the drug's cases in that source), the largest over
    the report sources where the drug has at least MIN_CASES such cases; None for the first drug or too few
    cases. One `count_tables` per source with one exclusion flag per stronger drug. (A primary-suspect
    extract shows only the ingredients of one combination product together.)"""
    out: dict[str, tuple[str, float, int] | None] = dict.fromkeys(ranked)
    sources = [s for (s,) in con.execute("SELECT DISTINCT source FROM report ORDER BY 1").fetchall()]
    for src in sources:
        s = dataclasses.replace(settings, source=src, stratify=False)
        ts = count_tables(con, ranked, pts, settings=s, exclusions=[Exclusion(d, drugs=(d,)) for d in ranked[:-1]])
        for i, d in enumerate(ranked):
            a = ts.table(d).a
            if a < rules.MIN_CASES:
                continue
            for y in ranked[:i]:
                share = ts.flagged(d, [y])[1] / a
                if out[d] is None or share > out[d][1]:
                    out[d] = (y, share, a)
    return out


def condition_drugs(
    con: duckdb.DuckDBPyConnection,
    pts: list[str],
    condition: str,
    exclude_drug: str,
    settings: SignalSettings,
    ont: Ontology,
) -> tuple[list[dict], dict[str, list[str]]]:
    """The drugs most linked to the condition, without the drugs that treat it and the co-travellers."""
    ranked = queries.top_drugs_for_pts(con, pts, exclude_drug, rules.MIN_CASES, limit=_CANDIDATE_DRUGS)
    co = co_reporting(con, [r["drug"] for r in ranked], pts, settings) if ranked else {}
    out: list[dict] = []
    excluded: dict[str, list[str]] = {"treats": [], "co_reported": []}
    for r in ranked:
        d = r["drug"]
        hit = co.get(d)
        if hit and hit[1] >= CO_REPORT_SHARE:
            excluded["co_reported"].append(f"{d} (with {hit[0]} in {hit[1]:.0%} of {hit[2]} cases)")
            continue
        if treats(con, d, pts, settings, condition=condition, ont=ont):
            excluded["treats"].append(d)
            continue
        out.append({**r, "co_reported_with": hit[0] if hit else None, "co_report_share": hit[1] if hit else None})
        if len(out) >= SHOWN:
            break
    return out, excluded


def related(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    condition: str,
    narrow: list[str],
    broad: list[str],
    settings: EvidenceSettings,
) -> dict:
    """The related block of an answer: both lists, the questions they make, and what was left out and why."""
    sig, ont = settings.signal, ontology(con)
    effects, ex_effects = drug_effects(con, drug, list(dict.fromkeys([*narrow, *broad])), sig, ont)
    drugs, ex_drugs = condition_drugs(con, narrow, condition, drug, sig, ont) if narrow else ([], {})
    cond = plain_name(condition)
    questions = [f"Can {drug} cause {r['name']}?" for r in effects[:ASKED]]
    questions += [f"Can {r['drug']} cause {cond}?" for r in drugs[:ASKED]]
    return {
        "drug_top_signals": effects,
        "condition_top_drugs": drugs,
        "questions": questions,
        "excluded": {**ex_effects, **ex_drugs},
        "rules": {
            "co_report_share": CO_REPORT_SHARE,
            "not_an_effect": list(dict.fromkeys(g for _, g in NOT_AN_EFFECT)),
        },
    }
