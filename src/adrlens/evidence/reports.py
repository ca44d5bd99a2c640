"""Report evidence: disproportionality per report source (each kept apart), time to onset,
dechallenge/rechallenge, and a possible inverse association.

A report signal is hypothesis-generating. Whether a table is a signal or a possible inverse association is
decided by the one rule (`adrlens.signals.rules.call`); anything else is 'neutral' (no signal, which is not
evidence of no risk). A source that cannot contain any term of the set (the registry's `can_contain`) gives
no measurement: its record says "not measurable here", never zero reports and never a ratio. A source
that can hold only some of the terms says how many it counts and that the others cannot occur there.

For a = 0 no point estimate or interval is shown or stored; the only number is the exact upper 95% bound
of observed/expected (``signals.measures.ratio_upper``), and only where the terms occur in the source
(E > 0). When that bound is below 1 (``signals.rules.no_excess``) the record is evidence against: enough
reports were expected that an excess would likely have shown. When none of the terms occurs in any of the
source's reports (E = 0) the source says nothing about them: 'not_available'.
"""

from __future__ import annotations

import duckdb

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import ChallengeData, Evidence, InverseData, ReportData, TemporalityData
from adrlens.signals import rules
from adrlens.signals.pair import pair_signal
from adrlens.sources import registry
from adrlens.store.queries import drug_cases_by_source, source_summary

_CHART_KEYS = ("e", "ror", "ror_lo", "ror_hi", "ic", "ic025", "ic975")
_MEASURE_KEYS = ("prr", "prr_lo", "prr_hi", "chi2", *_CHART_KEYS[1:])


def describe_sources(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Per source: name, period (receipt quarters), cases, files: for citations and the methods box."""
    return {s: {"name": registry.get(s).name, **info} for s, info in source_summary(con).items()}


def expected_text(e: float | None) -> str:
    """E with a precision that makes sense: '25.5' from 10 up, two significant figures below ('4.2', '0.76',
    '0.026'), '<0.01' for tiny values and '0' for none (never '0.0 expected')."""
    if e is None:
        return "not available"
    if e >= 10:
        return f"{e:.1f}"
    if e >= 0.01:
        return f"{e:.2g}"
    return "<0.01" if e > 0 else "0"


def ratio_number(up: float) -> str:
    """An observed/expected ratio with two significant figures, never in exponent form: '0.71', '11', '186'."""
    return f"{up:,.0f}" if up >= 100 else f"{up:.2g}"


def ratio_upper_text(up: float | None) -> str:
    """The upper bound of observed/expected, as a reader can take it: 'at most 0.71 times the expected'."""
    return "" if up is None else f"at most {ratio_number(up)} times the expected count"


def partial_text(counted: int, total: int, note: str | None) -> str:
    """'counts 3 of the 8 terms; the other 5 cannot occur in this source (why)', or '' when all count."""
    if counted >= total:
        return ""
    why = f": {note}" if note else ""
    return f"counts {counted} of the {total} terms; the other {total - counted} cannot occur in this source{why}"


def _zero_e(e: float | None) -> str:
    """Why E can be 0 while the terms occur in the source: the stratified sum is 0 when none of the strata
    (age band x sex x year) holding the drug's cases has a report of them."""
    return " (none of the strata holding the drug's cases has a report of it)" if e == 0 else ""


def _strength(call, a: int) -> str:
    if call.n_criteria == 3 and a >= 5:
        return "strong"
    return "moderate" if call.n_criteria >= 2 else "weak"


_TREND_KEYS = ("quarter", "a", "ror", "ror_lo", "ror_hi", "ic025")


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record per report source and term set (narrow, broad), plus time to onset, challenge and inverse.

    A source of the other kind (VAERS for a drug, FAERS for a vaccine) that lacks the product is left
    out rather than reported as "not available"; the product's own kind of source always gets a record."""
    drug, narrow, broad, condition = q.drug, list(q.narrow), list(q.broad), q.condition
    sources = describe_sources(con)
    present = drug_cases_by_source(con, drug)
    out: list[Evidence] = []
    for src, info in sources.items():
        spec = registry.get(src)
        label = f"{info['name']} ({info['first_quarter']}-{info['last_quarter']}, {info['cases']:,} cases)"
        ref_base = {"store_source": src, "tables": ["report", "report_drug", "report_event"], "role": settings.role}
        if src not in present:
            if spec.product_kind != q.kind:
                continue
            out.append(
                Evidence(
                    f"reports:{src}",
                    "reports",
                    label,
                    f"{drug} is not among the drugs of {info['name']}.",
                    "not_available",
                    "none",
                    ReportData(source_name=src, drug_cases=0),
                    ref_base,
                )
            )
            continue
        src_settings = settings.for_source(src)
        for scope, all_pts in (("narrow", narrow), ("broad", broad)):
            if scope == "broad" and set(broad) == set(narrow):
                continue
            pts, cannot = spec.split_measurable(all_pts)
            scope_words = " (broad term set)" if scope == "broad" else ""
            if not pts:
                out.append(
                    Evidence(
                        f"reports:{src}:{scope}",
                        "reports",
                        label,
                        f"{info['name']} cannot contain any of the {len(all_pts)} terms of {condition.lower()}"
                        f"{scope_words} ({spec.pt_rule_note}): not measurable here, which is not the same as "
                        "zero reports.",
                        "not_available",
                        "none",
                        ReportData(
                            source_name=src,
                            scope=scope,
                            pts_not_measurable=list(cannot),
                            measurable=False,
                            drug_cases=present[src],
                            settings=src_settings.to_dict(),
                        ),
                        ref_base,
                    )
                )
                continue
            res = pair_signal(con, drug, pts, event=condition, settings=src_settings, extras=(scope == "narrow"))
            t, m, e, call = res.table, res.measures.to_dict(), res.ebgm, res.call
            no_excess = not call.signal and rules.no_excess(m["e"], m["ratio_upper"])
            absent = t.a + t.c == 0  # none of the terms occurs in any report of the source
            if absent:
                direction, strength = "not_available", "none"
                verdict = "the source says nothing about them (not the same as zero reports of a term it holds)"
            elif call.signal:
                direction, strength = "supports", _strength(call, t.a)
                if scope == "broad":
                    strength = "weak"  # the broad set trades specificity for sensitivity
                verdict = "more often than expected: a disproportionality signal"
            elif call.inverse:
                direction, strength = "inverse", "moderate" if (m["ror_hi"] or 1) < 0.5 else "weak"
                verdict = "less often than expected: a possible inverse association, to be studied"
            elif no_excess:
                direction, strength = "against", "weak"
                verdict = (
                    f"no excess ({ratio_upper_text(m['ratio_upper'])}, upper 95% bound): enough reports were "
                    "expected that an excess would likely have shown, which does not prove no risk"
                )
            else:
                direction = "neutral"
                strength = "weak" if (m["e"] or 0) >= 5 else "none"
                verdict = "no disproportionality signal (which does not mean no risk)"
            data = ReportData(
                source_name=src,
                scope=scope,
                pts=list(pts),
                pts_not_measurable=list(cannot),
                a=t.a,
                b=t.b,
                c=t.c,
                d=t.d,
                n=t.n,
                drug_cases=t.a + t.b,
                e=m["e"],
                e_crude=t.e_crude,
                **{k: m[k] for k in _MEASURE_KEYS},
                evans=bool(m["evans"]),
                ebgm=e["ebgm"],
                eb05=e["eb05"],
                eb95=e["eb95"],
                ratio_upper=m["ratio_upper"],
                no_excess=no_excess,
                **call.as_fields(),
                trend=[{k: p.get(k) for k in _TREND_KEYS} for p in res.trend] if scope == "narrow" else [],
                settings=src_settings.to_dict(),
            )
            ref = {
                **ref_base,
                "expected": "Mantel-Haenszel over age band x sex x report year",
                "ebgm_prior": res.prior_source,
            }
            ebtxt = f", EB05 {e['eb05']:.2f}" if e["eb05"] is not None else ""
            if t.a == 0:  # no point estimate or interval for an empty cell: at most an upper bound
                up = ratio_upper_text(m["ratio_upper"])
                ror_txt = "no reports, so no ratio" + (f" ({up}, upper 95% bound)" if up and not no_excess else "")
                ebtxt = ""
            elif m["ror"] is not None and m["ror_lo"] is not None:
                ror_txt = f"ROR {m['ror']:.2f} (95% CI {m['ror_lo']:.2f}-{m['ror_hi']:.2f})"
            else:
                ror_txt = "ROR not defined"
            part = partial_text(len(pts), len(all_pts), spec.pt_rule_note)
            partial = f" ({part})" if part else ""
            if absent:
                finding = (
                    f"None of the {t.n:,} reports in {info['name']} mentions {condition.lower()}{scope_words}"
                    f"{partial}, with or without {drug}: {verdict}."
                )
            else:
                finding = (
                    f"{t.a:,} of {t.a + t.b:,} {drug} reports in {info['name']} mention {condition.lower()}"
                    f"{scope_words}{partial}, against {expected_text(m['e'])} expected{_zero_e(m['e'])}; "
                    f"{ror_txt}{ebtxt}: {verdict}."
                )
            out.append(Evidence(f"reports:{src}:{scope}", "reports", label, finding, direction, strength, data, ref))
            if scope == "narrow" and res.extras:
                out.extend(_temporality(src, label, drug, condition, res.extras))
            if direction == "inverse":
                out.append(
                    Evidence(
                        f"inverse:{src}:{scope}",
                        "inverse",
                        label,
                        f"Fewer {condition.lower()} reports than expected for {drug} in {info['name']} "
                        f"(ROR upper bound {m['ror_hi']:.2f}). This is a possible inverse association "
                        "to be studied, not a benefit.",
                        "inverse",
                        strength,
                        InverseData(ror_hi=m["ror_hi"], a=t.a, e=m["e"]),
                        ref,
                    )
                )
    return out


def chart_data(
    con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings, records: list[Evidence]
) -> dict:
    """The charts' data: {'measures': [...], 'trend': {source: [...]}} from the report records (rows with
    reports only: no estimate is drawn for zero reports) and, per PT, from the all-pairs table."""
    charts: dict = {"measures": [], "trend": {}}
    reps = [e.data for e in records if isinstance(e.data, ReportData) and e.data.a]
    for d in reps:
        charts["measures"].append(
            {
                "label": f"{q.condition} ({d.scope})",
                "source": d.source_name,
                "a": d.a,
                **{k: getattr(d, k) for k in (*_CHART_KEYS, "ebgm", "eb05", "eb95")},
            }
        )
        if d.scope == "narrow" and d.trend:
            charts["trend"][d.source_name] = d.trend
    for src in dict.fromkeys(d.source_name for d in reps):
        # per-PT rows from the precomputed all-pairs table (pairs with a >= 1 only)
        for pt, a, e_, ror, lo, hi, ic, i25, i975, eb, e05, e95 in con.execute(
            """SELECT pt, a, e, ror, ror_lo, ror_hi, ic, ic025, ic975, ebgm, eb05, eb95 FROM pair_stats
               WHERE source = ? AND role = ? AND ingredient = ? AND list_contains(?, pt)
               ORDER BY a DESC LIMIT 12""",
            [src, settings.role, q.drug, list(q.broad)],
        ).fetchall():
            charts["measures"].append(
                {
                    "label": pt,
                    "source": src,
                    "a": a,
                    "e": e_,
                    "ror": ror,
                    "ror_lo": lo,
                    "ror_hi": hi,
                    "ic": ic,
                    "ic025": i25,
                    "ic975": i975,
                    "ebgm": eb,
                    "eb05": e05,
                    "eb95": e95,
                }
            )
    return charts


def _temporality(src: str, label: str, drug: str, condition: str, extras: dict) -> list[Evidence]:
    out = []
    tto = extras.get("time_to_onset") or {}
    if tto.get("cases_with_usable_dates"):
        out.append(
            Evidence(
                f"temporality:{src}",
                "temporality",
                label,
                f"In {tto['cases_with_usable_dates']} of {tto['cases']} cases with usable dates, "
                f"{condition.lower()} began a "
                f"median of {tto['median_days']:.0f} days after starting {drug} (IQR {tto['q1_days']:.0f}-"
                f"{tto['q3_days']:.0f}).",
                "neutral",
                "weak",
                TemporalityData(**tto),
                {"store_source": src, "tables": ["report_therapy"]},
            )
        )
    dc, rc = extras.get("dechallenge") or {}, extras.get("rechallenge") or {}
    if dc.get("positive") or rc.get("positive") or dc.get("negative"):
        pos = rc.get("positive", 0)
        out.append(
            Evidence(
                f"challenge:{src}",
                "challenge",
                label,
                f"Dechallenge: the event abated on stopping in {dc.get('positive', 0)} case(s), did not in "
                f"{dc.get('negative', 0)}; rechallenge: it recurred on restarting in {pos} case(s).",
                "supports" if pos or dc.get("positive", 0) >= 3 else "neutral",
                "moderate" if pos else "weak",
                ChallengeData(dechallenge=dc, rechallenge=rc),
                {"store_source": src, "columns": ["dechal", "rechal"]},
            )
        )
    return out
