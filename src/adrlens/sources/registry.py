"""Every report source, declared once: its key, names, exposure (role) rule, default data path, readers,
and which MedDRA preferred terms it can contain at all.

A new report source is one reader file under `sources/reports/` (with `SOURCE`, `detect`, `read`) plus
one `ReportSource` entry below. Nothing else in the package names a source key: the store, the 2x2
counts, the evidence and the Methods text ask this module.

"Can contain" matters: the FAERS 2022Q3 extract keeps one-word PTs only, so "neuropathy peripheral"
cannot occur in it. Counting it there would give a = 0 that means "not measurable here", not "zero
reports"; `ReportSource.can_contain` lets the evidence say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

from adrlens.errors import AdrlensError
from adrlens.sources.reports import diana, faers, faers_ps, vaers

ProductKind = Literal["drug", "vaccine"]
RoleRule = Literal["reported", "primary_suspect_only", "every_product"]
PtRule = Literal["any", "one_word"]

# The FAERS role codes each exposure definition accepts (used where a source reports roles).
ROLE_CODES: dict[str, tuple[str, ...]] = {"ps": ("PS",), "suspect": ("PS", "SS"), "any": ("PS", "SS", "C", "I")}
ROLE_WORDS = {"ps": "primary suspect", "suspect": "suspect drugs", "any": "any role"}


@dataclass(frozen=True)
class ReportSource:
    """One source of case reports, kept apart from the others in the store by `key`."""

    key: str
    name: str  # how a reader sees it: "FAERS 2022Q3 (primary suspect)"
    short: str  # in tables and labels: "FAERS (primary-suspect extract)"
    product_kind: ProductKind  # drugs (FAERS) or vaccines (VAERS)
    role_rule: RoleRule  # what a report's drug role means in this source
    default_path: tuple[str, ...]  # inside the shared data folder
    readers: tuple[ModuleType, ...]  # reader modules, in detection order
    pt_rule: PtRule = "any"
    pt_rule_note: str = ""
    description: str = ""

    def can_contain(self, pt: str) -> bool:
        """Whether a PT can occur in this source at all (False: not measurable here, never zero)."""
        if self.pt_rule == "one_word":
            return len(pt.split()) <= 1
        return True

    def split_measurable(self, pts: Iterable[str]) -> tuple[list[str], list[str]]:
        """(PTs this source can contain, PTs it cannot), each in the given order."""
        pts = list(pts)
        return [p for p in pts if self.can_contain(p)], [p for p in pts if not self.can_contain(p)]

    @property
    def has_roles(self) -> bool:
        """True when reports carry a drug role (PS/SS/C/I) that the exposure definition can filter on."""
        return self.role_rule == "reported"

    def exposure_words(self, role: str) -> str:
        if self.role_rule == "reported":
            return ROLE_WORDS[role]
        return "primary suspect" if self.role_rule == "primary_suspect_only" else "vaccines reported"


SOURCES: tuple[ReportSource, ...] = (
    ReportSource(
        key=faers.SOURCE,
        name="FAERS/AERS quarterly releases",
        short="FAERS",
        product_kind="drug",
        role_rule="reported",
        default_path=("faers", "samples"),
        readers=(faers, diana),
        description="FDA Adverse Event Reporting System quarterly ASCII releases (legacy AERS 2004Q1-2012Q3 "
        "and FAERS 2012Q4 on), and DiAna-cleaned FAERS tables",
    ),
    ReportSource(
        key=vaers.SOURCE,
        name="VAERS",
        short="VAERS",
        product_kind="vaccine",
        role_rule="every_product",
        default_path=("vaers", "complete"),
        readers=(vaers,),
        description="CDC/FDA Vaccine Adverse Event Reporting System yearly releases",
    ),
    ReportSource(
        key=faers_ps.SOURCE,
        name="FAERS 2022Q3 (primary suspect)",
        short="FAERS (primary-suspect extract)",
        product_kind="drug",
        role_rule="primary_suspect_only",
        default_path=("faers", "quarter_2022q3_ps"),
        readers=(faers_ps,),
        pt_rule="one_word",
        pt_rule_note="the extract keeps one-word preferred terms only",
        description="one whole FAERS quarter reduced to the primary-suspect drug and one-word PTs",
    ),
)

_BY_KEY = {s.key: s for s in SOURCES}
#: The source a 2x2 uses when none is named (the FDA quarterly releases).
DEFAULT_SOURCE = faers.SOURCE


def get(key: str) -> ReportSource:
    """The source declared under `key`; a clear error naming the known keys otherwise."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise AdrlensError(f"unknown report source {key!r}; known: {', '.join(_BY_KEY)}") from None


def keys() -> list[str]:
    return list(_BY_KEY)


def readers() -> list[ModuleType]:
    """Every reader module, in detection order (each has detect(SourceFile) and read(con, file, file_id))."""
    return [r for s in SOURCES for r in s.readers]


def of_kind(kind: str) -> list[str]:
    """Keys of the sources that report products of this kind ('drug' or 'vaccine')."""
    return [s.key for s in SOURCES if s.product_kind == kind]
