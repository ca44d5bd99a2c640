"""Terms as sources write them, to MedDRA preferred-term names; and labels that are no term at all.

`map_to_pt` maps a published adverse-effect term (US spelling, MeSH inverted order, plurals) to a known PT
name. Count tables pool the rest of their rows or columns under a label ("Other AEs", "Other PT", "Other"):
such a label is no preferred term and no drug (`is_pooled`); the count-table readers and the condition
index both ask here, so the two agree.
"""

from __future__ import annotations

import re

# The pooled 'everything else' labels of the shipped tables: "Other", "Other AEs", "Other_aes", "Other_AE",
# "Other Pt", "Other_drug(s)", "other_statins".
_POOLED = re.compile(r"other(?:[ _](?:aes?|pts?|drugs?|statins))?", re.IGNORECASE)


def is_pooled(label: str) -> bool:
    """True for a row or column that pools all remaining PTs or drugs (part of the margins, not a cell)."""
    return _POOLED.fullmatch(label.strip()) is not None


# -- PT mapping -----------------------------------------------------------------------------------------
# US -> British spellings (MedDRA names are British: "Paraesthesia", "Anaemia", "Diarrhoea").
_SPELLING = [
    (r"esthesia", "aesthesia"),
    (r"hypaesthesia", "hypoaesthesia"),
    (r"emia\b", "aemia"),
    (r"\bhem", "haem"),
    (r"\bedema", "oedema"),
    (r" edema", " oedema"),
    (r"esophag", "oesophag"),
    (r"diarrhea", "diarrhoea"),
    (r"dyspnea", "dyspnoea"),
    (r"apnea", "apnoea"),
    (r"ischemi", "ischaemi"),
    (r"\bestrogen", "oestrogen"),
    (r"\bfetal", "foetal"),
    (r"tumor", "tumour"),
    (r"celiac", "coeliac"),
    (r"gynecomastia", "gynaecomastia"),
    (r"pediatric", "paediatric"),
    (r"izing\b", "ising"),
    (r"ization\b", "isation"),
    (r"leukemia", "leukaemia"),
]


def _variants(term: str) -> list[tuple[str, str]]:
    """Candidate PT spellings of a term, with the rule that made each."""
    t = " ".join(term.lower().replace("’", "'").split())
    out = [(t, "exact")]
    if "," in t:  # MeSH inverted names: "arrhythmia, sinus" -> "sinus arrhythmia"
        head, _, tail = t.partition(",")
        out.append((f"{tail.strip()} {head.strip()}", "mesh inverted"))
    british = []
    for cand, how in out:
        b = cand
        for pat, rep in _SPELLING:
            b = re.sub(pat, rep, b)
        if b != cand:
            british.append((b, f"{how}, british spelling" if how != "exact" else "british spelling"))
    out += british
    out += [
        (c[:-1], "singular" if h == "exact" else f"{h}, singular")
        for c, h in list(out)
        if c.endswith("s") and not c.endswith("ss")
    ]
    return out


def map_to_pt(term: str, known_pts: set[str]) -> tuple[str | None, str | None]:
    """A free-text or MeSH term -> (MedDRA PT name, rule) when one of its spellings is a known PT."""
    for cand, how in _variants(term):
        if cand in known_pts:
            return cand, how
    return None, None


# -- helpers --------------------------------------------------------------------------------------------
