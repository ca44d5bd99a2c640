"""Report evidence: disproportionality per report source (each kept apart), the published count
tables, time to onset, dechallenge/rechallenge, and a possible inverse association.

A report signal is hypothesis-generating. Direction 'supports' needs a >= 3 and a lower interval
bound above the null (ROR025 > 1, IC025 > 0 or EB05 >= 2); 'inverse' needs ROR975 < 1 with at least
5 expected cases; anything else is 'neutral' (no signal, which is not evidence of no risk).
"""

from __future__ import annotations

import duckdb

from adrlens.model import Evidence
from adrlens.signals.counttables import lookup as count_lookup
from adrlens.signals.pair import pair_signal
from adrlens.signals.tables import SignalSettings
from adrlens.store.db import has_table

SOURCE_NAMES = {
    "faers": "FAERS/AERS quarterly releases",
    "vaers": "VAERS",
    "faers_ps": "FAERS 2022Q3 (primary suspect)",
}
MIN_A = 3
_CHART_KEYS = ("e", "ror", "ror_lo", "ror_hi", "ic", "ic025", "ic975")
_MEASURE_KEYS = ("prr", "prr_lo", "prr_hi", "chi2", *_CHART_KEYS[1:])
MIN_E_INVERSE = 5.0


def describe_sources(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Per source: name, period (receipt quarters), cases, files: for citations and the methods box."""
    rows = con.execute("""SELECT source, min(receipt_quarter), max(receipt_quarter), count(*) FROM report
                          GROUP BY 1""").fetchall()
    files = dict(con.execute("SELECT source, count(*) FROM ingest_log GROUP BY 1").fetchall())
    return {
        s: {
            "name": SOURCE_NAMES.get(s, s),
            "first_quarter": lo,
            "last_quarter": hi,
            "cases": n,
            "files": files.get(s, 0),
        }
        for s, lo, hi, n in rows
    }


def _direction(a: int, m: dict, e: dict | None) -> tuple[str, str]:
    ror_lo, ror_hi, ic025 = m.get("ror_lo"), m.get("ror_hi"), m.get("ic025")
    eb05 = (e or {}).get("eb05")
    flags = [ror_lo is not None and ror_lo > 1, ic025 is not None and ic025 > 0, eb05 is not None and eb05 >= 2]
    if a >= MIN_A and any(flags):
        strength = "strong" if sum(flags) == 3 and a >= 5 else ("moderate" if sum(flags) >= 2 else "weak")
        return "supports", strength
    if ror_hi is not None and ror_hi < 1 and (m.get("e") or 0) >= MIN_E_INVERSE:
        return "inverse", "moderate" if ror_hi < 0.5 else "weak"
    return "neutral", "weak" if (m.get("e") or 0) >= MIN_E_INVERSE else "none"


def report_evidence(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    narrow: list[str],
    broad: list[str],
    condition: str,
    role: str = "suspect",
    kind: str = "drug",
) -> tuple[list[Evidence], dict]:
    """Evidence records and chart data ({'measures': [...], 'trend': {source: [...]}}).

    A source of the other kind (VAERS for a drug, FAERS for a vaccine) that lacks the product is left
    out rather than reported as "not available"; the product's own kind of source always gets a record."""
    sources = describe_sources(con)
    present = dict(
        con.execute(
            "SELECT source, count(DISTINCT caseid) FROM report_drug WHERE ingredient = ? GROUP BY 1", [drug]
        ).fetchall()
    )
    out: list[Evidence] = []
    charts: dict = {"measures": [], "trend": {}}
    for src, info in sources.items():
        label = f"{info['name']} ({info['first_quarter']}-{info['last_quarter']}, {info['cases']:,} cases)"
        if src not in present:
            if (src == "vaers") != (kind == "vaccine"):
                continue
            out.append(
                Evidence(
                    f"reports:{src}",
                    "reports",
                    label,
                    f"{drug} is not among the drugs of {info['name']}.",
                    "not_available",
                    "none",
                    {"source_name": src, "drug_cases": 0},
                    {"store_source": src},
                )
            )
            continue
        settings = SignalSettings(source=src, role=role)  # type: ignore[arg-type]
        for scope, pts in (("narrow", narrow), ("broad", broad)):
            if scope == "broad" and set(broad) == set(narrow):
                continue
            res = pair_signal(con, drug, pts, event=condition, settings=settings, extras=(scope == "narrow"))
            t, m, e = res.table, res.measures.to_dict(), res.ebgm
            direction, strength = _direction(t.a, m, e)
            if scope == "broad" and direction == "supports":
                strength = "weak"  # the broad set trades specificity for sensitivity
            data = {
                "source_name": src,
                "scope": scope,
                "pts": list(pts),
                "a": t.a,
                "b": t.b,
                "c": t.c,
                "d": t.d,
                "n": t.n,
                "drug_cases": t.a + t.b,
                "e": m["e"],
                "e_crude": t.e_crude,
                **{k: m[k] for k in _MEASURE_KEYS},
                "evans": m["evans"],
                **(e or {"ebgm": None, "eb05": None, "eb95": None}),
                "settings": settings.to_dict(),
            }
            ref = {
                "store_source": src,
                "tables": ["report", "report_drug", "report_event"],
                "role": role,
                "expected": "Mantel-Haenszel over age band x sex x report year",
                "ebgm_prior": res.prior_source,
            }
            if direction == "supports":
                verdict = "more often than expected: a disproportionality signal"
            elif direction == "inverse":
                verdict = "less often than expected: a possible inverse association, to be studied"
            else:
                verdict = "no disproportionality signal (which does not mean no risk)"
            ebtxt = f", EB05 {e['eb05']:.2f}" if e and e.get("eb05") is not None else ""
            if t.a == 0:  # a Haldane-corrected ROR of an empty cell is no estimate worth quoting in words
                ror_txt = f"ROR upper 95% bound {m['ror_hi']:.2f}" if m["ror_hi"] is not None else "ROR not defined"
            elif m["ror"] is not None and m["ror_lo"] is not None:
                ror_txt = f"ROR {m['ror']:.2f} (95% CI {m['ror_lo']:.2f}-{m['ror_hi']:.2f})"
            else:
                ror_txt = "ROR not defined"
            finding = (
                f"{t.a:,} of {t.a + t.b:,} {drug} reports in {info['name']} mention {condition.lower()}"
                f"{' (broad term set)' if scope == 'broad' else ''}, against {m['e']:.1f} expected; "
                f"{ror_txt}{ebtxt}: {verdict}."
            )
            out.append(Evidence(f"reports:{src}:{scope}", "reports", label, finding, direction, strength, data, ref))
            charts["measures"].append(
                {
                    "label": f"{condition} ({scope})",
                    "source": src,
                    "a": t.a,
                    **{k: m[k] for k in _CHART_KEYS},
                    **(e or {}),
                }
            )
            if scope == "narrow" and res.trend:
                charts["trend"][src] = [
                    {k: q.get(k) for k in ("quarter", "a", "ror", "ror_lo", "ror_hi", "ic025")} for q in res.trend
                ]
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
                        {"ror_hi": m["ror_hi"], "a": t.a, "e": m["e"]},
                        ref,
                    )
                )
        # per-PT rows for the chart, from the precomputed all-pairs table
        if has_table(con, "pair_stats"):
            for pt, a, e_, ror, lo, hi, ic, i25, i975, eb, e05, e95 in con.execute(
                """SELECT pt, a, e, ror, ror_lo, ror_hi, ic, ic025, ic975, ebgm, eb05, eb95 FROM pair_stats
                   WHERE source = ? AND role = ? AND ingredient = ? AND list_contains(?, pt)
                   ORDER BY a DESC LIMIT 12""",
                [src, role, drug, list(broad)],
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
    return out, charts


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
                tto,
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
                {"dechallenge": dc, "rechallenge": rc},
                {"store_source": src, "columns": ["dechal", "rechal"]},
            )
        )
    return out


def count_table_evidence(
    con: duckdb.DuckDBPyConnection, drug: str, narrow: list[str], broad: list[str], condition: str
) -> list[Evidence]:
    """One record per published count table covering the drug (each PT looked up alone: no sums)."""
    if not has_table(con, "count_pair"):
        return []
    rows = count_lookup(con, drug, list(dict.fromkeys([*narrow, *broad])))
    out = []
    silent: list[str] = []  # flagged-only tables that list none of the terms: one record for them all
    for table in dict.fromkeys(r["table"] for r in rows):
        trs = [r for r in rows if r["table"] == table]
        counted = [r for r in trs if r["status"] == "counted" and r["ror"] is not None]
        if not counted and all(r["status"] == "absent_from_flagged_table" for r in trs):
            silent.append(table)
            continue
        sig = [r for r in counted if (r["a"] or 0) >= MIN_A and ((r["ror_lo"] or 0) > 1 or (r["eb05"] or 0) >= 2)]
        sig_narrow = [r for r in sig if r["event"] in narrow]
        zero = [r["event"] for r in trs if r["status"] == "zero"]
        absent = [r["event"] for r in trs if r["status"] == "absent_from_flagged_table"]
        t0 = trs[0]
        name = f"{table} ({t0['period'] or 'period not given'}, counts of {t0['unit']})"
        parts = [
            f"{r['event']}: a={r['a']}, ROR {r['ror']:.2f} ({r['ror_lo']:.2f}-{r['ror_hi']:.2f})"
            + (f", EB05 {r['eb05']:.2f}" if r.get("eb05") is not None else "")
            for r in counted[:6]
        ]
        finding = (
            f"{name}: "
            + ("; ".join(parts) if parts else "no counted cell for these terms")
            + (f"; {len(absent)} term(s) not listed in this flagged-only table (unknown, not zero)" if absent else "")
            + (f"; {len(zero)} term(s) with zero reports" if zero else "")
            + "."
        )
        direction = "supports" if sig else "neutral"
        strength = "moderate" if sig_narrow else ("weak" if sig else "none")
        out.append(
            Evidence(
                f"count_table:{table}",
                "count_table",
                name,
                finding,
                direction,
                strength,
                {
                    "table": table,
                    "flagged_only": t0["flagged_only"],
                    "rows": trs,
                    "signal_pts": [r["event"] for r in sig],
                },
                {"table": "count_pair", "table_name": table},
            )
        )
    if silent:
        out.append(
            Evidence(
                "count_table:flagged_only_silent",
                "count_table",
                "published flagged-only tables",
                f"{len(silent)} published table(s) of flagged pairs cover {drug} but list none of these terms "
                f"({', '.join(silent)}): not flagged there, which is not the same as zero reports.",
                "neutral",
                "none",
                {"tables": silent, "flagged_only": True, "rows": []},
                {"table": "count_pair", "table_names": silent},
            )
        )
    return out
