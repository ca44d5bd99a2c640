"""Words named once: the plain grade names, how report sources and label sources read to a person, the
jargon that stays in the professional part, and small joining helpers.

Everything a person reads above "For professionals" is built from these; tests check the plain layers of
every dev-panel answer against JARGON.
"""

from __future__ import annotations

import re

from adrlens.evidence.online import OPENFDA_LABEL
from adrlens.sources import registry

# The grade as a badge and as the first words of the short answer.
GRADE_LABELS: dict[str, str] = {
    "established": "Known side effect",
    "probable": "Probably a side effect",
    "possible": "Possible, not established",
    "insufficient evidence": "Not enough evidence",
    "not supported": "No link found",
    "possible inverse association": "Fewer reports than expected",
}
INDICATION_LABEL = "What it treats, not a side effect"

# Words a patient should not meet above the professional part (whole words, any case). The acronyms are
# matched as words so "price" or "topic" never trip them.
JARGON: tuple[str, ...] = (
    "ROR",
    "PRR",
    "EB05",
    "EB95",
    "EBGM",
    "IC",
    "IC025",
    "MGPS",
    "MedDRA",
    "PT",
    "PTs",
    "preferred term",
    "preferred terms",
    "disproportionality",
    "broad term set",
    "narrow term set",
    "primary suspect",
    "confidence interval",
    "signal",
)
JARGON_RE = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(re.escape(j) for j in JARGON) + r")(?![A-Za-z0-9])", re.I)

# Report systems as a person knows them, by the kind of product a source holds.
REPORT_SYSTEM: dict[str, str] = {
    "drug": "reports to the US Food and Drug Administration (FDA)",
    "vaccine": "reports to VAERS, the US vaccine safety reporting system",
}
REPORT_SYSTEM_SHORT: dict[str, str] = {"drug": "Reports to the US FDA", "vaccine": "Reports to VAERS"}

# Label sources as a person knows them.
LABEL_SOURCE_PLAIN: dict[str, str] = {
    "SIDER 4.1": "SIDER, a database of drug labels",
    "SPL (TAC 2017)": "the US drug label",
    "EU SmPC (PROTECT 2015)": "the European product information",
    OPENFDA_LABEL: "the current US drug label (read online)",
}

PLACEBO = "a dummy pill (placebo)"


def jargon_in(text: str) -> list[str]:
    """The jargon words found in `text`, as written there."""
    return [m.group(0) for m in JARGON_RE.finditer(text)]


def report_system(source_key: str, short: bool = False) -> str:
    kind = registry.get(source_key).product_kind
    return (REPORT_SYSTEM_SHORT if short else REPORT_SYSTEM).get(kind, "reports to a safety reporting system")


def plain_source(name: str) -> str:
    """A source's name for the plain part: without its parenthetical qualifiers ("FAERS 2022Q3 (primary
    suspect)" -> "FAERS 2022Q3"), which the professional part spells out."""
    return " ".join(re.sub(r"\s*\([^()]*\)", "", name).split()) or name


def and_list(items: list[str], word: str = "and") -> str:
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def per_100(pct: float) -> str:
    """14.6 -> 'about 15 in 100 people (14.6%)'; 0.4 -> 'about 4 in 1,000 people (0.4%)'."""
    if pct >= 1:
        return f"about {round(pct):,} in 100 people ({pct:g}%)"
    if pct >= 0.1:
        return f"about {round(pct * 10):,} in 1,000 people ({pct:g}%)"
    return f"fewer than 1 in 1,000 people ({pct:g}%)"


def sentence(s: str) -> str:
    """One sentence: capitalised, single spaces, ending in a full stop."""
    s = " ".join(s.split())
    s = cap(s)
    return s if s.endswith((".", "!", "?")) else s + "."
