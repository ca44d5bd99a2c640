"""The answer's data model: plain dataclasses shared by evidence/, verdict, report/ and the interfaces.

An Answer is what `adrlens ask` computes; `Answer.to_dict()` is the JSON the API returns (schema in
docs/answer.schema.json, version SCHEMA_VERSION). Every number shown to a person sits in an Evidence
record's `data` with `source_ref` saying where it came from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = "1"

GRADES: tuple[str, ...] = (
    "established",  # listed on the drug's label (with frequency or in several label sources) and/or consistent studies
    "probable",  # listed on a label, or a robust report signal backed by literature or class effect
    "possible",  # a report signal that survives checks, or a label/literature hint, not both
    "insufficient evidence",  # too little data to say either way (never "no")
    "not supported",  # enough data, none of it points to an association (still not proof of no risk)
    "possible inverse association",  # fewer reports than expected, robustly: to be studied, never a benefit
)

EvidenceKind = Literal[
    "label",
    "literature",
    "reports",
    "count_table",
    "class_effect",
    "confounding",
    "indication",
    "inverse",
    "temporality",
    "challenge",
]
Direction = Literal["supports", "against", "neutral", "inverse", "not_available"]
Strength = Literal["strong", "moderate", "weak", "none"]


@dataclass
class Evidence:
    """One piece of evidence with its numbers and where they came from."""

    id: str  # unique within an answer, stable across runs: "label:SIDER 4.1:paraesthesia"
    kind: EvidenceKind
    source: str  # named source with its version or period: "FAERS 2022Q3 (primary suspect)"
    finding: str  # one plain sentence carrying the numbers
    direction: Direction
    strength: Strength
    data: dict[str, Any] = field(default_factory=dict)  # the numbers, JSON-safe (None for undefined)
    source_ref: dict[str, Any] = field(default_factory=dict)  # how to trace it: table, query, ids, pmids, period

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Reason:
    text: str
    evidence_ids: list[str]


@dataclass
class Verdict:
    grade: str  # one of GRADES
    score: float  # 0..1, monotone in the grade (with a small within-grade term), for evaluation
    headline: str  # the plain answer, two or three sentences
    reasons: list[Reason] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    rules_version: str = "1"


@dataclass
class DrugInfo:
    input: str
    name: str  # ingredient or vaccine product group
    kind: str  # 'drug' | 'vaccine'
    matched: str
    method: str
    profile: dict[str, Any] | None = None  # class, mechanism, indications, half-life, description: each with source
    synonyms: list[str] = field(default_factory=list)


@dataclass
class ConditionInfo:
    input: str
    label: str
    concept_id: str | None
    scope: str  # 'narrow' | 'broad'
    pts: list[str]
    narrow: list[str]
    broad: list[str]
    description: dict[str, Any] | None = None  # definition, symptoms, causes, red flags: each with source


@dataclass
class Answer:
    question: str
    drug: DrugInfo
    condition: ConditionInfo
    evidence: list[Evidence]
    verdict: Verdict
    # Chart data: {"measures": [{"label", "source", "a", "e", "ror", "ror_lo", "ror_hi", "ic", "ic025",
    #   "ic975", "eb05", "ebgm", "eb95"}], "trend": {source: [{"quarter", "a", "ror", "ror_lo", "ror_hi", "ic025"}]}}
    charts: dict[str, Any] = field(default_factory=dict)
    # {"drug_top_signals": [{"pt", "source", "a", "eb05", "ror_lo"}], "condition_top_drugs": [{"drug", ...}],
    #  "questions": ["Can amlodipine cause oedema peripheral?", ...]}
    related: dict[str, Any] = field(default_factory=dict)
    # READUS-PV items: data sources and dates, preprocessing (dedup, drug mapping), measures, thresholds,
    # intervals, software version
    methods: dict[str, Any] = field(default_factory=dict)
    safety: list[str] = field(default_factory=list)  # talk to a clinician; do not stop a medicine; red flags
    generated_at: str = ""
    schema_version: str = SCHEMA_VERSION

    def evidence_by_kind(self, kind: str) -> list[Evidence]:
        return [e for e in self.evidence if e.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        from adrlens.signals.measures import json_safe

        return json_safe(asdict(self))
