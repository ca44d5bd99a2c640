"""Evidence from the drug's class: do other members of its pharmacologic class cause the condition?

``class_effect(...)`` finds the drug's class (FDA Established Pharmacologic Class from DrugCentral by
default, falling back to the WHO ATC 4th level), takes the other members most reported in the store (up to
``MAX_MEMBERS``), and for each asks two questions:

* is the condition on its label? (``label_effect`` rows for the condition's PTs: SIDER 4.1, US SPL, EU SmPC);
* do the reports show a signal? One 2x2 table per member and report source for the whole PT set, counted in
  one SQL pass per source (distinct deduplicated cases, crude E), with ROR, IC and, when the source's MGPS
  prior is in the store, EB05. A member "shows a signal" when IC025 > 0, or ROR025 > 1 on >= 3 cases.

One Evidence record summarises the class, with a row per member in ``data["members"]``.
"""

from __future__ import annotations

import duckdb
import numpy as np

from adrlens.evidence.confounding import norm_pts, source_label
from adrlens.jsonsafe import json_safe
from adrlens.model import Evidence
from adrlens.signals import ebgm as mgps
from adrlens.signals.allpairs import load_prior
from adrlens.signals.measures import all_measures
from adrlens.signals.tables import SignalSettings
from adrlens.store.db import has_table

MAX_MEMBERS = 10
CLASS_FALLBACKS = ("EPC", "ATC4", "MoA")  # tried in this order after the requested class type


def same_class(con: duckdb.DuckDBPyConnection, drug: str, class_type: str) -> list[str]:
    """Other ingredients of the drug's class of `class_type`, matched on the class id when there is one.

    Unlike knowledge.same_class_drugs (matches names), this keeps WHO ATC classes apart that share a
    name: "Biguanides" is A10BA (metformin) and P01BB (proguanil)."""
    rows = con.execute(
        """
        SELECT DISTINCT o.ingredient FROM drug_class d
        JOIN drug_class o ON o.class_type = d.class_type
             AND coalesce(o.class_id, o.class_name) = coalesce(d.class_id, d.class_name)
        WHERE d.ingredient = ? AND d.class_type = ? AND o.ingredient <> d.ingredient
        ORDER BY 1
        """,
        [drug, class_type],
    ).fetchall()
    return [r[0] for r in rows]


def _class_members(con: duckdb.DuckDBPyConnection, drug: str, class_type: str) -> tuple[str | None, list[str], str]:
    """(class type used, other members, class name(s)) trying `class_type` first, then the fallbacks."""
    for ct in (class_type, *[c for c in CLASS_FALLBACKS if c != class_type]):
        members = same_class(con, drug, ct)
        if members:
            names = [
                n
                for (n,) in con.execute(
                    "SELECT DISTINCT class_name FROM drug_class WHERE ingredient = ? AND class_type = ? ORDER BY 1",
                    [drug, ct],
                ).fetchall()
            ]
            return ct, members, "; ".join(names)
    return None, [], ""


def _report_counts(
    con: duckdb.DuckDBPyConnection, drugs: list[str], pts: list[str], settings: SignalSettings
) -> dict[str, dict]:
    """{ingredient: 2x2 measures} for every drug with cases in the settings' source (one SQL pass)."""
    pop, params = settings.population_sql()
    rows = con.execute(
        f"""WITH pop AS (SELECT r.caseid FROM report r WHERE {pop}),
        ev AS (SELECT DISTINCT re.caseid FROM report_event re
               WHERE re.source = ? AND list_contains(?, re.pt) AND re.caseid IN (SELECT caseid FROM pop)),
        dc AS (SELECT DISTINCT rd.caseid, rd.ingredient FROM report_drug rd
               WHERE rd.source = ? AND list_contains(?, rd.ingredient) AND {settings.role_sql()}
               AND rd.caseid IN (SELECT caseid FROM pop))
        SELECT dc.ingredient, count(*) AS nd, count(ev.caseid) AS a,
               (SELECT count(*) FROM ev) AS ne, (SELECT count(*) FROM pop) AS n
        FROM dc LEFT JOIN ev ON ev.caseid = dc.caseid GROUP BY 1 ORDER BY 1""",
        [*params, settings.source, pts, settings.source, drugs],
    ).fetchall()
    if not rows:
        return {}
    ing = [r[0] for r in rows]
    nd = np.array([r[1] for r in rows], dtype=float)
    a = np.array([r[2] for r in rows], dtype=float)
    ne, n = float(rows[0][3]), float(rows[0][4])
    m = all_measures(a, nd - a, ne - a, n - nd - ne + a)
    prior = load_prior(con, settings.source, settings.role)
    with np.errstate(divide="ignore", invalid="ignore"):  # a = 0 rows: log(0) inside the quantile search
        post = mgps.ebgm(a, m["e"], prior) if prior is not None else None
    out = {}
    for i, name in enumerate(ing):
        rec = {
            "a": int(a[i]),
            "drug_cases": int(nd[i]),
            "e": m["e"][i],
            "ror": m["ror"][i],
            "ror_lo": m["ror_lo"][i],
            "ror_hi": m["ror_hi"][i],
            "ic025": m["ic025"][i],
            "eb05": post["eb05"][i] if post is not None else None,
        }
        rec = json_safe(rec)
        rec["signal"] = bool(m["ic_signal"][i] or (m["ror_signal"][i] and a[i] >= 3))
        out[name] = rec
    return out


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
    if not pts or not has_table(con, "drug_class"):
        return [
            Evidence(
                id="class_effect:none",
                kind="class_effect",
                source="drug_class",
                finding="The class effect could not be checked: "
                + ("no preferred terms were given." if not pts else "the store has no drug class table."),
                direction="not_available",
                strength="none",
                data={"drug": drug, "pts": pts},
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
                data={"drug": drug, "pts": pts, "class_types_tried": [class_type, *CLASS_FALLBACKS]},
                source_ref=ref,
            )
        ]
    # Most-reported members first (all sources), then by name, so the choice is stable.
    counts = dict(
        con.execute(
            "SELECT ingredient, count(DISTINCT source || ':' || caseid) FROM report_drug "
            "WHERE list_contains(?, ingredient) GROUP BY 1",
            [members],
        ).fetchall()
    )
    chosen = sorted(members, key=lambda m: (-counts.get(m, 0), m))[:MAX_MEMBERS]

    labelled: dict[str, dict[str, set[str]]] = {}
    has_label_data: set[str] = set()
    if has_table(con, "label_effect"):
        for ing, pt, src in con.execute(
            "SELECT ingredient, pt, source FROM label_effect WHERE list_contains(?, ingredient) "
            "AND list_contains(?, pt)",
            [[drug, *chosen], pts],
        ).fetchall():
            d = labelled.setdefault(ing, {"pts": set(), "sources": set()})
            d["pts"].add(pt)
            d["sources"].add(src)
        has_label_data = {
            i
            for (i,) in con.execute(
                "SELECT DISTINCT ingredient FROM label_effect WHERE list_contains(?, ingredient)", [[drug, *chosen]]
            ).fetchall()
        }

    if settings_by_source is None:
        settings_by_source = {
            s: SignalSettings(source=s, stratify=False)
            for (s,) in con.execute("SELECT DISTINCT source FROM report ORDER BY 1").fetchall()
        }
    reports: dict[str, dict[str, dict]] = {}
    source_names: dict[str, str] = {}
    for src, st in settings_by_source.items():
        reports[src] = _report_counts(con, [drug, *chosen], pts, st)
        if reports[src]:
            source_names[src] = source_label(con, st)

    def row(ing: str) -> dict:
        lab = labelled.get(ing)
        rep = {src: r[ing] for src, r in reports.items() if ing in r}
        return {
            "ingredient": ing,
            "reports_in_store": int(counts.get(ing, 0)),
            "on_label": bool(lab) if ing in has_label_data else None,  # None: no label source knows the drug
            "label_pts": sorted(lab["pts"]) if lab else [],
            "label_sources": sorted(lab["sources"]) if lab else [],
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
        names = ", ".join(f"{r['ingredient']} in {'/'.join(r['signal_sources'])}" for r in signalled[:3])
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
    data = {
        "drug": drug,
        "pts": pts,
        "class_type": used,
        "class_name": class_name,
        "members_in_class": len(members),
        "members_checked": len(rows),
        "members_with_label_data": len(with_label),
        "members_labelled": len(listed),
        "members_with_reports": len(with_reports),
        "members_with_signal": len(signalled),
        "share_showing": share,
        "members": rows,
        "drug_itself": self_row,
        "sources": source_names,
        "settings": {s: st.to_dict() for s, st in settings_by_source.items()},
        "signal_rule": "IC025 > 0, or ROR025 > 1 with a >= 3 (crude E); EB05 shown when the source's prior is stored",
    }
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
            data=json_safe(data),
            source_ref={**ref, "class": cls, "members": chosen},
        )
    ]
