-- reads: stage (the file being read)
-- Enrolment rows of one staged file → typed rows; `reason` NULL = loadable. See clean/claims.sql.
WITH s AS (
    SELECT *,
        upper(person_id) AS pid,
        TRY_CAST(substr(upper(person_id), 1, 17) AS BIGINT) AS id17,
        code_scheme(scheme) AS scheme_code,
        code_status(status) AS status_code,
        TRY_CAST(year AS INTEGER) AS year_int,
        money(subsidy) AS m_subsidy
    FROM stage
),
checked AS (
    SELECT *, coalesce(
        shape,
        missing('person_id', person_id),
        id_problem(pid, id17),
        missing('year', year),
        CASE WHEN year_int IS NULL OR year_int NOT BETWEEN 1990 AND 2100
                OR NOT regexp_full_match(year, '[0-9]{4}')
            THEN problem('bad_year', 'year = ' || year || ' is not a year') END,
        missing('scheme', scheme),
        code_problem('scheme', scheme, scheme_code),
        missing('status', status),
        code_problem('status', status, status_code),
        money_problem('subsidy', subsidy, m_subsidy, false),
        village_problem(village_code)
    ) AS problem
    FROM s
)
SELECT
    file_id,
    src_line,
    pid AS person_id,
    year_int AS year,
    scheme_code AS scheme,
    status_code AS status,
    m_subsidy AS subsidy,
    name,
    household_id,
    village_code,
    extra,
    problem.reason AS reason,
    problem.detail AS detail,
    CASE WHEN problem IS NOT NULL THEN __RAW__ END AS raw
FROM checked
