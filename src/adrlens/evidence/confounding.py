"""Evidence about confounding: other causes of the condition in the drug's reports, and the signal without them.

Two kinds of records come out of this module:

* ``confounding(...)`` (kind ``confounding``), one record per report source where the drug has cases. It
  looks for *other explanations* of the condition in the same case reports:

  - indications and co-morbidities that cause the condition themselves (a report's ``indi_pt`` for any of
    its drugs, or a co-reported event such as "diabetes mellitus"). Known causes come from the curated map
    ``CURATED`` below; for conditions the map does not cover, indications that are disproportionately
    frequent among the event's cases in the whole source (lift >= ``DATA_MIN_LIFT`` on >= ``DATA_MIN_CASES``
    cases, counted among reports *without* the drug so the drug's own effect cannot promote its indication)
    stand in for them;
  - co-medication: any other ingredient in the case (any role) whose label lists one of the condition's PTs
    (``label_effect``: SIDER, US SPL, EU SmPC).

  It then recounts the 2x2 table after removing every report with such a cause from the whole population
  (exposed and unexposed alike, so the comparison stays fair) and says whether the signal persists.

* ``indication_overlap(...)`` (kind ``indication``): is the "adverse event" really what the drug is given for
  (metformin x type 2 diabetes, an antiepileptic x seizure)? Matches the condition's PTs against the drug's
  known indications (``drug_indication``) and the indications reported for the drug (``report_indication``).

Counts are distinct deduplicated cases; a = drug and event, b = drug without event, c = event without drug,
d = neither (DESIGN.md). Every record's ``data`` is JSON-safe (``None`` for undefined numbers).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from adrlens.jsonsafe import json_safe
from adrlens.model import Evidence
from adrlens.signals.measures import Measures
from adrlens.signals.tables import SignalSettings
from adrlens.store.db import has_table

# -- curated confounders ---------------------------------------------------------------------------------
# Data-driven indications: an indication counts as a confounder of the condition when, among reports
# without the drug, it is at least DATA_MIN_LIFT times as frequent in reports with the event as in those
# without, on at least DATA_MIN_CASES reports with the event.
DATA_MIN_LIFT = 2.0
DATA_MIN_CASES = 5
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


_CANCER = ("cancer", "carcinoma", "lymphoma", "myeloma", "leukaemia", "malignant", "sarcoma", "metasta")
_DIABETES = Cause("diabetes", ("hyperglycaemia",), ("diabet",))
_ALCOHOL = Cause("alcohol", ("alcoholism",), ("alcohol",))
_SEPSIS = Cause("sepsis", ("sepsis", "septic shock", "urosepsis", "bacteraemia"), ())
_CKD = Cause(
    "chronic kidney disease",
    ("chronic kidney disease", "renal failure chronic", "end stage renal disease", "dialysis", "haemodialysis"),
    (),
)
_HEART_RISK = (
    _DIABETES,
    Cause("hypertension", ("hypertension", "essential hypertension", "blood pressure increased"), ()),
    Cause(
        "dyslipidaemia",
        ("hyperlipidaemia", "hypercholesterolaemia", "dyslipidaemia", "blood cholesterol increased"),
        (),
    ),
    Cause("smoking", ("tobacco user", "nicotine dependence", "smoker", "tobacco abuse"), ()),
    Cause("coronary artery disease", ("angina pectoris", "coronary artery disease", "arteriosclerosis"), ("coronary",)),
)
_CANCER_CAUSE = Cause("cancer and its chemotherapy", ("chemotherapy", "myelodysplastic syndrome"), _CANCER)

# Each entry: the condition's PTs that switch it on, and its well-known non-drug causes (standard clinical
# references: e.g. Harrison's differential diagnoses; the causes listed in adrlens' condition catalogue).
CURATED: tuple[CuratedEntry, ...] = (
    CuratedEntry(
        "peripheral neuropathy",
        frozenset(
            {
                "neuropathy peripheral",
                "peripheral sensory neuropathy",
                "peripheral motor neuropathy",
                "peripheral sensorimotor neuropathy",
                "polyneuropathy",
                "toxic neuropathy",
                "axonal neuropathy",
                "demyelinating polyneuropathy",
                "paraesthesia",
                "hypoaesthesia",
                "dysaesthesia",
                "neuralgia",
                "neuropathy",
                "burning sensation",
                "sensory loss",
                "hyperaesthesia",
                "areflexia",
                "hyporeflexia",
                "sensory disturbance",
                "neurotoxicity",
            }
        ),
        (
            _DIABETES,
            _CANCER_CAUSE,
            _ALCOHOL,
            Cause("vitamin B12 deficiency", ("vitamin b12 deficiency", "pernicious anaemia"), ("b12",)),
            Cause("HIV infection", ("hiv infection", "acquired immunodeficiency syndrome"), ("hiv",)),
            _CKD,
            Cause("hypothyroidism", ("hypothyroidism",), ()),
            Cause(
                "nerve compression",
                (
                    "carpal tunnel syndrome",
                    "spinal stenosis",
                    "radiculopathy",
                    "sciatica",
                    "intervertebral disc protrusion",
                    "lumbar spinal stenosis",
                    "cervical radiculopathy",
                ),
                (),
            ),
            Cause("herpes zoster", ("herpes zoster", "postherpetic neuralgia"), ()),
            Cause("multiple sclerosis", ("multiple sclerosis", "relapsing-remitting multiple sclerosis"), ()),
        ),
    ),
    CuratedEntry(
        "rhabdomyolysis",
        frozenset(
            {
                "rhabdomyolysis",
                "myoglobinuria",
                "myopathy",
                "necrotising myositis",
                "myositis",
                "blood creatine phosphokinase increased",
                "toxic myopathy",
            }
        ),
        (
            Cause("trauma", ("crush syndrome", "road traffic accident", "injury", "multiple injuries", "fall"), ()),
            Cause("seizures", ("seizure", "status epilepticus", "generalised tonic-clonic seizure", "epilepsy"), ()),
            Cause("heat and exertion", ("heat stroke", "hyperthermia", "exercise", "physical exertion"), ()),
            _ALCOHOL,
            Cause("drug abuse", ("drug abuse", "substance abuse", "cocaine abuse", "intentional overdose"), ()),
            Cause("hypothyroidism", ("hypothyroidism",), ()),
            Cause("electrolyte disturbance", ("hypokalaemia", "hypophosphataemia"), ()),
            _SEPSIS,
            Cause("viral infection", ("influenza", "covid-19", "viral infection"), ()),
            Cause("neuroleptic malignant syndrome", ("neuroleptic malignant syndrome", "serotonin syndrome"), ()),
        ),
    ),
    CuratedEntry(
        "acute liver injury",
        frozenset(
            {
                "drug-induced liver injury",
                "liver injury",
                "hepatotoxicity",
                "acute hepatic failure",
                "hepatic failure",
                "hepatitis acute",
                "hepatitis fulminant",
                "hepatitis toxic",
                "hepatocellular injury",
                "liver disorder",
                "cholestatic liver injury",
                "mixed liver injury",
                "hepatic necrosis",
                "hepatitis",
                "transaminases increased",
                "alanine aminotransferase increased",
                "aspartate aminotransferase increased",
                "hepatic enzyme increased",
                "liver function test abnormal",
                "jaundice",
                "hyperbilirubinaemia",
                "cholestasis",
                "hepatitis cholestatic",
            }
        ),
        (
            Cause(
                "viral hepatitis",
                (
                    "hepatitis viral",
                    "hepatitis a",
                    "hepatitis b",
                    "hepatitis c",
                    "hepatitis e",
                    "chronic hepatitis b",
                    "chronic hepatitis c",
                    "cytomegalovirus infection",
                    "epstein-barr virus infection",
                ),
                (),
            ),
            _ALCOHOL,
            Cause(
                "fatty liver disease",
                ("hepatic steatosis", "non-alcoholic steatohepatitis", "non-alcoholic fatty liver"),
                (),
            ),
            Cause("cirrhosis", (), ("cirrhosis",)),
            Cause("autoimmune hepatitis", ("autoimmune hepatitis", "primary biliary cholangitis"), ()),
            Cause("gallstones", ("cholelithiasis", "cholecystitis", "choledocholithiasis"), ()),
            Cause("liver cancer", ("hepatocellular carcinoma", "hepatic cancer", "metastases to liver"), ()),
            Cause("ischaemia and heart failure", ("cardiac failure", "cardiac failure congestive", "shock"), ()),
            _SEPSIS,
        ),
    ),
    CuratedEntry(
        "acute kidney injury",
        frozenset(
            {
                "acute kidney injury",
                "renal failure",
                "renal failure acute",
                "renal injury",
                "renal impairment",
                "nephropathy toxic",
                "blood creatinine increased",
            }
        ),
        (
            Cause("dehydration", ("dehydration", "hypovolaemia"), ()),
            _SEPSIS,
            _CKD,
            Cause("diabetic nephropathy", ("diabetic nephropathy",), ()),
            Cause("heart failure", ("cardiac failure", "cardiac failure congestive", "cardiorenal syndrome"), ()),
            Cause("urinary obstruction", ("urinary tract obstruction", "obstructive uropathy", "hydronephrosis"), ()),
            Cause("rhabdomyolysis", ("rhabdomyolysis",), ()),
        ),
    ),
    CuratedEntry(
        "hypoglycaemia",
        frozenset(
            {
                "hypoglycaemia",
                "blood glucose decreased",
                "hypoglycaemic seizure",
                "hypoglycaemic unconsciousness",
                "hypoglycaemic coma",
            }
        ),
        (
            Cause("diabetes (treated)", (), ("diabet",)),
            _CKD,
            _ALCOHOL,
            _SEPSIS,
            Cause("adrenal insufficiency", ("adrenal insufficiency",), ()),
            Cause("insulinoma", ("insulinoma",), ()),
        ),
    ),
    CuratedEntry(
        "lactic acidosis",
        frozenset({"lactic acidosis", "blood lactic acid increased", "metabolic acidosis"}),
        (
            _SEPSIS,
            Cause("shock and hypoxia", ("shock", "cardiogenic shock", "hypoxia", "respiratory failure"), ()),
            Cause("kidney failure", ("acute kidney injury", "renal failure", "chronic kidney disease"), ()),
            _ALCOHOL,
            Cause("liver failure", ("hepatic failure",), ("cirrhosis",)),
        ),
    ),
    CuratedEntry(
        "pancreatitis",
        frozenset(
            {
                "pancreatitis",
                "pancreatitis acute",
                "pancreatitis necrotising",
                "pancreatitis haemorrhagic",
                "pancreatitis chronic",
            }
        ),
        (
            Cause("gallstones", ("cholelithiasis", "choledocholithiasis", "cholecystitis"), ()),
            _ALCOHOL,
            Cause("hypertriglyceridaemia", ("hypertriglyceridaemia", "blood triglycerides increased"), ()),
            Cause("hypercalcaemia", ("hypercalcaemia",), ()),
            Cause("ERCP", ("endoscopic retrograde cholangiopancreatography",), ()),
        ),
    ),
    CuratedEntry(
        "QT prolongation",
        frozenset(
            {
                "electrocardiogram qt prolonged",
                "long qt syndrome",
                "torsade de pointes",
                "electrocardiogram qt interval abnormal",
                "ventricular tachycardia",
            }
        ),
        (
            Cause("low potassium or magnesium", ("hypokalaemia", "hypomagnesaemia", "hypocalcaemia"), ()),
            Cause(
                "heart disease",
                ("cardiac failure", "myocardial infarction", "cardiomyopathy", "long qt syndrome congenital"),
                (),
            ),
        ),
    ),
    CuratedEntry(
        "seizure",
        frozenset(
            {
                "seizure",
                "generalised tonic-clonic seizure",
                "convulsion",
                "status epilepticus",
                "febrile convulsion",
                "partial seizures",
            }
        ),
        (
            Cause("epilepsy", ("epilepsy",), ()),
            Cause(
                "brain disease",
                (
                    "brain neoplasm",
                    "glioblastoma",
                    "head injury",
                    "traumatic brain injury",
                    "cerebrovascular accident",
                    "meningitis",
                    "encephalitis",
                ),
                (),
            ),
            Cause("alcohol withdrawal", ("alcohol withdrawal syndrome",), ("alcohol",)),
            Cause("metabolic", ("hypoglycaemia", "hyponatraemia"), ()),
        ),
    ),
    CuratedEntry(
        "gastrointestinal bleeding",
        frozenset(
            {
                "upper gastrointestinal haemorrhage",
                "gastric haemorrhage",
                "duodenal ulcer haemorrhage",
                "gastric ulcer haemorrhage",
                "haematemesis",
                "melaena",
                "gastrointestinal haemorrhage",
                "lower gastrointestinal haemorrhage",
                "rectal haemorrhage",
                "haematochezia",
                "peptic ulcer",
                "gastric ulcer",
                "duodenal ulcer",
            }
        ),
        (
            Cause("Helicobacter pylori", ("helicobacter infection", "helicobacter gastritis"), ()),
            Cause("varices and cirrhosis", ("oesophageal varices haemorrhage", "varices oesophageal"), ("cirrhosis",)),
            _ALCOHOL,
        ),
    ),
    CuratedEntry(
        "myocardial infarction",
        frozenset(
            {
                "acute myocardial infarction",
                "myocardial infarction",
                "acute coronary syndrome",
                "silent myocardial infarction",
            }
        ),
        _HEART_RISK,
    ),
    CuratedEntry(
        "stroke",
        frozenset(
            {
                "cerebrovascular accident",
                "ischaemic stroke",
                "haemorrhagic stroke",
                "cerebral infarction",
                "transient ischaemic attack",
                "cerebral haemorrhage",
            }
        ),
        (*_HEART_RISK, Cause("atrial fibrillation", ("atrial fibrillation",), ())),
    ),
    CuratedEntry(
        "venous thromboembolism",
        frozenset(
            {
                "deep vein thrombosis",
                "pulmonary embolism",
                "venous thrombosis",
                "venous thrombosis limb",
                "embolism venous",
                "pulmonary thrombosis",
            }
        ),
        (
            Cause("cancer", ("myelodysplastic syndrome",), _CANCER),
            Cause("immobility and surgery", ("immobile", "fracture", "hip fracture"), ("surgery",)),
            Cause("pregnancy", ("pregnancy",), ()),
            Cause("thrombophilia", ("thrombophilia", "factor v leiden mutation", "antiphospholipid syndrome"), ()),
            Cause("COVID-19", ("covid-19",), ()),
        ),
    ),
    CuratedEntry(
        "Guillain-Barre syndrome",
        frozenset({"guillain-barre syndrome", "miller fisher syndrome"}),
        (
            Cause(
                "preceding infection",
                (
                    "campylobacter infection",
                    "influenza",
                    "upper respiratory tract infection",
                    "gastroenteritis",
                    "covid-19",
                    "cytomegalovirus infection",
                    "epstein-barr virus infection",
                    "zika virus infection",
                ),
                (),
            ),
        ),
    ),
    CuratedEntry(
        "interstitial lung disease",
        frozenset(
            {"interstitial lung disease", "pneumonitis", "pulmonary fibrosis", "organising pneumonia", "alveolitis"}
        ),
        (
            Cause(
                "connective tissue disease",
                ("rheumatoid arthritis", "systemic scleroderma", "scleroderma", "dermatomyositis", "polymyositis"),
                (),
            ),
            Cause("radiotherapy", ("radiotherapy", "radiation pneumonitis"), ()),
            Cause("COVID-19", ("covid-19",), ()),
        ),
    ),
    CuratedEntry(
        "blood cell disorders",
        frozenset(
            {
                "thrombocytopenia",
                "platelet count decreased",
                "neutropenia",
                "neutrophil count decreased",
                "febrile neutropenia",
                "agranulocytosis",
                "leukopenia",
                "white blood cell count decreased",
                "pancytopenia",
                "bone marrow failure",
                "aplastic anaemia",
                "anaemia",
                "haemoglobin decreased",
            }
        ),
        (
            _CANCER_CAUSE,
            _SEPSIS,
            Cause("liver disease", ("hypersplenism",), ("cirrhosis",)),
            Cause("HIV infection", (), ("hiv",)),
            Cause("systemic lupus erythematosus", ("systemic lupus erythematosus",), ()),
            _CKD,
        ),
    ),
    CuratedEntry(
        "heart failure",
        frozenset(
            {
                "cardiac failure",
                "cardiac failure congestive",
                "cardiac failure acute",
                "cardiac failure chronic",
                "left ventricular failure",
            }
        ),
        (
            Cause("ischaemic heart disease", ("myocardial infarction", "coronary artery disease"), ()),
            Cause("hypertension", ("hypertension",), ()),
            Cause("atrial fibrillation", ("atrial fibrillation",), ()),
            Cause("valve disease and cardiomyopathy", ("aortic valve stenosis", "cardiomyopathy"), ()),
            _DIABETES,
        ),
    ),
)


def curated_causes(pts: Iterable[str]) -> tuple[list[str], list[Cause]]:
    """(matched curated conditions, their causes) for a condition's PTs; empty when the map has no entry."""
    keys = {p.lower().strip() for p in pts}
    names: list[str] = []
    causes: dict[str, Cause] = {}
    for entry in CURATED:
        if entry.triggers & keys:
            names.append(entry.condition)
            for c in entry.causes:
                causes.setdefault(c.name, c)
    return names, list(causes.values())


# -- helpers shared with classeffect ----------------------------------------------------------------------
def norm_pts(pts: Iterable[str]) -> list[str]:
    return sorted({p.lower().strip() for p in pts if p and p.strip()})


def source_label(con: duckdb.DuckDBPyConnection, settings: SignalSettings) -> str:
    """A named source with its period and exposure definition: "FAERS_PS 2022Q3-2022Q3 (suspect drugs)"."""
    lo, hi = con.execute(
        "SELECT min(receipt_quarter), max(receipt_quarter) FROM report WHERE source = ?", [settings.source]
    ).fetchall()[0]
    names = {"faers": "FAERS", "faers_ps": "FAERS (primary-suspect extract)", "vaers": "VAERS"}
    period = f" {lo}" + (f"-{hi}" if hi != lo else "") if lo else ""
    role = {"ps": "primary suspect", "suspect": "suspect drugs", "any": "any role"}[settings.role]
    if settings.source != "faers":
        role = "primary suspect" if settings.source == "faers_ps" else "vaccines reported"
    return f"{names.get(settings.source, settings.source)}{period} ({role})"


def sources_with_drug(con: duckdb.DuckDBPyConnection, drug: str, settings: SignalSettings) -> dict[str, int]:
    """{source: distinct cases with the drug under the settings' role} for every source that has it."""
    out: dict[str, int] = {}
    for (src,) in con.execute("SELECT DISTINCT source FROM report ORDER BY 1").fetchall():
        s = dataclasses.replace(settings, source=src)
        n = con.execute(
            f"SELECT count(DISTINCT rd.caseid) FROM report_drug rd WHERE rd.source = ? AND rd.ingredient = ? "
            f"AND {s.role_sql()}",
            [src, drug],
        ).fetchall()[0][0]
        if n:
            out[src] = int(n)
    return out


def fmt(x: float | None, nd: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def _ror_text(m: dict) -> str:
    return f"ROR {fmt(m.get('ror'))} ({fmt(m.get('ror_lo'))}-{fmt(m.get('ror_hi'))}), IC025 {fmt(m.get('ic025'))}"


def _signal(m: dict) -> bool:
    """IC025 > 0, or ROR025 > 1 on at least 3 cases (a Haldane-corrected ROR of a near-empty table can clear 1)."""
    return bool(m.get("ic_signal") or (m.get("ror_signal") and (m.get("a") or 0) >= 3))


# -- confounding -----------------------------------------------------------------------------------------
def _pop_ctes(settings: SignalSettings) -> tuple[str, list]:
    pop, params = settings.population_sql()
    sql = f"""pop AS (SELECT r.caseid, coalesce(r.age_band, '?') || '|' || coalesce(r.sex, '?') || '|'
                          || coalesce(CAST(r.report_year AS VARCHAR), '?') AS stratum
                   FROM report r WHERE {pop}),
        drug AS (SELECT DISTINCT rd.caseid FROM report_drug rd
                 WHERE rd.source = ? AND rd.ingredient = ? AND {settings.role_sql()}),
        event AS (SELECT DISTINCT re.caseid FROM report_event re WHERE re.source = ? AND list_contains(?, re.pt))"""
    return sql, params


def _match_causes(
    con: duckdb.DuckDBPyConnection, source: str, causes: list[Cause], pts: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """({indication PT: cause}, {event PT: cause}) present in the source; the condition's PTs are never causes
    when co-reported (they are the event itself)."""
    ind: dict[str, str] = {}
    ev: dict[str, str] = {}
    own = set(pts)
    for (pt,) in con.execute("SELECT DISTINCT indi_pt FROM report_indication WHERE source = ?", [source]).fetchall():
        for c in causes:
            if c.matches(pt):
                ind[pt] = c.name
                break
    for (pt,) in con.execute("SELECT DISTINCT pt FROM report_event WHERE source = ?", [source]).fetchall():
        if pt in own:
            continue
        for c in causes:
            if c.matches(pt):
                ev[pt] = c.name
                break
    return ind, ev


def _data_driven_indications(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str], settings: SignalSettings
) -> list[dict]:
    """Indications disproportionately frequent among event reports, counted in reports without the drug."""
    ctes, params = _pop_ctes(settings)
    rows = con.execute(
        f"""WITH {ctes},
        base AS (SELECT p.caseid, ev.caseid IS NOT NULL AS has_event FROM pop p
                 LEFT JOIN event ev ON ev.caseid = p.caseid
                 WHERE p.caseid NOT IN (SELECT caseid FROM drug)),
        tot AS (SELECT count(*) FILTER (WHERE has_event) AS ne, count(*) FILTER (WHERE NOT has_event) AS nn FROM base),
        ind AS (SELECT DISTINCT caseid, indi_pt FROM report_indication WHERE source = ?)
        SELECT ind.indi_pt, count(*) FILTER (WHERE b.has_event) AS x_e, count(*) FILTER (WHERE NOT b.has_event) AS x_n,
               any_value(tot.ne), any_value(tot.nn)
        FROM ind JOIN base b ON b.caseid = ind.caseid CROSS JOIN tot
        GROUP BY 1 HAVING count(*) FILTER (WHERE b.has_event) >= ?""",
        [*params, settings.source, drug, settings.source, pts, settings.source, DATA_MIN_CASES],
    ).fetchall()
    out = []
    for pt, x_e, x_n, ne, nn in rows:
        if pt in UNINFORMATIVE_INDICATIONS or not ne or not nn:
            continue
        lift = (x_e / ne) / (x_n / nn) if x_n else None  # None: never seen without the event
        if lift is None or lift >= DATA_MIN_LIFT:
            out.append({"indication": pt, "event_cases": int(x_e), "other_cases": int(x_n), "lift": lift})
    return sorted(out, key=lambda r: (-(r["lift"] or 1e9), r["indication"]))


def _strata_counts(rows: list[tuple], keep) -> tuple[int, int, int, int, float]:
    """(a, drug total, event total, N, stratified E) over the flag rows that `keep` accepts."""
    per: dict[str, list[int]] = {}
    for stratum, has_drug, has_event, has_ind, has_cod, n in rows:
        if not keep(has_ind, has_cod):
            continue
        s = per.setdefault(stratum, [0, 0, 0, 0])
        s[3] += n
        if has_drug:
            s[1] += n
        if has_event:
            s[2] += n
        if has_drug and has_event:
            s[0] += n
    a = sum(s[0] for s in per.values())
    nd = sum(s[1] for s in per.values())
    ne = sum(s[2] for s in per.values())
    n = sum(s[3] for s in per.values())
    e = sum(s[1] * s[2] / s[3] for s in per.values() if s[3])
    return a, nd, ne, n, e


def _table(a: int, nd: int, ne: int, n: int, e_strat: float, stratify: bool) -> dict:
    e = e_strat if stratify else (nd * ne / n if n else 0.0)
    m = Measures.from_counts(a, nd - a, ne - a, n - nd - ne + a, e=e).to_dict()
    keep = (
        "a",
        "b",
        "c",
        "d",
        "e",
        "ror",
        "ror_lo",
        "ror_hi",
        "ic",
        "ic025",
        "ic975",
        "prr",
        "ror_signal",
        "ic_signal",
    )
    out = {k: m[k] for k in keep}
    for k in ("a", "b", "c", "d"):
        out[k] = int(out[k])
    out["n"] = int(n)
    return out


def _confounding_one(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str], settings: SignalSettings, condition_label: str
) -> Evidence:
    src = settings.source
    names, causes = curated_causes(pts)
    ind_map, ev_map = _match_causes(con, src, causes, pts) if causes else ({}, {})
    method = "curated" if causes else "data"
    data_inds: list[dict] = []
    if not causes:
        data_inds = _data_driven_indications(con, drug, pts, settings)
        ind_map = {
            r["indication"]: f"indication linked to the event in this source (lift >= {DATA_MIN_LIFT:g})"
            for r in data_inds
        }
    ind_pts, ev_pts = sorted(ind_map), sorted(ev_map)
    label_ok = has_table(con, "label_effect")

    ctes, params = _pop_ctes(settings)
    base_params = [*params, src, drug, src, pts]
    known_cte = (
        "known AS (SELECT DISTINCT ingredient FROM label_effect WHERE list_contains(?, pt) AND ingredient <> ?)"
        if label_ok
        else "known AS (SELECT NULL::VARCHAR AS ingredient WHERE false)"
    )
    known_params = [pts, drug] if label_ok else []
    flag_rows = con.execute(
        f"""WITH {ctes}, {known_cte},
        codrug AS (SELECT DISTINCT rd.caseid FROM report_drug rd JOIN known k ON k.ingredient = rd.ingredient
                   WHERE rd.source = ?),
        cind AS (SELECT DISTINCT caseid FROM report_indication WHERE source = ? AND list_contains(?, indi_pt)
                 UNION SELECT DISTINCT caseid FROM report_event WHERE source = ? AND list_contains(?, pt)),
        flags AS (SELECT p.stratum, dr.caseid IS NOT NULL AS has_drug, ev.caseid IS NOT NULL AS has_event,
                         ci.caseid IS NOT NULL AS has_ind, cd.caseid IS NOT NULL AS has_cod
                  FROM pop p LEFT JOIN drug dr ON dr.caseid = p.caseid LEFT JOIN event ev ON ev.caseid = p.caseid
                  LEFT JOIN cind ci ON ci.caseid = p.caseid LEFT JOIN codrug cd ON cd.caseid = p.caseid)
        SELECT stratum, has_drug, has_event, has_ind, has_cod, count(*) FROM flags GROUP BY ALL""",
        [*base_params, *known_params, src, src, ind_pts, src, ev_pts],
    ).fetchall()
    flag_rows = [(s, bool(d), bool(e), bool(i), bool(c), int(n)) for s, d, e, i, c, n in flag_rows]

    strat = settings.stratify
    original = _table(*_strata_counts(flag_rows, lambda i, c: True), strat)
    adj_ind = _table(*_strata_counts(flag_rows, lambda i, c: not i), strat)
    adj_cod = _table(*_strata_counts(flag_rows, lambda i, c: not c), strat)
    adjusted = _table(*_strata_counts(flag_rows, lambda i, c: not i and not c), strat)

    def count(pred) -> tuple[int, int]:
        drug_n = sum(n for _, d, _e, i, c, n in flag_rows if d and pred(i, c))
        a_n = sum(n for _, d, e, i, c, n in flag_rows if d and e and pred(i, c))
        return drug_n, a_n

    drug_ind, a_ind = count(lambda i, c: i)
    drug_cod, a_cod = count(lambda i, c: c)
    drug_any, a_any = count(lambda i, c: i or c)
    excluded_pop = sum(n for _, _d, _e, i, c, n in flag_rows if i or c)

    # Which confounding indications / co-reported diseases, and which co-drugs, in the drug's cases.
    examples = con.execute(
        f"""WITH {ctes},
        c AS (SELECT caseid, indi_pt AS pt, 'indication' AS how FROM report_indication
              WHERE source = ? AND list_contains(?, indi_pt)
              UNION SELECT caseid, pt, 'co-reported event' FROM report_event WHERE source = ? AND list_contains(?, pt))
        SELECT c.pt, c.how, count(DISTINCT c.caseid), count(DISTINCT c.caseid) FILTER (WHERE ev.caseid IS NOT NULL)
        FROM c JOIN drug dr ON dr.caseid = c.caseid SEMI JOIN pop p ON p.caseid = c.caseid
        LEFT JOIN event ev ON ev.caseid = c.caseid
        GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC, 1 LIMIT 12""",
        [*base_params, src, ind_pts, src, ev_pts],
    ).fetchall()
    conf_rows = [
        {
            "pt": pt,
            "recorded_as": how,
            "cause": ind_map.get(pt) if how == "indication" else ev_map.get(pt),
            "drug_cases": int(n),
            "event_cases": int(na),
        }
        for pt, how, n, na in examples
    ]
    co_rows: list[dict] = []
    if label_ok:
        co = con.execute(
            f"""WITH {ctes}, {known_cte}
            SELECT rd.ingredient, count(DISTINCT rd.caseid),
                   count(DISTINCT rd.caseid) FILTER (WHERE ev.caseid IS NOT NULL)
            FROM report_drug rd JOIN known k ON k.ingredient = rd.ingredient
            JOIN drug dr ON dr.caseid = rd.caseid SEMI JOIN pop p ON p.caseid = rd.caseid
            LEFT JOIN event ev ON ev.caseid = rd.caseid
            WHERE rd.source = ?
            GROUP BY 1 ORDER BY 3 DESC, 2 DESC, 1 LIMIT 10""",
            [*base_params, *known_params, src],
        ).fetchall()
        srcs: dict[str, list[str]] = {}
        if co:
            for ing, lsrc in con.execute(
                "SELECT ingredient, list(DISTINCT source ORDER BY source) FROM label_effect "
                "WHERE list_contains(?, ingredient) AND list_contains(?, pt) GROUP BY 1",
                [[r[0] for r in co], pts],
            ).fetchall():
                srcs[ing] = list(lsrc)
        co_rows = [
            {"ingredient": ing, "drug_cases": int(n), "event_cases": int(na), "label_sources": srcs.get(ing, [])}
            for ing, n, na in co
        ]

    # Verdict of this check.
    a0, a1 = original["a"], adjusted["a"]
    sig0, sig1 = _signal(original), _signal(adjusted)
    retained = a1 / a0 if a0 else None
    if original["a"] + original["b"] == 0:
        direction, strength = "not_available", "none"
        verdict = f"no {drug} case falls in this population"
    elif a0 == 0:
        direction, strength = "neutral", "none"
        verdict = f"no {drug} case reports {condition_label} here, so there is nothing to adjust"
    elif sig1:
        direction = "supports"
        if a1 >= 3 and (retained or 0) >= 0.75 and adjusted["ror_signal"] and adjusted["ic_signal"]:
            strength = "strong"
        elif a1 >= 3 and (retained or 0) >= 0.4:
            strength = "moderate"
        else:
            strength = "weak"
        verdict = "the signal persists" if sig0 else "a signal appears once they are removed (they were masking it)"
    elif sig0:
        direction, strength = "against", "moderate" if a_any else "weak"
        verdict = "the signal does not persist: these other causes may explain it"
    else:
        direction, strength = "neutral", "none"
        verdict = "there was no signal before and there is none after"
    label = source_label(con, settings)
    causes_txt = ", ".join(sorted({r["cause"] for r in conf_rows if r["cause"] and r["event_cases"]})[:4])
    co_txt = ", ".join(f"{r['ingredient']} ({r['event_cases']})" for r in co_rows[:3] if r["event_cases"])
    removed = (
        f"after removing all {excluded_pop:,} such reports ({100 * excluded_pop / max(original['n'], 1):.0f}% "
        "of the source)"
    )
    after = _ror_text(adjusted) if a1 else "no case is left"
    if direction == "not_available":
        filters = ", ".join(
            f"{k} {v}"
            for k, v in settings.to_dict().items()
            if v is not None and k in ("sex", "age_band", "reporter_type", "country", "year_from", "year_to")
        )
        finding = f"{label}: {verdict} ({filters or 'no filters'}), so there is nothing to check."
    elif a0 == 0:
        finding = (
            f"{label}: no {drug} case reports {condition_label}; {drug_any} of its {original['a'] + original['b']} "
            f"cases carry another known cause of it, and {removed}, a = 0 still."
        )
    else:
        finding = (
            f"{label}: {a_any} of the {a0} {drug} cases with {condition_label} "
            f"(and {drug_any} of all {original['a'] + original['b']} {drug} cases) carry another known cause "
            f"({a_ind} an indication or co-morbidity{f' such as {causes_txt}' if causes_txt else ''}, "
            f"{a_cod} a co-reported drug labelled for it{f' such as {co_txt}' if co_txt else ''}); "
            f"{removed}, a = {a1} (was {a0}), {after} (was {_ror_text(original)}): {verdict}."
        )
    data = {
        "drug": drug,
        "condition": condition_label,
        "pts": pts,
        "method": method,
        "curated_conditions": names,
        # The full PT lists can run to hundreds (every cancer PT); keep their size and the ones seen with the drug.
        "confounding_indication_pts_checked": len(ind_pts),
        "confounding_event_pts_checked": len(ev_pts),
        "curated_causes": [c.name for c in causes],
        "data_driven_indications": data_inds,
        "drug_cases": original["a"] + original["b"],
        "drug_cases_with_confounding_indication": drug_ind,
        "event_cases_with_confounding_indication": a_ind,
        "drug_cases_with_codrug": drug_cod,
        "event_cases_with_codrug": a_cod,
        "drug_cases_with_any": drug_any,
        "event_cases_with_any": a_any,
        "population_excluded": excluded_pop,
        "confounder_examples": conf_rows,
        "codrugs": co_rows,
        "original": original,
        "adjusted": adjusted,
        "adjusted_indication_only": adj_ind,
        "adjusted_codrug_only": adj_cod,
        "retained_fraction": retained,
        "signal_before": sig0,
        "signal_after": sig1,
        "settings": settings.to_dict(),
    }
    return Evidence(
        id=f"confounding:{src}",
        kind="confounding",
        source=label,
        finding=finding,
        direction=direction,  # type: ignore[arg-type]
        strength=strength,  # type: ignore[arg-type]
        data=json_safe(data),
        source_ref={
            "tables": ["report", "report_drug", "report_event", "report_indication", "label_effect"],
            "source": src,
            "exclusion": "every report (exposed or not) with a confounding indication/co-reported disease, or with "
            "another ingredient (any role) whose label lists one of the PTs",
            "curated_map": "adrlens.evidence.confounding.CURATED" if method == "curated" else None,
            "data_rule": None
            if method == "curated"
            else f"indication lift >= {DATA_MIN_LIFT:g} on >= {DATA_MIN_CASES} event reports, among reports without "
            "the drug",
        },
    )


def confounding(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str],
    settings: SignalSettings,
    condition_label: str,
    sources: list[str] | None = None,
) -> list[Evidence]:
    """One 'confounding' record per report source where the drug has cases (the settings' filters and role
    applied to each source); a single 'not_available' record when no source has the drug."""
    drug = drug.lower().strip()
    pts = norm_pts(pts)
    present = sources_with_drug(con, drug, settings)
    todo = [s for s in (sources or sorted(present)) if s in present]
    if not pts or not todo:
        why = "no preferred terms were given" if not pts else f"no report source in the store has {drug} cases"
        return [
            Evidence(
                id="confounding:none",
                kind="confounding",
                source="report sources in the store",
                finding=f"Confounding could not be checked: {why}.",
                direction="not_available",
                strength="none",
                data={"drug": drug, "condition": condition_label, "pts": pts, "sources_checked": sources or []},
            )
        ]
    return [
        _confounding_one(con, drug, pts, dataclasses.replace(settings, source=src), condition_label) for src in todo
    ]


# -- indication overlap ----------------------------------------------------------------------------------
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> tuple[str, ...]:
    """Comparable words: lower case, roman numerals as digits, plural 's' dropped, British/US 'ae'/'oe' merged."""
    out = []
    for w in _WORD.findall(text.lower().replace("ae", "e").replace("oe", "e")):
        w = _ROMAN.get(w, w)
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return tuple(out)


# Words of an indication text that do not change what it names.
_FILLER = frozenset({"unspecified", "other", "and", "or", "of", "the", "with", "without", "type", "nos", "in"})


def _term_match(pt: str, indication: str) -> str | None:
    """'exact' when they name the same thing, 'contains' when the indication is a form of the PT, else None."""
    p, i = _words(pt), _words(indication)
    if not p or not i:
        return None
    if p == i or [w for w in p if w not in _FILLER] == [w for w in i if w not in _FILLER]:
        return "exact"
    head = _words(re.split(r"[;\[(,]", indication.lower(), maxsplit=1)[0])
    if head == p:
        return "exact"
    iset = set(i)
    if len(p) >= 1 and all(w in iset for w in p) and not (len(p) == 1 and p[0] in _FILLER):
        return "contains"
    return None


def indication_overlap(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str], settings: SignalSettings
) -> list[Evidence]:
    """Is the condition what the drug treats? One 'indication' record: 'against' when it is (confounding by
    indication), 'neutral' when not, 'not_available' when nothing is known about the drug's indications."""
    drug = drug.lower().strip()
    pts = norm_pts(pts)
    known: list[dict] = []
    if has_table(con, "drug_indication"):
        known = [
            {"indication": i, "source": s}
            for i, s in con.execute(
                "SELECT DISTINCT lower(indication), source FROM drug_indication WHERE ingredient = ? ORDER BY 2, 1",
                [drug],
            ).fetchall()
        ]
    # Indications reported for the drug itself (its own drug_seq) in every source that records them.
    reported: list[dict] = []
    drug_cases_with_ind: dict[str, int] = {}
    for (src,) in con.execute("SELECT DISTINCT source FROM report_indication ORDER BY 1").fetchall():
        s = dataclasses.replace(settings, source=src)
        pop, params = s.population_sql()
        rows = con.execute(
            f"""WITH pop AS (SELECT r.caseid FROM report r WHERE {pop}),
            di AS (SELECT DISTINCT ri.caseid, ri.indi_pt FROM report_indication ri
                   JOIN report_drug rd ON rd.source = ri.source AND rd.caseid = ri.caseid AND rd.drug_seq = ri.drug_seq
                   WHERE ri.source = ? AND rd.ingredient = ? AND {s.role_sql()}
                   AND ri.caseid IN (SELECT caseid FROM pop))
            SELECT indi_pt, count(*), (SELECT count(DISTINCT caseid) FROM di) FROM di GROUP BY 1 ORDER BY 2 DESC, 1""",
            [*params, src, drug],
        ).fetchall()
        if rows:
            drug_cases_with_ind[src] = int(rows[0][2])
        for pt, n, tot in rows:
            if pt in UNINFORMATIVE_INDICATIONS:
                continue
            reported.append({"source": src, "indication": pt, "cases": int(n), "share": n / tot if tot else None})

    matches: list[dict] = []
    for pt in pts:
        for k in known:
            how = _term_match(pt, k["indication"])
            if how:
                matches.append({"pt": pt, "indication": k["indication"], "source": k["source"], "match": how})
        for r in reported:
            # Reported indications are MedDRA PTs, so only an exact PT counts; a top indication must be frequent.
            if r["indication"] == pt and (r["cases"] >= 2 or (r["share"] or 0) >= 0.05):
                matches.append(
                    {
                        "pt": pt,
                        "indication": pt,
                        "source": f"reports ({r['source']})",
                        "match": "exact",
                        "cases": r["cases"],
                        "share": r["share"],
                    }
                )
    top_reported = reported[:10]
    data = {
        "drug": drug,
        "pts": pts,
        "matches": matches,
        "known_indications": len(known),
        "known_indication_sources": sorted({k["source"] for k in known}),
        "top_reported_indications": top_reported,
        "drug_cases_with_reported_indication": drug_cases_with_ind,
    }
    ref = {"tables": ["drug_indication", "report_indication", "report_drug"], "match": "lower-case words, PT names"}
    if matches:
        srcs = sorted({m["source"] for m in matches})
        exact = [m for m in matches if m["match"] == "exact"]
        # SIDER's indications are text-mined from labels and noisy (metformin: "weight decreased"): alone they
        # only raise the question.
        nlp_only = all(s.startswith("SIDER") for s in srcs)
        strength = "weak" if nlp_only or not exact else ("strong" if len(srcs) >= 2 else "moderate")
        shown = sorted({re.split(r"[;\[]", m["indication"])[0].strip() for m in (exact or matches)}, key=len)[:3]
        overlap = ", ".join(sorted({m["pt"] for m in matches})[:4])
        if nlp_only:
            finding = (
                f"Only SIDER's text-mined label indications list {', '.join(shown)} for {drug}, overlapping "
                f"{overlap}: possibly confounding by indication, but this source is noisy."
            )
        else:
            finding = (
                f"{drug} is used to treat {', '.join(shown)} ({'; '.join(srcs[:4])}), which overlaps {overlap}: "
                f"reports of it with {drug} are likely confounded by indication (the disease being treated), "
                "not evidence that the drug causes it."
            )
        data["sider_only"] = nlp_only
        return [
            Evidence(
                id="indication:overlap",
                kind="indication",
                source="; ".join(srcs[:6]),
                finding=finding,
                direction="neutral" if nlp_only else "against",
                strength=strength,
                data=json_safe(data),
                source_ref=ref,
            )
        ]
    if not known and not reported:
        return [
            Evidence(
                id="indication:overlap",
                kind="indication",
                source="drug_indication, report_indication",
                finding=f"No indication of {drug} is known to the store, so confounding by indication "
                "could not be checked.",
                direction="not_available",
                strength="none",
                data=json_safe(data),
                source_ref=ref,
            )
        ]
    finding = (
        f"None of the {len(pts)} preferred terms is among the {len(known)} known indications of {drug}"
        + (f" or its {len(reported)} reported indications" if reported else "")
        + ": the condition is not what the drug treats."
    )
    return [
        Evidence(
            id="indication:overlap",
            kind="indication",
            source="; ".join(data["known_indication_sources"]) or "report_indication",
            finding=finding,
            direction="neutral",
            strength="none",
            data=json_safe(data),
            source_ref=ref,
        )
    ]
