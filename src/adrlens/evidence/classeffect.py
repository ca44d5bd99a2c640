"""Evidence from the drug's class: do other members of its pharmacologic class cause the condition?

``class_effect(...)`` finds the drug's class (FDA Established Pharmacologic Class from DrugCentral by
default, falling back to the WHO ATC 4th level, then the mechanism of action; members share the class id,
``store.queries.same_class_drugs``), takes the other members most reported in the store (up to
``MAX_MEMBERS``), and for each asks two questions:

* is the condition on its label? (``label_effect`` rows for the condition's PTs: SIDER 4.1, US SPL, EU SmPC);
* do the reports show a signal? One 2x2 table per member and report source for the PT set (the PTs the
  source can hold), from ``signals.tables.count_tables`` (distinct deduplicated cases; crude E unless the
  settings stratify), with ROR, IC and, when the source's MGPS prior is in the store, EB05 (members with
  a = 0 get none). ``signals.rules.call`` decides whether a member shows a signal.

One Evidence record summarises the class, with a row per member in ``data.members``.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.evidence.causes import norm_pts
from adrlens.evidence.common import source_label
from adrlens.jsonsafe import json_safe
from adrlens.model import ClassEffectData, Evidence
from adrlens.signals import ebgm as mgps
from adrlens.signals import rules
from adrlens.signals.allpairs import load_prior
from adrlens.signals.measures import all_measures
from adrlens.signals.tables import SignalSettings, count_tables
from adrlens.sources import registry
from adrlens.store import queries

MAX_MEMBERS = 10
CLASS_FALLBACKS = ("EPC", "ATC4", "MoA")  # tried in this order after the requested class type


def _class_members(con: duckdb.DuckDBPyConnection, drug: str, class_type: str) -> tuple[str | None, list[str], str]:
    """(class type used, other members, class name(s)) trying `class_type` first, then the fallbacks."""
    for ct in _tried(class_type):
        members = queries.same_class_drugs(con, drug, ct)
        if members:
            return ct, members, "; ".join(queries.class_names(con, drug, ct))
    return None, [], ""


def report_counts(
    con: duckdb.DuckDBPyConnection, drugs: list[str], pts: list[str], settings: SignalSettings
) -> dict[str, dict[str, Any]]:
    """{ingredient: 2x2 measures and the rule's call} for every drug with cases in the settings' source.

    Counts only the PTs the source can hold; {} when it can hold none of them (not measurable, not zero)."""
    counted, _not = registry.get(settings.source).split_measurable(pts)
    if not counted:
        return {}
    ts = count_tables(con, drugs, counted, settings=settings)
    tables = [ts.table(d) for d in ts.drugs if d in ts.cells]
    if not tables:
        return {}
    a = np.array([t.a for t in tables], dtype=float)
    m = all_measures(a, [t.b for t in tables], [t.c for t in tables], [t.d for t in tables], e=[t.e for t in tables])
    prior = load_prior(con, settings.source, settings.role)
    prior = prior if prior is not None and prior.usable else None  # an unusable prior gives no EB05
    eb05 = np.full(len(tables), np.nan)
    if prior is not None and (a > 0).any():
        pos = a > 0  # a = 0: no EBGM (log(0) inside the quantile search, and nothing to shrink)
        eb05[pos] = mgps.ebgm(a[pos], m["e"][pos], prior)["eb05"]
    out = {}
    for i, t in enumerate(tables):
        rec = json_safe(
            {
                "a": t.a,
                "drug_cases": t.a + t.b,
                "e": m["e"][i],
                "ror": m["ror"][i],
                "ror_lo": m["ror_lo"][i],
                "ror_hi": m["ror_hi"][i],
                "ic025": m["ic025"][i],
                "eb05": eb05[i] if prior is not None else None,
            }
        )
        call = rules.call(
            t.a,
            ror_lo=rec["ror_lo"],
            ror_hi=rec["ror_hi"],
            ic025=rec["ic025"],
            eb05=rec["eb05"],
            e=rec["e"],
            prr=m["prr"][i],
            chi2=m["chi2"][i],
        )
        rec.update(call.as_fields())
        out[t.drug] = rec
    return out


def _tried(class_type: str) -> list[str]:
    return [class_type, *[c for c in CLASS_FALLBACKS if c != class_type]]


def class_effect(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str],
    settings_by_source: dict[str, SignalSettings] | None = None,
    class_type: str = "EPC",
    condition_label: str | None = None,
) -> list[Evidence]:
    """One 'class_effect' record: label listings and report signals of the drug's class members.

    `settings_by_source` chooses the report sources and their populations (default: every source in the
    store, suspect drugs, crude E). Returns a 'not_available' record when the drug has no known class.
    """
    drug = drug.lower().strip()
    pts = norm_pts(pts)
    ref = {"tables": ["drug_class", "label_effect", "report_drug", "report_event", "signal_prior"]}
    if not pts:
        return [
            Evidence(
                id="class_effect:none",
                kind="class_effect",
                source="drug_class",
                finding="The class effect could not be checked: no preferred terms were given.",
                direction="not_available",
                strength="none",
                data=ClassEffectData(drug=drug, pts=pts),
                source_ref=ref,
            )
        ]
    cond = condition_label or (pts[0] if len(pts) == 1 else f"{pts[0]} (or {len(pts) - 1} related terms)")
    used, members, class_name = _class_members(con, drug, class_type)
    if not members:
        return [
            Evidence(
                id="class_effect:none",
                kind="class_effect",
                source="DrugCentral EPC / WHO ATC",
                finding=f"No pharmacologic class with other members is known for {drug}, so there is no class "
                "effect to check.",
                direction="not_available",
                strength="none",
                data=ClassEffectData(drug=drug, pts=pts, class_types_tried=_tried(class_type)),
                source_ref=ref,
            )
        ]
    # Most-reported members first (all sources), then by name, so the choice is stable.
    counts = queries.cases_in_store(con, [drug, *members])
    chosen = sorted(members, key=lambda m: (-counts.get(m, 0), m))[:MAX_MEMBERS]

    labelled = queries.label_hits(con, [drug, *chosen], pts)
    has_label_data = queries.ingredients_with_label_data(con, [drug, *chosen])

    if settings_by_source is None:
        settings_by_source = {s: SignalSettings(source=s, stratify=False) for s in queries.sources_in_store(con)}
    reports: dict[str, dict[str, dict]] = {}
    source_names: dict[str, str] = {}
    summary = queries.source_summary(con)
    for src, st in settings_by_source.items():
        reports[src] = report_counts(con, [drug, *chosen], pts, st)
        if reports[src]:
            source_names[src] = source_label(con, st, summary)

    def row(ing: str) -> dict:
        lab = labelled.get(ing)
        rep = {src: r[ing] for src, r in reports.items() if ing in r}
        return {
            "ingredient": ing,
            "reports_in_store": int(counts.get(ing, 0)),
            "on_label": bool(lab) if ing in has_label_data else None,  # None: no label source knows the drug
            "label_pts": lab["pts"] if lab else [],
            "label_sources": lab["sources"] if lab else [],
            "reports": rep,
            "report_signal": any(r["signal"] for r in rep.values()) if rep else None,
            "signal_sources": sorted(s for s, r in rep.items() if r["signal"]),
        }

    rows = [row(m) for m in chosen]
    self_row = row(drug)
    with_label = [r for r in rows if r["on_label"] is not None]
    listed = [r for r in with_label if r["on_label"]]
    with_reports = [r for r in rows if r["report_signal"] is not None]
    signalled = [r for r in with_reports if r["report_signal"]]
    showing = [r for r in rows if r["on_label"] or r["report_signal"]]
    evaluable = [r for r in rows if r["on_label"] is not None or r["report_signal"] is not None]
    share = len(showing) / len(evaluable) if evaluable else None

    if not evaluable:
        direction, strength = "not_available", "none"
    elif share is not None and share > 0.5:
        direction = "supports"
        strength = "strong" if share >= 0.75 and len(listed) >= 2 else "moderate"
    elif showing:
        direction, strength = "neutral", "weak"
    else:
        direction, strength = "neutral", "none"

    cls = f"{class_name} ({used})"
    sig_txt = ""
    if with_reports:
        names = ", ".join(
            f"{r['ingredient']} in {' and '.join(registry.get(s).short for s in r['signal_sources'])}"
            for r in signalled[:3]
        )
        sig_txt = f"; {len(signalled)} of {len(with_reports)} with reports show a report signal" + (
            f" ({names})" if names else ""
        )
    listed_txt = ", ".join(r["ingredient"] for r in listed[:5])
    finding = (
        f"{len(listed)} of {len(with_label)} other {cls} drugs with label data list {cond} on their label"
        + (f" ({listed_txt})" if listed_txt else "")
        + sig_txt
        + (
            f"; {drug} itself is {'' if self_row['on_label'] else 'not '}labelled for it"
            if self_row["on_label"] is not None
            else ""
        )
        + "."
    )
    if not evaluable:
        finding = (
            f"None of the {len(rows)} other {cls} drugs ({', '.join(chosen[:5])}) has label data or reports in "
            "the store, so the class effect cannot be judged."
        )
    if direction == "supports":
        finding = finding[:-1] + ": a class effect is plausible."
    tried = _tried(class_type)
    data = ClassEffectData(
        drug=drug,
        pts=pts,
        class_type=used,
        class_name=class_name,
        class_types_tried=tried[: tried.index(used) + 1] if used else tried,
        members_in_class=len(members),
        members_checked=len(rows),
        members_with_label_data=len(with_label),
        members_labelled=len(listed),
        members_with_reports=len(with_reports),
        members_with_signal=len(signalled),
        share_showing=share,
        members=json_safe(rows),
        drug_itself=json_safe(self_row),
        sources=source_names,
        settings={s: st.to_dict() for s, st in settings_by_source.items()},
        signal_rule=rules.methods_text(),
    )
    return [
        Evidence(
            id=f"class_effect:{used}",
            kind="class_effect",
            source=f"{'DrugCentral' if used in ('EPC', 'MoA') else 'WHO ATC'} class; labels: "
            + (", ".join(sorted({s for r in listed for s in r["label_sources"]})) or "none listing it")
            + (f"; reports: {', '.join(source_names.values())}" if source_names else ""),
            finding=finding,
            direction=direction,  # type: ignore[arg-type]
            strength=strength,  # type: ignore[arg-type]
            data=data,
            source_ref={**ref, "class": cls, "members": chosen},
        )
    ]


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record: label listings and report signals of the drug's class members (narrow terms, crude E)."""
    per_source = {s: settings.for_source(s, stratify=False) for s in queries.sources_in_store(con)}
    return class_effect(con, q.drug, list(q.narrow), per_source, condition_label=q.condition)
