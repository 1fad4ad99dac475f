-- QOF 2026/27 (business rules v51): DM020, DM021, DM036, HYP010, HYP011 and BP002 per practice,
-- hand-written from the rule texts, independent of qofcli's engine. HYP010/HYP011 are 2025/26's
-- HYP008/HYP009 renumbered in v51 with moderate/severe frailty excluded.
--
-- Inputs (views the caller creates, see benchmarks/duckdb_six.py):
--   patients(patient_id, practice_code, date_of_birth, registration_date,
--            deregistration_date, death_date)
--   events(patient_id, date, code, value)
--   clusters(cluster, code)           the ruleset's clusters/*.csv, one row per code
--   value_ranges(cluster, lo, hi)     the ruleset's plausible values (value_ranges.yaml)
-- Parameters: $ppsd, $pped (payment period), $achv (achievement date, PPED unless --as-of).
--
-- Semantics (rule texts; rulesets/README.md is their prose form):
--   population = registered on ACHV (registered on/before it, neither deregistered nor dead
--   on/before it); age = whole years on ACHV; only events on/before ACHV exist; a value that is
--   NaN, infinite or outside its cluster's plausible range is missing; "in the 12 months leading
--   up to and including PPED" is date > PPED - 12 months; the latest record of a day with several
--   is the lowest value, a valued record before a value-less one.
--
-- Output: one row per practice and indicator: register, denominator (achieved + not achieved),
-- numerator, pca, excluded, and reasons (JSON: official reason field -> patients).

WITH
-- Window bounds, all anchored on PPED (or PPSD) as the rules write them.
p AS (
    SELECT
        $ppsd::DATE AS ppsd,
        $pped::DATE AS pped,
        $achv::DATE AS achv,
        ($pped::DATE - INTERVAL 12 MONTH)::DATE AS m12,
        ($pped::DATE - INTERVAL 9 MONTH)::DATE AS m9,
        ($pped::DATE - INTERVAL 3 MONTH)::DATE AS m3,
        ($pped::DATE - INTERVAL 5 YEAR)::DATE AS y5
),

-- The codes these six indicators read, one row per code with a flag per cluster (a code may
-- sit in several clusters, e.g. a systolic code is also a BP_COD code) and the plausible range
-- of its value (a code in two clusters with ranges must fit both).
codes AS (
    SELECT
        c.code,
        bool_or(c.cluster = 'DM_COD') AS dm,
        bool_or(c.cluster = 'DMRES_COD') AS dmres,
        bool_or(c.cluster = 'HYP_COD') AS hyp,
        bool_or(c.cluster = 'HYPRES_COD') AS hypres,
        bool_or(c.cluster = 'IFCCHBAM_COD') AS a1c,
        bool_or(c.cluster = 'SERFRUC_COD') AS serfruc,
        max(CASE c.cluster WHEN 'SEVFRAIL_COD' THEN 3 WHEN 'MODFRAIL_COD' THEN 2
                           WHEN 'MILDFRAIL_COD' THEN 1 END) AS frailty,
        bool_or(c.cluster = 'DMMAX_COD') AS dmmax,
        bool_or(c.cluster = 'DMPCAPU_COD') AS dmpcapu,
        bool_or(c.cluster = 'DMPCADEC_COD') AS dmpcadec,
        bool_or(c.cluster = 'BLDTESTDEC_COD') AS bldtestdec,
        bool_or(c.cluster = 'HTMAX_COD') AS htmax,
        bool_or(c.cluster = 'HYPPCAPU_COD') AS hyppcapu,
        bool_or(c.cluster = 'HYPPCADEC_COD') AS hyppcadec,
        -- BP, home BP or ABPM declined (DM036, HYP010/011); BP declined alone (BP002)
        bool_or(c.cluster IN ('BPDEC_COD', 'HOMEBPDEC_COD', 'ABPMDEC_COD')) AS bpdeclined,
        bool_or(c.cluster = 'BPDEC_COD') AS bpdec,
        bool_or(c.cluster = 'DMINVITE_COD') AS dminvite,
        bool_or(c.cluster = 'HYPINVITE_COD') AS hypinvite,
        bool_or(c.cluster = 'SYSBP_COD') AS sys,
        bool_or(c.cluster = 'DIABP_COD') AS dia,
        bool_or(c.cluster IN ('HOMEBP_COD', 'HOMEAMBBP_COD')) AS home,
        -- "BP recorded" (BP002): any BP record, with or without values
        bool_or(c.cluster IN ('BP_COD', 'SYSBP_COD', 'DIABP_COD', 'HOMEBP_COD')) AS bp_record,
        -- in BP clusters only: most events, read by the BP steps alone
        bool_and(c.cluster IN ('BP_COD', 'SYSBP_COD', 'DIABP_COD', 'HOMEBP_COD', 'HOMEAMBBP_COD'))
            AS bp_only,
        max(r.lo) AS lo,
        min(r.hi) AS hi
    FROM clusters AS c
    LEFT JOIN value_ranges AS r USING (cluster)
    WHERE c.cluster IN (
        'DM_COD', 'DMRES_COD', 'HYP_COD', 'HYPRES_COD',
        'IFCCHBAM_COD', 'SERFRUC_COD',
        'MILDFRAIL_COD', 'MODFRAIL_COD', 'SEVFRAIL_COD',
        'DMMAX_COD', 'DMPCAPU_COD', 'DMPCADEC_COD', 'BLDTESTDEC_COD',
        'HTMAX_COD', 'HYPPCAPU_COD', 'HYPPCADEC_COD',
        'BPDEC_COD', 'HOMEBPDEC_COD', 'ABPMDEC_COD',
        'DMINVITE_COD', 'HYPINVITE_COD',
        'BP_COD', 'SYSBP_COD', 'DIABP_COD', 'HOMEBP_COD', 'HOMEAMBBP_COD'
    )
    GROUP BY c.code
),

-- Patients registered on ACHV, with their age on it (a 29 February birthday counts from
-- 1 March in other years).
pop AS (
    SELECT
        pt.patient_id,
        pt.practice_code,
        pt.registration_date AS reg_dat,
        year(p.achv) - year(pt.date_of_birth)
            - CASE WHEN month(p.achv) * 100 + day(p.achv)
                        < month(pt.date_of_birth) * 100 + day(pt.date_of_birth)
                   THEN 1 ELSE 0 END AS age
    FROM patients AS pt, p
    WHERE pt.registration_date <= p.achv
      AND (pt.deregistration_date IS NULL OR pt.deregistration_date > p.achv)
      AND (pt.death_date IS NULL OR pt.death_date > p.achv)
),

-- The one scan of events: one row per event of a needed code up to ACHV, implausible values
-- blanked.
ev AS MATERIALIZED (
    SELECT
        e.patient_id,
        e.date AS d,
        CASE WHEN isfinite(e.value)
                  AND (c.lo IS NULL OR e.value >= c.lo)
                  AND (c.hi IS NULL OR e.value <= c.hi)
             THEN e.value END AS v,
        c.* EXCLUDE (code, lo, hi)
    FROM events AS e
    JOIN codes AS c ON e.code = c.code
    CROSS JOIN p
    WHERE e.date <= p.achv
),

-- Latest blood pressure: the latest day with a plausible systolic AND diastolic value; the
-- lowest of each that day; home/ambulatory when a home-BP record is on that day. Every rule
-- reads it only when it is in the 12 months to PPED (BP_IN_YEAR; the first invitation after it
-- only together with BP_IN_YEAR), so only those days are grouped: the latest reading ever is
-- in the window exactly when the latest reading in the window exists, and is that reading.
bp_day AS (
    SELECT
        patient_id,
        d,
        min(v) FILTER (WHERE sys) AS sys,
        min(v) FILTER (WHERE dia) AS dia,
        bool_or(home) AS home
    FROM ev, p
    WHERE (sys OR dia OR home) AND d > p.m12
    GROUP BY patient_id, d
),
bp AS (
    SELECT
        patient_id,
        max(d) AS bp_dat,
        arg_max(sys, d) AS bp_sys,
        arg_max(dia, d) AS bp_dia,
        arg_max(home, d) AS bp_home
    FROM bp_day
    WHERE sys IS NOT NULL AND dia IS NOT NULL
    GROUP BY patient_id
),
-- "BP recorded" (BP002): the latest BP record of any kind, with or without values, in 5 years.
bp_recorded AS (
    SELECT patient_id, max(d) AS bp_record
    FROM ev, p
    WHERE bp_record AND d > p.y5
    GROUP BY patient_id
),

-- Latest IFCC-HbA1c: its day and the lowest plausible value of that day (a valued record
-- before a value-less one: min ignores missing values).
a1c_day AS (
    SELECT patient_id, d, min(v) AS v
    FROM ev
    WHERE a1c
    GROUP BY patient_id, d
),
a1c AS (
    SELECT patient_id, max(d) AS a1c_dat, arg_max_null(v, d) AS a1c_val  -- keeps a missing value
    FROM a1c_day
    GROUP BY patient_id
),

-- Per-patient facts: latest/earliest dates per cluster group (BP-only records are left to the
-- BP steps above).
f AS (
    SELECT
        ev.patient_id,
        max(d) FILTER (WHERE dm) AS dmlat,
        min(d) FILTER (WHERE dm) AS dm_dat,
        max(d) FILTER (WHERE dmres) AS dmres,
        max(d) FILTER (WHERE hyp) AS hyplat,
        min(d) FILTER (WHERE hyp) AS hyp_dat,
        max(d) FILTER (WHERE hypres) AS hypres,
        max(d) FILTER (WHERE serfruc) AS serfruc,
        -- latest frailty record, the most severe of its day
        max({'d': d, 'sev': frailty}) FILTER (WHERE frailty IS NOT NULL) AS frail,
        max(d) FILTER (WHERE dmmax) AS dmmax,
        max(d) FILTER (WHERE dmpcapu) AS dmpcapu,
        max(d) FILTER (WHERE dmpcadec) AS dmpcadec,
        max(d) FILTER (WHERE bldtestdec) AS bldtestdec,
        max(d) FILTER (WHERE htmax) AS htmax,
        max(d) FILTER (WHERE hyppcapu) AS hyppcapu,
        max(d) FILTER (WHERE hyppcadec) AS hyppcadec,
        max(d) FILTER (WHERE bpdeclined) AS bpdeclined,
        max(d) FILTER (WHERE bpdec) AS bpdec,
        -- first and last invitation of the payment period
        min(d) FILTER (WHERE dminvite AND d >= p.ppsd) AS dminv1,
        max(d) FILTER (WHERE dminvite AND d >= p.ppsd) AS dminvlast,
        min(d) FILTER (WHERE hypinvite AND d >= p.ppsd) AS hypinv1,
        max(d) FILTER (WHERE hypinvite AND d >= p.ppsd) AS hypinvlast
    FROM ev, p
    WHERE NOT bp_only
    GROUP BY ev.patient_id
),

-- First invitation of the period after the latest HbA1c / BP (the above-target reading "was
-- followed by two invitations").
inv_after AS (
    SELECT
        f.patient_id,
        min(ev.d) FILTER (WHERE ev.dminvite AND ev.d > a1c.a1c_dat) AS dminv1_after_a1c,
        min(ev.d) FILTER (WHERE ev.dminvite AND ev.d > bp.bp_dat) AS dminv1_after_bp,
        min(ev.d) FILTER (WHERE ev.hypinvite AND ev.d > bp.bp_dat) AS hypinv1_after_bp
    FROM ev
    JOIN f USING (patient_id)
    LEFT JOIN a1c USING (patient_id)
    LEFT JOIN bp USING (patient_id)
    CROSS JOIN p
    WHERE (ev.dminvite OR ev.hypinvite) AND ev.d >= p.ppsd
    GROUP BY f.patient_id
),

-- Registered patients with every condition the chains test, as non-null booleans (a
-- comparison on a missing record is false, so its negation is true).
c AS (
    SELECT
        pop.practice_code,
        pop.patient_id,
        pop.age,
        coalesce(f.dmlat IS NOT NULL AND NOT coalesce(f.dmres > f.dmlat, FALSE), FALSE)
            AND pop.age >= 17 AS dm_reg,
        coalesce(f.hyplat IS NOT NULL AND NOT coalesce(f.hypres > f.hyplat, FALSE), FALSE)
            AS hyp_reg,
        pop.age >= 45 AS bp45_reg,
        coalesce(f.frail.sev >= 2, FALSE) AS mod_sev_frail,
        coalesce(a1c.a1c_dat > p.m12, FALSE) AS a1c_in_year,
        a1c.a1c_val,
        coalesce(f.serfruc > p.m12, FALSE) AS serfruc_12m,
        coalesce(f.dmmax > p.m12, FALSE) AS dmmax_12m,
        coalesce(f.dmpcapu > p.m12, FALSE) AS dmpcapu_12m,
        coalesce(f.dmpcadec > p.m12, FALSE) AS dmpcadec_12m,
        coalesce(f.bldtestdec > p.m12, FALSE) AS bldtestdec_12m,
        coalesce(f.htmax > p.m12, FALSE) AS htmax_12m,
        coalesce(f.hyppcapu > p.m12, FALSE) AS hyppcapu_12m,
        coalesce(f.hyppcadec > p.m12, FALSE) AS hyppcadec_12m,
        coalesce(f.bpdeclined > p.m12, FALSE) AS bpdeclined_12m,
        coalesce(f.bpdec > p.y5, FALSE) AS bpdec_5y,
        r.bp_record IS NOT NULL AS bp_record_5y,
        coalesce(bp.bp_dat > p.m12, FALSE) AS bp_in_year,
        coalesce(bp.bp_dat > p.m12 AND (
            (NOT bp.bp_home AND bp.bp_sys <= 140 AND bp.bp_dia <= 90)
            OR (bp.bp_home AND bp.bp_sys <= 135 AND bp.bp_dia <= 85)), FALSE) AS bp_le_140_90,
        coalesce(bp.bp_dat > p.m12 AND (
            (NOT bp.bp_home AND bp.bp_sys <= 150 AND bp.bp_dia <= 90)
            OR (bp.bp_home AND bp.bp_sys <= 145 AND bp.bp_dia <= 85)), FALSE) AS bp_le_150_90,
        -- two invitations at least 7 days apart: the first and the last of the period are
        coalesce(f.dminvlast >= f.dminv1 + 7, FALSE) AS dm_two_inv,
        coalesce(f.dminvlast >= i.dminv1_after_a1c + 7, FALSE) AS dm_two_inv_after_a1c,
        coalesce(f.dminvlast >= i.dminv1_after_bp + 7, FALSE) AS dm_two_inv_after_bp,
        coalesce(f.hypinvlast >= f.hypinv1 + 7, FALSE) AS hyp_two_inv,
        coalesce(f.hypinvlast >= i.hypinv1_after_bp + 7, FALSE) AS hyp_two_inv_after_bp,
        coalesce(f.dm_dat > p.m9, FALSE) AS dm_new_9m,
        coalesce(f.hyp_dat > p.m9, FALSE) AS hyp_new_9m,
        coalesce(pop.reg_dat > p.m9, FALSE) AS reg_9m,
        coalesce(pop.reg_dat > p.m3, FALSE) AS reg_3m
    FROM pop
    CROSS JOIN p
    LEFT JOIN f USING (patient_id)
    LEFT JOIN a1c USING (patient_id)
    LEFT JOIN bp USING (patient_id)
    LEFT JOIN bp_recorded AS r USING (patient_id)
    LEFT JOIN inv_after AS i USING (patient_id)
),

-- Each indicator's chain: the first rule that decides gives the outcome, 'achieved',
-- 'not_achieved' (denominator select, numerator reject) or the official reason field of the
-- denominator reject. Exclusions (outside the indicator's scope) are the age and frailty gates;
-- every other reason is a personalised care adjustment (PCA).
outcome_by_indicator AS (
    SELECT
        practice_code,
        -- DM020 (DM_REG)
        CASE WHEN dm_reg THEN CASE
                WHEN mod_sev_frail THEN 'MDSEVFRAIL'
                WHEN a1c_in_year AND a1c_val <= 58 THEN 'achieved'
                WHEN NOT a1c_in_year AND serfruc_12m THEN 'IFCCHBA'
                WHEN dmmax_12m THEN 'DMMAX'
                WHEN dmpcapu_12m THEN 'DMPCAPU'
                WHEN bldtestdec_12m THEN 'BLDTESTDEC'
                WHEN dmpcadec_12m THEN 'DMPCADEC'
                WHEN (dm_two_inv AND NOT a1c_in_year)
                     OR (a1c_in_year AND a1c_val > 58 AND dm_two_inv_after_a1c) THEN 'DMIFINVITE'
                WHEN dm_new_9m THEN 'DIAG1_DT9M'
                WHEN reg_9m THEN 'REG1_DAT9'
                ELSE 'not_achieved'
            END END AS DM020,
        -- DM021 (DM_REG)
        CASE WHEN dm_reg THEN CASE
                WHEN NOT mod_sev_frail THEN 'MDSEVFRAIL'
                WHEN a1c_in_year AND a1c_val <= 75 THEN 'achieved'
                WHEN NOT a1c_in_year AND serfruc_12m THEN 'IFCCHBA'
                WHEN dmmax_12m THEN 'DMMAX'
                WHEN dmpcapu_12m THEN 'DMPCAPU'
                WHEN bldtestdec_12m THEN 'BLDTESTDEC'
                WHEN dmpcadec_12m THEN 'DMPCADEC'
                WHEN (dm_two_inv AND NOT a1c_in_year)
                     OR (a1c_in_year AND a1c_val > 75 AND dm_two_inv_after_a1c) THEN 'DMIFINVITE'
                WHEN dm_new_9m THEN 'DIAG1_DT9M'
                WHEN reg_9m THEN 'REG1_DAT9'
                ELSE 'not_achieved'
            END END AS DM021,
        -- DM036 (DM_REG)
        CASE WHEN dm_reg THEN CASE
                WHEN age > 79 THEN 'PAT_AGEO79'
                WHEN mod_sev_frail THEN 'MDSEVFRAIL'
                WHEN bp_le_140_90 THEN 'achieved'
                WHEN htmax_12m THEN 'HTMAX'
                WHEN dmpcapu_12m THEN 'DMPCAPU'
                WHEN bpdeclined_12m THEN 'BPORHBPDEC'
                WHEN dmpcadec_12m THEN 'DMPCADEC'
                WHEN (dm_two_inv AND NOT bp_in_year)
                     OR (bp_in_year AND NOT bp_le_140_90 AND dm_two_inv_after_bp) THEN 'DMBPINVITE'
                WHEN dm_new_9m THEN 'DIAG1_DT9M'
                WHEN reg_9m THEN 'REG1_DAT9'
                ELSE 'not_achieved'
            END END AS DM036,
        -- HYP010 (HYP_REG)
        CASE WHEN hyp_reg THEN CASE
                WHEN age > 79 THEN 'PAT_AGEO79'
                WHEN mod_sev_frail THEN 'MDSEVFRAIL'
                WHEN bp_le_140_90 THEN 'achieved'
                WHEN htmax_12m THEN 'HTMAX'
                WHEN hyppcapu_12m THEN 'HYPPCAPU'
                WHEN bpdeclined_12m THEN 'BPORHBPDEC'
                WHEN hyppcadec_12m THEN 'HYPPCADEC'
                WHEN (hyp_two_inv AND NOT bp_in_year)
                     OR (bp_in_year AND NOT bp_le_140_90 AND hyp_two_inv_after_bp) THEN 'HYPBPINV'
                WHEN hyp_new_9m THEN 'DIAG1_DT9M'
                WHEN reg_9m THEN 'REG1_DAT9'
                ELSE 'not_achieved'
            END END AS HYP010,
        -- HYP011 (HYP_REG)
        CASE WHEN hyp_reg THEN CASE
                WHEN age < 80 THEN 'PAT_AGEU80'
                WHEN mod_sev_frail THEN 'MDSEVFRAIL'
                WHEN bp_le_150_90 THEN 'achieved'
                WHEN htmax_12m THEN 'HTMAX'
                WHEN hyppcapu_12m THEN 'HYPPCAPU'
                WHEN bpdeclined_12m THEN 'BPORHBPDEC'
                WHEN hyppcadec_12m THEN 'HYPPCADEC'
                WHEN (hyp_two_inv AND NOT bp_in_year)
                     OR (bp_in_year AND NOT bp_le_150_90 AND hyp_two_inv_after_bp) THEN 'HYPBPINV'
                WHEN hyp_new_9m THEN 'DIAG1_DT9M'
                WHEN reg_9m THEN 'REG1_DAT9'
                ELSE 'not_achieved'
            END END AS HYP011,
        -- BP002 (BP45_REG)
        CASE WHEN bp45_reg THEN CASE
                WHEN bp_record_5y THEN 'achieved'
                WHEN bpdec_5y THEN 'BPDEC1'
                WHEN reg_3m THEN 'REG1_DAT3'
                ELSE 'not_achieved'
            END END AS BP002
    FROM c
),
-- One row per patient and indicator of their registers (patients off a register have a null
-- outcome, which UNPIVOT drops).
outcome AS (
    UNPIVOT outcome_by_indicator
    ON DM020, DM021, DM036, HYP010, HYP011, BP002
    INTO NAME indicator VALUE outcome
)

SELECT
    practice_code,
    indicator,
    CASE WHEN indicator LIKE 'DM%' THEN 'DM_REG' WHEN indicator LIKE 'HYP%' THEN 'HYP_REG'
         ELSE 'BP45_REG' END AS register,
    count(*) AS register_size,
    count(*) FILTER (WHERE outcome IN ('achieved', 'not_achieved')) AS denominator,
    count(*) FILTER (WHERE outcome = 'achieved') AS numerator,
    count(*) FILTER (WHERE outcome NOT IN ('achieved', 'not_achieved')
                       AND outcome NOT IN ('MDSEVFRAIL', 'PAT_AGEO79', 'PAT_AGEU80')) AS pca,
    count(*) FILTER (WHERE outcome IN ('MDSEVFRAIL', 'PAT_AGEO79', 'PAT_AGEU80')) AS excluded,
    -- patients per PCA or exclusion reason
    to_json(histogram(outcome) FILTER (WHERE outcome NOT IN ('achieved', 'not_achieved')))::VARCHAR
        AS reasons
FROM outcome
GROUP BY practice_code, indicator, register
ORDER BY practice_code, indicator
