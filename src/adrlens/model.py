"""The answer's data model: plain dataclasses shared by evidence/, verdict, report/ and the interfaces.

An Answer is what `adrlens ask` computes; `Answer.to_dict()` is the JSON the API returns (schema in
docs/answer.schema.json, version SCHEMA_VERSION). Every number shown to a person sits in an Evidence
record's `data` with `source_ref` saying where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from adrlens.jsonsafe import json_safe
from adrlens.model_online import OnlineReportData, PubMedData

SCHEMA_VERSION = "5"

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
    "stimulated_reporting",
    "pgx",
    "online_reports",
    "online_literature",
]
Direction = Literal["supports", "against", "neutral", "inverse", "not_available"]
Strength = Literal["strong", "moderate", "weak", "none"]


# -- typed evidence data: one structure per evidence kind ------------------------------------------------
# Every field is JSON-safe after `json_safe` (None for an undefined number). Nested rows (count-table
# cells, class members, confounder examples) stay plain dicts: their keys are documented at the field.


#: How strongly a label source states a listing, strongest first (LabelData.strength):
#: "warning"       boxed warning or warnings and precautions section;
#: "above_placebo" a rate higher than the placebo rate;
#: "frequency"     a numeric rate or a frequency word from very common to uncommon/infrequent, with no placebo
#:                 rate or not above it;
#: "weak"          postmarketing, rare or very rare (or a rate under 1/1000), no frequency, or in a list of
#:                 events whose causal relationship is uncertain;
#: "related_only"  only broad terms (related symptoms) listed;
#: "none"          nothing listed.
LABEL_STRENGTHS: tuple[str, ...] = ("warning", "above_placebo", "frequency", "weak", "related_only", "none")
_LABEL_RANK = {s: i for i, s in enumerate(LABEL_STRENGTHS)}
# LABEL_STRENGTHS -> Evidence.strength, for every label source (offline and online).
LABEL_EVIDENCE_STRENGTH: dict[str, Strength] = {
    "warning": "strong",
    "above_placebo": "strong",
    "frequency": "moderate",
    "weak": "weak",
    "related_only": "weak",
    "none": "none",
}


def best_label_strength(strengths: Iterable[str]) -> str:
    """The strongest of some LABEL_STRENGTHS ("none" when there are none)."""
    return min(strengths, key=_LABEL_RANK.__getitem__, default="none")


def listing_strength(narrow_strengths: Iterable[str], listed_any: bool) -> str:
    """A label source's strength: the best of its narrow listings; "related_only" when it lists only
    broad terms; "none" when it lists nothing."""
    best = best_label_strength(narrow_strengths)
    return best if best != "none" else ("related_only" if listed_any else "none")


@dataclass
class LabelData:
    """Is the condition listed on this label source, with which PTs, how often, in which section.

    `strength` is the best of LABEL_STRENGTHS over the source's narrow listings; `pt_strength` gives it per
    listed PT. `sources_listing_narrow` counts the label sources (of all three) listing a narrow term.
    `safety_change` (informational, never changes `strength`): the latest FDA safety labelling change of a
    product whose single active ingredient is the drug, {date, drug_name, application, link, source}."""

    listed: bool = False
    listed_pts: list[str] = field(default_factory=list)
    listed_narrow_pts: list[str] = field(default_factory=list)
    drug_known: bool = False  # the source has label data for the drug at all
    freq_text: str | None = None  # "neuropathy peripheral: 1.2% (placebo 0.3%)"
    freq_upper_max: float | None = None
    postmarketing_only: bool = False
    sections: list[str] = field(default_factory=list)
    n_rows: int = 0
    strength: str = "none"  # one of LABEL_STRENGTHS
    pt_strength: dict[str, str] = field(default_factory=dict)
    boxed_warning: bool = False
    warning_section: bool = False  # boxed warning or warnings and precautions
    above_placebo: bool = False
    uncertain_causality: bool = False  # a narrow listing sits in an "uncertain causal relationship" list
    placebo_text: str | None = None  # "oedema: 14.6% (placebo 10.8%)", for the rates compared
    sources_listing_narrow: int = 0
    safety_change: dict[str, Any] | None = None
    # A label read online (openFDA): {status, reason, set_id, effective_date, brand_names, fetched_at, from_cache,
    # mentions: [{pt, phrase, section, context, snippet}], context_mentions (pre-existing, contraindications)}.
    online: dict[str, Any] | None = None
    same_document_as: str | None = None  # the offline label source that holds an older copy of this label


@dataclass
class LiteratureData:
    """The literature findings of one stance for the pair (one Evidence record per stance)."""

    n_records: int = 0  # finding rows (drug, effect, article, source)
    n_articles: int = 0  # distinct PMIDs
    pmids: list[str] = field(default_factory=list)  # every PMID of the record, sorted
    by_study_type: dict[str, int] = field(default_factory=dict)  # study type -> distinct PMIDs
    by_source: dict[str, int] = field(default_factory=dict)  # literature source -> finding rows
    drug_known: bool = False  # some literature table names the drug at all
    sentences: list[str] = field(default_factory=list)  # up to 3 example sentences (or titles)
    stance: str = "none"  # 'supporting' | 'contradicting' | 'protective' | 'none' (no finding)
    controlled_articles: int = 0  # distinct PMIDs of controlled designs (trials, cohort, case-control, reviews)
    animal_articles: int = 0  # distinct PMIDs the source (or its abstract) marks as animal studies
    # The same counts over the findings on the condition's own (narrow) terms or its name; the verdict
    # grades on these, related symptoms (broad terms) only travel as context.
    narrow_articles: int = 0
    narrow_controlled_articles: int = 0


@dataclass
class ReportData:
    """One report source x one term set (narrow or broad): the 2x2, every measure, the rule's call."""

    source_name: str  # the report source's key in adrlens.sources.registry
    scope: str | None = None  # 'narrow' | 'broad'; None when the drug is not in the source
    pts: list[str] = field(default_factory=list)  # the term set counted (PTs the source can hold)
    pts_not_measurable: list[str] = field(default_factory=list)  # PTs the source cannot hold at all
    measurable: bool = True  # False: the source cannot hold any PT of the set (no count, not zero)
    a: int | None = None
    b: int | None = None
    c: int | None = None
    d: int | None = None
    n: int | None = None
    drug_cases: int = 0
    e: float | None = None  # expected a (Mantel-Haenszel over the strata)
    e_crude: float | None = None
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
    ebgm: float | None = None
    eb05: float | None = None
    eb95: float | None = None
    # PRR, ROR, IC, EBGM and their intervals are None for a = 0 (no estimate for an empty cell); the only
    # number then is this exact upper 95% bound of observed/expected (adrlens.signals.measures.ratio_upper),
    # given for any a; None when E is 0 (the terms never occur in the source) or the set is not measurable.
    ratio_upper: float | None = None
    # E > 0 and ratio_upper < rules.NO_EXCESS_RATIO_UPPER: enough reports were expected that an excess would
    # likely have shown (evidence against; adrlens.signals.rules.no_excess).
    no_excess: bool = False
    evans: bool = False
    signal: bool = False  # adrlens.signals.rules.call
    signal_criteria: list[str] = field(default_factory=list)
    signal_reason: str | None = None
    # Cumulative measures at the end of each receipt quarter (narrow set): {quarter, a, ror, ror_lo, ror_hi, ic025}
    trend: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class InverseData:
    ror_hi: float | None
    a: int
    e: float | None


@dataclass
class TemporalityData:
    """Time to onset (adrlens.signals.extras.time_to_onset)."""

    cases: int = 0
    cases_with_usable_dates: int = 0
    cases_event_before_start_excluded: int = 0
    median_days: float | None = None
    q1_days: float | None = None
    q3_days: float | None = None
    bins: dict[str, int] = field(default_factory=dict)


@dataclass
class ChallengeData:
    """Dechallenge and rechallenge: {"positive", "negative", "unknown"} case counts each."""

    dechallenge: dict[str, int] = field(default_factory=dict)
    rechallenge: dict[str, int] = field(default_factory=dict)


@dataclass
class StimulatedData:
    """Reports of the condition with the drug per report year (adrlens.evidence.stimulated).

    `by_year`: {year, a, drug_cases}; `surge`: {year, a, drug_cases, expected_at_baseline_share, fold, p,
    baseline_cases, baseline_drug_cases} for the first surging year, or None."""

    source_name: str
    pts: list[str] = field(default_factory=list)
    by_year: list[dict[str, Any]] = field(default_factory=list)
    surge: dict[str, Any] | None = None


@dataclass
class CountTableData:
    """One published count table (or, with `tables`, the flagged-only tables that list none of the terms).

    `rows`: the table's cells for the terms, as adrlens.signals.counttables.lookup returns them (table,
    event, status, a, b, c, d, n, unit, period, flagged_only, measures, eb05 ...)."""

    table: str | None = None
    flagged_only: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    signal_pts: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    # Terms a flagged-only table does not list: not measurable there (unknown), never zero reports.
    pts_not_measurable: list[str] = field(default_factory=list)


@dataclass
class ConfoundingData:
    """Other causes of the condition in the drug's reports, and the signal recounted without them.

    Only confounders (co-morbidities, indications and suspect co-drugs that cause the condition themselves)
    are removed; risk factors (conditions that make the drug's own risk larger) are counted and shown,
    never removed, and never explain a signal away.

    `original` / `adjusted*`: 2x2 measures (a, b, c, d, n, e, ror, ror_lo, ror_hi, ic, ic025, ic975, prr,
    ratio_upper, signal). `confounder_examples`: {pt, recorded_as, cause, role, drug_cases, event_cases}.
    `codrugs`: {ingredient, drug_cases, event_cases, label_sources}. `confounders` / `risk_factors`: one row
    per cause {name, role, drug_cases, drug_event_cases, share_drug_cases, share_all_cases, reference}:
    drug_cases = the drug's cases carrying it, share_drug_cases = that over all the drug's cases,
    share_all_cases = the share among all cases of the population."""

    drug: str
    condition: str
    pts: list[str] = field(default_factory=list)
    scope: str = "narrow"  # the term set tested: the same set as the report signal it tests
    # True: a signal before, and still one after removing the confounders; False: explained by them;
    # None: there was no signal to test (or the source cannot measure the set).
    survives: bool | None = None
    summary: str = ""  # one sentence: does the link survive?
    confounders: list[dict[str, Any]] = field(default_factory=list)
    risk_factors: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None
    method: str | None = None  # 'curated' | 'data'
    curated_conditions: list[str] = field(default_factory=list)
    confounding_indication_pts_checked: int = 0
    confounding_event_pts_checked: int = 0
    curated_causes: list[str] = field(default_factory=list)
    data_driven_indications: list[dict[str, Any]] = field(default_factory=list)
    drug_cases: int = 0
    drug_cases_with_confounding_indication: int = 0
    event_cases_with_confounding_indication: int = 0
    drug_cases_with_codrug: int = 0
    event_cases_with_codrug: int = 0
    drug_cases_with_any: int = 0
    event_cases_with_any: int = 0
    population_excluded: int = 0
    confounder_examples: list[dict[str, Any]] = field(default_factory=list)
    codrugs: list[dict[str, Any]] = field(default_factory=list)
    original: dict[str, Any] = field(default_factory=dict)
    adjusted: dict[str, Any] = field(default_factory=dict)
    adjusted_indication_only: dict[str, Any] = field(default_factory=dict)
    adjusted_codrug_only: dict[str, Any] = field(default_factory=dict)
    retained_fraction: float | None = None
    signal_before: bool = False
    signal_after: bool = False
    sources_checked: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class IndicationData:
    """Is the condition what the drug treats (or a sign of the disease it treats)?

    `is_indication` is decided by high-precision sources only (`deciding_sources`: DrugCentral, MEDI's
    high-precision subset where MEDI marks the use as on the label, and WHO ATC class names that name a
    disease); `relation` is "indication" (the condition is the treated disease) or "manifestation" (a sign of
    it), None when not an indication; `treated`: the matching treated diseases, plain names. `matches`:
    {pt, term, indication, source, match ('exact' | 'subtype' | 'words' | 'symptom'), deciding, relation[,
    cases, share]}; noisy sources (SIDER, DrugBank-DOID, MEDI off-label uses, reported indications) and broad
    terms are listed but never decide (`noisy_overlap`)."""

    drug: str
    pts: list[str] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)
    known_indications: int = 0
    known_indication_sources: list[str] = field(default_factory=list)
    top_reported_indications: list[dict[str, Any]] = field(default_factory=list)
    drug_cases_with_reported_indication: dict[str, int] = field(default_factory=dict)
    sider_only: bool = False
    is_indication: bool = False
    relation: str | None = None
    treated: list[str] = field(default_factory=list)
    deciding_sources: list[str] = field(default_factory=list)
    noisy_overlap: bool = False


@dataclass
class ClassEffectData:
    """Label listings and report signals of the drug's class members. `members` / `drug_itself`: {ingredient,
    reports_in_store, on_label, label_pts, label_sources, reports: {source: measures}, report_signal,
    signal_sources}."""

    drug: str
    pts: list[str] = field(default_factory=list)
    class_type: str | None = None
    class_name: str | None = None
    class_types_tried: list[str] = field(default_factory=list)
    members_in_class: int = 0
    members_checked: int = 0
    members_with_label_data: int = 0
    members_labelled: int = 0
    members_with_reports: int = 0
    members_with_signal: int = 0
    share_showing: float | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    drug_itself: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    signal_rule: str | None = None


@dataclass
class PgxData:
    """A genetic risk factor named for the drug and the condition (PharmGKB level 1A/1B toxicity annotation,
    with the CPIC level of the gene-drug pair). Empty gene: no annotation matches the condition."""

    gene: str | None = None
    variant: str | None = None
    level: str | None = None  # PharmGKB level of evidence: 1A, 1B
    phenotypes: list[str] = field(default_factory=list)  # as PharmGKB names them
    matched_pts: list[str] = field(default_factory=list)  # the condition's narrow PTs they map to
    source: str | None = None
    url: str | None = None
    annotation_id: str | None = None
    pmid_count: int | None = None
    cpic_level: str | None = None  # CPIC level of the gene-drug pair (A strongest), None when not a CPIC pair
    drug_annotations: int = 0  # the drug's risk annotations and CPIC pairs in pgx_risk


EvidenceData = (
    LabelData
    | LiteratureData
    | ReportData
    | InverseData
    | TemporalityData
    | ChallengeData
    | StimulatedData
    | CountTableData
    | ConfoundingData
    | IndicationData
    | ClassEffectData
    | PgxData
    | OnlineReportData
    | PubMedData
)

#: The data structure each evidence kind carries (checked in Evidence.__post_init__ and the schema test).
DATA_TYPES: dict[str, type] = {
    "label": LabelData,
    "literature": LiteratureData,
    "reports": ReportData,
    "inverse": InverseData,
    "temporality": TemporalityData,
    "challenge": ChallengeData,
    "stimulated_reporting": StimulatedData,
    "count_table": CountTableData,
    "confounding": ConfoundingData,
    "indication": IndicationData,
    "class_effect": ClassEffectData,
    "pgx": PgxData,
    "online_reports": OnlineReportData,
    "online_literature": PubMedData,
}


@dataclass
class Evidence:
    """One piece of evidence with its numbers and where they came from."""

    id: str  # unique within an answer, stable across runs: "label:SIDER 4.1:paraesthesia"
    kind: EvidenceKind
    source: str  # named source with its version or period: "FAERS 2022Q3 (primary suspect)"
    finding: str  # one plain sentence carrying the numbers
    direction: Direction
    strength: Strength
    data: EvidenceData  # the numbers, typed per kind (DATA_TYPES)
    source_ref: dict[str, Any] = field(default_factory=dict)  # how to trace it: table, query, ids, pmids, period

    def __post_init__(self) -> None:
        want = DATA_TYPES[self.kind]
        if not isinstance(self.data, want):
            raise TypeError(
                f"evidence {self.id!r} of kind {self.kind!r} needs {want.__name__}, not {type(self.data).__name__}"
            )

    def to_dict(self) -> dict[str, Any]:
        return json_safe(asdict(self))


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
    # adrlens.verdict.FLAGS that hold: "indication", "contradicting_studies", "stimulated_reporting", ...
    flags: list[str] = field(default_factory=list)


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
class Statement:
    """One plain sentence a person reads, with where it comes from: a label section, PharmGKB, a MedlinePlus
    page, a curated reference, or the evidence records it sums up."""

    text: str
    source: str = ""
    url: str | None = None
    evidence_ids: list[str] = field(default_factory=list)
    kind: str = "fact"  # advice: 'action' | 'warning_signs' | 'population' | 'dose' | 'general'; else 'fact'


@dataclass
class Layers:
    """The article's layers, each its own field, in reading order (adrlens.wording writes them all).

    `short_answer`: 2-4 plain sentences (verdict, how common where a label says, who is at higher risk, the
    one action). `what_to_do`, `about_drug`, `about_condition`, `why`: plain statements with their sources.
    `figure`: one small figure a patient can read, or None. `for_professionals`: the grade and its scale,
    the term sets and the keys of the professional detail (the evidence records, methods and charts)."""

    short_answer: list[str] = field(default_factory=list)
    what_to_do: list[Statement] = field(default_factory=list)
    about_drug: list[Statement] = field(default_factory=list)
    about_condition: list[Statement] = field(default_factory=list)
    why: list[Statement] = field(default_factory=list)
    figure: dict[str, Any] | None = None
    for_professionals: dict[str, Any] = field(default_factory=dict)


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
    # What to do first (adrlens.action): {"action": stop_now | urgent_care | see_clinician | indication | none,
    #  "why", "reference"}
    action: dict[str, Any] = field(
        default_factory=lambda: {
            "action": "see_clinician",
            "why": "Talk to the clinician who prescribed it.",
            "reference": None,
        }
    )
    layers: Layers = field(default_factory=Layers)  # what a person reads, plain words first
    # Online sources (`--online`): {"requested", "sources": [{"name", "status", "reason", "fetched_at",
    #  "from_cache"}], "summary"}; empty when not asked for.
    online: dict[str, Any] = field(default_factory=dict)
    generated_at: str = ""
    schema_version: str = SCHEMA_VERSION

    def evidence_by_kind(self, kind: str) -> list[Evidence]:
        return [e for e in self.evidence if e.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return json_safe(asdict(self))
