-- adrlens store schema (DuckDB). Version in meta.schema_version.
-- Conventions: `source` keeps report sources apart (the FDA ASCII releases, legacy AERS and
-- FAERS alike, one case-id namespace; VAERS; a primary-suspect-only extract): see sources/registry.py.
-- pt and indi_pt are MedDRA preferred-term names lower-cased and trimmed.
-- ingredient is a lower-case active-ingredient name (or a vaccine product group for VAERS).

CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

-- One row per file ever ingested; sha256 makes re-ingest a no-op.
CREATE TABLE IF NOT EXISTS ingest_log (
    file_id INTEGER PRIMARY KEY,
    sha256 VARCHAR NOT NULL,
    path VARCHAR NOT NULL,          -- as given (a zip member is zip_path::member)
    source VARCHAR NOT NULL,
    layout VARCHAR,                 -- the file layout its reader recognised
    table_name VARCHAR,             -- DEMO, DRUG, REAC, ... or DELETE / VAERSDATA ...
    quarter VARCHAR,                -- '2025Q4' for FAERS; '1999' for VAERS
    encoding VARCHAR,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_repaired BIGINT,
    rows_skipped BIGINT,
    ingested_at TIMESTAMP
);
-- Every repaired or skipped row, counted by reason (with one example).
CREATE TABLE IF NOT EXISTS ingest_issue (
    file_id INTEGER,
    action VARCHAR,                 -- 'repaired' | 'skipped'
    reason VARCHAR,
    n BIGINT,
    example_line BIGINT,
    example VARCHAR
);

-- Staging: every version of every report, as read (all files, all quarters).
CREATE TABLE IF NOT EXISTS stage_demo (
    source VARCHAR, file_id INTEGER, quarter VARCHAR,
    primaryid BIGINT, caseid BIGINT, caseversion INTEGER,
    i_f_code VARCHAR, event_dt DATE, event_dt_precision VARCHAR, mfr_dt DATE, init_fda_dt DATE,
    fda_dt DATE, rept_dt DATE, rept_cod VARCHAR, mfr_sndr VARCHAR,
    age DOUBLE, age_cod VARCHAR, age_years DOUBLE, sex VARCHAR, wt_kg DOUBLE,
    occp_cod VARCHAR, reporter_country VARCHAR, occr_country VARCHAR,
    died BOOLEAN, narrative VARCHAR, other_meds VARCHAR, cur_ill VARCHAR, history VARCHAR,
    vax_date DATE, onset_date DATE
);
CREATE TABLE IF NOT EXISTS stage_drug (
    source VARCHAR, file_id INTEGER, primaryid BIGINT, drug_seq BIGINT, role_cod VARCHAR,
    drugname VARCHAR, prod_ai VARCHAR, route VARCHAR, dose_vbm VARCHAR,
    dechal VARCHAR, rechal VARCHAR, lot_num VARCHAR, nda_num VARCHAR
);
CREATE TABLE IF NOT EXISTS stage_reac (source VARCHAR, file_id INTEGER, primaryid BIGINT, pt VARCHAR);
CREATE TABLE IF NOT EXISTS stage_outc (source VARCHAR, file_id INTEGER, primaryid BIGINT, outc_cod VARCHAR);
CREATE TABLE IF NOT EXISTS stage_indi (
    source VARCHAR, file_id INTEGER, primaryid BIGINT, drug_seq BIGINT, indi_pt VARCHAR
);
CREATE TABLE IF NOT EXISTS stage_ther (
    source VARCHAR, file_id INTEGER, primaryid BIGINT, drug_seq BIGINT,
    start_dt DATE, start_dt_precision VARCHAR, end_dt DATE, end_dt_precision VARCHAR,
    dur DOUBLE, dur_cod VARCHAR
);
CREATE TABLE IF NOT EXISTS stage_rpsr (source VARCHAR, file_id INTEGER, primaryid BIGINT, rpsr_cod VARCHAR);
CREATE TABLE IF NOT EXISTS stage_deleted (source VARCHAR, file_id INTEGER, caseid BIGINT);

-- Drug-name normalisation: one row per distinct (drugname, prod_ai) per ingredient.
CREATE TABLE IF NOT EXISTS drug_map (
    source VARCHAR, drugname VARCHAR, prod_ai VARCHAR, ingredient VARCHAR, mapped BOOLEAN, method VARCHAR
);
