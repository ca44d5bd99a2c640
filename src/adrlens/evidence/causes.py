"""Known non-drug causes of conditions: the curated table in ``data/confounding_causes.json``, loaded once.

Each condition entry lists the MedDRA PTs that switch it on (``triggers``), its well-known causes other than
drugs, and the references they come from. A cause matches a PT (an indication or a co-reported event) when
the PT is one of its exact names or contains one of its patterns. Causes that several conditions share
(diabetes, alcohol, sepsis, chronic kidney disease, ...) are defined once under ``shared_causes`` and named
by key in the entries; pattern lists shared by causes (every cancer word) sit under ``pattern_sets``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from adrlens.errors import AdrlensError

DATA_FILE = "confounding_causes.json"

# Indications that name no disease and so explain nothing.
UNINFORMATIVE_INDICATIONS = frozenset(
    {
        "product used for unknown indication",
        "drug use for unknown indication",
        "prophylaxis",
        "off label use",
        "product used for other indication",
        "ill-defined disorder",
        "nutritional supplementation",
        "vaccination",
        "immunisation",
    }
)


@dataclass(frozen=True)
class Cause:
    """A known non-drug cause of a condition, as MedDRA PT names (exact) and lower-case name fragments."""

    name: str
    exact: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def matches(self, pt: str) -> bool:
        return pt in self.exact or any(p in pt for p in self.patterns)


@dataclass(frozen=True)
class CuratedEntry:
    """Known causes of a condition other than drugs; used when any of `triggers` is among the condition PTs."""

    condition: str
    triggers: frozenset[str]
    causes: tuple[Cause, ...]
    references: tuple[str, ...] = ()


def norm_pts(pts: Iterable[str]) -> list[str]:
    """PTs as the store keeps them: lower case, stripped, sorted, without duplicates or blanks."""
    return sorted({p.lower().strip() for p in pts if p and p.strip()})


def _cause(raw: dict[str, Any], pattern_sets: dict[str, list[str]]) -> Cause:
    patterns = list(raw.get("patterns", ()))
    if "pattern_set" in raw:
        try:
            patterns += pattern_sets[raw["pattern_set"]]
        except KeyError:
            raise AdrlensError(f"{DATA_FILE}: unknown pattern set {raw['pattern_set']!r}") from None
    return Cause(raw["name"], tuple(raw.get("exact", ())), tuple(patterns))


def parse(doc: dict[str, Any]) -> tuple[CuratedEntry, ...]:
    """The entries of a curated-causes document (the JSON file's structure)."""
    sets = doc.get("pattern_sets", {})
    shared = {k: _cause(v, sets) for k, v in doc.get("shared_causes", {}).items()}
    out = []
    for e in doc["conditions"]:
        causes = []
        for c in e["causes"]:
            if isinstance(c, str):
                if c not in shared:
                    raise AdrlensError(f"{DATA_FILE}: {e['condition']!r} names unknown shared cause {c!r}")
                causes.append(shared[c])
            else:
                causes.append(_cause(c, sets))
        out.append(
            CuratedEntry(
                condition=e["condition"],
                triggers=frozenset(t.lower().strip() for t in e["triggers"]),
                causes=tuple(causes),
                references=tuple(e.get("references", ())),
            )
        )
    return tuple(out)


@cache
def curated() -> tuple[CuratedEntry, ...]:
    """Every curated entry, in the file's order (read once per process)."""
    text = resources.files("adrlens.evidence").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return parse(json.loads(text))


def matching_entries(pts: Iterable[str]) -> list[CuratedEntry]:
    """The curated entries a condition's PTs switch on, in the file's order."""
    keys = {p.lower().strip() for p in pts}
    return [e for e in curated() if e.triggers & keys]


def curated_causes(pts: Iterable[str]) -> tuple[list[str], list[Cause]]:
    """(matched curated conditions, their causes) for a condition's PTs; empty when the map has no entry.
    A cause named in several matched entries comes once, from the first."""
    names: list[str] = []
    causes: dict[str, Cause] = {}
    for entry in matching_entries(pts):
        names.append(entry.condition)
        for c in entry.causes:
            causes.setdefault(c.name, c)
    return names, list(causes.values())


def references(pts: Iterable[str]) -> dict[str, list[str]]:
    """{matched curated condition: its references}."""
    return {e.condition: list(e.references) for e in matching_entries(pts)}


def match_cause(causes: Iterable[Cause], pt: str) -> str | None:
    """The name of the first cause matching the PT, or None."""
    for c in causes:
        if c.matches(pt):
            return c.name
    return None
