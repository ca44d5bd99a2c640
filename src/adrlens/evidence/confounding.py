"""Evidence about confounding: other causes of the condition in the drug's reports, and the signal without them.

``confounding(...)`` (kind ``confounding``) gives one record per report source where the drug has cases. It
looks for *other explanations* of the condition in the same case reports:

* indications and co-morbidities that cause the condition themselves (a report's ``indi_pt`` for any of its
  drugs, or a co-reported event such as "diabetes mellitus"). Known causes come from the curated table
  (``adrlens.evidence.causes``, ``data/confounding_causes.json``); for conditions it does not cover,
  indications that are disproportionately frequent among the event's cases in the whole source (lift >=
  ``DATA_MIN_LIFT`` on >= ``DATA_MIN_CASES`` cases, counted among reports *without* the drug so the drug's
  own effect cannot promote its indication) stand in for them;
* co-medication: any other ingredient in the case (any role) whose label lists one of the condition's PTs
  (``label_effect``: SIDER, US SPL, EU SmPC).

Every 2x2 comes from ``adrlens.signals.tables.count_tables`` with two exclusions, "indication" and "codrug":
the table is recounted after removing every report carrying such a cause from the whole population (exposed
and unexposed alike, so the comparison stays fair), and ``adrlens.signals.rules.call`` says whether the
signal persists. Confounding by indication proper (is the condition what the drug treats?) is
``adrlens.evidence.indication.indication_overlap``.

Counts are distinct deduplicated cases; a = drug and event, b = drug without event, c = event without drug,
d = neither (DESIGN.md).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import duckdb

from adrlens.evidence import causes as curated
from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.evidence.cause_shares import cases_ctes, cause_rows, rows_text
from adrlens.evidence.causes import UNINFORMATIVE_INDICATIONS, Cause, curated_causes, norm_pts
from adrlens.evidence.common import source_label
from adrlens.jsonsafe import json_safe
from adrlens.model import ConfoundingData, Evidence
from adrlens.signals import rules
from adrlens.signals.measures import Measures
from adrlens.signals.tables import Exclusion, SignalSettings, Table2x2, count_tables
from adrlens.sources import registry
from adrlens.sources.registry import ROLE_CODES
from adrlens.store import queries

# Data-driven indications: an indication counts as a confounder of the condition when, among reports
# without the drug, it is at least DATA_MIN_LIFT times as frequent in reports with the event as in those
# without, on at least DATA_MIN_CASES reports with the event.
DATA_MIN_LIFT = 2.0
DATA_MIN_CASES = 5
# The exclusions of the count tables.
INDICATION, CODRUG = "indication", "codrug"
# A co-reported drug is a confounder when its label lists the condition and the reporter suspected it too
# (primary or secondary suspect): a concomitant drug was judged not suspect, and an interacting drug raises
# the drug's own effect (a risk factor, not another cause). Sources without roles count every drug.
CODRUG_ROLE = "suspect"
DATA_RULE = f"indication lift >= {DATA_MIN_LIFT:g} on >= {DATA_MIN_CASES} event reports, among reports without the drug"
_MEASURE_KEYS = ("e", "ror", "ror_lo", "ror_hi", "ic", "ic025", "ic975", "prr", "chi2", "ratio_upper")


def sources_with_drug(con: duckdb.DuckDBPyConnection, drug: str, settings: SignalSettings) -> dict[str, int]:
    """{source: distinct cases with the drug under the settings' role} for every source that has it."""
    out: dict[str, int] = {}
    for src in queries.sources_in_store(con):
        s = dataclasses.replace(settings, source=src)
        n = con.execute(
            f"SELECT count(DISTINCT rd.caseid) FROM report_drug rd WHERE rd.source = ? AND rd.ingredient = ? "
            f"AND {s.role_sql()}",
            [src, drug],
        ).fetchall()[0][0]
        if n:
            out[src] = int(n)
    return out


def fmt(x: float | None, nd: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def _ror_text(m: dict) -> str:
    return f"ROR {fmt(m.get('ror'))} ({fmt(m.get('ror_lo'))}-{fmt(m.get('ror_hi'))}), IC025 {fmt(m.get('ic025'))}"


def measures(t: Table2x2) -> dict[str, Any]:
    """The 2x2 cells, N, E (stratified when the settings say so), ROR, IC, PRR and the one rule's call."""
    m = Measures.from_counts(t.a, t.b, t.c, t.d, e=t.e).to_dict()
    out: dict[str, Any] = {"a": t.a, "b": t.b, "c": t.c, "d": t.d, "n": t.n, **{k: m[k] for k in _MEASURE_KEYS}}
    out.update(rules.call_measures(out).as_fields())
    return out


# -- the other causes present in a source ---------------------------------------------------------------------
def _match_causes(
    con: duckdb.DuckDBPyConnection, source: str, causes: list[Cause], pts: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """({indication PT: cause}, {event PT: cause}) present in the source; the condition's PTs are never causes
    of it, whether co-reported or recorded as an indication (they are the condition itself)."""
    ind: dict[str, str] = {}
    ev: dict[str, str] = {}
    own = set(pts)
    for (pt,) in con.execute("SELECT DISTINCT indi_pt FROM report_indication WHERE source = ?", [source]).fetchall():
        name = None if pt in own else curated.match_cause(causes, pt)
        if name:
            ind[pt] = name
    for (pt,) in con.execute("SELECT DISTINCT pt FROM report_event WHERE source = ?", [source]).fetchall():
        name = None if pt in own else curated.match_cause(causes, pt)
        if name:
            ev[pt] = name
    return ind, ev


def _data_driven_indications(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str], settings: SignalSettings, own: list[str]
) -> list[dict]:
    """Indications disproportionately frequent among event reports, counted in reports without the drug; the
    condition's own terms (`own`) recorded as an indication are the condition, not another cause of it."""
    ctes, params = cases_ctes(settings, drug, pts)
    rows = con.execute(
        f"""WITH {ctes},
        base AS (SELECT p.caseid, ev.caseid IS NOT NULL AS has_event FROM pop p
                 LEFT JOIN event ev ON ev.caseid = p.caseid
                 WHERE p.caseid NOT IN (SELECT caseid FROM drug)),
        tot AS (SELECT count(*) FILTER (WHERE has_event) AS ne, count(*) FILTER (WHERE NOT has_event) AS nn FROM base),
        ind AS (SELECT DISTINCT caseid, indi_pt FROM report_indication WHERE source = ?)
        SELECT ind.indi_pt, count(*) FILTER (WHERE b.has_event) AS x_e, count(*) FILTER (WHERE NOT b.has_event) AS x_n,
               any_value(tot.ne), any_value(tot.nn)
        FROM ind JOIN base b ON b.caseid = ind.caseid CROSS JOIN tot
        GROUP BY 1 HAVING count(*) FILTER (WHERE b.has_event) >= ?""",
        [*params, settings.source, DATA_MIN_CASES],
    ).fetchall()
    out = []
    for pt, x_e, x_n, ne, nn in rows:
        if pt in UNINFORMATIVE_INDICATIONS or pt in own or not ne or not nn:
            continue
        lift = (x_e / ne) / (x_n / nn) if x_n else None  # None: never seen without the event
        if lift is None or lift >= DATA_MIN_LIFT:
            out.append({"indication": pt, "event_cases": int(x_e), "other_cases": int(x_n), "lift": lift})
    return sorted(out, key=lambda r: (-(r["lift"] or 1e9), r["indication"]))


def _examples(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str],
    settings: SignalSettings,
    ind_map: dict[str, str],
    ev_map: dict[str, str],
) -> list[dict]:
    """The confounding indications / co-reported diseases most seen in the drug's cases (top 12)."""
    ctes, params = cases_ctes(settings, drug, pts)
    src = settings.source
    rows = con.execute(
        f"""WITH {ctes},
        c AS (SELECT caseid, indi_pt AS pt, 'indication' AS how FROM report_indication
              WHERE source = ? AND list_contains(?, indi_pt)
              UNION SELECT caseid, pt, 'co-reported event' FROM report_event WHERE source = ? AND list_contains(?, pt))
        SELECT c.pt, c.how, count(DISTINCT c.caseid), count(DISTINCT c.caseid) FILTER (WHERE ev.caseid IS NOT NULL)
        FROM c JOIN drug dr ON dr.caseid = c.caseid SEMI JOIN pop p ON p.caseid = c.caseid
        LEFT JOIN event ev ON ev.caseid = c.caseid
        GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC, 1 LIMIT 12""",
        [*params, src, sorted(ind_map), src, sorted(ev_map)],
    ).fetchall()
    return [
        {
            "pt": pt,
            "recorded_as": how,
            "cause": ind_map.get(pt) if how == "indication" else ev_map.get(pt),
            "drug_cases": int(n),
            "event_cases": int(na),
        }
        for pt, how, n, na in rows
    ]


def _codrug_rows(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str],
    settings: SignalSettings,
    known: list[str],
    label_pts: list[str],
) -> list[dict]:
    """The co-reported ingredients labelled for the condition (one of `label_pts`), in a suspect role where
    the source records roles (the ones the recount removes), most seen in the drug's cases (top 10); `pts`
    are the event PTs the source can hold."""
    if not known:
        return []
    ctes, params = cases_ctes(settings, drug, pts)
    role = dataclasses.replace(settings, role=CODRUG_ROLE).role_sql()
    co = con.execute(
        f"""WITH {ctes}
        SELECT rd.ingredient, count(DISTINCT rd.caseid),
               count(DISTINCT rd.caseid) FILTER (WHERE ev.caseid IS NOT NULL)
        FROM report_drug rd JOIN drug dr ON dr.caseid = rd.caseid SEMI JOIN pop p ON p.caseid = rd.caseid
        LEFT JOIN event ev ON ev.caseid = rd.caseid
        WHERE rd.source = ? AND list_contains(?, rd.ingredient) AND {role}
        GROUP BY 1 ORDER BY 3 DESC, 2 DESC, 1 LIMIT 10""",
        [*params, settings.source, known],
    ).fetchall()
    hits = queries.label_hits(con, [r[0] for r in co], label_pts)
    return [
        {
            "ingredient": ing,
            "drug_cases": int(n),
            "event_cases": int(na),
            "label_sources": hits.get(ing, {}).get("sources", []),
        }
        for ing, n, na in co
    ]


# -- confounding -----------------------------------------------------------------------------------------
def _outcome(
    drug: str, condition: str, original: dict, adjusted: dict, a_any: int
) -> tuple[str, str, bool | None, str]:
    """(direction, strength, survives, the one-sentence summary) of the check."""
    a0, a1 = original["a"], adjusted["a"]
    if original["a"] + original["b"] == 0:
        return "not_available", "none", None, f"No {drug} case falls in this population, so there is nothing to test."
    if original["a"] + original["c"] == 0:
        return (
            "not_available",
            "none",
            None,
            f"None of the source's reports mentions {condition}, so there is nothing to test here.",
        )
    if not original["signal"]:
        why = f"no {drug} case reports {condition} here" if a0 == 0 else f"the {a0} {drug} cases give no signal"
        extra = " (one appears once the other causes are removed: they may mask it)" if adjusted["signal"] else ""
        return "neutral", "none", None, f"There is no signal to test: {why}{extra}."
    if adjusted["signal"]:
        retained = a1 / a0 if a0 else 0.0
        both = {"ror", "ic"} <= set(adjusted["signal_criteria"])
        strength = "strong" if retained >= 0.75 and both else ("moderate" if retained >= 0.4 else "weak")
        return (
            "supports",
            strength,
            True,
            f"The link survives: without the reports carrying another cause, {a1} of the {a0} {drug} cases remain "
            f"and the signal persists ({_ror_text(adjusted)}).",
        )
    return (
        "against",
        "moderate" if a_any else "weak",
        False,
        f"The link does not survive: {a_any} of the {a0} {drug} cases carry another cause of {condition}, and "
        f"without them the signal is gone (a = {a1}{', ' + _ror_text(adjusted) if a1 else ''}).",
    )


def _not_measurable(
    drug: str, pts: list[str], condition: str, settings: SignalSettings, label: str, scope: str
) -> Evidence:
    src = registry.get(settings.source)
    note = f" ({src.pt_rule_note})" if src.pt_rule_note else ""
    terms = f"the {scope} term" if len(pts) == 1 else f"the {len(pts)} {scope} terms"
    summary = f"None of {terms} for {condition} can occur in this source{note}: not measurable here."
    return Evidence(
        id=f"confounding:{settings.source}",
        kind="confounding",
        source=label,
        finding=f"{label}: {summary[0].lower()}{summary[1:].split(': not measurable')[0]}, so confounding is not "
        "measurable here.",
        direction="not_available",
        strength="none",
        data=ConfoundingData(
            drug=drug,
            condition=condition,
            pts=pts,
            scope=scope,
            summary=summary,
            source=settings.source,
            settings=settings.to_dict(),
        ),
        source_ref={"source": settings.source, "registry": "adrlens.sources.registry", "pt_rule": src.pt_rule},
    )


def _confounding_one(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str],
    settings: SignalSettings,
    condition_label: str,
    label: str,
    sources_checked: list[str],
    scope: str,
) -> Evidence:
    src = settings.source
    counted, _not = registry.get(src).split_measurable(pts)
    if not counted:
        return _not_measurable(drug, pts, condition_label, settings, label, scope)
    names, all_causes = curated_causes(pts)
    conf_causes, risk_causes = curated.split_roles(all_causes)
    ind_map, ev_map = _match_causes(con, src, conf_causes, pts) if conf_causes else ({}, {})
    rf_ind, rf_ev = _match_causes(con, src, risk_causes, pts) if risk_causes else ({}, {})
    method = "curated" if all_causes else "data"
    data_inds: list[dict] = []
    if not all_causes:
        data_inds = _data_driven_indications(con, drug, counted, settings, pts)
        # Each indication linked to the event in this source stands for a cause of its own.
        ind_map = {r["indication"]: r["indication"] for r in data_inds}
        conf_causes = [Cause(pt, exact=(pt,), reference=DATA_RULE) for pt in ind_map]
    known = queries.labelled_ingredients(con, pts, exclude=[drug])
    codrug_roles = ROLE_CODES[CODRUG_ROLE]

    ts = count_tables(
        con,
        [drug],
        counted,
        event=condition_label,
        settings=settings,
        exclusions=[
            Exclusion(INDICATION, indication_pts=tuple(sorted(ind_map)), event_pts=tuple(sorted(ev_map))),
            Exclusion(CODRUG, drugs=tuple(known), drug_roles=codrug_roles),
        ],
    )
    original = measures(ts.table(drug))
    adj_ind = measures(ts.table(drug, without=[INDICATION]))
    adj_cod = measures(ts.table(drug, without=[CODRUG]))
    adjusted = measures(ts.table(drug, without=[INDICATION, CODRUG]))
    drug_ind, a_ind = ts.flagged(drug, [INDICATION])
    drug_cod, a_cod = ts.flagged(drug, [CODRUG])
    drug_any, a_any = ts.flagged(drug, [INDICATION, CODRUG])
    excluded_pop = ts.population_flagged([INDICATION, CODRUG])
    n_drug, n_all = original["a"] + original["b"], original["n"]

    roles = {c.name: c.role for c in (*conf_causes, *risk_causes)}
    conf_rows = _examples(con, drug, counted, settings, {**ind_map, **rf_ind}, {**ev_map, **rf_ev})
    for r in conf_rows:
        r["role"] = roles.get(r["cause"] or "", curated.CONFOUNDER)
    co_rows = _codrug_rows(con, drug, counted, settings, known, pts)
    confounders = cause_rows(con, drug, counted, settings, conf_causes, ind_map, ev_map, n_drug, n_all)
    if known:
        confounders.append(
            {
                "name": "another suspect drug labelled for the condition",
                "role": curated.CONFOUNDER,
                "kind": "codrug",  # a group of drugs, not a named disease: the plain part does not name it
                "drug_cases": drug_cod,
                "drug_event_cases": a_cod,
                "share_drug_cases": drug_cod / n_drug if n_drug else None,
                "share_all_cases": ts.population_flagged([CODRUG]) / n_all if n_all else None,
                "reference": "label_effect: SIDER, US SPL, EU SmPC label listings of the condition's terms",
            }
        )
    risk_rows = cause_rows(con, drug, counted, settings, risk_causes, rf_ind, rf_ev, n_drug, n_all)

    a0, a1 = original["a"], adjusted["a"]
    direction, strength, survives, summary = _outcome(drug, condition_label, original, adjusted, a_any)
    scope_words = f"{scope} terms"
    if direction == "not_available" and n_drug:
        finding = f"{label}, {scope_words}: {summary}"
    elif direction == "not_available":
        filters = ", ".join(
            f"{k} {v}"
            for k, v in settings.to_dict().items()
            if v is not None and k in ("sex", "age_band", "reporter_type", "country", "year_from", "year_to")
        )
        finding = (
            f"{label}: no {drug} case falls in this population ({filters or 'no filters'}), "
            "so there is nothing to check."
        )
    else:
        conf_txt = rows_text(confounders, drug, a0) or "none found in the drug's cases"
        rf_txt = rows_text(risk_rows, drug, a0)
        removed = (
            f"{excluded_pop:,} reports ({100 * excluded_pop / max(n_all, 1):.0f}% of the source) removed, "
            f"a = {a1} (was {a0})"
        )
        finding = (
            f"{label}, {scope_words}: {summary[:-1]}; other causes (confounders, {removed}): {conf_txt}"
            + (f"; risk factors, counted but never removed: {rf_txt}" if rf_txt else "")
            + "."
        )
    data = ConfoundingData(
        drug=drug,
        condition=condition_label,
        pts=pts,
        scope=scope,
        survives=survives,
        summary=summary,
        confounders=json_safe(confounders),
        risk_factors=json_safe(risk_rows),
        source=src,
        method=method,
        curated_conditions=names,
        # The full PT lists can run to hundreds (every cancer PT); keep their size and the ones seen with the drug.
        confounding_indication_pts_checked=len(ind_map),
        confounding_event_pts_checked=len(ev_map),
        curated_causes=[c.name for c in all_causes],
        data_driven_indications=json_safe(data_inds),
        drug_cases=n_drug,
        drug_cases_with_confounding_indication=drug_ind,
        event_cases_with_confounding_indication=a_ind,
        drug_cases_with_codrug=drug_cod,
        event_cases_with_codrug=a_cod,
        drug_cases_with_any=drug_any,
        event_cases_with_any=a_any,
        population_excluded=excluded_pop,
        confounder_examples=conf_rows,
        codrugs=co_rows,
        original=json_safe(original),
        adjusted=json_safe(adjusted),
        adjusted_indication_only=json_safe(adj_ind),
        adjusted_codrug_only=json_safe(adj_cod),
        retained_fraction=a1 / a0 if a0 else None,
        signal_before=bool(original["signal"]),
        signal_after=bool(adjusted["signal"]),
        sources_checked=sources_checked,
        settings=settings.to_dict(),
    )
    return Evidence(
        id=f"confounding:{src}",
        kind="confounding",
        source=label,
        finding=finding,
        direction=direction,  # type: ignore[arg-type]
        strength=strength,  # type: ignore[arg-type]
        data=data,
        source_ref={
            "tables": ["report", "report_drug", "report_event", "report_indication", "label_effect"],
            "source": src,
            "counts": "adrlens.signals.tables.count_tables with exclusions 'indication' and 'codrug'",
            "exclusion": "every report (exposed or not) with a confounding indication/co-reported disease, or with "
            "another ingredient in a suspect role whose label lists one of the PTs; risk factors are never removed",
            "signal_rule": rules.methods_text(),
            "curated_map": f"adrlens/evidence/data/{curated.DATA_FILE}" if method == "curated" else None,
            "references": curated.references(pts) if method == "curated" else None,
            "data_rule": None if method == "curated" else DATA_RULE,
        },
    )


def confounding(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str],
    settings: SignalSettings,
    condition_label: str,
    sources: list[str] | None = None,
    scope: str = "narrow",
) -> list[Evidence]:
    """One 'confounding' record per report source where the drug has cases (the settings' filters and role
    applied to each source); a single 'not_available' record when no source has the drug. `pts` is the
    term set of the signal it tests, named by `scope` ('narrow' or the record's scope)."""
    drug = drug.lower().strip()
    pts = norm_pts(pts)
    present = sources_with_drug(con, drug, settings)
    todo = [s for s in (sources or sorted(present)) if s in present]
    if not pts or not todo:
        why = "no preferred terms were given" if not pts else f"no report source in the store has {drug} cases"
        return [
            Evidence(
                id="confounding:none",
                kind="confounding",
                source="report sources in the store",
                finding=f"Confounding could not be checked: {why}.",
                direction="not_available",
                strength="none",
                data=ConfoundingData(
                    drug=drug,
                    condition=condition_label,
                    pts=pts,
                    scope=scope,
                    summary=f"Confounding could not be checked: {why}.",
                    sources_checked=sources or [],
                ),
            )
        ]
    summary = queries.source_summary(con)
    out = []
    for src in todo:
        s = dataclasses.replace(settings, source=src)
        out.append(_confounding_one(con, drug, pts, s, condition_label, source_label(con, s, summary), todo, scope))
    return out


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record per report source with the drug: other causes of the condition's narrow terms, and the
    signal without them."""
    return confounding(con, q.drug, list(q.narrow), settings.signal, q.condition, scope="narrow")
