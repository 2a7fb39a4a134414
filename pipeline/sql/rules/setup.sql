-- reads: rule_params, person_year, region_names
-- Which version of each rule applies where, and the reference income each person-year uses.
-- Reads the temp tables rule_params, income_ref, severity_policy written by pipeline/rules/.

CREATE OR REPLACE TEMP MACRO money_text(x) AS format('{:,.2f}', x);
CREATE OR REPLACE TEMP MACRO line_text(x) AS
    CASE WHEN x = trunc(x) THEN format('{:,}', CAST(x AS BIGINT)) ELSE money_text(x) END;
CREATE OR REPLACE TEMP MACRO share_text(x) AS
    CASE WHEN x * 100 = trunc(x * 100) THEN CAST(CAST(x * 100 AS INTEGER) AS VARCHAR) || '%'
         ELSE CAST(x * 100 AS VARCHAR) || '%' END;
CREATE OR REPLACE TEMP MACRO severity_rank(s) AS
    CASE s WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 END;

-- The most specific region file wins: per township and rule version, the longest region code
-- that is a prefix of the township's code ('' is the default). (Chosen by a join on the longest
-- length, not a window under QUALIFY over p.*: the same SQL runs on Spark, pipeline/national/.)
CREATE OR REPLACE TEMP TABLE township_rules AS
WITH townships AS (
    SELECT DISTINCT coalesce(township_code, '') AS township_code FROM person_year
),
longest AS (
    SELECT t.township_code, p.version, max(length(p.region_code)) AS code_length
    FROM townships AS t
    JOIN rule_params AS p ON starts_with(t.township_code, p.region_code)
    GROUP BY t.township_code, p.version
)
SELECT l.township_code, p.*
FROM longest AS l
JOIN rule_params AS p
    ON p.version = l.version AND length(p.region_code) = l.code_length
   AND starts_with(l.township_code, p.region_code);

-- Reference income for a person-year: the most specific region with a figure (a region file's
-- own, else the province's, else the national), its latest year before the evaluated one.
CREATE OR REPLACE TEMP TABLE township_income AS
WITH wanted AS (
    SELECT DISTINCT coalesce(township_code, '') AS township_code, year FROM person_year
),
best AS (
    SELECT w.township_code, w.year, i.yuan, i.year AS basis_year, i.region_code AS basis_region,
           i.source
    FROM wanted AS w
    JOIN income_ref AS i ON starts_with(w.township_code, i.region_code) AND i.year < w.year
    QUALIFY row_number() OVER (PARTITION BY w.township_code, w.year
                               ORDER BY length(i.region_code) DESC, i.year DESC) = 1
)
SELECT b.*,
       coalesce(rn.name, '全国') AS basis_name,
       b.basis_year || '年' || coalesce(rn.name, '全国')
           || CASE WHEN b.basis_year <> b.year - 1 OR b.basis_region <> substr(b.township_code, 1, 2)
                   THEN '（无' || (b.year - 1) || '年' || coalesce(pn.name, '本省') || '数据，以此代替）'
                   ELSE '' END AS basis_zh,
       b.basis_year || ' ' || CASE WHEN b.basis_region = '' THEN 'national'
                                   ELSE coalesce(rn.name, b.basis_region) END
           || CASE WHEN b.basis_year <> b.year - 1 OR b.basis_region <> substr(b.township_code, 1, 2)
                   THEN ' (no ' || (b.year - 1) || ' figure for ' || coalesce(pn.name, 'the province')
                        || '; used instead)'
                   ELSE '' END AS basis_en
FROM best AS b
LEFT JOIN region_names AS rn ON rn.code = b.basis_region
LEFT JOIN region_names AS pn ON pn.code = substr(b.township_code, 1, 2) AND pn.level = 1;

-- Rules whose kind, years and region apply to a person-year. The rule kinds read `applicable`,
-- which pipeline/rules/ defines as all of this or, after a weekly import, only the rows of
-- the people whose rules may fire differently (rule_scope); the projected rule reads all.
CREATE OR REPLACE TEMP VIEW applicable_every AS
SELECT py.*, r.rule_id, r.version, r.kind, r.severity, r.line, r.share, r.shares, r.lines,
       r.line_rule,
       r.window_days, r.min_claims, r.min_days, r.tolerance, r.high_from, r.high_categories,
       r.multiple, r.dibao_standard,
       r.explain_zh AS template_zh,
       r.explain_en AS template_en
FROM person_year AS py
JOIN township_rules AS r ON r.township_code = coalesce(py.township_code, '')
WHERE r.enabled AND py.year BETWEEN r.effective_from AND r.effective_to;

-- A batch of people: person_id from `lo` (NULL: the first) up to, not including, `hi` (NULL: the
-- last). pipeline/rules/evaluation.py cuts everyone into such ranges (by a sample) when a step
-- needs more memory than the limit: the claim segments are sorted by person_id, so a range's
-- claims are one stretch of each file and the row-group statistics skip the rest (batches by
-- hash(person_id) read every claim once per batch). A claim always has a person_id.
CREATE OR REPLACE TEMP MACRO person_between(pid, lo, hi) AS
    (lo IS NULL OR pid >= lo) AND (hi IS NULL OR pid < hi);

-- Each person's OOP and number of claims settled in the last window_days days up to the data's
-- date, per window the enabled rules of kind `k` use; `year_only`: only the data's year's claims
-- (projected). `since`, the earliest day any window reaches (window_since), must be a constant
-- (a variable): DuckDB then filters the claims' dates as it scans them (0.3 s at 1M people)
-- instead of joining every claim of the year to the windows (1.2 s).
CREATE OR REPLACE TEMP MACRO window_since(k) AS (
    SELECT (SELECT as_of FROM eval_params) - to_days(coalesce(max(window_days), 0))
    FROM rule_params WHERE kind = k AND enabled
);
CREATE OR REPLACE TEMP MACRO window_oop(k, since, year_only) AS TABLE
SELECT c.person_id, w.window_days,
       sum(c.total_cost - c.basic_paid - c.critical_paid - c.assistance_paid - c.other_paid)
           AS window_oop,
       count(*) AS window_claims
FROM claims_effective AS c
JOIN (SELECT DISTINCT window_days FROM rule_params WHERE kind = k AND enabled) AS w
    ON c.settle_date > (SELECT as_of FROM eval_params) - to_days(w.window_days)
WHERE c.settle_date > since AND c.settle_date <= (SELECT as_of FROM eval_params)
  AND (NOT year_only OR c.year = year((SELECT as_of FROM eval_params)))
  -- people in batches, as the replay (pipeline/rules/evaluation.py, WINDOW_BYTES_PER_CLAIM)
  AND person_between(c.person_id, getvariable('window_from'), getvariable('window_to'))
GROUP BY c.person_id, w.window_days;

-- What the kinds whose window moves with the data's date read (projected, rolling_window,
-- household_net_income): everyone; after a weekly import that did not move the data's date,
-- pipeline/rules/evaluation.py narrows it to the run's scope like `applicable`.
CREATE OR REPLACE TEMP VIEW applicable_moving AS SELECT * FROM applicable_every;

CREATE OR REPLACE TEMP TABLE fired (
    person_id   VARCHAR,
    year        INTEGER,
    rule_id     VARCHAR,
    version     INTEGER,
    oop         DECIMAL(14,2),
    threshold   DECIMAL(14,2),
    severity    VARCHAR,
    note_zh     VARCHAR,
    note_en     VARCHAR,
    explain_zh  VARCHAR,
    explain_en  VARCHAR,
    compared    DECIMAL(14,2)  -- what the threshold is compared with: the person's OOP, or the
                               -- household's for household_burden
);

-- Fill an explanation template; placeholders a rule does not use stay absent.
CREATE OR REPLACE TEMP MACRO render(t, year, oop, threshold, share, income, basis, projected,
                                    hh_oop, hh_income, window_days) AS
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(t,
        '{year}', CAST(year AS VARCHAR)),
        '{oop}', coalesce(money_text(oop), '')),
        '{threshold}', coalesce(line_text(threshold), '')),
        '{share}', coalesce(share_text(share), '')),
        '{income}', coalesce(line_text(income), '')),
        '{income_basis}', coalesce(basis, '')),
        '{projected}', coalesce(money_text(projected), '')),
        '{household_oop}', coalesce(money_text(hh_oop), '')),
        '{household_income}', coalesce(money_text(hh_income), '')),
        '{window_days}', coalesce(CAST(window_days AS VARCHAR), ''));
