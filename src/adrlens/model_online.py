"""The typed data of the online evidence records (`adrlens ask --online`), kept apart from the offline kinds.

Every record says where its numbers came from (the service, the query, the date the answer was fetched, and
whether it came from the disk cache). A source that could not be asked has `status = "unavailable"` and the
reason; its numbers are None, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ONLINE_STATUSES: tuple[str, ...] = (
    "counted",  # the service answered; the numbers are its own
    "unavailable",  # not reachable, rate limited, timed out or answered with something unusable: unknown
    "not_applicable",  # the service cannot hold the question (vaccines are not in openFDA's FAERS)
)


@dataclass
class OnlineReportData:
    """openFDA's whole-database FAERS counts for the pair: the concept's narrow terms as one set (a report
    counts once), and each narrow term alone (`by_pt`: {pt, a, b, c, d, n, e, ror, ror_lo, ror_hi, ic025,
    signal}). Unit: reports, deduplicated by openFDA's rules, not adrlens's cases (`unit_note`)."""

    source_name: str = "openfda"
    status: str = "counted"  # one of ONLINE_STATUSES
    reason: str | None = None  # why unavailable or not applicable
    unit: str = "reports"
    unit_note: str = ""
    pts: list[str] = field(default_factory=list)
    a: int | None = None
    b: int | None = None
    c: int | None = None
    d: int | None = None
    n: int | None = None
    e: float | None = None
    prr: float | None = None
    prr_lo: float | None = None
    prr_hi: float | None = None
    chi2: float | None = None
    ror: float | None = None
    ror_lo: float | None = None
    ror_hi: float | None = None
    ic: float | None = None
    ic025: float | None = None
    ic975: float | None = None
    ratio_upper: float | None = None  # exact upper 95% bound of observed/expected; the only number for a = 0
    signal: bool = False  # adrlens.signals.rules.call, EBGM not measured (no all-pairs prior from count queries)
    signal_criteria: list[str] = field(default_factory=list)
    signal_reason: str | None = None
    by_pt: list[dict[str, Any]] = field(default_factory=list)
    pts_not_counted: list[str] = field(default_factory=list)  # narrow terms beyond the per-term query cap
    queries: list[str] = field(default_factory=list)  # openFDA search clauses: drug, event set
    fetched_at: str | None = None  # the oldest answer used
    from_cache: bool = False


@dataclass
class PubMedData:
    """A PubMed search for the pair (NCBI E-utilities): the query as sent and as PubMed read it, the number of
    articles, counts by publication type, and the top articles {pmid, title, journal, year, publication_types}.
    Articles indexed with the pair are not findings: they may report, question or refute a link."""

    status: str = "counted"  # one of ONLINE_STATUSES
    reason: str | None = None
    query: str | None = None
    query_translation: str | None = None
    drug_as_mesh: bool = False
    condition_as_mesh: bool = False
    total: int | None = None
    by_publication_type: dict[str, int] = field(default_factory=dict)
    top: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fetched_at: str | None = None
    from_cache: bool = False
