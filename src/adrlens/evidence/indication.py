"""Evidence about indication: is the "adverse event" what the drug is given for (amlodipine x hypertension,
an antiepileptic x seizure), or a sign of the disease it treats (metformin x high blood sugar)?

``indication_overlap(...)`` (kind ``indication``) matches the condition against the diseases the drug treats.
Only high-precision sources decide (``is_indication``):

* DrugCentral's indications (``drug_indication``, Disease Ontology names);
* MEDI's high-precision subset, where MEDI marks the use as a possible label use (judged on a random sample
  of 25 + 25 rows: about 23/25 of the on-label rows name a real use, about 19/25 of the others), and the
  label does not list it as an adverse effect (MEDI mines label text: ticlopidine 'neutropenia');
* the drug's WHO ATC class names where they name a disease ("Drugs used in diabetes", "Antiepileptics"),
  read by general text rules and named through the Disease Ontology's labels.

SIDER's text-mined label indications, DrugBank-DOID, MEDI's off-label rows and the indications reported for
the drug in each report source are shown, never decide. The condition's narrow terms, its label and its
catalogue synonyms decide; broad terms (related symptoms) are only mentioned. A treated disease matches a
term when they name the same thing, or one is a form of the other that differs only by qualifiers that keep
the disease (hereditary, essential, type 2, chronic, ...), never by a site ("pulmonary hypertension" is not
high blood pressure). A manifestation is a narrow term other than the condition's headline term (the
catalogue groups diabetes with hyperglycaemia), or a symptom the Disease Ontology links to the treated
disease alone (``disease_link``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import duckdb

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.evidence.causes import UNINFORMATIVE_INDICATIONS, norm_pts
from adrlens.evidence.indication_terms import Ontology, head, key, ontology, plain, term_match
from adrlens.jsonsafe import json_safe
from adrlens.model import Evidence, IndicationData
from adrlens.signals.tables import SignalSettings
from adrlens.sources import registry
from adrlens.sources.knowledge import profiles as prof_src
from adrlens.vocab.conditions import Concept, load_catalogue


# -- what the drug treats ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Treated:
    name: str  # as the source gives it
    source: str
    deciding: bool
    disease_id: str | None = None
    via: str | None = None  # e.g. the ATC class name the disease was read from


_COMPOSITE = re.compile(r",|/| and | excl")
_DRUGS_FOR = re.compile(r"^drugs?\s+(?:used\s+)?(?:in|for)\s+(?:the\s+)?(?:treatment\s+of\s+)?(.+)$")
_ANTI = re.compile(r"^anti-?([a-z]+)(?:\s+(?:preparations|agents|drugs|products|substances))?$")
_ANTI_FOR = re.compile(r"^anti-?[a-z]+\s+for\s+(?:the\s+)?(?:treatment\s+of\s+)?(.+)$")
_NOT_A_DISEASE = re.compile(r"\b(?:use|administration|treatment|therapy)$")
_ADJ_SUFFIXES = ("ics", "ic", "ives", "ive", "als", "al", "ants", "ant")


def _anti_disease(word: str, ont: Ontology) -> str | None:
    """'epileptics' -> the DO disease 'epilepsy': a one-word DO label sharing the stem and differing only in a
    short ending (not '-itis', an inflammation of the organ a stem like 'thyroid' names)."""
    stem = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
    for suf in _ADJ_SUFFIXES:
        if stem.endswith(suf) and len(stem) - len(suf) >= 4:
            stem = stem[: -len(suf)]
            break
    root = stem[:-1] if len(stem) > 4 else stem
    hits = [
        label
        for label in ont.by_key.values()
        if " " not in label and label.startswith(root) and len(label) - len(stem) <= 3 and not label.endswith("itis")
    ]
    return min(hits, key=len) if hits else None


def atc_diseases(class_name: str, ont: Ontology) -> list[str]:
    """The disease an ATC class name names, by text rules: 'Drugs used in hereditary angioedema' ->
    ['hereditary angioedema'], 'ANTIEPILEPTICS' -> ['epilepsy']; [] for a name that lists several groups
    (the drug is in one of them only) or names no disease ('Calcium channel blockers')."""
    name = class_name.lower().strip()
    if _COMPOSITE.search(name):
        return []
    m = _DRUGS_FOR.match(name) or _ANTI_FOR.match(name)
    if m:
        disease = m.group(1).strip()
        return [] if _NOT_A_DISEASE.search(disease) else [disease]
    m = _ANTI.match(name)
    if m:
        found = _anti_disease(m.group(1), ont)
        return [found] if found else []
    return []


def _labelled_keys(con: duckdb.DuckDBPyConnection, drug: str) -> set[tuple[str, ...]]:
    """Name keys of the adverse effects the drug's label sources list (``label_effect``)."""
    try:
        rows = con.execute("SELECT DISTINCT pt FROM label_effect WHERE ingredient = ?", [drug]).fetchall()
    except duckdb.CatalogException:
        return set()
    return {key(pt) for (pt,) in rows if pt}


def _treated(con: duckdb.DuckDBPyConnection, drug: str, ont: Ontology) -> list[_Treated]:
    out: list[_Treated] = []
    labelled = _labelled_keys(con, drug)
    for ind, did, src, note in con.execute(
        "SELECT DISTINCT lower(indication), indication_id, source, note FROM drug_indication WHERE ingredient = ? "
        "ORDER BY 3, 1",
        [drug],
    ).fetchall():
        on_label = src == prof_src.MEDI_SOURCE and note == "on label"
        # MEDI mines label text, warnings included: a use it finds that the label lists as an adverse effect
        # (ticlopidine 'neutropenia') is not evidence of a use.
        adverse = on_label and (key(head(ind)) in labelled or key(ind) in labelled)
        deciding = src == prof_src.DRUGCENTRAL_SOURCE or (on_label and not adverse)
        label = src
        if src == prof_src.MEDI_SOURCE and not deciding:
            label = f"{src}, {'a labelled adverse effect' if adverse else 'off label'}"
        out.append(_Treated(ont.by_id.get(did or "", ind), label, deciding, did))
    named = [
        (code, cname, atc_diseases(cname, ont))
        for code, cname in con.execute(
            "SELECT DISTINCT class_id, class_name FROM drug_class WHERE ingredient = ? AND source = ? "
            "AND class_type IN ('ATC2', 'ATC3', 'ATC4') AND class_id IS NOT NULL ORDER BY 1",
            [drug, prof_src.ATC_SOURCE],
        ).fetchall()
    ]
    named = [(code, cname, ds) for code, cname, ds in named if ds]
    for code, cname, diseases in named:
        # The deepest level that names a disease says it: C02 'Antihypertensives' holds C02KX 'Antihypertensives
        # for pulmonary arterial hypertension'.
        if any(c != code and c.startswith(code) for c, _, _ in named):
            continue
        for disease in diseases:
            out.append(_Treated(disease, prof_src.ATC_SOURCE, True, None, cname))
    return out


# -- the condition's terms --------------------------------------------------------------------------------
@cache
def _catalogue() -> dict[str, Concept]:
    return {c.name: c for c in load_catalogue()[1]}


def _label_parts(label: str) -> list[str]:
    """'Hypertension (high blood pressure)' -> ['hypertension', 'high blood pressure']."""
    m = re.match(r"^(.*?)\s*\((.*)\)\s*$", label)
    out = [m.group(1).lower().strip(), m.group(2).lower().strip()] if m else [label.lower().strip()]
    return [t for t in dict.fromkeys(out) if t]


def _terms(narrow: Sequence[str], broad: Iterable[str], condition: str | None) -> list[tuple[str, str]]:
    """(term, kind) in order: the headline narrow term, the label, other narrow terms, synonyms, broad terms."""
    out: list[tuple[str, str]] = []
    if narrow:
        out.append((narrow[0], "headline"))
    if condition:
        out += [(t, "label") for t in _label_parts(condition)]
        concept = _catalogue().get(condition)
        syn = [s.lower() for s in concept.synonyms] if concept else []
    else:
        syn = []
    out += [(t, "narrow") for t in narrow[1:]]
    out += [(t, "synonym") for t in syn]
    out += [(t, "broad") for t in broad if t not in narrow]
    seen: set[tuple[str, ...]] = set()
    uniq = []
    for t, kind in out:
        if key(t) and key(t) not in seen:
            seen.add(key(t))
            uniq.append((t, kind))
    return uniq


def _deciding(kind: str, how: str) -> bool:
    """Narrow terms decide on the same disease or a form of it; label and synonyms on the same name only."""
    if kind in ("headline", "narrow"):
        return how in ("exact", "subtype")
    return kind in ("label", "synonym") and how == "exact"


def _relation(kind: str, how: str) -> str:
    """The condition is the treated disease when its headline term or label names it (the same disease or a
    form of it); when only another narrow term or a synonym does, the condition is a sign of it (the catalogue
    groups it with the disease: hyperglycaemia with diabetes)."""
    return "indication" if kind in ("headline", "label") and how in ("exact", "subtype") else "manifestation"


def _sources_with_indications(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [s for (s,) in con.execute("SELECT DISTINCT source FROM report_indication ORDER BY 1").fetchall()]


def _reported(con: duckdb.DuckDBPyConnection, drug: str, settings: SignalSettings) -> tuple[list[dict], dict[str, int]]:
    """Indications reported for the drug itself (its own drug_seq) in every source that records them."""
    reported: list[dict] = []
    drug_cases_with_ind: dict[str, int] = {}
    for src in _sources_with_indications(con):
        s = dataclasses.replace(settings, source=src)
        pop, params = s.population_sql()
        rows = con.execute(
            f"""WITH pop AS (SELECT r.caseid FROM report r WHERE {pop}),
            di AS (SELECT DISTINCT ri.caseid, ri.indi_pt FROM report_indication ri
                   JOIN report_drug rd ON rd.source = ri.source AND rd.caseid = ri.caseid AND rd.drug_seq = ri.drug_seq
                   WHERE ri.source = ? AND rd.ingredient = ? AND {s.role_sql()}
                   AND ri.caseid IN (SELECT caseid FROM pop))
            SELECT indi_pt, count(*), (SELECT count(DISTINCT caseid) FROM di) FROM di GROUP BY 1 ORDER BY 2 DESC, 1""",
            [*params, src, drug],
        ).fetchall()
        if rows:
            drug_cases_with_ind[src] = int(rows[0][2])
        for pt, n, tot in rows:
            if pt in UNINFORMATIVE_INDICATIONS:
                continue
            reported.append({"source": src, "indication": pt, "cases": int(n), "share": n / tot if tot else None})
    return reported, drug_cases_with_ind


def _matches(terms: list[tuple[str, str]], treated: list[_Treated], ont: Ontology) -> list[dict]:
    out: list[dict] = []
    eligible = {t.source for t in treated if t.deciding}
    for t in treated:
        for term, kind in terms:
            how = term_match(term, t.name)
            if how:
                decides = t.deciding and _deciding(kind, how)
                out.append(
                    {
                        "pt": term,
                        "term": kind,
                        "indication": t.name,
                        "source": t.source,
                        "match": how,
                        "deciding": decides,
                        "relation": _relation(kind, how) if decides else None,
                        "via": t.via,
                    }
                )
        if not t.deciding:
            continue
        # A symptom DO links to this treated disease alone is a sign of it.
        label = ont.find(t.name, t.disease_id)
        for symptom in ont.specific_symptoms(label) if label else []:
            for term, kind in terms:
                if kind != "broad" and term_match(term, symptom) == "exact":
                    out.append(
                        {
                            "pt": term,
                            "term": kind,
                            "indication": t.name,
                            "source": t.source,
                            "match": "symptom",
                            "symptom": symptom,
                            "symptom_source": prof_src.DISEASE_ONTOLOGY_SOURCE,
                            "deciding": True,
                            "relation": "manifestation",
                            "via": t.via,
                        }
                    )
    # A bare name is ambiguous when the same source also names a site-specific form of that term for the drug
    # (MEDI: 'hypertension nos' beside 'primary pulmonary hypertension' for a drug of pulmonary hypertension).
    site_forms = {(m["source"], m["pt"]) for m in out if m["match"] == "words" and m["source"] in eligible}
    for m in out:
        if m["deciding"] and m["match"] != "symptom" and (m["source"], m["pt"]) in site_forms:
            m["deciding"], m["relation"], m["ambiguous"] = False, None, True
    return out


def _corroborate_medi(matches: list[dict]) -> None:
    """MEDI alone decides only when another source names the same use: DrugBank-DOID, or the drug's own reports
    (patients given it for that). MEDI and SIDER mine the same label text, so SIDER does not corroborate."""
    if any(m["deciding"] and not m["source"].startswith(prof_src.MEDI_SOURCE) for m in matches):
        return
    if any(m["source"] == prof_src.DOID_SOURCE or m["source"].startswith("reports (") for m in matches):
        return
    for m in matches:
        if m["deciding"]:
            m["deciding"], m["relation"], m["uncorroborated"] = False, None, True


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _treated_names(decisive: list[dict]) -> list[str]:
    """Plain names of the matching treated diseases, each once (DrugCentral's and ATC's names first)."""
    order = {prof_src.DRUGCENTRAL_SOURCE: 0, prof_src.ATC_SOURCE: 1}
    names: dict[tuple[str, ...], str] = {}
    for m in sorted(decisive, key=lambda m: (order.get(m["source"], 2), len(m["indication"]))):
        name = plain(m["indication"])
        names.setdefault(key(name), name)
    return list(names.values())[:3]


def _all_matches(
    terms: list[tuple[str, str]], treated: list[_Treated], reported: list[dict], ont: Ontology
) -> list[dict]:
    """The matches of the condition's terms with the treated diseases and the reported indications, MEDI
    corroborated: the ones with ``deciding`` decide."""
    matches = _matches(terms, treated, ont)
    for r in reported:
        for term, kind in terms:
            # Reported indications are MedDRA PTs, so only an exact PT counts; a top indication must be frequent.
            if r["indication"] == term and (r["cases"] >= 2 or (r["share"] or 0) >= 0.05):
                matches.append(
                    {
                        "pt": term,
                        "term": kind,
                        "indication": term,
                        "source": f"reports ({registry.get(r['source']).short})",
                        "match": "exact",
                        "deciding": False,
                        "relation": None,
                        "cases": r["cases"],
                        "share": r["share"],
                    }
                )
    _corroborate_medi(matches)
    return matches


def treats(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: Sequence[str],
    settings: SignalSettings,
    condition: str | None = None,
    ont: Ontology | None = None,
) -> bool:
    """The decision of `indication_overlap` alone: does a high-precision source say the drug treats the
    condition (or a disease it is a sign of)? For checking many drug x condition pairs with one `ontology`."""
    drug = drug.lower().strip()
    ont = ont or ontology(con)
    ordered = list(dict.fromkeys(p.lower().strip() for p in pts if p and p.strip()))
    reported, _ = _reported(con, drug, settings)
    matches = _all_matches(_terms(ordered, (), condition), _treated(con, drug, ont), reported, ont)
    return any(m["deciding"] for m in matches)


def indication_overlap(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str],
    settings: SignalSettings,
    condition: str | None = None,
    broad: Iterable[str] = (),
) -> list[Evidence]:
    """Is the condition what the drug treats, or a sign of it? One 'indication' record: 'against' and strong
    when a high-precision source says so, 'neutral' when not (noisy-source or broad-term overlaps are named as
    possibly confounded by indication), 'not_available' when nothing is known about the drug's indications.

    `pts` are the condition's narrow terms (they decide), `broad` its related symptoms (only mentioned),
    `condition` its label (its catalogue synonyms decide on an exact name)."""
    drug = drug.lower().strip()
    ordered = list(dict.fromkeys(p.lower().strip() for p in pts if p and p.strip()))  # headline term first
    pts = norm_pts(pts)
    ont = ontology(con)
    treated = _treated(con, drug, ont)
    reported, drug_cases_with_ind = _reported(con, drug, settings)
    terms = _terms(ordered, norm_pts(list(broad)), condition)
    matches = _all_matches(terms, treated, reported, ont)
    decisive = [m for m in matches if m["deciding"]]
    known_sources = sorted({t.source for t in treated})
    data = IndicationData(
        drug=drug,
        pts=pts,
        matches=json_safe(matches),
        known_indications=len(treated),
        known_indication_sources=known_sources,
        top_reported_indications=json_safe(reported[:10]),
        drug_cases_with_reported_indication=drug_cases_with_ind,
        sider_only=bool(matches) and all(m["source"].startswith("SIDER") for m in matches),
        is_indication=bool(decisive),
        relation=(
            ("indication" if any(m["relation"] == "indication" for m in decisive) else "manifestation")
            if decisive
            else None
        ),
        treated=_treated_names(decisive),
        deciding_sources=sorted({m["source"] for m in decisive}),
        noisy_overlap=bool(matches) and not decisive,
    )
    ref = {
        "tables": ["drug_indication", "drug_class", "disease_link", "report_indication", "report_drug"],
        "deciding": "DrugCentral; MEDI high precision (on label); WHO ATC class names naming a disease",
        "match": "lower-case words; forms differing only by qualifiers; DO symptoms specific to the disease",
    }
    cond = (condition or (pts[0] if pts else "the condition")).strip()
    if decisive:
        srcs = data.deciding_sources
        treated_txt = _join(data.treated)
        if data.relation == "indication":
            finding = (
                f"{drug} is used to treat {treated_txt} ({'; '.join(srcs)}): reports of {cond.lower()} with {drug} "
                "reflect why it is given, not a side effect."
            )
        else:
            symptom = next((m["symptom"] for m in decisive if m.get("symptom")), None)
            sign = symptom or (ordered[0] if ordered else cond)
            finding = (
                f"{sign[:1].upper()}{sign[1:]} is a sign of {treated_txt}, which {drug} treats "
                f"({'; '.join(srcs)}): reports of {cond.lower()} with {drug} reflect why it is given, "
                "not a side effect."
            )
        return [
            Evidence(
                id="indication:overlap",
                kind="indication",
                source="; ".join(srcs),
                finding=finding,
                direction="against",
                strength="strong",
                data=data,
                source_ref=ref,
            )
        ]
    if matches:
        srcs = sorted({m["source"] for m in matches})
        shown = _join(sorted({plain(m["indication"]) for m in matches}, key=len)[:3])
        overlap = _join(sorted({m["pt"] for m in matches})[:4])
        verb = "list" if len(srcs) > 1 else "lists"
        finding = (
            f"{'; '.join(srcs[:4])} {verb} {shown} among the uses of {drug}, overlapping {overlap}: possibly "
            "confounded by indication, but no high-precision indication source (DrugCentral, MEDI on label, "
            "WHO ATC) says the condition is what it treats."
        )
        return [
            Evidence(
                id="indication:overlap",
                kind="indication",
                source="; ".join(srcs[:6]),
                finding=finding,
                direction="neutral",
                strength="weak",
                data=data,
                source_ref=ref,
            )
        ]
    if not treated and not reported:
        return [
            Evidence(
                id="indication:overlap",
                kind="indication",
                source="drug_indication, report_indication",
                finding=f"No indication of {drug} is known to the store, so confounding by indication "
                "could not be checked.",
                direction="not_available",
                strength="none",
                data=data,
                source_ref=ref,
            )
        ]
    finding = (
        f"None of the {len(terms)} terms of the condition is among the {len(treated)} known indications of {drug}"
        + (f" or its {len(reported)} reported indications" if reported else "")
        + ": the condition is not what the drug treats."
    )
    return [
        Evidence(
            id="indication:overlap",
            kind="indication",
            source="; ".join(known_sources) or "report_indication",
            finding=finding,
            direction="neutral",
            strength="none",
            data=data,
            source_ref=ref,
        )
    ]


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record: is the condition what the drug is given for, or a sign of the disease it treats?"""
    return indication_overlap(con, q.drug, list(q.narrow), settings.signal, condition=q.condition, broad=q.broad)
