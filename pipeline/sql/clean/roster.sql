-- reads: stage (the file being read)
-- Roster rows of one staged file → typed rows; `reason` NULL = loadable. See clean/claims.sql.
WITH s AS (
    SELECT *,
        upper(person_id) AS pid,
        TRY_CAST(substr(upper(person_id), 1, 17) AS BIGINT) AS id17,
        code_category(category) AS category_code,
        money(household_income) AS m_income,
        parse_date(category_since) AS since_day
    FROM stage
),
checked AS (
    SELECT *, coalesce(
        shape,
        missing('person_id', person_id),
        id_problem(pid, id17),
        missing('name', name),
        missing('household_id', household_id),
        missing('village_code', village_code),
        village_problem(village_code),
        missing('category', category),
        code_problem('category', category, category_code),
        money_problem('household_income', household_income, m_income, false),
        date_problem('category_since', category_since, since_day)
    ) AS problem
    FROM s
)
SELECT
    file_id,
    src_line,
    pid AS person_id,
    name,
    household_id,
    relation,
    village_code,
    village_name,
    category_code AS category,
    m_income AS household_income,
    risk_cause,
    extra,
    -- a phone number as written, spaces and dashes dropped (stored last, as in older stores)
    NULLIF(replace(replace(phone, ' ', ''), '-', ''), '') AS phone,
    since_day AS category_since,
    problem.reason AS reason,
    problem.detail AS detail,
    CASE WHEN problem IS NOT NULL THEN __RAW__ END AS raw
FROM checked
