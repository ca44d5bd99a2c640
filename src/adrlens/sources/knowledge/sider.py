"""SIDER 4.1: side effects and their frequencies as extracted from drug labels.

Files (folder `labels/sider41/` of the shared data; http://sideeffects.embl.de/download/):

* `meddra_all_se.tsv.gz`: STITCH flat id, STITCH stereo id, UMLS CUI on the label, MedDRA type
  (LLT / PT / empty for a few system-organ-class rows), UMLS CUI of the MedDRA term, term name.
  Every label term comes as an LLT row plus one or more PT rows, so the PT rows *are* the LLT -> PT map.
* `meddra_freq.tsv.gz`: the same keys plus "placebo" flag, frequency text ("1%", "rare",
  "postmarketing", "1-13"), lower and upper bound (fractions).
* `meddra_all_indications.tsv.gz`: STITCH flat id, CUI, detection method, name, MedDRA type, CUI, name.
* `drug_names.tsv`: flat STITCH id -> a drug name; its first lines are repeated headers and many names
  are cut to their first word ("tranexamic", "benzyl"), which is why `stitch_names` also consults DrugBank.

Everything is read with DuckDB straight from the gzip files; rows come out keyed by the flat STITCH id
and the lower-cased PT name. The caller maps STITCH ids to ingredients.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from adrlens.errors import DataNotFoundError
from adrlens.sources.base import FileResult

SOURCE = "SIDER 4.1"

# SIDER's frequency words (meddra_freq freq_text). CIOMS III / EU SmPC convention: very common >= 1/10,
# common 1/100-1/10, uncommon 1/1000-1/100, rare 1/10000-1/1000, very rare < 1/10000; "frequent" and
# "infrequent" are the older FDA words for common and uncommon.
FREQUENT_WORDS = frozenset({"very common", "common", "uncommon", "infrequent", "frequent", "very frequent"})
RARE_WORDS = frozenset({"rare", "very rare"})
POSTMARKETING = "postmarketing"
RARE_BELOW = 0.001  # a stated rate under 1/1000 is CIOMS "rare"


def frequency_class(freq_text: str | None, upper: float | None) -> str | None:
    """What a SIDER frequency says: 'rate' (a number at or above 1/1000), 'frequent' (a word from very
    common to uncommon/infrequent), 'rare' (rare, very rare, or a number below 1/1000), 'postmarketing',
    or None (no frequency)."""
    t = " ".join((freq_text or "").lower().split())
    if not t:
        return None
    if t == POSTMARKETING:
        return "postmarketing"
    if t in RARE_WORDS:
        return "rare"
    if t in FREQUENT_WORDS:
        return "frequent"
    if any(ch.isdigit() for ch in t):
        return "rare" if upper is not None and upper < RARE_BELOW else "rate"
    return None

# name -> (ingredients, mapped): the knowledge builder's drug-name normaliser.
Namer = Callable[[str], tuple[list[str], bool]]

_SE_COLUMNS = (
    "{'stitch_flat': 'VARCHAR', 'stitch_stereo': 'VARCHAR', 'cui_label': 'VARCHAR', "
    "'mtype': 'VARCHAR', 'cui_meddra': 'VARCHAR', 'name': 'VARCHAR'}"
)
_FREQ_COLUMNS = (
    "{'stitch_flat': 'VARCHAR', 'stitch_stereo': 'VARCHAR', 'cui_label': 'VARCHAR', "
    "'placebo': 'VARCHAR', 'freq_text': 'VARCHAR', 'lo': 'VARCHAR', 'hi': 'VARCHAR', "
    "'mtype': 'VARCHAR', 'cui_meddra': 'VARCHAR', 'name': 'VARCHAR'}"
)
_IND_COLUMNS = (
    "{'stitch_flat': 'VARCHAR', 'cui_label': 'VARCHAR', 'method': 'VARCHAR', 'concept_name': 'VARCHAR', "
    "'mtype': 'VARCHAR', 'cui_meddra': 'VARCHAR', 'name': 'VARCHAR'}"
)


def _tsv(path: Path, columns: str) -> str:
    # quote='' and escape='': SIDER has no quoting, and names contain apostrophes ("Crohn's disease").
    p = str(path).replace("'", "''")
    return (
        f"read_csv('{p}', delim='\t', header=false, columns={columns}, quote='', escape='', "
        "null_padding=true, strict_mode=false)"
    )


def _need(folder: Path, name: str) -> Path:
    p = folder / name
    if not p.exists():
        raise DataNotFoundError(f"SIDER file {p} is missing. Point ADRLENS_DATA at the shared data folder.")
    return p


def pubchem_cid(stitch_flat: str) -> int | None:
    """CID100002162 -> 2162 (flat STITCH ids are 100,000,000 + the PubChem compound id)."""
    try:
        n = int(stitch_flat[3:])
    except (ValueError, IndexError):
        return None
    return n - 100_000_000 if n >= 100_000_000 else n


def read_drug_names(folder: Path) -> dict[str, str]:
    """Flat STITCH id -> SIDER's drug name (repeated header lines skipped)."""
    out: dict[str, str] = {}
    with open(_need(folder, "drug_names.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2 or parts[0] == "stitch_id" or not parts[0].startswith("CID"):
                continue
            out[parts[0]] = parts[1].strip()
    return out


def stitch_names(
    folder: Path, namer: Namer, drugbank_by_cid: dict[int, str] | None = None
) -> tuple[list[tuple[str, str, str, bool]], FileResult]:
    """-> rows (stitch_id, name used, ingredient, mapped), one per ingredient of each STITCH compound.

    SIDER's own name is used when the normaliser knows it, except when the DrugBank name of the same
    PubChem compound starts with it (SIDER cut "tranexamic acid" to "tranexamic"); an unknown SIDER
    name falls back to the DrugBank name, then to the SIDER name verbatim (counted as unmapped).
    """
    res = FileResult(source="sider", layout="knowledge", table_name="drug_names")
    drugbank_by_cid = drugbank_by_cid or {}
    rows: list[tuple[str, str, str, bool]] = []
    for sid, name in read_drug_names(folder).items():
        res.rows_read += 1
        db_name = drugbank_by_cid.get(pubchem_cid(sid) or -1)
        candidates = [name]
        if db_name:
            truncated = db_name.lower().startswith(name.lower() + " ")
            candidates = [db_name, name] if truncated else [name, db_name]
        chosen: tuple[str, list[str], bool] | None = None
        for cand in candidates:
            ings, mapped = namer(cand)
            if mapped and ings:
                chosen = (cand, ings, True)
                break
        if chosen is None:
            ings, _ = namer(name)
            ings = ings or [name.lower().strip()]
            chosen = (name, ings, False)
            res.repair("drug name not in the vocabulary: kept verbatim", 0, f"{sid} {name}")
        for ing in chosen[1]:
            rows.append((sid, chosen[0], ing, chosen[2]))
        res.rows_loaded += 1
    return rows, res


def load_side_effects(con: duckdb.DuckDBPyConnection, folder: Path, table: str) -> list[FileResult]:
    """Create TEMP table `table`: one row per (stitch_id, pt, distinct drug-arm frequency).

    A pair listed without any frequency gets one row with NULL frequency. Placebo frequencies are not
    linked to a particular drug-arm row in SIDER, so each row carries the pair's placebo range
    (texts joined, lowest lower bound, highest upper bound).
    """
    se = _tsv(_need(folder, "meddra_all_se.tsv.gz"), _SE_COLUMNS)
    fq = _tsv(_need(folder, "meddra_freq.tsv.gz"), _FREQ_COLUMNS)
    r_se = FileResult(source="sider", layout="knowledge", table_name="meddra_all_se")
    r_fq = FileResult(source="sider", layout="knowledge", table_name="meddra_freq")

    con.execute(f"CREATE OR REPLACE TEMP TABLE _sider_se_raw AS SELECT * FROM {se}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _sider_fq_raw AS SELECT * FROM {fq}")
    for r, raw in ((r_se, "_sider_se_raw"), (r_fq, "_sider_fq_raw")):
        total, not_term, no_name = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE coalesce(mtype, '') NOT IN ('LLT', 'PT')), "
            f"count(*) FILTER (WHERE mtype IN ('LLT','PT') AND coalesce(trim(name), '') = '') FROM {raw}"
        ).fetchall()[0]
        r.rows_read = total
        if not_term:
            ex = con.execute(
                f"SELECT stitch_flat || ' ' || coalesce(name, '') FROM {raw} "
                "WHERE coalesce(mtype, '') NOT IN ('LLT', 'PT') LIMIT 1"
            ).fetchall()[0][0]
            r.skip("MedDRA type neither LLT nor PT (system-organ-class heading)", 0, ex, n=not_term)
        if no_name:
            r.skip("empty term name", 0, "", n=no_name)
    bad_bounds = con.execute(
        "SELECT count(*) FROM _sider_fq_raw WHERE mtype = 'PT' AND "
        "((lo IS NOT NULL AND try_cast(lo AS DOUBLE) IS NULL) "
        "OR (hi IS NOT NULL AND try_cast(hi AS DOUBLE) IS NULL))"
    ).fetchall()[0][0]
    if bad_bounds:
        reason = "frequency bound not a number: text kept, bound set NULL"
        r_fq.repaired[reason] += bad_bounds
        r_fq.examples.setdefault(("repaired", reason), (0, ""))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        WITH se AS (
            SELECT DISTINCT stitch_flat, lower(trim(name)) AS pt FROM _sider_se_raw
            WHERE mtype = 'PT' AND coalesce(trim(name), '') <> ''
        ),
        fq AS (
            SELECT stitch_flat, lower(trim(name)) AS pt, coalesce(placebo, '') = 'placebo' AS is_placebo,
                   nullif(trim(freq_text), '') AS freq_text,
                   try_cast(lo AS DOUBLE) AS lo, try_cast(hi AS DOUBLE) AS hi
            FROM _sider_fq_raw WHERE mtype = 'PT' AND coalesce(trim(name), '') <> ''
        ),
        drug_arm AS (SELECT DISTINCT stitch_flat, pt, freq_text, lo, hi FROM fq WHERE NOT is_placebo),
        placebo AS (
            SELECT stitch_flat, pt, string_agg(DISTINCT freq_text, '; ' ORDER BY freq_text) AS ptext,
                   min(lo) AS plo, max(hi) AS phi
            FROM fq WHERE is_placebo GROUP BY stitch_flat, pt
        ),
        pairs AS (SELECT stitch_flat, pt FROM se UNION SELECT stitch_flat, pt FROM fq)
        SELECT p.stitch_flat AS stitch_id, p.pt, d.freq_text, d.lo AS freq_lower, d.hi AS freq_upper,
               pl.ptext AS placebo_freq_text, pl.plo AS placebo_freq_lower, pl.phi AS placebo_freq_upper
        FROM pairs p
        LEFT JOIN drug_arm d ON d.stitch_flat = p.stitch_flat AND d.pt = p.pt
        LEFT JOIN placebo pl ON pl.stitch_flat = p.stitch_flat AND pl.pt = p.pt
        """
    )
    r_se.rows_loaded = con.execute(
        "SELECT count(*) FROM _sider_se_raw WHERE mtype IN ('LLT','PT') AND coalesce(trim(name), '') <> ''"
    ).fetchall()[0][0]
    r_fq.rows_loaded = con.execute(
        "SELECT count(*) FROM _sider_fq_raw WHERE mtype IN ('LLT','PT') AND coalesce(trim(name), '') <> ''"
    ).fetchall()[0][0]
    con.execute("DROP TABLE IF EXISTS _sider_se_raw")
    con.execute("DROP TABLE IF EXISTS _sider_fq_raw")
    return [r_se, r_fq]


def load_indications(con: duckdb.DuckDBPyConnection, folder: Path, table: str) -> FileResult:
    """Create TEMP table `table` (stitch_id, indication, method): PT rows of indications found on labels.

    Only NLP_indication rows are kept: "NLP_precondition" and "text_mention" name conditions mentioned on
    the label (contraindications, warnings) that are not indications.
    """
    src = _tsv(_need(folder, "meddra_all_indications.tsv.gz"), _IND_COLUMNS)
    res = FileResult(source="sider", layout="knowledge", table_name="meddra_all_indications")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _sider_ind_raw AS SELECT * FROM {src}")
    total, kept_pt, other_method = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE mtype = 'PT' AND method = 'NLP_indication'), "
        "count(*) FILTER (WHERE method <> 'NLP_indication') FROM _sider_ind_raw"
    ).fetchall()[0]
    res.rows_read = total
    res.skip("not an indication (NLP_precondition / text_mention)", 0, "", n=other_method)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT DISTINCT stitch_flat AS stitch_id, lower(trim(name)) AS indication, method
        FROM _sider_ind_raw
        WHERE mtype = 'PT' AND method = 'NLP_indication' AND coalesce(trim(name), '') <> ''
        """
    )
    res.rows_loaded = kept_pt
    con.execute("DROP TABLE IF EXISTS _sider_ind_raw")
    return res
