"""Label evidence: is the condition listed for the drug in SIDER, the US label (SPL) or the EU SmPC,
and with what frequency and placebo rate. One record per label source."""

from __future__ import annotations

import duckdb

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import Evidence, LabelData
from adrlens.sources.knowledge import labels, sider
from adrlens.store.queries import label_listing

# The label sources, as their readers name them in label_effect.source.
LABEL_SOURCES = (sider.SOURCE, labels.SPL_SOURCE, labels.EU_SOURCE)


def _drug_known(con: duckdb.DuckDBPyConnection, drug: str) -> dict[str, bool]:
    rows = con.execute("SELECT source, count(*) FROM label_effect WHERE ingredient = ? GROUP BY 1", [drug]).fetchall()
    return {s: n > 0 for s, n in rows}


def _pct(x: float | None) -> str:
    return "" if x is None else (f"{x * 100:.2g}%" if x >= 0.0001 else "<0.01%")


def label_evidence(
    con: duckdb.DuckDBPyConnection, drug: str, narrow: list[str], broad: list[str], condition: str
) -> list[Evidence]:
    rows = label_listing(con, drug, list(dict.fromkeys([*narrow, *broad])))
    known = _drug_known(con, drug)
    out: list[Evidence] = []
    for src in LABEL_SOURCES:
        src_rows = [r for r in rows if r["source"] == src]
        listed = sorted({r["pt"] for r in src_rows})
        listed_narrow = [p for p in listed if p in narrow]
        # A frequency is a real rate only when the source gives one (SIDER's postmarketing bounds are not rates).
        freqs = [r for r in src_rows if r.get("freq_text") and r.get("freq_text") != "postmarketing"]
        post = any((r.get("freq_text") == "postmarketing") or (r.get("section") == "postmarketing") for r in src_rows)
        freq_txt = "; ".join(
            sorted(
                {
                    f"{r['pt']}: {r['freq_text']}"
                    + (f" (placebo {r['placebo_freq_text']})" if r.get("placebo_freq_text") else "")
                    for r in freqs
                }
            )
        )
        data = LabelData(
            listed=bool(listed),
            listed_pts=listed,
            listed_narrow_pts=listed_narrow,
            drug_known=known.get(src, False),
            freq_text=freq_txt or None,
            freq_upper_max=max((r["freq_upper"] for r in freqs if r.get("freq_upper") is not None), default=None),
            postmarketing_only=bool(listed) and not freqs and post,
            sections=sorted({r["section"] for r in src_rows if r.get("section")}),
            n_rows=len(src_rows),
        )
        ref = {
            "table": "label_effect",
            "source_ids": sorted({r["source_id"] for r in src_rows if r.get("source_id")}),
            "query": f"label_effect WHERE ingredient = '{drug}' AND pt IN (concept PTs) AND source = '{src}'",
        }
        eid = f"label:{src}"
        if not known.get(src):
            out.append(
                Evidence(eid, "label", src, f"{src} has no label data for {drug}.", "not_available", "none", data, ref)
            )
            continue
        if not listed:
            out.append(
                Evidence(
                    eid,
                    "label",
                    src,
                    f"{src} does not list {condition.lower()} (or a related term) among {drug}'s side effects.",
                    "neutral",
                    "weak",
                    data,
                    ref,
                )
            )
            continue
        where = ", ".join(listed)
        if freqs:
            freq_sentence = f" Frequency: {freq_txt}."
        elif post:
            freq_sentence = " Listed from postmarketing reports, with no frequency."
        else:
            freq_sentence = " No frequency is given."
        strength = "strong" if listed_narrow and freqs else ("moderate" if listed_narrow else "weak")
        out.append(
            Evidence(
                eid, "label", src, f"{src} lists {where} for {drug}.{freq_sentence}", "supports", strength, data, ref
            )
        )
    return out


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record per label source: its listings of the condition's narrow and broad terms."""
    return label_evidence(con, q.drug, list(q.narrow), list(q.broad), q.condition)
