"""Synthetic FAERS: real-format FDA quarterly ASCII releases for benchmarks and scale tests.

`generate()` writes one folder (or `faers_ascii_yyyyqN.zip`) per quarter, laid out exactly like FDA's
releases: `ASCII/DEMO23Q1.txt` ... `Deleted/DELETE23Q1.txt` for FAERS (2012Q4 on) and
`ascii/DEMO04Q1.TXT` ... (ISR/CASE keys, upper-case PTs, the empty trailing `v23` column) for legacy AERS.
The FAERS reader therefore ingests them as it ingests real ones, damage included.

Frequencies come from real data, condensed at generation time into a small calibration table (cached
under `cache_dir()`, never committed): ingredient and PT totals over 755,960 deduplicated 2025Q4-2026Q1
cases, FDA's 2004 openFDA 2x2 drug (AB) and event (AC) totals, the whole 2022Q3 quarter (primary-suspect
drug x PT), product -> substance names for brand/salt variants, and the real sample quarters for the
categorical fields (routes, dose profiles, outcomes, reporter types, indications).

Everything is numpy-vectorised per chunk of cases and streamed to disk, so memory does not grow with
`cases` (apart from the few pending follow-up reports and the list of case ids). Deterministic per seed.
"""

from __future__ import annotations

import csv
import gzip
import json
import pickle
import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import repeat
from pathlib import Path

import numpy as np

from adrlens.config import cache_dir, data_path
from adrlens.errors import AdrlensError, DataNotFoundError

# ----------------------------------------------------------------------------------------------------------
# Layouts: the exact header lines of the real files
# ----------------------------------------------------------------------------------------------------------
TABLES = ("DEMO", "DRUG", "REAC", "OUTC", "RPSR", "THER", "INDI")

FAERS_HEADERS = {
    "DEMO": "primaryid$caseid$caseversion$i_f_code$event_dt$mfr_dt$init_fda_dt$fda_dt$rept_cod$auth_num$"
    "mfr_num$mfr_sndr$lit_ref$age$age_cod$age_grp$sex$e_sub$wt$wt_cod$rept_dt$to_mfr$occp_cod$"
    "reporter_country$occr_country",
    "DRUG": "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai$val_vbm$route$dose_vbm$cum_dose_chr$"
    "cum_dose_unit$dechal$rechal$lot_num$exp_dt$nda_num$dose_amt$dose_unit$dose_form$dose_freq",
    "INDI": "primaryid$caseid$indi_drug_seq$indi_pt",
    "OUTC": "primaryid$caseid$outc_cod",
    "REAC": "primaryid$caseid$pt$drug_rec_act",
    "RPSR": "primaryid$caseid$rpsr_cod",
    "THER": "primaryid$caseid$dsg_drug_seq$start_dt$end_dt$dur$dur_cod",
}
AERS_HEADERS = {
    "DEMO": "isr$case$i_f_cod$foll_seq$image$event_dt$mfr_dt$fda_dt$rept_cod$mfr_num$mfr_sndr$age$age_cod$"
    "gndr_cod$e_sub$wt$wt_cod$rept_dt$occp_cod$death_dt$to_mfr$confid$v23",
    "DRUG": "isr$drug_seq$role_cod$drugname$val_vbm$route$dose_vbm$dechal$rechal$lot_num$exp_dt$nda_num$v13",
    "INDI": "isr$drug_seq$indi_pt",
    "OUTC": "isr$outc_cod$v3",
    "REAC": "isr$pt$v3",
    "RPSR": "isr$rpsr_cod$v3",
    "THER": "isr$drug_seq$start_dt$end_dt$dur$dur_cod$v7",
}
# Field (0-based) used by each kind of damage, per layout and table.
_DOT_ZERO_FIELD = {
    "faers": {"DEMO": 13, "DRUG": 15, "THER": 3, "INDI": 2},
    "aers": {"DEMO": 11, "DRUG": 11, "THER": 2, "INDI": 1},
}  # REAC/OUTC/RPSR hold no float-like column, so pandas never wrote ".0" there
_TEXT_FIELD = {  # where a stray newline lands
    "faers": {"DEMO": 11, "DRUG": 4, "REAC": 2, "INDI": 3},
    "aers": {"DEMO": 10, "DRUG": 3, "REAC": 1, "INDI": 2},
}
_DRUGNAME_FIELD = {"faers": 4, "aers": 3}
_FDA_DT_FIELD = {"faers": 7, "aers": 7}
_INIT_DT_FIELD = {"faers": 6, "aers": 6}  # AERS has no init_fda_dt: its mfr_dt gets truncated instead
DAMAGE_KINDS = (
    "dot_zero",
    "extra_field",
    "missing_field",
    "embedded_newline",
    "latin1_drugname",
    "empty_date",
    "partial_date",
)

FIRST_FAERS = (2012, 4)
CRLF_FROM = (2019, 1)  # real 2017Q2 files use LF, 2020Q3 on CRLF; the exact switch is a guess
CHUNK = 50_000
_TRIAL_NAME = re.compile(r"PLACEBO|BLINDED|\bVS\b|CODE NOT BROKEN|UNKNOWN|STUDY|\bTRIAL\b")

_SALTS = {
    "HYDROCHLORIDE", "HCL", "SODIUM", "POTASSIUM", "CALCIUM", "ACETATE", "MESYLATE", "MALEATE", "SULFATE",
    "SULPHATE", "TARTRATE", "BESYLATE", "FUMARATE", "SUCCINATE", "CITRATE", "PHOSPHATE", "HYDROBROMIDE",
    "MAGNESIUM", "DIHYDRATE", "MONOHYDRATE", "TRIHYDRATE", "HYCLATE", "BROMIDE", "CHLORIDE", "DISODIUM",
    "MESILATE", "BITARTRATE", "DIPROPIONATE", "PROPIONATE", "VALERATE", "DECANOATE", "ESYLATE", "TOSYLATE",
    "NITRATE", "LACTATE", "GLUCONATE", "HEMIFUMARATE", "XINAFOATE", "PAMOATE", "HYDRATE", "ANHYDROUS",
}  # fmt: skip


# ----------------------------------------------------------------------------------------------------------
# Truth
# ----------------------------------------------------------------------------------------------------------
@dataclass
class SynthTruth:
    """What was generated, written as truth.json beside the quarters."""

    seed: int
    cases: int
    quarters: list[str]
    layouts: dict[str, str]  # quarter -> 'aers' | 'faers'
    injected: list[dict[str, object]]  # ingredient, pt, target_ratio, background_p, added_fraction
    counts: dict[str, dict[str, int]]  # quarter -> new_cases, followups, rows per table, deleted
    deleted_caseids: dict[str, list[int]]  # quarter -> case ids in its DELETE file
    versions: dict[str, object]  # reports, distinct cases, multi-version cases and examples
    damage: dict[str, dict[str, int]]  # kind -> table -> rows damaged
    date_forms: dict[str, int]  # THER start_dt / DEMO event_dt: full, yyyymm, yyyy, empty
    files: dict[str, int] = field(default_factory=dict)  # path -> bytes
    seconds: float = 0.0

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def read(cls, path: Path) -> SynthTruth:
        return cls(**json.loads(path.read_text()))


# ----------------------------------------------------------------------------------------------------------
# Calibration
# ----------------------------------------------------------------------------------------------------------
@dataclass
class Calibration:
    """Compact frequency tables derived from the real shared data."""

    ingredients: list[str]
    ps_w: np.ndarray  # primary-suspect weight per ingredient
    con_w: np.ndarray  # secondary/concomitant weight per ingredient
    var_start: np.ndarray  # variants of ingredient i: var_*[var_start[i]:var_start[i+1]]
    var_drugname: list[str]
    var_prodai: list[str]
    var_w: np.ndarray  # weight within the ingredient's block
    pts: list[str]  # MedDRA-cased PT names
    pt_w: np.ndarray
    cats: dict[str, tuple[list[str], np.ndarray]]  # categorical field -> values, weights
    dose_profiles: list[tuple[str, ...]]  # real DRUG dose/route/dechal tuples
    sources: list[str]


_CAL_VERSION = 6


def _cdf(w: np.ndarray) -> np.ndarray:
    c = np.cumsum(np.asarray(w, dtype=np.float64))
    return c / c[-1]


def _norm(counter: dict[str, float]) -> dict[str, float]:
    tot = float(sum(counter.values())) or 1.0
    return {k: v / tot for k, v in counter.items()}


def _ascii(s: str) -> str:
    return s.encode("ascii", "ignore").decode().replace("$", " ").replace("\n", " ").replace("\r", " ").strip()


def _base_ingredient(substance: str) -> str:
    """'PAROXETINE HYDROCHLORIDE' -> 'PAROXETINE' (salt words dropped from the end)."""
    words = substance.upper().split()
    while len(words) > 1 and words[-1] in _SALTS:
        words.pop()
    return " ".join(words)


def _meddra_case(upper: str) -> str:
    return upper[:1] + upper[1:].lower()


def _read_dollar(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("latin-1").replace("\r\n", "\n")
    return [ln.split("$") for ln in text.split("\n")[1:] if ln]


def _clean_num(v: str) -> str:
    # the Nico sample was re-written by pandas: "21008.0" -> "21008"
    return v[:-2] if v.endswith(".0") and v[:-2].isdigit() else v


def _sample_dirs() -> list[Path]:
    base = data_path("faers", "samples")
    return [base / "nico8270_25Q4_1000cases"]


def _build_calibration() -> Calibration:
    """Read the real aggregate tables and sample quarters into a compact Calibration."""
    sources: list[str] = []
    # 1. ingredient and PT totals over 755,960 deduplicated cases (2025Q4-2026Q1)
    sig_path = data_path("faers", "aggregates", "signals_2025q4_2026q1", "signals.csv.gz")
    sig_d: dict[str, float] = {}
    sig_e: dict[str, float] = {}
    with gzip.open(sig_path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            sig_d[_base_ingredient(row["ingredient"])] = max(
                sig_d.get(_base_ingredient(row["ingredient"]), 0), float(row["drug_total"])
            )
            sig_e[row["reaction_pt"].upper()] = float(row["reaction_total"])
    sources.append(str(sig_path))
    # 2. FDA openFDA 2x2 tables 2004Q1-2005Q1: AB = drug totals (all roles), AC = event totals
    ofda_d: Counter[str] = Counter()
    ofda_e: Counter[str] = Counter()
    for p in sorted(data_path("faers", "aggregates", "fda_openfda_2x2_by_quarter").glob("*.csv.gz")):
        seen_d: dict[str, float] = {}
        seen_e: dict[str, float] = {}
        with gzip.open(p, "rt", newline="") as f:
            for row in csv.DictReader(f):
                seen_d[row["d"].upper()] = float(row["AB"])
                seen_e[row["e"].upper()] = float(row["AC"])
        for k, v in seen_d.items():
            # combinations are written as FDA writes prod_ai: 'ETHINYL ESTRADIOL\\NORELGESTROMIN'
            ofda_d["\\".join(_base_ingredient(x.strip()) for x in k.split(";"))] += v
        for k, v in seen_e.items():
            ofda_e[k] += v
        sources.append(str(p))
    # 3. product names -> substances (brands and salts)
    prod_path = data_path("vocab", "drugs", "faers_product_to_substance_2015q4.tsv")
    product_sub: dict[str, str] = {}
    variants: dict[str, list[tuple[str, str, float]]] = {}
    with open(prod_path, newline="") as f:
        for row in csv.DictReader(f):
            prod, sub = _ascii(row["medicinalproduct"].upper()), _ascii(row["activesubstancename"].upper())
            if not prod or not sub or "," in sub or "\\" in sub or _TRIAL_NAME.search(prod) or len(prod) > 40:
                continue  # multi-ingredient and blinded-trial products are left out
            product_sub.setdefault(prod, sub)
            try:
                w = float(row["rancount"])
            except ValueError:
                continue
            variants.setdefault(_base_ingredient(sub), []).append((prod, sub, w))
    sources.append(str(prod_path))
    b2g_path = data_path("vocab", "drugs", "brand_to_generic.tsv")
    with open(b2g_path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            product_sub.setdefault(_ascii(row["name"].upper()), _ascii(row["generic"].upper()))
    sources.append(str(b2g_path))
    # 4. the whole 2022Q3 quarter: primary-suspect drug names and PTs (MedDRA casing)
    q_path = data_path("faers", "quarter_2022q3_ps", "cases_ps_drug_pt.csv.gz")
    q_drug: Counter[str] = Counter()
    q_pt: Counter[str] = Counter()
    seen_case_drug: set[tuple[str, str]] = set()
    cased: dict[str, str] = {}
    with gzip.open(q_path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            key = (row["CASEID"], row["DRUG"])
            if key not in seen_case_drug:
                seen_case_drug.add(key)
                q_drug[row["DRUG"].upper()] += 1
            q_pt[row["AE"].upper()] += 1
            cased.setdefault(row["AE"].upper(), _ascii(row["AE"]))
    del seen_case_drug
    ner_path = data_path("vocab", "drugs", "drug_ner_dictionary.json.gz")
    with gzip.open(ner_path, "rt") as f:
        ner = json.load(f).get("drug_variant_to_canonical", {})
    sources.append(str(ner_path))
    q_ing: Counter[str] = Counter()
    known = set(sig_d) | set(ofda_d) | set(variants)
    for name, n in q_drug.items():
        sub = product_sub.get(name)
        if sub is None and len(ner.get(name.lower(), [])) == 1:
            sub = ner[name.lower()][0].upper()  # recent brands (Dupixent) are missing from the 2015 maps
        base = _base_ingredient(sub or name)
        if base in known:  # unmapped brand names would pose as ingredients
            q_ing[base] += n
            if _ascii(name) and not _TRIAL_NAME.search(name) and len(name) <= 40:
                # the names reporters really wrote in 2022, weighted by how often
                variants.setdefault(base, []).append((_ascii(name), sub or base, float(n)))
    sources.append(str(q_path))
    # 5. real sample quarters: categorical fields, dose profiles, indications, PT casing
    cat_counts: dict[str, Counter[str]] = {
        k: Counter()
        for k in ("sex", "age_cod", "occp_cod", "reporter_country", "rept_cod", "mfr_sndr", "wt_cod",
                  "outc_cod", "rpsr_cod", "indi_pt", "dur_cod")
    }  # fmt: skip
    dose_profiles: Counter[tuple[str, ...]] = Counter()
    for d in _sample_dirs():
        demo = next(d.glob("DEMO*"))
        for r in _read_dollar(demo):
            if len(r) < 25:
                continue
            for k, i in (("sex", 16), ("age_cod", 14), ("occp_cod", 22), ("reporter_country", 23),
                         ("rept_cod", 8), ("mfr_sndr", 11), ("wt_cod", 19)):  # fmt: skip
                cat_counts[k][_ascii(r[i])] += 1
        for r in _read_dollar(next(d.glob("DRUG*"))):
            if len(r) < 20:
                continue
            # val_vbm, route, dose_vbm, dechal, rechal, dose_amt, dose_unit, dose_form, dose_freq
            prof = (r[6], r[7], r[8], r[11], r[12], r[16], r[17], r[18], r[19])
            dose_profiles[tuple(_clean_num(_ascii(x)) for x in prof)] += 1
        for r in _read_dollar(next(d.glob("OUTC*"))):
            cat_counts["outc_cod"][r[2]] += 1
        for r in _read_dollar(next(d.glob("RPSR*"))):
            cat_counts["rpsr_cod"][r[2]] += 1
        for r in _read_dollar(next(d.glob("THER*"))):
            if len(r) >= 7:
                cat_counts["dur_cod"][r[6]] += 1
        for r in _read_dollar(next(d.glob("INDI*"))):
            if len(r) >= 4:
                cat_counts["indi_pt"][_ascii(r[3])] += 1
                cased.setdefault(r[3].upper(), _ascii(r[3]))
        for r in _read_dollar(next(d.glob("REAC*"))):
            if len(r) >= 3:
                cased.setdefault(r[2].upper(), _ascii(r[2]))
        sources.append(str(d))
    cat_counts["dur_cod"].pop("", None)
    cat_counts["mfr_sndr"].pop("", None)
    for k in ("age_cod", "wt_cod"):
        cat_counts[k].pop("", None)

    # Blend: each source normalised, so no single release dominates; heavy tails are kept.
    nd, no, nq = _norm(sig_d), _norm(ofda_d), _norm(q_ing)
    ings = sorted(k for k in set(nd) | set(no) | set(nq) if k and len(k) > 1)
    ps_w = np.array([0.5 * nd.get(k, 0) + 0.3 * nq.get(k, 0) + 0.2 * no.get(k, 0) for k in ings])
    con_w = np.array([0.5 * no.get(k, 0) + 0.3 * nd.get(k, 0) + 0.2 * nq.get(k, 0) for k in ings])
    ne, noe, nqe = _norm(sig_e), _norm(ofda_e), _norm(q_pt)
    pt_keys = sorted(k for k in set(ne) | set(noe) | set(nqe) if k)
    pt_w = np.array([0.6 * ne.get(k, 0) + 0.2 * noe.get(k, 0) + 0.2 * nqe.get(k, 0) for k in pt_keys])
    pts = [cased.get(k) or _meddra_case(_ascii(k)) for k in pt_keys]

    var_start = [0]
    var_drugname: list[str] = []
    var_prodai: list[str] = []
    var_w: list[float] = []
    for ing in ings:
        merged: dict[str, tuple[str, str, float]] = {}
        for prod, sub, w in variants.get(ing, []):
            old = merged.get(prod)
            merged[prod] = (prod, old[1] if old else sub, (old[2] if old else 0.0) + w)
        if ing not in merged:  # the generic name itself is always among the names reported
            merged[ing] = (ing, ing, max(sum(v[2] for v in merged.values()) / 2, 1.0))
        block = sorted(merged.values(), key=lambda t: -t[2])[:9]
        for prod, sub, w in block:
            var_drugname.append(prod)
            var_prodai.append(sub)
            var_w.append(w)
        var_start.append(len(var_drugname))

    cats = {k: (list(c), np.array(list(c.values()), dtype=np.float64)) for k, c in cat_counts.items()}
    return Calibration(
        ingredients=ings,
        ps_w=ps_w,
        con_w=con_w,
        var_start=np.array(var_start, dtype=np.int64),
        var_drugname=var_drugname,
        var_prodai=var_prodai,
        var_w=np.array(var_w),
        pts=pts,
        pt_w=pt_w,
        cats=cats,
        dose_profiles=[p for p, _ in dose_profiles.most_common()],
        sources=sources,
    )


@lru_cache(maxsize=1)
def calibration() -> Calibration:
    """The calibration table, built once and cached under cache_dir() (keyed by the source files)."""
    keys = []
    for parts in (
        ("faers", "aggregates", "signals_2025q4_2026q1", "signals.csv.gz"),
        ("faers", "quarter_2022q3_ps", "cases_ps_drug_pt.csv.gz"),
        ("vocab", "drugs", "faers_product_to_substance_2015q4.tsv"),
    ):
        st = data_path(*parts).stat()
        keys.append(f"{st.st_size}-{int(st.st_mtime)}")
    cache = cache_dir() / f"synth_calibration_v{_CAL_VERSION}_{'_'.join(keys)}.pkl"
    if cache.exists():
        try:
            with open(cache, "rb") as f:
                cal = pickle.load(f)
            if isinstance(cal, Calibration):
                return cal
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a stale or truncated cache is rebuilt
    cal = _build_calibration()
    tmp = cache.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(cal, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache)
    return cal


# ----------------------------------------------------------------------------------------------------------
# Quarters
# ----------------------------------------------------------------------------------------------------------
def parse_quarter(q: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{4})\s*[Qq]([1-4])\s*", q)
    if not m:
        raise AdrlensError(f"Quarter {q!r} is not like '2023Q1'. Give the year and quarter, e.g. 2012Q1.")
    return int(m.group(1)), int(m.group(2))


def _add_quarters(yq: tuple[int, int], k: int) -> tuple[int, int]:
    i = yq[0] * 4 + yq[1] - 1 + k
    return i // 4, i % 4 + 1


def _quarter_days(yq: tuple[int, int]) -> tuple[int, int]:
    """First day (days since 1970) and length of the quarter."""
    y, q = yq
    start = np.datetime64(f"{y}-{3 * q - 2:02d}-01", "D")
    end = np.datetime64(f"{y + (q == 4)}-{(3 * q) % 12 + 1:02d}-01", "D")
    return int(start.astype(np.int64)), int((end - start).astype(np.int64))


def _ymd(days: np.ndarray) -> np.ndarray:
    """Days since 1970 -> YYYYMMDD integers."""
    d = days.astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y * 10000 + mo * 100 + dd


def _date_strings(days: np.ndarray, form: np.ndarray) -> list[str]:
    """form 0 full YYYYMMDD, 1 YYYYMM, 2 YYYY, 3 empty."""
    v = _ymd(days)
    v = np.where(form == 1, v // 100, np.where(form == 2, v // 10000, v))
    out = np.array(list(map(str, v.tolist())), dtype=object)
    out[form == 3] = ""
    return out.tolist()


# ----------------------------------------------------------------------------------------------------------
# Batches of cases (structure of arrays)
# ----------------------------------------------------------------------------------------------------------
@dataclass
class _Batch:
    caseid: np.ndarray  # int64
    version: np.ndarray  # int64
    age: np.ndarray  # int64, -1 = empty
    age_cod: np.ndarray  # index into cats
    sex: np.ndarray
    wt: np.ndarray  # int64, -1 = empty
    occp: np.ndarray
    country: np.ndarray
    rept: np.ndarray
    mfr: np.ndarray
    init_day: np.ndarray  # day of first receipt
    event_day: np.ndarray
    event_form: np.ndarray
    # drug rows
    d_case: np.ndarray
    d_seq: np.ndarray
    d_role: np.ndarray  # 0 PS 1 SS 2 C 3 I
    d_ing: np.ndarray
    d_var: np.ndarray
    d_case_style: np.ndarray  # 0 upper 1 title 2 lower
    d_prof: np.ndarray
    d_indi: np.ndarray  # -1 none
    d_ther: np.ndarray  # bool
    d_start: np.ndarray
    d_start_form: np.ndarray
    d_end: np.ndarray  # -1 none
    # event rows
    e_case: np.ndarray
    e_pt: np.ndarray
    # outcome / report source rows
    o_case: np.ndarray
    o_code: np.ndarray
    r_case: np.ndarray
    r_code: np.ndarray

    def __len__(self) -> int:
        return len(self.caseid)

    def take(self, idx: np.ndarray) -> _Batch:
        """The sub-batch of cases `idx` (sorted), rows re-indexed."""
        remap = np.full(len(self), -1, dtype=np.int64)
        remap[idx] = np.arange(len(idx))
        kw: dict[str, np.ndarray] = {}
        for name, arr in vars(self).items():
            if name in ("d_case", "e_case", "o_case", "r_case"):
                continue
            if not name.startswith(("d_", "e_", "o_", "r_")):
                kw[name] = arr[idx]
        for pre in ("d_", "e_", "o_", "r_"):
            keep = remap[getattr(self, pre + "case")] >= 0
            for name, arr in vars(self).items():
                if name.startswith(pre):
                    kw[name] = arr[keep]
            kw[pre + "case"] = remap[kw[pre + "case"]]
        return _Batch(**kw)


def _concat(batches: list[_Batch]) -> _Batch:
    kw: dict[str, np.ndarray] = {}
    offs = np.cumsum([0] + [len(b) for b in batches[:-1]])
    for name in vars(batches[0]):
        parts = [getattr(b, name) for b in batches]
        if name in ("d_case", "e_case", "o_case", "r_case"):
            parts = [p + o for p, o in zip(parts, offs, strict=True)]
        kw[name] = np.concatenate(parts)
    return _Batch(**kw)


def _pick(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


@dataclass
class _Signal:
    ing: int
    pt: int
    ratio: float
    p: float  # background probability that a case has the PT
    fractions: list[float] = field(default_factory=list)


class _Generator:
    """Holds the calibration CDFs and draws batches of cases."""

    EV_LAMBDA = 2.0  # events per case = 1 + Poisson(2): mean 3
    DRUG_LAMBDA = 1.9  # drugs per case = 1 + Poisson(1.9): mean about 2.9

    def __init__(self, cal: Calibration) -> None:
        self.cal = cal
        self.ps_cdf = _cdf(cal.ps_w)
        self.con_cdf = _cdf(cal.con_w)
        # variants: one global CDF where ingredient i's block spans (i, i+1]
        vw = cal.var_w.copy()
        starts = cal.var_start
        blk = np.repeat(np.arange(len(cal.ingredients)), np.diff(starts))
        tot = np.bincount(blk, weights=vw, minlength=len(cal.ingredients))
        within = np.cumsum(vw) - np.repeat(np.cumsum(tot) - tot, np.diff(starts))
        self.var_key = blk + within / tot[blk]
        self.pt_p = cal.pt_w / cal.pt_w.sum()
        self.pt_cdf = _cdf(cal.pt_w)
        self.cat_cdf = {k: _cdf(w) for k, (_, w) in cal.cats.items()}
        self.indi_cdf = self.cat_cdf["indi_pt"]
        self.prof_cdf = _cdf(1.0 / (1.0 + np.arange(len(cal.dose_profiles))) ** 0.7)
        self.ing_index = {n: i for i, n in enumerate(cal.ingredients)}
        self.pt_index = {n.upper(): i for i, n in enumerate(cal.pts)}
        self.pt_upper = np.array([p.upper() for p in cal.pts], dtype=object)  # AERS wrote PTs upper-case

    def pt_background(self, pt: int) -> float:
        """P(case has the PT) with 1 + Poisson(lambda) draws with replacement, duplicates dropped."""
        w = float(self.pt_p[pt])
        return 1.0 - (1.0 - w) * float(np.exp(-self.EV_LAMBDA * w))

    def cases(self, rng: np.random.Generator, caseid: np.ndarray, q_first: int, signals: list[_Signal]) -> _Batch:
        """Draw len(caseid) new cases first received in the quarter starting on day q_first."""
        n = len(caseid)
        cat = self.cat_cdf
        version = np.where(rng.random(n) < 0.7, 1, rng.integers(2, 6, n))
        age = np.clip(rng.normal(55, 19, n), 0, 99).astype(np.int64)
        age[rng.random(n) < 0.35] = -1
        # age_cod: 0 YR, 1 DEC (age in decades, as some reporters give it), 2 MON (infants)
        age_cod = np.where(rng.random(n) < 0.03, 1, 0)
        age_cod[(age >= 0) & (age < 2)] = 2
        wt = np.clip(rng.normal(75, 20, n), 3, 200).astype(np.int64)
        wt[rng.random(n) < 0.75] = -1
        # first receipt: the quarter itself for version 1, earlier (up to years) for later versions
        init_day = q_first - np.where(version == 1, 0, rng.exponential(400, n).astype(np.int64))
        init_day = init_day + rng.integers(0, 90, n) * (version == 1)  # fda_dt is never before it
        event_day = init_day - rng.exponential(120, n).astype(np.int64)
        event_form = _pick(rng, np.array([0.55, 0.65, 0.70, 1.0]), n)
        # drugs
        nd = 1 + np.minimum(rng.poisson(self.DRUG_LAMBDA, n), 29)
        d_case = np.repeat(np.arange(n), nd)
        first = np.zeros(len(d_case), dtype=bool)
        first[np.cumsum(nd) - nd] = True
        d_seq = np.arange(len(d_case)) - np.repeat(np.cumsum(nd) - nd, nd) + 1
        m = len(d_case)
        role = np.where(first, 0, _pick(rng, np.array([0.33, 0.95, 1.0]), m) + 1)
        ing = np.where(role == 0, _pick(rng, self.ps_cdf, m), _pick(rng, self.con_cdf, m))
        var = np.searchsorted(self.var_key, ing + rng.random(m), side="left")
        var = np.minimum(var, self.cal.var_start[ing + 1] - 1)
        style = _pick(rng, np.array([0.82, 0.95, 1.0]), m)
        prof = _pick(rng, self.prof_cdf, m)
        indi = np.where(rng.random(m) < 0.7, _pick(rng, self.indi_cdf, m), -1)
        ther = rng.random(m) < 0.45
        start = event_day[d_case] - rng.exponential(200, m).astype(np.int64)
        start_form = _pick(rng, np.array([0.60, 0.72, 0.80, 1.0]), m)
        end = np.where(rng.random(m) < 0.4, start + rng.exponential(90, m).astype(np.int64), -1)
        # events: drawn with replacement, duplicates within a case dropped
        ne = 1 + rng.poisson(self.EV_LAMBDA, n)
        e_case = np.repeat(np.arange(n), ne)
        e_pt = _pick(rng, self.pt_cdf, len(e_case))
        e_case, e_pt = _dedupe(e_case, e_pt, len(self.pt_p))
        e_case, e_pt = self.inject(rng, n, d_case, ing, e_case, e_pt, signals)
        # outcomes (0..3 distinct codes), report sources (a few percent of cases)
        no = np.where(rng.random(n) < 0.35, 0, 1 + np.minimum(rng.poisson(0.3, n), 2))
        o_case = np.repeat(np.arange(n), no)
        o_code = _pick(rng, cat["outc_cod"], len(o_case))
        o_case, o_code = _dedupe(o_case, o_code, len(cat["outc_cod"]))
        r_case = np.flatnonzero(rng.random(n) < 0.04)
        r_code = _pick(rng, cat["rpsr_cod"], len(r_case))
        return _Batch(
            caseid=caseid.astype(np.int64),
            version=version.astype(np.int64),
            age=age,
            age_cod=age_cod,
            sex=_pick(rng, cat["sex"], n),
            wt=wt,
            occp=_pick(rng, cat["occp_cod"], n),
            country=_pick(rng, cat["reporter_country"], n),
            rept=_pick(rng, cat["rept_cod"], n),
            mfr=_pick(rng, cat["mfr_sndr"], n),
            init_day=init_day,
            event_day=event_day,
            event_form=event_form,
            d_case=d_case,
            d_seq=d_seq,
            d_role=role,
            d_ing=ing,
            d_var=var,
            d_case_style=style,
            d_prof=prof,
            d_indi=indi,
            d_ther=ther,
            d_start=start,
            d_start_form=start_form,
            d_end=end,
            e_case=e_case,
            e_pt=e_pt,
            o_case=o_case,
            o_code=o_code,
            r_case=r_case,
            r_code=r_code,
        )

    def inject(
        self,
        rng: np.random.Generator,
        n: int,
        d_case: np.ndarray,
        d_ing: np.ndarray,
        e_case: np.ndarray,
        e_pt: np.ndarray,
        signals: list[_Signal],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Add (or remove) the signal PT in the drug's cases so that observed/expected ~ ratio.

        With q = share of cases with the drug and p = background share with the PT, a/E = R needs the
        PT in x = R(1-q)p / (1-Rq) of the drug's cases (E = (a+b)(a+c)/N, case level, any role).
        """
        for s in signals:
            with_drug = np.zeros(n, dtype=bool)
            with_drug[d_case[d_ing == s.ing]] = True
            q = with_drug.mean() if n else 0.0
            if q == 0:
                continue
            x = s.ratio * (1 - q) * s.p / max(1 - s.ratio * q, 1e-9)
            x = min(x, 0.98) if s.ratio * q < 1 else 0.98
            has_pt = np.zeros(n, dtype=bool)
            has_pt[e_case[e_pt == s.pt]] = True
            if x >= s.p:
                f = (x - s.p) / (1 - s.p)
                add = np.flatnonzero(with_drug & ~has_pt & (rng.random(n) < f))
                e_case = np.concatenate([e_case, add])
                e_pt = np.concatenate([e_pt, np.full(len(add), s.pt)])
                order = np.argsort(e_case, kind="stable")
                e_case, e_pt = e_case[order], e_pt[order]
            else:
                f = 1 - x / s.p
                drop = (e_pt == s.pt) & with_drug[e_case] & (rng.random(len(e_pt)) < f)
                e_case, e_pt = e_case[~drop], e_pt[~drop]
            s.fractions.append(float(f))
        return e_case, e_pt

    def followup(self, rng: np.random.Generator, b: _Batch) -> _Batch:
        """The next version of each case: same case, version + 1..2, sometimes one more event."""
        f = b.take(np.arange(len(b)))
        # capped at 99 so that primaryid = caseid followed by the version stays unique
        f.version = np.minimum(f.version + rng.integers(1, 3, len(f)), 99)
        extra = np.flatnonzero(rng.random(len(f)) < 0.3)
        if len(extra):
            e_case = np.concatenate([f.e_case, extra])
            e_pt = np.concatenate([f.e_pt, _pick(rng, self.pt_cdf, len(extra))])
            f.e_case, f.e_pt = _dedupe(e_case, e_pt, len(self.pt_p))
        # follow-ups sometimes add an outcome, or a weight
        f.wt = np.where((f.wt < 0) & (rng.random(len(f)) < 0.1), rng.integers(40, 110, len(f)), f.wt)
        return f


def _rows(cols: list) -> list[str]:
    """Join column lists into '$'-delimited lines (repeat('') columns are endless, hence no strict)."""
    return list(map("$".join, zip(*cols)))  # noqa: B905


def _dedupe(case: np.ndarray, code: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    key = np.unique(case.astype(np.int64) * base + code)
    return key // base, key % base


# ----------------------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------------------
class _QuarterWriter:
    """Writes one quarter's seven tables (+ DELETE) row-block by row-block, applying damage."""

    def __init__(self, root: Path, yq: tuple[int, int], layout: str, gen: _Generator, damage_rate: float) -> None:
        self.yq, self.layout, self.gen, self.rate = yq, layout, gen, damage_rate
        yy = f"{yq[0] % 100:02d}Q{yq[1]}"
        if layout == "aers":
            self.dir = root / "ascii"
            names = {t: f"{t}{yy}.TXT" for t in TABLES}
            self.headers = AERS_HEADERS
        else:
            self.dir = root / "ASCII"
            names = {t: f"{t}{yy}.txt" for t in TABLES}
            self.headers = FAERS_HEADERS
        self.eol = "\r\n" if (layout == "faers" and yq >= CRLF_FROM) else "\n"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.paths = {t: self.dir / names[t] for t in TABLES}
        self.delete_path = root / "Deleted" / f"DELETE{yy}.txt"
        # seven handles stay open while the quarter streams; close() shuts them
        self.files = {
            t: open(self.paths[t], "w", encoding="latin-1", newline="", buffering=1 << 20)  # noqa: SIM115
            for t in TABLES
        }
        for t, f in self.files.items():
            f.write(self.headers[t] + self.eol)
        self.rows: Counter[str] = Counter()
        self.damage: dict[str, Counter[str]] = {k: Counter() for k in DAMAGE_KINDS}
        self.date_forms: Counter[str] = Counter()

    def close(self) -> None:
        for f in self.files.values():
            f.close()

    def write_deleted(self, caseids: list[int]) -> None:
        if self.layout != "faers":
            return  # AERS releases had no Deleted folder
        self.delete_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.delete_path, "w", encoding="ascii", newline="") as f:
            f.write("".join(f"{c}\n" for c in caseids))

    def _emit(self, table: str, lines: list[str], rng: np.random.Generator) -> None:
        if self.rate > 0 and lines:
            self._damage(table, lines, rng)
        self.rows[table] += len(lines)
        f = self.files[table]
        f.write(self.eol.join(lines))
        f.write(self.eol)

    def _damage(self, table: str, lines: list[str], rng: np.random.Generator) -> None:
        n = len(lines)
        lay = self.layout

        def chosen(kind: str) -> np.ndarray:
            k = rng.binomial(n, min(self.rate, 1.0))
            return np.unique(rng.integers(0, n, k)) if k else np.zeros(0, dtype=np.int64)

        def edit(i: int, j: int, fn: Callable[[str], str]) -> bool:
            parts = lines[i].split("$")
            if j >= len(parts):
                return False
            new = fn(parts[j])
            if new == parts[j]:
                return False
            parts[j] = new
            lines[i] = "$".join(parts)
            return True

        if table in _DOT_ZERO_FIELD[lay]:
            j = _DOT_ZERO_FIELD[lay][table]
            for i in chosen("dot_zero"):
                if edit(int(i), j, lambda v: v + ".0" if v.isdigit() else v):
                    self.damage["dot_zero"][table] += 1
        if table in _TEXT_FIELD[lay]:
            j = _TEXT_FIELD[lay][table]
            for i in chosen("embedded_newline"):
                if edit(int(i), j, lambda v: v[: len(v) // 2] + "\n" + v[len(v) // 2 :] if len(v) > 1 else v):
                    self.damage["embedded_newline"][table] += 1
        if table == "DRUG":
            j = _DRUGNAME_FIELD[lay]
            for i in chosen("latin1_drugname"):
                if edit(int(i), j, lambda v: (v[:-1] + "\xe9") if len(v) > 2 else v):
                    self.damage["latin1_drugname"][table] += 1
        if table == "DEMO":
            for i in chosen("empty_date"):
                if edit(int(i), _FDA_DT_FIELD[lay], lambda v: ""):
                    self.damage["empty_date"][table] += 1
            for i in chosen("partial_date"):
                if edit(int(i), _INIT_DT_FIELD[lay], lambda v: v[:6] if len(v) == 8 else v):
                    self.damage["partial_date"][table] += 1
        # whole-row damage last, so field positions above were still right
        for i in chosen("extra_field"):
            lines[int(i)] += "$"
            self.damage["extra_field"][table] += 1
        for i in chosen("missing_field"):
            head, sep, _ = lines[int(i)].rpartition("$")
            if sep:
                lines[int(i)] = head
                self.damage["missing_field"][table] += 1

    def write(self, b: _Batch, keys: np.ndarray, fda_day: np.ndarray, rng: np.random.Generator) -> None:
        """Write a batch; keys = primaryid (FAERS) or ISR (AERS) per case."""
        cal, gen = self.gen.cal, self.gen
        aers = self.layout == "aers"
        n = len(b)
        cats = {k: np.array(v[0], dtype=object) for k, v in cal.cats.items()}
        key_s = np.array(list(map(str, keys.tolist())), dtype=object)
        cid_s = np.array(list(map(str, b.caseid.tolist())), dtype=object)
        pre = key_s if aers else np.array([k + "$" + c for k, c in zip(key_s, cid_s, strict=True)], dtype=object)
        fda = _date_strings(fda_day, np.zeros(n, dtype=np.int64))
        init = _date_strings(b.init_day, np.zeros(n, dtype=np.int64))
        ev = _date_strings(b.event_day, b.event_form)
        for form, c in zip(("full", "yyyymm", "yyyy", "empty"), np.bincount(b.event_form, minlength=4), strict=True):
            self.date_forms[f"event_dt_{form}"] += int(c)
        shown = np.select([b.age_cod == 1, b.age_cod == 2], [b.age // 10, b.age * 12 + b.caseid % 12], b.age)
        age = ["" if a < 0 else str(a) for a in np.where(b.age < 0, -1, shown).tolist()]
        age_cod = np.where(b.age >= 0, np.array(["YR", "DEC", "MON"], dtype=object)[b.age_cod], "").tolist()
        wt = ["" if w < 0 else str(w) for w in b.wt.tolist()]
        wt_cod = np.where(b.wt >= 0, "KG", "").tolist()
        sex = cats["sex"][b.sex].tolist()
        occp = cats["occp_cod"][b.occp].tolist()
        country = cats["reporter_country"][b.country].tolist()
        rept = cats["rept_cod"][b.rept]
        is_exp = rept == "EXP"
        mfr = np.where(is_exp, cats["mfr_sndr"][b.mfr], "")
        mfr_dt = np.where(is_exp, np.array(fda, dtype=object), "").tolist()
        mfr_num = np.where(
            is_exp, [f"US-{m.split()[0] if m else 'MFR'}-{c}" for m, c in zip(mfr, cid_s, strict=True)], ""
        )
        if aers:
            ifc = np.where(b.version > 1, "F", "I").tolist()
            foll = np.where(b.version > 1, np.array(list(map(str, (b.version - 1).tolist())), dtype=object), "")
            image = [f"{k}-{int(k) % 10}" for k in key_s]
            sex_a = sex
            occp_a = [o if o in ("MD", "PH", "OT", "HP", "LW", "CN") else "OT" if o else "" for o in occp]
            cols = [key_s.tolist(), cid_s.tolist(), ifc, foll.tolist(), image, ev, mfr_dt, fda, rept.tolist(),
                    mfr_num.tolist(), [m.upper() for m in mfr.tolist()], age, age_cod, sex_a,
                    np.where(is_exp, "Y", "N").tolist(), wt, wt_cod, fda, occp_a, repeat(""), repeat(""),
                    repeat(""), repeat("")]  # fmt: skip
        else:
            ver = list(map(str, b.version.tolist()))
            ifc = np.where(b.version > 1, "F", "I").tolist()
            grp = np.select([b.age < 0, b.age < 2, b.age < 12, b.age < 18, b.age < 65], ["", "I", "C", "T", "A"], "E")
            cols = [key_s.tolist(), cid_s.tolist(), ver, ifc, ev, mfr_dt, init, fda, rept.tolist(),
                    repeat(""), mfr_num.tolist(), mfr.tolist(), repeat(""), age, age_cod, grp.tolist(), sex,
                    np.where(is_exp, "Y", "N").tolist(), wt, wt_cod, fda, repeat(""), occp, country,
                    country]  # fmt: skip
        self._emit("DEMO", _rows(cols), rng)

        # DRUG
        m = len(b.d_case)
        dn = np.array(cal.var_drugname, dtype=object)[b.d_var]
        pa = np.array(cal.var_prodai, dtype=object)[b.d_var]
        if not aers:  # brand names reported as typed: mostly upper, some Title, some lower case
            st = b.d_case_style
            dn = dn.copy()
            ti, lo = np.flatnonzero(st == 1), np.flatnonzero(st == 2)
            dn[ti] = [s.title() for s in dn[ti]]
            dn[lo] = [s.lower() for s in dn[lo]]
        roles = np.array(["PS", "SS", "C", "I"], dtype=object)[b.d_role]
        profs = cal.dose_profiles
        nda = np.where(b.d_role == 0, (20000 + b.d_ing * 7919 % 190000).astype(str), "")
        if aers:
            seq = (1_004_000_000 + np.arange(m) + self.rows["DRUG"]).astype(np.int64)
            seq_s = list(map(str, seq.tolist()))
            p_route = [profs[p][1].upper() for p in b.d_prof.tolist()]
            p_dose = [profs[p][2].upper() for p in b.d_prof.tolist()]
            p_dech = [profs[p][3] for p in b.d_prof.tolist()]
            p_rech = [profs[p][4] for p in b.d_prof.tolist()]
            cols = [pre[b.d_case].tolist(), seq_s, roles.tolist(), [s.upper() for s in dn.tolist()],
                    np.where(b.d_role == 0, "1", "2").tolist(), p_route, p_dose, p_dech, p_rech, repeat(""),
                    repeat(""), nda.tolist(), repeat("")]  # fmt: skip
        else:
            seq_s = list(map(str, b.d_seq.tolist()))
            mid = ["$".join((p[0] or "1", p[1], p[2], "", "", p[3], p[4], "", "")) for p in profs]
            tail = ["$".join(p[5:9]) for p in profs]
            midv = np.array(mid, dtype=object)[b.d_prof].tolist()
            tailv = np.array(tail, dtype=object)[b.d_prof].tolist()
            cols = [
                pre[b.d_case].tolist(),
                seq_s,
                roles.tolist(),
                dn.tolist(),
                pa.tolist(),
                midv,
                nda.tolist(),
                tailv,
            ]
        self._emit("DRUG", _rows(cols), rng)

        # INDI, THER (keyed by drug_seq)
        drow = np.flatnonzero(b.d_indi >= 0)
        indi = cats["indi_pt"][b.d_indi[drow]]
        if aers:
            indi = np.array([s.upper() for s in indi], dtype=object)
        cols = [pre[b.d_case[drow]].tolist(), [seq_s[i] for i in drow.tolist()], indi.tolist()]
        self._emit("INDI", _rows(cols), rng)
        trow = np.flatnonzero(b.d_ther)
        sf = b.d_start_form[trow]
        for form, c in zip(("full", "yyyymm", "yyyy", "empty"), np.bincount(sf, minlength=4), strict=True):
            self.date_forms[f"ther_start_dt_{form}"] += int(c)
        start = _date_strings(b.d_start[trow], sf)
        endd = b.d_end[trow]
        end = _date_strings(np.maximum(endd, 0), np.where(endd < 0, 3, 0))
        dur = np.where(endd >= 0, np.maximum(endd - b.d_start[trow], 1), -1)
        dur_s = ["" if d < 0 else str(d) for d in dur.tolist()]
        dur_c = np.where(dur >= 0, "DAY", "").tolist()
        cols = [pre[b.d_case[trow]].tolist(), [seq_s[i] for i in trow.tolist()], start, end, dur_s, dur_c]
        if aers:
            cols.append(repeat(""))
        self._emit("THER", _rows(cols), rng)

        # REAC, OUTC, RPSR
        ptn = gen.pt_upper if aers else np.array(cal.pts, dtype=object)
        cols = [pre[b.e_case].tolist(), ptn[b.e_pt].tolist(), repeat("")]
        self._emit("REAC", _rows(cols), rng)
        cols = [pre[b.o_case].tolist(), cats["outc_cod"][b.o_code].tolist()] + ([repeat("")] if aers else [])
        self._emit("OUTC", _rows(cols), rng)
        cols = [pre[b.r_case].tolist(), cats["rpsr_cod"][b.r_code].tolist()] + ([repeat("")] if aers else [])
        self._emit("RPSR", _rows(cols), rng)


# ----------------------------------------------------------------------------------------------------------
# generate()
# ----------------------------------------------------------------------------------------------------------
def generate(
    out_dir: Path,
    cases: int,
    quarters: int,
    seed: int = 0,
    start_quarter: str = "2023Q1",
    legacy_quarters: int = 0,
    signals: list[tuple[str, str, float]] | None = None,
    damage_rate: float = 1e-4,
    zip_output: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SynthTruth:
    """Write `quarters` synthetic quarterly releases holding `cases` distinct cases in all.

    New cases are spread evenly over the quarters; about 15% get a follow-up version in a later quarter
    (same caseid, higher caseversion, new primaryid = caseid followed by caseversion, as FDA writes it),
    and about 0.5% are listed in a later quarter's Deleted/DELETEyyQq.txt. The first `legacy_quarters`
    use the AERS layout and must fall before 2012Q4; the rest use the FAERS layout (2012Q4 on).
    `signals` = [(ingredient, pt, ratio)]: the PT is added to (or removed from) the drug's cases so that
    observed/expected (case level, drug in any role) is about `ratio`. `progress(k)` is called with the
    number of new cases just written (so a bar's total is `cases`). Returns the truth, also written to
    out_dir/truth.json.
    """
    import time

    t0 = time.perf_counter()
    if cases < 1 or quarters < 1:
        raise AdrlensError(f"Need cases >= 1 and quarters >= 1 (got cases={cases}, quarters={quarters}).")
    if not 0 <= damage_rate <= 0.5:
        raise AdrlensError(f"damage_rate must be between 0 and 0.5 (got {damage_rate}).")
    if not 0 <= legacy_quarters <= quarters:
        raise AdrlensError(f"legacy_quarters must be between 0 and quarters={quarters} (got {legacy_quarters}).")
    yq0 = parse_quarter(start_quarter)
    qs = [_add_quarters(yq0, k) for k in range(quarters)]
    layouts = ["aers" if k < legacy_quarters else "faers" for k in range(quarters)]
    for yq, lay in zip(qs, layouts, strict=True):
        if (lay == "aers") != (yq < FIRST_FAERS):
            raise AdrlensError(
                f"Quarter {yq[0]}Q{yq[1]} would use the {lay.upper()} layout, but FDA used AERS up to 2012Q3 "
                f"and FAERS from 2012Q4. Choose start_quarter and legacy_quarters so that exactly the "
                f"quarters before 2012Q4 are legacy (e.g. start_quarter='2012Q1', legacy_quarters=3)."
            )
    try:
        cal = calibration()
    except DataNotFoundError as e:
        raise DataNotFoundError(f"The synthetic generator calibrates on the shared FAERS data: {e}") from e
    gen = _Generator(cal)

    sigs: list[_Signal] = []
    for ing_name, pt_name, ratio in signals or []:
        i = gen.ing_index.get(_base_ingredient(ing_name.strip()))
        if i is None:
            raise AdrlensError(
                f"Signal ingredient {ing_name!r} is not in the calibration table; use an ingredient name "
                f"such as {', '.join(cal.ingredients[j] for j in np.argsort(-cal.ps_w)[:5])}."
            )
        p = gen.pt_index.get(pt_name.strip().upper())
        if p is None:
            raise AdrlensError(f"Signal PT {pt_name!r} is not a known preferred term (e.g. 'Headache').")
        if not ratio > 0:
            raise AdrlensError(f"Signal ratio must be > 0 (got {ratio} for {ing_name}/{pt_name}).")
        sigs.append(_Signal(i, p, float(ratio), gen.pt_background(p)))

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    per_q = np.full(quarters, cases // quarters)
    per_q[: cases % quarters] += 1
    pending: list[list[_Batch]] = [[] for _ in range(quarters)]
    deletes: list[list[int]] = [[] for _ in range(quarters)]
    first_modern = next((k for k, lay in enumerate(layouts) if lay == "faers"), None)
    counts: dict[str, dict[str, int]] = {}
    damage: dict[str, Counter[str]] = {k: Counter() for k in DAMAGE_KINDS}
    date_forms: Counter[str] = Counter()
    files: dict[str, int] = {}
    n_reports = 0
    multi_examples: dict[int, list[int]] = {}
    n_multi = 0
    versions_seen: Counter[int] = Counter()
    # case ids grow over time like FDA's: about 4M in 2004, 10M in 2014, 26M in 2026
    next_caseid = int(max(3_000_000 + (yq0[0] - 2004) * 600_000, 3_000_000))
    isr_next = 4_000_000 + (yq0[0] - 2004) * 700_000

    for k, yq in enumerate(qs):
        label = f"{yq[0]}Q{yq[1]}"
        lay = layouts[k]
        if lay == "faers":
            next_caseid = max(next_caseid, 10_000_000 + max(yq[0] - 2014, 0) * 1_300_000)
        folder = out_dir / (f"{'aers' if lay == 'aers' else 'faers'}_ascii_{yq[0]}q{yq[1]}")
        if folder.exists():
            shutil.rmtree(folder)
        w = _QuarterWriter(folder, yq, lay, gen, damage_rate)
        q_first, q_len = _quarter_days(yq)
        c_new = int(per_q[k])
        c_fu = 0

        def handle(
            b: _Batch,
            rng: np.random.Generator,
            k: int = k,
            w: _QuarterWriter = w,
            lay: str = lay,
            q_first: int = q_first,
            q_len: int = q_len,
        ) -> None:
            nonlocal isr_next, n_reports, n_multi
            n = len(b)
            fda_day = np.maximum(q_first + rng.integers(0, q_len, n), np.minimum(b.init_day, q_first + q_len - 1))
            if lay == "aers":
                keys = isr_next + np.arange(n, dtype=np.int64) * 3 + rng.integers(0, 3, n)
                isr_next = int(keys[-1]) + 1 if n else isr_next
            else:
                # FDA's primaryid: the case id followed by the version digits
                keys = b.caseid * np.where(b.version >= 10, 100, 10) + b.version
            w.write(b, keys, fda_day, rng)
            n_reports += n
            versions_seen.update(b.version.tolist())
            # next versions in later quarters; deletions; never both for one case
            u = rng.random(n)
            if k + 1 < quarters:
                fu = np.flatnonzero(u < 0.15)
                if len(fu):
                    tq = np.minimum(k + 1 + rng.geometric(0.6, len(fu)) - 1, quarters - 1)
                    nb = gen.followup(rng, b.take(fu))
                    for t in np.unique(tq):
                        pending[int(t)].append(nb.take(np.flatnonzero(tq == t)))
                    n_multi += len(fu)
                    if len(multi_examples) < 2000:
                        for c, v in zip(nb.caseid[:200].tolist(), nb.version[:200].tolist(), strict=True):
                            multi_examples.setdefault(c, []).append(v)
            if first_modern is not None:
                dl = np.flatnonzero((u >= 0.15) & (u < 0.155))
                if len(dl):
                    tq = np.minimum(k + rng.integers(0, 3, len(dl)), quarters - 1)
                    tq = np.maximum(tq, first_modern)
                    for c, t in zip(b.caseid[dl].tolist(), tq.tolist(), strict=True):
                        deletes[t].append(c)

        done = 0
        for ci, start in enumerate(range(0, c_new, CHUNK)):
            n = min(CHUNK, c_new - start)
            rng = np.random.default_rng([seed, k, ci])
            step = rng.integers(1, 4, n)
            caseid = next_caseid + np.cumsum(step)
            next_caseid = int(caseid[-1]) + 1
            b = gen.cases(rng, caseid, q_first, sigs)
            handle(b, rng)
            done += n
            if progress:
                progress(n)
        if pending[k]:
            fb = _concat(pending[k])
            pending[k] = []
            for ci, start in enumerate(range(0, len(fb), CHUNK)):
                rng = np.random.default_rng([seed, k, 1_000_000 + ci])
                part = fb.take(np.arange(start, min(start + CHUNK, len(fb))))
                handle(part, rng)
                c_fu += len(part)
        w.close()
        dl_q = sorted(set(deletes[k]))
        w.write_deleted(dl_q)
        for kind, c in w.damage.items():
            damage[kind].update(c)
        date_forms.update(w.date_forms)
        counts[label] = {"new_cases": c_new, "followups": c_fu, "deleted": len(dl_q) if lay == "faers" else 0}
        counts[label].update({f"rows_{t}": int(w.rows[t]) for t in TABLES})
        if zip_output:
            zpath = out_dir / f"{folder.name}.zip"
            with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                for p in sorted(folder.rglob("*")):
                    if p.is_file():
                        zf.write(p, p.relative_to(folder).as_posix())
            shutil.rmtree(folder)
            files[zpath.name] = zpath.stat().st_size
        else:
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    files[p.relative_to(out_dir).as_posix()] = p.stat().st_size

    truth = SynthTruth(
        seed=seed,
        cases=cases,
        quarters=[f"{y}Q{q}" for y, q in qs],
        layouts={f"{y}Q{q}": lay for (y, q), lay in zip(qs, layouts, strict=True)},
        injected=[
            {
                "ingredient": cal.ingredients[s.ing],
                "pt": cal.pts[s.pt],
                "target_ratio": s.ratio,
                "background_p": s.p,
                "mean_fraction_changed": float(np.mean(s.fractions)) if s.fractions else 0.0,
            }
            for s in sigs
        ],
        counts=counts,
        deleted_caseids={f"{y}Q{q}": sorted(set(d)) for (y, q), d in zip(qs, deletes, strict=True) if d},
        versions={
            "reports": n_reports,
            "distinct_cases": cases,
            "cases_with_followup": n_multi,
            "version_histogram": {str(v): c for v, c in sorted(versions_seen.items())},
            "examples": {str(c): v for c, v in list(multi_examples.items())[:500]},
        },
        damage={k: dict(v) for k, v in damage.items()},
        date_forms=dict(date_forms),
        files=files,
        seconds=round(time.perf_counter() - t0, 3),
    )
    truth.write(out_dir / "truth.json")
    return truth


__all__ = ["AERS_HEADERS", "DAMAGE_KINDS", "FAERS_HEADERS", "SynthTruth", "calibration", "generate"]
