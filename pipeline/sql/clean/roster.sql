-- Roster rows staged this import → typed rows; `reason` NULL = loadable.
WITH s AS (
    SELECT st.*, upper(st.person_id) AS pid, cat.code AS category_code
    FROM stage_roster AS st
    LEFT JOIN code_lookup AS cat ON cat.domain = 'category' AND cat.input = lower(st.category)
),
checked AS (
    SELECT s.*, coalesce(
        missing('person_id', person_id),
        id_problem(pid),
        missing('name', name),
        missing('household_id', household_id),
        missing('village_code', village_code),
        village_problem(village_code),
        missing('category', category),
        code_problem('category', category, category_code),
        money_problem('household_income', household_income, false)
    ) AS problem
    FROM s
)
SELECT
    file_id, line,
    pid AS person_id,
    name,
    household_id,
    relation,
    village_code,
    village_name,
    category_code AS category,
    money(household_income) AS household_income,
    risk_cause,
    extra,
    problem.reason AS reason,
    problem.detail AS detail
FROM checked
