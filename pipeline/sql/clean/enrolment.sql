-- Enrolment rows staged this import → typed rows; `reason` NULL = loadable.
WITH s AS (
    SELECT st.*, upper(st.person_id) AS pid, sch.code AS scheme_code, sts.code AS status_code,
           TRY_CAST(st.year AS INTEGER) AS year_int
    FROM stage_enrolment AS st
    LEFT JOIN code_lookup AS sch ON sch.domain = 'scheme' AND sch.input = lower(st.scheme)
    LEFT JOIN code_lookup AS sts ON sts.domain = 'status' AND sts.input = lower(st.status)
),
checked AS (
    SELECT s.*, coalesce(
        missing('person_id', person_id),
        id_problem(pid),
        missing('year', year),
        CASE WHEN year_int IS NULL OR year_int NOT BETWEEN 1990 AND 2100
            THEN problem('bad_year', 'year = ' || year || ' is not a year') END,
        missing('scheme', scheme),
        code_problem('scheme', scheme, scheme_code),
        missing('status', status),
        code_problem('status', status, status_code),
        money_problem('subsidy', subsidy, false),
        village_problem(village_code)
    ) AS problem
    FROM s
)
SELECT
    file_id, line,
    pid AS person_id,
    year_int AS year,
    scheme_code AS scheme,
    status_code AS status,
    money(subsidy) AS subsidy,
    name,
    household_id,
    village_code,
    extra,
    problem.reason AS reason,
    problem.detail AS detail
FROM checked
