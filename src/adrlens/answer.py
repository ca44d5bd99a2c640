"""A first, plain-text answer to "Can X cause Y?": the question parsed, then what the label sources,
the literature and the reports say, each with its numbers and source, and what to do.

This is the early version of the answer engine: it states the evidence and never grades beyond
what the evidence says (a label listing outranks a report signal; no signal is never "no";
reports never give an incidence).
"""

from __future__ import annotations

import re
from pathlib import Path

from adrlens import api
from adrlens import store as store_mod
from adrlens.errors import ResolutionError

_PATTERNS = [
    re.compile(
        r"^\s*(?:can|could|does|do|may|might|will)\s+(?:taking\s+|the\s+)?(?P<drug>.+?)\s+"
        r"(?:cause|causes|give|lead to|trigger|result in)\s+(?:me\s+)?(?P<cond>.+?)\s*\??\s*$",
        re.I,
    ),
    re.compile(
        r"^\s*(?:is|are)\s+(?P<cond>.+?)\s+an?\s+(?:side[- ]effects?|adverse (?:effect|reaction)s?)\s+"
        r"(?:of|from)\s+(?P<drug>.+?)\s*\??\s*$",
        re.I,
    ),
    re.compile(r"^\s*(?P<drug>.+?)\s+and\s+(?P<cond>.+?)\s*\??\s*$", re.I),
]


def parse_question(text: str) -> tuple[str, str]:
    """(drug words, condition words) from a question; raises ResolutionError when it cannot tell."""
    for p in _PATTERNS:
        m = p.match(text)
        if m:
            return m.group("drug").strip(" ?."), m.group("cond").strip(" ?.")
    words = text.strip(" ?.").split()
    if len(words) >= 2:  # "amlodipine neuropathy": the first word is the drug
        return words[0], " ".join(words[1:])
    raise ResolutionError(
        f"could not read a drug and a condition in {text!r}. Ask like: Can amlodipine cause peripheral neuropathy?"
    )


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def answer_text(question: str, store: Path | None = None) -> str:
    from adrlens.knowledge import drug_profile, label_listing, literature

    drug_words, cond_words = parse_question(question)
    res = api.signal(drug_words, cond_words, store=store, scope="broad", extras=False)
    drug, cond = res["drug"]["name"], res["event"]["label"]
    pts = res["event"]["pts"]
    con = store_mod.connect(Path(res["store"]))
    try:
        labels = label_listing(con, drug, pts)
        lit = literature(con, drug, pts)
        profile = drug_profile(con, drug)
    finally:
        con.close()
    lines = [f"# Can {drug} cause {cond.lower()}?", ""]
    listed = sorted({r["pt"] for r in labels})
    if listed:
        srcs = sorted({r["source"] for r in labels})
        freqs = [f"{r['pt']}: {r['freq_text']}" for r in labels if r.get("freq_text")]
        lines.append(
            f"Yes, it is listed: {', '.join(listed)} appear among {drug}'s side effects in "
            f"{', '.join(srcs)}. "
            + (
                f"Frequency given: {'; '.join(sorted(set(freqs)))}."
                if freqs
                else "No source gives a frequency, so how often it happens is not known from the labels."
            )
        )
    else:
        lines.append(f"None of the label sources here lists {cond.lower()} for {drug}.")
    lines += ["", "## The drug"]
    if profile:
        epc = ", ".join(profile.get("epc") or []) or "class not recorded"
        hl = (profile.get("half_life") or {}).get("text")
        lines.append(f"{drug}: {epc} (DrugCentral)" + (f"; half-life {hl} (DrugBank)." if hl else "."))
    lines += ["", "## What the reports say (spontaneous reports: hypothesis-generating, no incidence)"]
    for src, r in res["sources"].items():
        if r["status"] != "counted":
            lines.append(f"- {src}: {r['status']}.")
            continue
        t, m, e = r["table"], r["measures"], r["ebgm"]
        lines.append(
            f"- {src}: {t['a']} of {t['a'] + t['b']:,} {drug} cases report {cond.lower()} "
            f"(expected {_fmt(m['e'])}); ROR {_fmt(m['ror'])} (95% CI {_fmt(m['ror_lo'])}-{_fmt(m['ror_hi'])}), "
            f"IC025 {_fmt(m['ic025'])}"
            + (f", EB05 {_fmt(e['eb05'])}" if e else "")
            + ". "
            + (
                "A disproportionality signal."
                if m["ror_signal"] or m["ic_signal"]
                else "No signal, which does not mean no risk."
            )
        )
    counted = [c for c in res["count_tables"] if c["status"] == "counted" and c.get("ror") is not None]
    for c in counted:
        m = c
        lines.append(
            f"- {c['table']} ({c['period']}), {c['event']}: a={c['a']}, ROR {_fmt(m['ror'])} "
            f"({_fmt(m['ror_lo'])}-{_fmt(m['ror_hi'])})."
        )
    if lit:
        pmids = sorted({str(r.get("pmid")) for r in lit if r.get("pmid")})[:8]
        lines += ["", f"## Literature: {len(lit)} records (PMIDs {', '.join(pmids)})."]
    lines += [
        "",
        "## What to do",
        "Talk to your doctor or pharmacist about symptoms such as numbness, tingling or pain. Do not stop "
        "or change a medicine without them. Seek urgent care for sudden weakness or loss of feeling.",
        "",
        f"Sources: SIDER 4.1, US SPL (TAC 2017), EU SmPC (PROTECT), FAERS/VAERS as ingested in "
        f"{res['store']}; PTs counted: {', '.join(pts)}.",
    ]
    return "\n".join(lines)
