"""The answer article (Markdown, HTML, SVG charts) and the answer JSON schema, on hand-built Answers whose
numbers are those of a real question (amlodipine x peripheral neuropathy, FAERS 2022Q3 primary suspect)."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import typing
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from adrlens import model
from adrlens.model import (
    Answer,
    ChallengeData,
    ClassEffectData,
    ConditionInfo,
    ConfoundingData,
    CountTableData,
    DrugInfo,
    Evidence,
    IndicationData,
    InverseData,
    LabelData,
    Layers,
    LiteratureData,
    Reason,
    ReportData,
    Statement,
    TemporalityData,
    Verdict,
)
from adrlens.model_online import OnlineReportData, PubMedData
from adrlens.report import (
    SCHEMA_PATH,
    answer_schema,
    forest_svg,
    render_html,
    render_markdown,
    trend_svg,
    validate_answer_json,
)
from adrlens.report.schema import build_schema, schema_text
from adrlens.wording.advice import GENERAL_ADVICE

ROOT = Path(__file__).resolve().parents[1]
FAERS = "FAERS 2022Q3 (primary suspect)"


def amlodipine_answer() -> Answer:
    """What the engine gives for "Can Norvasc cause pins and needles?" (numbers from the real store)."""
    ev = [
        Evidence(
            "label:SIDER 4.1:neuropathy peripheral",
            "label",
            "SIDER 4.1",
            "SIDER 4.1 lists neuropathy peripheral as a side effect of amlodipine.",
            "supports",
            "moderate",
            LabelData(
                listed=True,
                listed_pts=["neuropathy peripheral"],
                listed_narrow_pts=["neuropathy peripheral"],
                drug_known=True,
                n_rows=1,
            ),
            {"table": "label_effect", "source_id": ["CID100002162", "CID100060496"]},
        ),
        Evidence(
            "label:SIDER 4.1:paraesthesia",
            "label",
            "SIDER 4.1",
            "SIDER 4.1 lists paraesthesia as a side effect of amlodipine.",
            "supports",
            "moderate",
            LabelData(listed=True, listed_pts=["paraesthesia"], drug_known=True, n_rows=1),
            {"table": "label_effect"},
        ),
        Evidence(
            "literature:ADE corpus:neuropathy peripheral",
            "literature",
            "ADE corpus (Gurulingappa 2012)",
            "One case report describes peripheral neuropathy with amlodipine.",
            "supports",
            "weak",
            LiteratureData(
                n_records=1,
                n_articles=1,
                pmids=["10386028"],
                by_study_type={"case report": 1},
                by_source={"ADE corpus": 1},
                drug_known=True,
            ),
            {"table": "literature_pair", "pmids": [10386028]},
        ),
        Evidence(
            "reports:FAERS 2022Q3:peripheral_neuropathy",
            "reports",
            FAERS,
            "35 of 6,109 amlodipine reports mention peripheral neuropathy, 25.5 expected: ROR 1.39 (0.99 to 1.96), "
            "IC025 -0.07, EB05 1.00, no signal.",
            "neutral",
            "weak",
            ReportData(
                source_name="faers_ps",
                scope="broad",
                pts=["neuropathy peripheral", "peripheral sensory neuropathy", "paraesthesia", "hypoaesthesia"],
                a=35,
                b=6074,
                c=9965,
                d=1_183_926,
                n=1_200_000,
                drug_cases=6109,
                e=25.5,
                e_crude=25.4,
                prr=1.38,
                prr_lo=0.99,
                prr_hi=1.92,
                chi2=3.4,
                ror=1.39,
                ror_lo=0.99,
                ror_hi=1.96,
                ic=0.43,
                ic025=-0.07,
                ic975=0.88,
                ebgm=1.3,
                eb05=1.0,
                eb95=1.7,
                signal_reason="ROR025 0.99 <= 1",
                settings={"role": "PS"},
            ),
            {"table": "report_drug/report_event", "period": "2022Q3", "role": "PS"},
        ),
        Evidence(
            "count_table:FAERS flagged:peripheral sensory neuropathy",
            "count_table",
            "FAERS flagged-signal table 2004-2019",
            "Peripheral sensory neuropathy: 4 reports with amlodipine, ROR 7.02 (2.61 to 18.89).",
            "supports",
            "weak",
            CountTableData(
                table="FAERS flagged",
                flagged_only=True,
                rows=[
                    {"event": "peripheral sensory neuropathy", "status": "counted", "a": 4, "e": None, "ror": 7.02}
                    | {"ror_lo": 2.61, "ror_hi": 18.89, "ic": None, "ic025": None, "ic975": None, "eb05": None},
                    {"event": "paraesthesia", "status": "absent_from_flagged_table", "a": None, "ror": None},
                ],
                signal_pts=["peripheral sensory neuropathy"],
            ),
            {"table": "aggregate_signal"},
        ),
        Evidence(
            "confounding:FAERS 2022Q3:diabetes",
            "confounding",
            FAERS,
            "12% of amlodipine cases name diabetes as an indication or co-morbidity, itself a cause of "
            "neuropathy; without them ROR 1.21 (0.83 to 1.77).",
            "against",
            "weak",
            ConfoundingData(
                drug="amlodipine",
                condition="Peripheral neuropathy",
                pts=["neuropathy peripheral"],
                source="faers_ps",
                method="curated",
                curated_causes=["diabetes"],
                drug_cases=6109,
                drug_cases_with_any=733,
                original={"a": 35, "ror": 1.39, "ror_lo": 0.99, "ror_hi": 1.96},
                adjusted={"a": 28, "ror": 1.21, "ror_lo": 0.83, "ror_hi": 1.77},
                retained_fraction=0.88,
            ),
            {"period": "2022Q3"},
        ),
    ]
    verdict = Verdict(
        grade="probable",
        score=0.72,
        headline="Possibly, but rarely reported. Peripheral neuropathy and tingling are listed among amlodipine's "
        "side effects (SIDER 4.1), with no frequency given. Reports to the FDA show no clear excess.",
        reasons=[
            Reason(
                "Listed on a label source (SIDER 4.1) without frequency.",
                ["label:SIDER 4.1:neuropathy peripheral", "label:SIDER 4.1:paraesthesia"],
            ),
            Reason(
                "No disproportionality in FAERS 2022Q3 once diabetes is set aside.",
                ["reports:FAERS 2022Q3:peripheral_neuropathy", "confounding:FAERS 2022Q3:diabetes"],
            ),
        ],
        caveats=["Spontaneous reports give no incidence."],
    )
    return Answer(
        question="Can Norvasc cause pins and needles?",
        drug=DrugInfo(
            input="Norvasc",
            name="amlodipine",
            kind="drug",
            matched="norvasc",
            method="brand",
            profile={
                "description": {
                    "text": "Amlodipine is a long-acting 1,4-dihydropyridine calcium channel blocker. It acts "
                    "primarily on vascular smooth muscle cells. Third sentence that is cut.",
                    "source": "DrugBank 4 (DB00381)",
                },
                "half_life": {"text": "30-50 hours", "hours": 40.0, "source": "DrugBank 4 (curated hours)"},
                "atc_codes": ["C08CA01"],
                "classes": {
                    "EPC": [
                        {
                            "name": "Dihydropyridine Calcium Channel Blocker",
                            "id": "N0000175421",
                            "source": "DrugCentral",
                        }
                    ],
                    "MoA": [{"name": "Calcium Channel Antagonists", "id": "N0000000069", "source": "DrugCentral"}],
                },
                "epc": ["Dihydropyridine Calcium Channel Blocker"],
                "mechanism": ["Calcium Channel Antagonists"],
                "indications": [
                    {"indication": "hypertension", "source": "DrugBank-DOID indications", "note": None},
                    {"indication": "coronary artery disease", "source": "DrugBank-DOID indications"},
                ],
            },
        ),
        condition=ConditionInfo(
            input="pins and needles",
            label="Peripheral neuropathy",
            concept_id="peripheral_neuropathy",
            scope="broad",
            pts=["neuropathy peripheral", "peripheral sensory neuropathy", "paraesthesia", "hypoaesthesia"],
            narrow=["neuropathy peripheral", "peripheral sensory neuropathy"],
            broad=["neuropathy peripheral", "peripheral sensory neuropathy", "paraesthesia", "hypoaesthesia"],
            description={
                "definition": {
                    "text": "Damage to the nerves outside the brain and spinal cord, usually felt as tingling, "
                    "numbness, burning pain or weakness starting in the feet and hands.",
                    "source": "adrlens condition catalogue",
                },
                "typical_symptoms": [{"text": "paresthesia", "source": "Disease Ontology disease-symptom DOID:870"}],
                "red_flags": [
                    {"text": "sudden weakness of the legs or arms", "source": "adrlens condition catalogue"},
                    {"text": "difficulty breathing or swallowing", "source": "adrlens condition catalogue"},
                ],
                "common_causes": [{"text": "diabetes", "source": "adrlens condition catalogue"}],
            },
        ),
        evidence=ev,
        verdict=verdict,
        charts={
            "measures": [
                {
                    "label": "Peripheral neuropathy (concept)",
                    "source": FAERS,
                    "a": 35,
                    "e": 25.5,
                    "ror": 1.39,
                    "ror_lo": 0.99,
                    "ror_hi": 1.96,
                    "ic": 0.43,
                    "ic025": -0.07,
                    "ic975": 0.88,
                    "eb05": 1.0,
                    "ebgm": 1.3,
                    "eb95": 1.7,
                },
                {
                    "label": "paraesthesia",
                    "source": FAERS,
                    "a": 20,
                    "e": 14.1,
                    "ror": 1.42,
                    "ror_lo": 0.91,
                    "ror_hi": 2.21,
                    "ic": 0.47,
                    "ic025": -0.2,
                    "ic975": 1.05,
                    "eb05": 0.95,
                    "ebgm": 1.3,
                    "eb95": 1.8,
                },
                {
                    "label": "peripheral sensory neuropathy",
                    "source": "FAERS flagged-signal table",
                    "a": 4,
                    "e": None,
                    "ror": 7.02,
                    "ror_lo": 2.61,
                    "ror_hi": 18.89,
                    "ic": None,
                    "ic025": None,
                    "ic975": None,
                    "eb05": None,
                    "ebgm": None,
                    "eb95": None,
                },
                {
                    "label": "polyneuropathy",
                    "source": FAERS,
                    "a": 0,
                    "e": 0.8,
                    "ror": None,
                    "ror_lo": None,
                    "ror_hi": None,
                    "ic": None,
                    "ic025": None,
                    "ic975": None,
                    "eb05": None,
                    "ebgm": None,
                    "eb95": None,
                },
            ],
            "trend": {
                "FAERS samples": [
                    {"quarter": "2012Q4", "a": 2, "ror": 2.1, "ror_lo": 0.5, "ror_hi": 8.6, "ic025": -1.1},
                    {"quarter": "2013Q1", "a": 5, "ror": 1.6, "ror_lo": 0.66, "ror_hi": 3.9, "ic025": -0.6},
                    {"quarter": "2013Q2", "a": 5, "ror": None, "ror_lo": None, "ror_hi": None, "ic025": None},
                    {"quarter": "2013Q3", "a": 11, "ror": 1.45, "ror_lo": 0.8, "ror_hi": 2.63, "ic025": -0.3},
                ]
            },
        },
        related={
            "questions": ["Can amlodipine cause oedema peripheral?", "Can amlodipine cause dizziness?"],
            "drug_top_signals": [{"pt": "oedema peripheral", "source": FAERS, "a": 88, "eb05": 4.1, "ror_lo": 5.2}],
            "condition_top_drugs": [{"drug": "bortezomib", "source": FAERS, "a": 61, "eb05": 9.8, "ror_lo": None}],
        },
        methods={
            "data_sources": "FAERS 2022Q3 ASCII release (FDA), primary-suspect reports; SIDER 4.1; ADE corpus",
            "deduplication": "latest version per caseid",
            "drug_mapping": "FAERS drugname/prod_ai to ingredient via the adrlens drug vocabulary",
            "measures": ["ROR with 95% CI", "IC with IC025", "EBGM with EB05 (MGPS)"],
            "thresholds": {"ror": "ROR025 > 1", "ic": "IC025 > 0", "ebgm": "EB05 >= 2"},
            "software_version": "adrlens 0.1.0",
        },
        layers=Layers(
            short_answer=[
                "Possibly, but this is not an established side effect of amlodipine.",
                "If you have symptoms, talk to your doctor or pharmacist.",
            ],
            what_to_do=[
                Statement("Talk to your doctor or pharmacist about numbness or tingling.", "adrlens condition actions"),
                Statement(
                    "Do not stop taking amlodipine or change the dose on your own: talk to your prescriber first.",
                    "adrlens general advice",
                    kind="general",
                ),
                Statement(
                    "Get urgent medical care for sudden weakness or numbness spreading upwards.",
                    "adrlens condition catalogue",
                    kind="warning_signs",
                ),
            ],
            about_drug=[Statement("Amlodipine is a calcium channel blocker, a blood pressure medicine.", "MedQuAD")],
            about_condition=[Statement("Damage to the nerves outside the brain and spinal cord.", "NINDS")],
            why=[Statement("Its label lists it only among rare events, with no rate given.", "SIDER 4.1")],
        ),
        generated_at="2025-01-01T00:00:00Z",
    )


# ---- schema ---------------------------------------------------------------------------------------------


def test_shipped_schema_is_generated_from_model() -> None:
    """Both shipped copies are exactly build_schema(): regenerate with `python -m adrlens.report.schema`."""
    for path in (SCHEMA_PATH, ROOT / "docs" / "answer.schema.json"):
        assert path.read_text(encoding="utf-8") == schema_text(), f"{path} is stale: python -m adrlens.report.schema"
        assert json.loads(path.read_text(encoding="utf-8")) == build_schema()
    assert answer_schema() == build_schema()


def test_schema_data_defs_follow_dataclasses() -> None:
    s = build_schema()
    assert set(model.DATA_TYPES) == set(typing.get_args(model.EvidenceKind))
    cases = s["$defs"]["evidence"]["allOf"]
    assert [c["if"]["properties"]["kind"]["const"] for c in cases] == list(model.DATA_TYPES)
    for kind, cls in model.DATA_TYPES.items():
        d = s["$defs"][cls.__name__]
        names = [f.name for f in dataclasses.fields(cls)]
        assert d["additionalProperties"] is False and d["required"] == names == list(d["properties"]), kind
    rd = s["$defs"]["ReportData"]["properties"]
    assert rd["source_name"] == {"type": "string"} and rd["scope"] == {"type": ["string", "null"]}
    assert rd["a"] == {"type": ["integer", "null"]} and rd["drug_cases"] == {"type": "integer"}
    assert rd["ror"] == {"type": ["number", "null"]} and rd["signal"] == {"type": "boolean"}
    assert rd["pts"] == {"type": "array", "items": {"type": "string"}} and rd["settings"] == {"type": "object"}
    assert s["$defs"]["ChallengeData"]["properties"]["dechallenge"] == {
        "type": "object",
        "additionalProperties": {"type": "integer"},
    }
    assert s["$defs"]["CountTableData"]["properties"]["rows"] == {"type": "array", "items": {"type": "object"}}


def test_schema_enums_match_model() -> None:
    docs = ROOT / "docs" / "answer.schema.json"
    s = json.loads(docs.read_text())
    assert s["$schema"].endswith("draft/2020-12/schema")
    assert s["properties"]["schema_version"] == {"const": model.SCHEMA_VERSION}
    assert s["$defs"]["grade"]["enum"] == list(model.GRADES)
    assert s["$defs"]["kind"]["enum"] == list(typing.get_args(model.EvidenceKind))
    assert s["$defs"]["direction"]["enum"] == list(typing.get_args(model.Direction))
    assert s["$defs"]["strength"]["enum"] == list(typing.get_args(model.Strength))


def test_schema_validates_constructed_answer() -> None:
    d = amlodipine_answer().to_dict()
    json.dumps(d, allow_nan=False)  # JSON-safe
    assert validate_answer_json(d) == []


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("verdict", "grade"), "definitely", "verdict/grade"),
        (("evidence", 0, "kind"), "anecdote", "evidence/0/kind"),
        (("evidence", 1, "direction"), "up", "evidence/1/direction"),
        (("schema_version",), "1", "schema_version"),
        (("verdict", "score"), None, "verdict/score"),  # a NaN score becomes null and must fail
        (("charts", "measures", 0, "ror"), "1.39", "charts/measures/0/ror"),
    ],
)
def test_schema_rejects_invalid(path: tuple, value: object, where: str) -> None:
    d = amlodipine_answer().to_dict()
    node = d
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    errors = validate_answer_json(d)
    assert errors and any(e.startswith(where) for e in errors), errors


def test_schema_rejects_missing_field_and_dangling_reason() -> None:
    d = amlodipine_answer().to_dict()
    del d["verdict"]
    assert any("verdict" in e for e in validate_answer_json(d))
    d = amlodipine_answer().to_dict()
    d["verdict"]["reasons"][0]["evidence_ids"].append("label:nowhere")
    assert validate_answer_json(d) == ["verdict/reasons/0/evidence_ids: 'label:nowhere' names no evidence record"]


# ---- Markdown -------------------------------------------------------------------------------------------

SECTIONS = [
    "# Can Norvasc cause pins and needles?",
    "## The short answer",
    "## What to do",
    "## About amlodipine",
    "## About peripheral neuropathy",
    "## Why we say this",
    "## Related questions",
    "## For professionals",
    "### The grade",
    "### The drug in detail: amlodipine",
    "### The condition in detail: Peripheral neuropathy",
    "### What the evidence says",
    "#### On the label",
    "#### Studies and literature",
    "#### Spontaneous reports",
    "#### Other explanations (confounding)",
    "### How the grade was reached",
    "### Related signals",
    "### Methods (READUS-PV)",
]


def _no_missing_tokens(s: str) -> None:
    assert not re.search(r"\b(nan|NaN|inf|null)\b", s), re.search(r".{30}\b(nan|NaN|inf|null)\b.{30}", s)
    assert not re.search(r"\bNone\b(?! of)", s), re.search(r".{40}\bNone\b.{40}", s)


def test_markdown_sections_in_order_with_numbers_and_sources() -> None:
    md = render_markdown(amlodipine_answer())
    heads = [ln for ln in md.splitlines() if ln.startswith("#")]
    assert heads == SECTIONS
    assert md.index("Possibly, but this is not an established") < md.index("## What to do") < md.index("## About")
    assert md.index("## Why we say this") < md.index("## For professionals") < md.index("### The grade")
    assert "**probable**" in md and "(this answer)" in md
    assert "insufficient evidence" in md and 'not a "no"' in md  # the grade scale explained
    # Drug facts carry their sources.
    assert "Dihydropyridine Calcium Channel Blocker (DrugCentral)" in md
    assert "30-50 hours (DrugBank 4 (curated hours))" in md
    assert "Third sentence" not in md  # description cut to two sentences
    # Label: no frequency said plainly.
    assert "gives no frequency" in md
    # PubMed link; reports with the numbers, intervals and caveat; each source kept apart.
    assert "[PMID 10386028](https://pubmed.ncbi.nlm.nih.gov/10386028/)" in md
    assert (
        "| FAERS 2022Q3 (primary suspect) | Peripheral neuropathy (broad terms) | 35 | 25.5 | 1.39 (0.99 to 1.96) |"
        in md
    )
    # The count table gives one row per counted cell; the term absent from the flagged-only table gets none.
    assert "| FAERS flagged-signal table 2004-2019 | peripheral sensory neuropathy | 4 | not available | 7.02" in md
    assert "| FAERS flagged-signal table 2004-2019 | paraesthesia |" not in md
    assert "By study type: case report 1." in md
    assert "7.02 (2.61 to 18.89)" in md and "not available" in md
    assert "hypothesis-generating" in md and "no incidence" in md
    # Citations name evidence ids; reasons name their evidence.
    assert "[FAERS 2022Q3 (primary suspect); `confounding:FAERS 2022Q3:diabetes`]" in md
    assert "(evidence: `label:SIDER 4.1:neuropathy peripheral`, `label:SIDER 4.1:paraesthesia`)" in md
    # Safety and red flags.
    assert md.count("Do not stop taking amlodipine or change the dose on your own") == 1
    assert "Get urgent medical care for sudden weakness" in md
    assert "Can amlodipine cause oedema peripheral?" in md
    assert "- **Deduplication:** latest version per caseid" in md
    assert "- **Thresholds:** Ror: ROR025 > 1" not in md  # > escaped in Markdown
    _no_missing_tokens(md)


def test_markdown_empty_answer_says_not_available() -> None:
    a = amlodipine_answer()
    a.evidence, a.charts, a.related, a.methods, a.layers = [], {}, {}, {}, Layers()
    a.verdict.reasons, a.verdict.grade = [], "insufficient evidence"
    a.drug.profile, a.condition.description = None, None
    md = render_markdown(a)
    assert "No label source" in md and "not available" in md
    assert GENERAL_ADVICE[0].text in md  # the general advice, when nothing fitted to the condition is known
    assert "## Related questions" not in md
    gone = {"## Related questions", "### Related signals"}
    assert [h for h in SECTIONS if h not in gone] == [ln for ln in md.splitlines() if ln.startswith("#")]
    _no_missing_tokens(md)


def test_inverse_worded_as_to_be_studied() -> None:
    a = amlodipine_answer()
    a.evidence.append(
        Evidence(
            "inverse:FAERS 2022Q3",
            "inverse",
            FAERS,
            "Fewer reports than expected: IC975 -0.4.",
            "inverse",
            "weak",
            InverseData(ror_hi=0.6, a=2, e=6.1),
            {},
        )
    )
    md = render_markdown(a)
    assert "### Fewer reports than expected" in md
    assert "to be studied" in md and "does not mean the drug protects" in md
    assert md.index("### Fewer reports than expected") > md.index("### Other explanations")


def test_label_frequency_placebo_section_and_postmarketing() -> None:
    a = amlodipine_answer()
    a.evidence[0] = Evidence(
        "label:SIDER 4.1:oedema peripheral",
        "label",
        "SIDER 4.1",
        "SIDER 4.1 lists oedema peripheral for amlodipine.",
        "supports",
        "strong",
        LabelData(
            listed=True,
            listed_pts=["oedema peripheral"],
            drug_known=True,
            freq_text="oedema peripheral: 10.8% (placebo 0.6%)",
            freq_upper_max=0.108,
            n_rows=2,
        ),
        {},
    )
    a.evidence[1] = Evidence(
        "label:SPL:paraesthesia",
        "label",
        "SPL (TAC 2017)",
        "The US label lists paraesthesia.",
        "supports",
        "moderate",
        LabelData(listed=True, listed_pts=["paraesthesia"], drug_known=True, sections=["adverse reactions"]),
        {},
    )
    a.evidence.append(
        Evidence(
            "label:EU SmPC",
            "label",
            "EU SmPC",
            "The EU SmPC lists hypoaesthesia.",
            "supports",
            "weak",
            LabelData(listed=True, listed_pts=["hypoaesthesia"], drug_known=True, postmarketing_only=True),
            {},
        )
    )
    a.evidence.append(
        Evidence(
            "label:DailyMed",
            "label",
            "DailyMed",
            "DailyMed does not list peripheral neuropathy.",
            "neutral",
            "weak",
            LabelData(listed=False, drug_known=True, sections=["warnings"]),
            {},
        )
    )
    md = render_markdown(a)
    assert "Frequency: oedema peripheral: 10.8% (placebo 0.6%)." in md
    assert "The US label lists paraesthesia. This source gives no frequency" in md
    assert "Label section: adverse reactions." in md
    assert "hypoaesthesia. Reported after marketing only, so how often" in md
    assert "does not list peripheral neuropathy. [DailyMed" in md  # nothing added to a "not listed"


# ---- HTML -----------------------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_html_is_self_contained_with_charts() -> None:
    html = render_html(amlodipine_answer())
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert html.count("<svg") == 2  # forest plot and one trend series
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    urls = re.findall(r"""(?:href|src)\s*=\s*["']?(https?://[^"'\s>]+)""", html, re.I)
    assert urls and all(u.startswith("https://pubmed.ncbi.nlm.nih.gov/") for u in urls), urls
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    # Reasons link to the evidence they name.
    assert 'href="#ev-label-SIDER-4-1-paraesthesia"' in html and 'id="ev-label-SIDER-4-1-paraesthesia"' in html
    assert 'data-grade="probable"' in html
    text_only = re.sub(r"<[^>]+>", " ", html)
    _no_missing_tokens(text_only)
    for sec in ("The short answer", "What to do", "About amlodipine", "Why we say this", "For professionals"):
        assert sec in text_only
    for sec in ("What the evidence says", "How the grade was reached", "Methods (READUS-PV)"):
        assert sec in text_only


def test_html_escapes_hostile_text() -> None:
    a = amlodipine_answer()
    a.question = f"Can {HOSTILE} cause pins?"
    a.drug.name = HOSTILE
    a.evidence[0].finding = HOSTILE
    a.evidence[0].id = 'x" onmouseover="alert(1)'
    a.verdict.reasons[0].evidence_ids = ['x" onmouseover="alert(1)']
    a.charts["measures"][0]["label"] = HOSTILE
    a.charts["trend"] = {HOSTILE: [{"quarter": HOSTILE, "a": 1, "ror": 2.0, "ror_lo": 1.0, "ror_hi": 4.0}]}
    a.related["questions"] = [HOSTILE]
    html = render_html(a)
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert 'onmouseover="alert' not in html and "&lt;script&gt;" in html
    md = render_markdown(a)
    assert not re.search(r"(?<!\\)<", md) and "\\<script>" in md  # every < backslash-escaped (a lone > is plain text)


# ---- charts ---------------------------------------------------------------------------------------------


def _svg(s: str) -> ET.Element:
    return ET.fromstring(s)  # well-formed XML, so it also works as a standalone .svg file


def test_forest_svg_handles_none_and_draws_reference_lines() -> None:
    rows = amlodipine_answer().charts["measures"]
    s = forest_svg(rows, "amlodipine & neuropathy")
    root = _svg(s)
    assert root.tag.endswith("svg") and "amlodipine &amp; neuropathy" in s
    assert "ROR / EBGM (log scale; 1 = as expected)" in s and "IC (0 = as expected)" in s
    # The polyneuropathy row has no reports (a = 0): not drawn, only counted in the description.
    assert ">polyneuropathy<" not in s and "1 row(s) with no reports are not drawn" in s
    assert "nan" not in s.lower() and "None" not in s
    # The CI of 18.89 and the point 0.99 are inside the drawn axis: tick labels span them.
    ticks = [float(t) for t in re.findall(r'text-anchor="middle">([0-9.]+)</text>', s)]
    assert min(ticks) <= 1 <= max(ticks) and max(ticks) >= 10


def test_forest_svg_only_nones_and_empty() -> None:
    s = forest_svg([{"label": "x", "source": "y", "ror": None, "ic": float("nan")}], "t")
    _svg(s)
    assert "could not be computed" in s and "nan" not in s.lower()
    s = forest_svg([], "t")
    assert "No disproportionality measures" in s
    s = forest_svg([{"label": "a", "source": "s", "ror": 0.0, "ror_lo": 0.0, "ror_hi": 3.0}], "t")  # log of 0
    _svg(s)
    assert "nan" not in s.lower() and "inf" not in s.lower()


def test_forest_svg_clips_extreme_interval() -> None:
    s = forest_svg([{"label": "a", "source": "s", "ror": 50.0, "ror_lo": 1.5, "ror_hi": 1e9}], "t")
    _svg(s)
    coords = [float(v) for v in re.findall(r'x[12]?="(-?[0-9.]+)"', s)]
    assert all(math.isfinite(c) and -1 <= c <= 2000 for c in coords)
    assert "<path" in s  # the arrow head of the clipped upper bound
    # An a = 0 row's IC025 near -11 is clipped too, so other rows keep a readable IC axis.
    s = forest_svg(
        [
            {"label": "a", "source": "s", "ic": -1.8, "ic025": -11.8, "ic975": 0.5},
            {"label": "b", "source": "s", "ic": 0.45, "ic025": -0.07, "ic975": 0.89},
        ],
        "t",
    )
    ticks = [float(t) for t in re.findall(r'text-anchor="middle">(-?[0-9.]+)</text>', s)]
    assert min(ticks) >= -4 and "<path" in s


def test_trend_svg_single_point_gaps_and_ic_fallback() -> None:
    s = trend_svg([{"quarter": "2022Q3", "a": 35, "ror": 1.39, "ror_lo": 0.99, "ror_hi": 1.96}], "FAERS")
    _svg(s)
    assert s.count("<circle") == 1 and "2022Q3" in s and "a=35" in s
    pts = amlodipine_answer().charts["trend"]["FAERS samples"]
    s = trend_svg(pts, "samples")
    _svg(s)
    assert s.count("<circle") == 3 and s.count("<polyline") == 1  # the None quarter breaks the line
    s = trend_svg([{"quarter": "2020Q1", "ic025": -0.5}, {"quarter": "2020Q2", "ic025": 0.2}], "IC")
    _svg(s)
    assert "cumulative IC025" in s and s.count("<circle") == 2
    # A quarter with cumulative a = 0 has only a Haldane ROR: left empty, not drawn at ROR 20.
    s = trend_svg(
        [
            {"quarter": "2000Q1", "a": 0, "ror": 20.0, "ror_lo": 0.5, "ror_hi": 900.0},
            {"quarter": "2000Q2", "a": 3, "ror": 2.0, "ror_lo": 1.1, "ror_hi": 3.6},
        ],
        "zero",
    )
    assert s.count("<circle") == 1 and "ROR 20.00" not in s
    many = [
        {"quarter": f"{2000 + i // 4}Q{i % 4 + 1}", "a": i, "ror": 2.0, "ror_lo": 1.0, "ror_hi": 4.0}
        for i in range(1, 60)
    ]
    s = trend_svg(many, "many")
    _svg(s)
    assert "<polygon" in s and s.count("<circle") == 59 and "2014Q4" in s  # band, and the last quarter labelled
    s = trend_svg([{"quarter": "2020Q1", "a": None, "ror": None}], "none")
    assert "Too few reports" in s
    assert "No quarterly counts" in trend_svg([], "empty")


def test_to_dict_roundtrip_keeps_schema_valid_with_nan() -> None:
    a = amlodipine_answer()
    assert isinstance(a.evidence[3].data, ReportData)
    a.evidence[3].data.ror_hi = float("nan")
    a.charts["measures"][0]["ror_hi"] = float("inf")
    d = a.to_dict()
    assert d["evidence"][3]["data"]["ror_hi"] is None
    assert validate_answer_json(copy.deepcopy(d)) == []
    md = render_markdown(a)
    assert "1.39 (0.99 to not available)" in md
    _no_missing_tokens(md)


# ---- typed evidence data: one record of every kind ------------------------------------------------------


def every_kind_evidence() -> list[Evidence]:
    """One Evidence per kind in model.DATA_TYPES, with the data structure that kind carries."""
    data = {
        "label": LabelData(listed=True, listed_pts=["paraesthesia"], drug_known=True, freq_text="paraesthesia: 1%"),
        "literature": LiteratureData(n_records=2, n_articles=2, pmids=["123", "456"], by_study_type={"cohort": 2}),
        "reports": ReportData(source_name="faers_ps", scope="narrow", pts=["paraesthesia"], a=3, b=97, e=1.2),
        "count_table": CountTableData(
            table="t", rows=[{"event": "paraesthesia", "status": "counted", "a": 2, "ror": 2.5}], signal_pts=[]
        ),
        "class_effect": ClassEffectData(
            drug="amlodipine",
            class_type="EPC",
            class_name="Dihydropyridine Calcium Channel Blocker",
            members_in_class=5,
            members=[{"ingredient": "nifedipine", "on_label": True, "reports": {"faers_ps": {"a": 4}}}],
            share_showing=0.4,
        ),
        "confounding": ConfoundingData(drug="amlodipine", condition="x", original={"ror": 1.4}, adjusted={"ror": 1.2}),
        "indication": IndicationData(drug="amlodipine", matches=[{"pt": "x", "indication": "y", "source": "z"}]),
        "inverse": InverseData(ror_hi=0.5, a=1, e=4.0),
        "temporality": TemporalityData(cases=10, cases_with_usable_dates=8, median_days=14.0, bins={"0-7": 3}),
        "challenge": ChallengeData(dechallenge={"positive": 2, "negative": 0, "unknown": 5}, rechallenge={}),
        "stimulated_reporting": model.StimulatedData(
            source_name="vaers", pts=["x"], by_year=[{"year": 1999, "a": 4, "drug_cases": 100}]
        ),
        "pgx": model.PgxData(gene="HLA-B", variant="HLA-B*15:02", level="1A", source="PharmGKB"),
        "online_reports": OnlineReportData(pts=["paraesthesia"], a=12, b=988, c=500, d=98500, n=100000, ror=2.4),
        "online_literature": PubMedData(total=3, top=[{"pmid": "123", "title": "t", "journal": None, "year": "2020"}]),
    }
    assert set(data) == set(model.DATA_TYPES)
    return [
        Evidence(f"{kind}:test", kind, f"{kind} source", f"A {kind} finding.", "neutral", "weak", d, {})  # type: ignore[arg-type]
        for kind, d in data.items()
    ]


def test_every_kind_validates_and_renders() -> None:
    a = amlodipine_answer()
    a.evidence = every_kind_evidence()
    a.verdict.reasons = [Reason("All kinds.", [e.id for e in a.evidence])]
    d = a.to_dict()
    json.dumps(d, allow_nan=False)
    assert validate_answer_json(d) == []
    md = render_markdown(a)
    for kind in model.DATA_TYPES:
        assert f"A {kind} finding." in md
    assert "| reports source | Peripheral neuropathy (narrow terms) | 3 | 1.2 |" in md
    assert "| count_table source | paraesthesia | 2 | not available | 2.50 |" in md
    assert "[PMID 123](https://pubmed.ncbi.nlm.nih.gov/123/)" in md and "Frequency: paraesthesia: 1%." in md
    _no_missing_tokens(md)
    _no_missing_tokens(re.sub(r"<[^>]+>", " ", render_html(a)))


def test_evidence_needs_its_kinds_data_type() -> None:
    with pytest.raises(TypeError, match="needs ReportData"):
        Evidence("r", "reports", "s", "f", "neutral", "weak", LabelData(), {})


@pytest.mark.parametrize("change", ["extra", "missing", "wrong_type", "other_kinds_data"])
def test_schema_rejects_report_data_with_wrong_keys(change: str) -> None:
    a = amlodipine_answer()
    i = next(n for n, e in enumerate(a.evidence) if e.kind == "reports")
    d = a.to_dict()
    data = d["evidence"][i]["data"]
    if change == "extra":
        data["pooled_ror"] = 1.5
    elif change == "missing":
        del data["ror_lo"]
    elif change == "wrong_type":
        data["a"] = "35"
    else:
        d["evidence"][i]["data"] = dataclasses.asdict(LabelData())
    errors = validate_answer_json(d)
    assert errors and all(e.startswith(f"evidence/{i}/data") for e in errors), errors


def test_zero_reports_show_no_ratio_and_a_readable_expected_count() -> None:
    a = amlodipine_answer()
    zero = dataclasses.replace(
        a.evidence_by_kind("reports")[0].data, scope="narrow", a=0, b=6109, e=0.0421, ror=0.5, ror_lo=0.03, ror_hi=8.1
    )
    a.evidence.append(Evidence("reports:zero", "reports", "FAERS 2022Q3", "0 reports.", "neutral", "none", zero))
    md = render_markdown(a)
    row = next(ln for ln in md.splitlines() if "(narrow terms)" in ln and ln.startswith("|"))
    assert "none (no reports)" in row and "0.50" not in row and "8.10" not in row
    assert "| 0.042 |" in row  # not "0.0"


def test_zero_reports_row_gives_the_upper_bound_only() -> None:
    a = amlodipine_answer()
    zero = dataclasses.replace(
        a.evidence_by_kind("reports")[0].data, scope="narrow", a=0, b=220, e=4.2, ror=None, ror_lo=None,
        ror_hi=None, ic=None, ic025=None, ic975=None, ebgm=None, eb05=None, eb95=None, ratio_upper=0.713,
        no_excess=True,
    )  # fmt: skip
    a.evidence.append(Evidence("reports:zero", "reports", "FAERS 2022Q3", "0 reports.", "against", "weak", zero))
    md = render_markdown(a)
    row = next(ln for ln in md.splitlines() if "(narrow terms)" in ln and ln.startswith("|") and "| 0 |" in ln)
    assert "observed/expected at most 0.71" in row and "| 4.2 |" in row
    assert validate_answer_json(a.to_dict()) == []
