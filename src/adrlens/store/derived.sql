-- Derived, deduplicated tables, rebuilt from stage_* after every ingest.
-- Dedup: latest version per (source, caseid): highest caseversion, then latest fda_dt, then
-- highest primaryid (then the first file ingested, for two copies of one version). Cases named in any
-- DELETE list are removed.
-- One file per report version and table: a report version (source, primaryid) takes its DRUG, REAC, ...
-- rows from one file only, the one holding most rows for it (then the first ingested). A release is one
-- file per table, so a second file with rows for the same version is a copy (re-encoded CRLF -> LF,
-- renamed, re-zipped: a different sha256) or an overlapping extract, and counting both doubled the rows.
-- Rows repeated inside one file are kept as the file has them.

-- The (table, report version, file) rows left out as a second copy. Almost every version has one file
-- per table, so this is small: the tables below anti-join it.
CREATE OR REPLACE TEMP TABLE _copy_rows AS
WITH per_file AS (
    SELECT tbl, source, primaryid, file_id, count(*) AS n
    FROM (
        SELECT 'drug' AS tbl, source, primaryid, file_id FROM stage_drug
        UNION ALL SELECT 'reac', source, primaryid, file_id FROM stage_reac
        UNION ALL SELECT 'outc', source, primaryid, file_id FROM stage_outc
        UNION ALL SELECT 'indi', source, primaryid, file_id FROM stage_indi
        UNION ALL SELECT 'ther', source, primaryid, file_id FROM stage_ther
        UNION ALL SELECT 'rpsr', source, primaryid, file_id FROM stage_rpsr
    )
    GROUP BY tbl, source, primaryid, file_id
),
several AS (SELECT tbl, source, primaryid FROM per_file GROUP BY tbl, source, primaryid HAVING count(*) > 1)
SELECT f.tbl, f.source, f.primaryid, f.file_id
FROM per_file f JOIN several USING (tbl, source, primaryid)
QUALIFY row_number() OVER (PARTITION BY f.tbl, f.source, f.primaryid ORDER BY f.n DESC, f.file_id) > 1;

CREATE OR REPLACE TABLE report AS
WITH ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY source, caseid
        ORDER BY caseversion DESC NULLS LAST, fda_dt DESC NULLS LAST, primaryid DESC, file_id
    ) AS rn
    FROM stage_demo
)
SELECT source, caseid, primaryid, caseversion, quarter, i_f_code,
       event_dt, event_dt_precision, init_fda_dt, fda_dt, rept_dt, rept_cod, mfr_sndr,
       age_years, sex, wt_kg, occp_cod,
       coalesce(occr_country, reporter_country) AS country,
       coalesce(year(coalesce(init_fda_dt, fda_dt, rept_dt)), try_cast(left(quarter, 4) AS INTEGER))
           AS report_year,
       -- the quarter FDA first received the case (trend axis); the release quarter when no date
       coalesce(year(coalesce(init_fda_dt, fda_dt)) || 'Q' || quarter(coalesce(init_fda_dt, fda_dt)),
                CASE WHEN length(quarter) = 6 THEN quarter END, quarter || 'Q1') AS receipt_quarter,
       CASE WHEN occp_cod IN ('MD', 'PH', 'OT', 'HP', 'RN') THEN 'health professional'
            WHEN occp_cod = 'CN' THEN 'consumer' WHEN occp_cod = 'LW' THEN 'lawyer'
            ELSE 'unknown' END AS reporter_type,
       CASE WHEN age_years IS NULL THEN NULL
            WHEN age_years < 2 THEN '0-1' WHEN age_years < 12 THEN '2-11'
            WHEN age_years < 18 THEN '12-17' WHEN age_years < 45 THEN '18-44'
            WHEN age_years < 65 THEN '45-64' WHEN age_years < 75 THEN '65-74' ELSE '75+' END
           AS age_band,
       died, narrative, other_meds, cur_ill, history, vax_date, onset_date
FROM ranked
WHERE rn = 1
  AND NOT EXISTS (SELECT 1 FROM stage_deleted d WHERE d.source = ranked.source AND d.caseid = ranked.caseid);

CREATE OR REPLACE TABLE report_drug AS
SELECT r.source, r.caseid, s.drug_seq, s.role_cod,
       s.drugname, s.prod_ai, m.ingredient, coalesce(m.mapped, false) AS mapped,
       s.route, s.dechal, s.rechal
FROM stage_drug s
JOIN report r ON r.source = s.source AND r.primaryid = s.primaryid
LEFT JOIN drug_map m
  ON m.source = s.source AND m.drugname IS NOT DISTINCT FROM s.drugname AND m.prod_ai IS NOT DISTINCT FROM s.prod_ai
WHERE NOT EXISTS (SELECT 1 FROM _copy_rows c WHERE c.tbl = 'drug' AND c.source = s.source
                  AND c.primaryid = s.primaryid AND c.file_id = s.file_id);

CREATE OR REPLACE TABLE report_event AS
SELECT DISTINCT r.source, r.caseid, s.pt
FROM stage_reac s
JOIN report r ON r.source = s.source AND r.primaryid = s.primaryid
WHERE s.pt IS NOT NULL AND s.pt <> ''
  AND NOT EXISTS (SELECT 1 FROM _copy_rows c WHERE c.tbl = 'reac' AND c.source = s.source
                  AND c.primaryid = s.primaryid AND c.file_id = s.file_id);

CREATE OR REPLACE TABLE report_outcome AS
SELECT DISTINCT r.source, r.caseid, s.outc_cod
FROM stage_outc s
JOIN report r ON r.source = s.source AND r.primaryid = s.primaryid
WHERE s.outc_cod IS NOT NULL AND s.outc_cod <> ''
  AND NOT EXISTS (SELECT 1 FROM _copy_rows c WHERE c.tbl = 'outc' AND c.source = s.source
                  AND c.primaryid = s.primaryid AND c.file_id = s.file_id);

CREATE OR REPLACE TABLE report_indication AS
SELECT DISTINCT r.source, r.caseid, s.drug_seq, s.indi_pt
FROM stage_indi s
JOIN report r ON r.source = s.source AND r.primaryid = s.primaryid
WHERE s.indi_pt IS NOT NULL AND s.indi_pt <> ''
  AND NOT EXISTS (SELECT 1 FROM _copy_rows c WHERE c.tbl = 'indi' AND c.source = s.source
                  AND c.primaryid = s.primaryid AND c.file_id = s.file_id);

CREATE OR REPLACE TABLE report_therapy AS
SELECT r.source, r.caseid, s.drug_seq, s.start_dt, s.start_dt_precision, s.end_dt, s.end_dt_precision,
       s.dur, s.dur_cod
FROM stage_ther s
JOIN report r ON r.source = s.source AND r.primaryid = s.primaryid
WHERE NOT EXISTS (SELECT 1 FROM _copy_rows c WHERE c.tbl = 'ther' AND c.source = s.source
                  AND c.primaryid = s.primaryid AND c.file_id = s.file_id);

CREATE OR REPLACE TABLE report_rpsr AS
SELECT DISTINCT r.source, r.caseid, s.rpsr_cod
FROM stage_rpsr s
JOIN report r ON r.source = s.source AND r.primaryid = s.primaryid
WHERE NOT EXISTS (SELECT 1 FROM _copy_rows c WHERE c.tbl = 'rpsr' AND c.source = s.source
                  AND c.primaryid = s.primaryid AND c.file_id = s.file_id);

DROP TABLE _copy_rows;
