"""Evidence about confounding by indication: is the "adverse event" really what the drug is given for
(metformin x type 2 diabetes, an antiepileptic x seizure)?

``indication_overlap(...)`` (kind ``indication``) matches the condition's PTs against the drug's known
indications (``drug_indication``: DrugCentral, SIDER, ...) and the indications reported for the drug itself
in each report source (``report_indication``, the drug's own ``drug_seq``).
"""

from __future__ import annotations

import dataclasses
import re

import duckdb

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.evidence.causes import UNINFORMATIVE_INDICATIONS, norm_pts
from adrlens.jsonsafe import json_safe
from adrlens.model import Evidence, IndicationData
from adrlens.signals.tables import SignalSettings
from adrlens.sources import registry

# -- indication overlap ----------------------------------------------------------------------------------
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> tuple[str, ...]:
    """Comparable words: lower case, roman numerals as digits, plural 's' dropped, British/US 'ae'/'oe' merged."""
    out = []
    for w in _WORD.findall(text.lower().replace("ae", "e").replace("oe", "e")):
        w = _ROMAN.get(w, w)
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return tuple(out)


# Words of an indication text that do not change what it names.
_FILLER = frozenset({"unspecified", "other", "and", "or", "of", "the", "with", "without", "type", "nos", "in"})


def _term_match(pt: str, indication: str) -> str | None:
    """'exact' when they name the same thing, 'contains' when the indication is a form of the PT, else None."""
    p, i = _words(pt), _words(indication)
    if not p or not i:
        return None
    if p == i or [w for w in p if w not in _FILLER] == [w for w in i if w not in _FILLER]:
        return "exact"
    head = _words(re.split(r"[;\[(,]", indication.lower(), maxsplit=1)[0])
    if head == p:
        return "exact"
    iset = set(i)
    if len(p) >= 1 and all(w in iset for w in p) and not (len(p) == 1 and p[0] in _FILLER):
        return "contains"
    return None


def _sources_with_indications(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [s for (s,) in con.execute("SELECT DISTINCT source FROM report_indication ORDER BY 1").fetchall()]


def indication_overlap(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str], settings: SignalSettings
) -> list[Evidence]:
    """Is the condition what the drug treats? One 'indication' record: 'against' when it is (confounding by
    indication), 'neutral' when not, 'not_available' when nothing is known about the drug's indications."""
    drug = drug.lower().strip()
    pts = norm_pts(pts)
    known = [
        {"indication": i, "source": s}
        for i, s in con.execute(
            "SELECT DISTINCT lower(indication), source FROM drug_indication WHERE ingredient = ? ORDER BY 2, 1",
            [drug],
        ).fetchall()
    ]
    # Indications reported for the drug itself (its own drug_seq) in every source that records them.
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

    matches: list[dict] = []
    for pt in pts:
        for k in known:
            how = _term_match(pt, k["indication"])
            if how:
                matches.append({"pt": pt, "indication": k["indication"], "source": k["source"], "match": how})
        for r in reported:
            # Reported indications are MedDRA PTs, so only an exact PT counts; a top indication must be frequent.
            if r["indication"] == pt and (r["cases"] >= 2 or (r["share"] or 0) >= 0.05):
                matches.append(
                    {
                        "pt": pt,
                        "indication": pt,
                        "source": f"reports ({registry.get(r['source']).short})",
                        "match": "exact",
                        "cases": r["cases"],
                        "share": r["share"],
                    }
                )
    top_reported = reported[:10]
    data = IndicationData(
        drug=drug,
        pts=pts,
        matches=json_safe(matches),
        known_indications=len(known),
        known_indication_sources=sorted({k["source"] for k in known}),
        top_reported_indications=json_safe(top_reported),
        drug_cases_with_reported_indication=drug_cases_with_ind,
    )
    ref = {"tables": ["drug_indication", "report_indication", "report_drug"], "match": "lower-case words, PT names"}
    if matches:
        srcs = sorted({m["source"] for m in matches})
        exact = [m for m in matches if m["match"] == "exact"]
        # SIDER's indications are text-mined from labels and noisy (metformin: "weight decreased"): alone they
        # only raise the question.
        nlp_only = all(s.startswith("SIDER") for s in srcs)
        strength = "weak" if nlp_only or not exact else ("strong" if len(srcs) >= 2 else "moderate")
        shown = sorted({re.split(r"[;\[]", m["indication"])[0].strip() for m in (exact or matches)}, key=len)[:3]
        overlap = ", ".join(sorted({m["pt"] for m in matches})[:4])
        if nlp_only:
            finding = (
                f"Only SIDER's text-mined label indications list {', '.join(shown)} for {drug}, overlapping "
                f"{overlap}: possibly confounding by indication, but this source is noisy."
            )
        else:
            finding = (
                f"{drug} is used to treat {', '.join(shown)} ({'; '.join(srcs[:4])}), which overlaps {overlap}: "
                f"reports of it with {drug} are likely confounded by indication (the disease being treated), "
                "not evidence that the drug causes it."
            )
        data.sider_only = nlp_only
        return [
            Evidence(
                id="indication:overlap",
                kind="indication",
                source="; ".join(srcs[:6]),
                finding=finding,
                direction="neutral" if nlp_only else "against",
                strength=strength,
                data=data,
                source_ref=ref,
            )
        ]
    if not known and not reported:
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
        f"None of the {len(pts)} preferred terms is among the {len(known)} known indications of {drug}"
        + (f" or its {len(reported)} reported indications" if reported else "")
        + ": the condition is not what the drug treats."
    )
    return [
        Evidence(
            id="indication:overlap",
            kind="indication",
            source="; ".join(data.known_indication_sources) or "report_indication",
            finding=finding,
            direction="neutral",
            strength="none",
            data=data,
            source_ref=ref,
        )
    ]


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record: is the condition (any of its terms) what the drug is given for?"""
    return indication_overlap(con, q.drug, list(q.broad), settings.signal)
