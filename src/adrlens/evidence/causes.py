"""Known non-drug causes of conditions: the curated table in ``data/confounding_causes.json``, loaded once.

Each condition entry lists the MedDRA PTs that switch it on (``triggers``), its well-known causes other than
drugs, and the references they come from. A cause matches a PT (an indication or a co-reported event) when
the PT is one of its exact names or contains one of its patterns. Causes that several conditions share
(diabetes, alcohol, sepsis, chronic kidney disease, ...) are defined once under ``shared_causes`` and named
by key in the entries; pattern lists shared by causes (every cancer word) sit under ``pattern_sets``.

Every cause of an entry has a role (the file's "about" says how it is decided): a *confounder* causes the
condition on its own, so reports carrying it are removed when the signal is recounted; a *risk factor*
makes a drug's own risk larger (reduced clearance, volume depletion, old age), so it is counted and shown,
never removed. A cause may match on age (``age_min``) instead of PTs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from adrlens.errors import AdrlensError

DATA_FILE = "confounding_causes.json"
CONFOUNDER, RISK_FACTOR = "confounder", "risk_factor"
ROLES = (CONFOUNDER, RISK_FACTOR)

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
    role: str = CONFOUNDER  # CONFOUNDER | RISK_FACTOR (in a condition entry)
    reference: str | None = None
    age_min: float | None = None  # matches reports whose patient is at least this old (years)

    def matches(self, pt: str) -> bool:
        return pt in self.exact or any(p in pt for p in self.patterns)

    @property
    def is_confounder(self) -> bool:
        return self.role == CONFOUNDER


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
    age = raw.get("age_min")
    return Cause(raw["name"], tuple(raw.get("exact", ())), tuple(patterns), age_min=float(age) if age else None)


def _entry_cause(
    raw: str | dict[str, Any], shared: dict[str, Cause], sets: dict[str, list[str]], entry: dict[str, Any]
) -> Cause:
    """A cause of a condition entry with its role and reference: {"use": shared key, "role", "reference"} or
    an inline definition with them; the reference defaults to the entry's first."""
    cond = entry["condition"]
    item = {"use": raw} if isinstance(raw, str) else raw
    if "use" in item:
        if item["use"] not in shared:
            raise AdrlensError(f"{DATA_FILE}: {cond!r} names unknown shared cause {item['use']!r}")
        base = shared[item["use"]]
    else:
        base = _cause(item, sets)
    role = item.get("role", CONFOUNDER)
    if role not in ROLES:
        raise AdrlensError(f"{DATA_FILE}: {cond!r} gives {base.name!r} the role {role!r} (not one of {ROLES})")
    refs = entry.get("references") or [None]
    return replace(base, role=role, reference=item.get("reference") or refs[0])


def parse(doc: dict[str, Any]) -> tuple[CuratedEntry, ...]:
    """The entries of a curated-causes document (the JSON file's structure)."""
    sets = doc.get("pattern_sets", {})
    shared = {k: _cause(v, sets) for k, v in doc.get("shared_causes", {}).items()}
    out = []
    for e in doc["conditions"]:
        causes = [_entry_cause(c, shared, sets, e) for c in e["causes"]]
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
    A cause named in several matched entries comes once, from the first, except that a risk factor in any of
    them stays a risk factor (a risk factor is never removed)."""
    names: list[str] = []
    causes: dict[str, Cause] = {}
    for entry in matching_entries(pts):
        names.append(entry.condition)
        for c in entry.causes:
            if c.name not in causes or (causes[c.name].is_confounder and not c.is_confounder):
                causes[c.name] = c
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


def split_roles(causes: Iterable[Cause]) -> tuple[list[Cause], list[Cause]]:
    """(confounders, risk factors), each in the given order."""
    cs = list(causes)
    return [c for c in cs if c.is_confounder], [c for c in cs if not c.is_confounder]
