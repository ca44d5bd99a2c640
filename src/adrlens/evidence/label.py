"""Label evidence: is the condition listed for the drug in SIDER, the US label (SPL) or the EU SmPC, and how
strongly. One record per label source.

Each narrow listing is ranked (model.LABEL_STRENGTHS, strongest first): a boxed warning or a warnings and
precautions entry; a rate above the placebo rate; a rate or a frequency word from very common to uncommon;
weak (postmarketing, rare or very rare, no frequency, or in a list of events whose causal relationship the
label calls uncertain). A source listing only broad terms (related symptoms) is "related_only". How many label
sources list a narrow term is reported on every record. The date of the US label's latest safety labelling
change (FDA SrLC) is attached for the reader; it never changes the strength, since the file does not say
which topic changed.
"""

from __future__ import annotations

import duckdb

from adrlens.evidence.base import EvidenceQuery, EvidenceSettings
from adrlens.model import LABEL_EVIDENCE_STRENGTH, Evidence, LabelData, listing_strength
from adrlens.sources.knowledge import labels, sider
from adrlens.store.queries import label_listing, label_safety_change, label_sources_for

# The label sources, as their readers name them in label_effect.source.
LABEL_SOURCES = (sider.SOURCE, labels.SPL_SOURCE, labels.EU_SOURCE)
WARNING_SECTIONS = labels.WARNING_SECTIONS

_WORDS = {
    "warning": "a warning (boxed warning or warnings and precautions section)",
    "above_placebo": "a rate above the placebo rate",
    "frequency": "a stated frequency, with no higher-than-placebo comparison",
    "weak": "a weak listing (postmarketing, rare, without a frequency, or of uncertain causality)",
    "related_only": "related symptoms only, not the condition itself",
}


def _has_digit(text: str | None) -> bool:
    return any(ch.isdigit() for ch in (text or ""))


def _pct(x: float) -> str:
    return f"{x * 100:.3g}%"


def _sider_pt_strength(rows: list[dict]) -> tuple[str, str | None]:
    """-> (strength, placebo comparison text) of one PT's SIDER rows (all its STITCH compounds)."""
    classes = [sider.frequency_class(r.get("freq_text"), r.get("freq_upper")) for r in rows]
    # Per compound: the highest drug-arm rate against the highest placebo rate of the same label.
    comparison = None
    by_id: dict[str, list[dict]] = {}
    for r, c in zip(rows, classes, strict=True):
        if c == "rate":
            by_id.setdefault(str(r.get("source_id")), []).append(r)
    for sid_rows in by_id.values():
        drug = max((r["freq_upper"] for r in sid_rows if r.get("freq_upper") is not None), default=None)
        placebo = sid_rows[0].get("placebo_freq_upper")
        if drug is not None and placebo is not None and _has_digit(sid_rows[0].get("placebo_freq_text")):
            if drug > placebo:
                return "above_placebo", f"{sid_rows[0]['pt']}: {_pct(drug)} vs placebo {_pct(placebo)}"
            comparison = f"{sid_rows[0]['pt']}: {_pct(drug)}, not above placebo {_pct(placebo)}"
    if "rate" in classes or "frequent" in classes:
        return "frequency", comparison
    if "rare" in classes:
        return "weak", "rare"
    return "weak", "postmarketing reports only" if "postmarketing" in classes else "no frequency given"


def _spl_pt_strength(rows: list[dict]) -> tuple[str, str | None]:
    """-> (strength, why weak) of one PT's SPL rows."""
    if any(r.get("section") in WARNING_SECTIONS for r in rows):
        return "warning", None
    contexts = {r.get("context") for r in rows}
    if labels.CONTEXT_RATE in contexts:
        return "frequency", None
    if contexts == {labels.CONTEXT_UNCERTAIN}:
        return "weak", labels.CONTEXT_UNCERTAIN
    if contexts <= {labels.CONTEXT_UNCERTAIN, labels.CONTEXT_POSTMARKETING}:
        return "weak", "postmarketing reports only"
    return "weak", "no frequency given"


def _pt_strengths(src: str, rows: list[dict], narrow: list[str]) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """-> ({narrow PT: strength}, placebo comparison texts, {weak narrow PT: why weak})."""
    out: dict[str, str] = {}
    compared: list[str] = []
    why: dict[str, str] = {}
    for pt in sorted({r["pt"] for r in rows if r["pt"] in narrow}):
        pt_rows = [r for r in rows if r["pt"] == pt]
        if src == sider.SOURCE:
            out[pt], text = _sider_pt_strength(pt_rows)
            if out[pt] == "weak":
                why[pt] = text or "no frequency given"
            elif text:
                compared.append(text)
        elif src == labels.SPL_SOURCE:
            out[pt], reason = _spl_pt_strength(pt_rows)
            if reason:
                why[pt] = reason
        else:  # EU SmPC pairs carry no frequency and no section beyond "undesirable effects"
            out[pt] = "weak"
            why[pt] = "no frequency given"
    return out, compared, why


def _freq_text(rows: list[dict]) -> str:
    freqs = [r for r in rows if r.get("freq_text") and r.get("freq_text") != sider.POSTMARKETING]
    return "; ".join(
        sorted(
            {
                f"{r['pt']}: {r['freq_text']}"
                + (f" (placebo {r['placebo_freq_text']})" if r.get("placebo_freq_text") else "")
                for r in freqs
            }
        )
    )


def _strength_sentence(data: LabelData, why: dict[str, str]) -> str:
    s = f" Strength of the listing: {_WORDS[data.strength]}"
    if data.strength == "weak" and why:
        s += " (" + "; ".join(f"{pt}: {w}" for pt, w in sorted(why.items())) + ")"
    s += "."
    if data.strength == "above_placebo" and data.placebo_text:
        s += f" Highest rates: {data.placebo_text}."
    if data.uncertain_causality:
        s += " The label lists it among events whose causal relationship is uncertain."
    return s


def label_evidence(
    con: duckdb.DuckDBPyConnection, drug: str, narrow: list[str], broad: list[str], condition: str
) -> list[Evidence]:
    rows = label_listing(con, drug, list(dict.fromkeys([*narrow, *broad])))
    known = label_sources_for(con, drug)
    change = label_safety_change(con, drug)
    safety_change = {k: change[k] for k in ("date", "drug_name", "application", "link", "source")} if change else None
    n_narrow = len({r["source"] for r in rows if r["pt"] in narrow})
    out: list[Evidence] = []
    for i, src in enumerate(LABEL_SOURCES):
        src_rows = [r for r in rows if r["source"] == src]
        listed = sorted({r["pt"] for r in src_rows})
        listed_narrow = [p for p in listed if p in narrow]
        freqs = [r for r in src_rows if r.get("freq_text") and r.get("freq_text") != sider.POSTMARKETING]
        post = any(
            r.get("freq_text") == sider.POSTMARKETING
            or r.get("section") == sider.POSTMARKETING
            or r.get("context") == labels.CONTEXT_POSTMARKETING
            for r in src_rows
        )
        pt_strength, compared, why = _pt_strengths(src, src_rows, narrow)
        uncertain = labels.CONTEXT_UNCERTAIN in why.values()
        strength = listing_strength(pt_strength.values(), bool(listed))
        narrow_rows = [r for r in src_rows if r["pt"] in narrow]
        data = LabelData(
            listed=bool(listed),
            listed_pts=listed,
            listed_narrow_pts=listed_narrow,
            drug_known=src in known,
            freq_text=_freq_text(src_rows) or None,
            freq_upper_max=max((r["freq_upper"] for r in freqs if r.get("freq_upper") is not None), default=None),
            postmarketing_only=bool(listed) and not freqs and post,
            sections=sorted({r["section"] for r in src_rows if r.get("section")}),
            n_rows=len(src_rows),
            strength=strength,
            pt_strength=pt_strength,
            boxed_warning=any(r.get("section") == "boxed warning" for r in narrow_rows),
            warning_section=any(r.get("section") in WARNING_SECTIONS for r in narrow_rows),
            above_placebo="above_placebo" in pt_strength.values(),
            uncertain_causality=uncertain and strength == "weak",
            placebo_text="; ".join(compared) if strength in ("above_placebo", "frequency") and compared else None,
            sources_listing_narrow=n_narrow,
            safety_change=safety_change,
        )
        ref = {
            "table": "label_effect",
            "source_ids": sorted({r["source_id"] for r in src_rows if r.get("source_id")}),
            "query": f"label_effect WHERE ingredient = '{drug}' AND pt IN (concept PTs) AND source = '{src}'",
        }
        if safety_change:
            ref["safety_change"] = {"table": "label_safety_change", "link": safety_change["link"]}
        change_sentence = ""
        if i == 0 and safety_change:
            change_sentence = (
                f" The US label's safety sections changed on {safety_change['date']} "
                f"({safety_change['drug_name']}, FDA SrLC); the change's topic is not recorded here."
            )
        eid = f"label:{src}"
        if src not in known:
            out.append(
                Evidence(
                    eid,
                    "label",
                    src,
                    f"{src} has no label data for {drug}.{change_sentence}",
                    "not_available",
                    "none",
                    data,
                    ref,
                )
            )
            continue
        if not listed:
            out.append(
                Evidence(
                    eid,
                    "label",
                    src,
                    f"{src} does not list {condition.lower()} (or a related term) among {drug}'s side effects."
                    + change_sentence,
                    "neutral",
                    "none",
                    data,
                    ref,
                )
            )
            continue
        where = ", ".join(listed)
        if freqs:
            freq_sentence = f" Frequency: {data.freq_text}."
        elif post:
            freq_sentence = " Listed from postmarketing reports, with no frequency."
        else:
            freq_sentence = " No frequency is given."
        agree = f" {n_narrow} of {len(LABEL_SOURCES)} label sources list the condition itself." if n_narrow else ""
        out.append(
            Evidence(
                eid,
                "label",
                src,
                f"{src} lists {where} for {drug}.{freq_sentence}{_strength_sentence(data, why)}{agree}"
                + change_sentence,
                "supports",
                LABEL_EVIDENCE_STRENGTH[strength],
                data,
                ref,
            )
        )
    return out


def provide(con: duckdb.DuckDBPyConnection, q: EvidenceQuery, settings: EvidenceSettings) -> list[Evidence]:
    """One record per label source: its listings of the condition's narrow and broad terms, ranked."""
    return label_evidence(con, q.drug, list(q.narrow), list(q.broad), q.condition)
