-- reads: decisions, roster_rows
-- Decisions that put a person in a category (monitored, dibao or destitute) beside the roster's
-- category: per person the latest standing such decision (any year or department), the category
-- it means, the roster's current category (the person's latest roster row), whether the roster
-- confirms it, and the days since the decision. Until the roster confirms it, pages show both;
-- past rules/push.toml's roster_days it is a data-quality item.
CREATE OR REPLACE VIEW category_decisions AS
WITH decided AS (
    SELECT person_id,
           arg_max(decision, (decided_on, decision_id)) AS decision,
           arg_max(department, (decided_on, decision_id)) AS department,
           arg_max(year, (decided_on, decision_id)) AS year,
           max(decided_on) AS decided_on
    FROM decisions
    WHERE superseded_by IS NULL AND decision IN ('monitored', 'dibao', 'destitute')
    GROUP BY person_id
),
roster AS (
    SELECT r.person_id, arg_max(r.category, (r.file_id, r.line)) AS category,
           arg_max(r.village_code, (r.file_id, r.line)) AS village_code,
           arg_max(r.name, (r.file_id, r.line)) AS name
    FROM roster_rows AS r
    SEMI JOIN decided AS d USING (person_id)
    GROUP BY r.person_id
)
SELECT d.person_id, d.year, r.name, r.village_code, d.decision, d.department, d.decided_on,
       d.decision AS decided_category, r.category AS roster_category,
       r.category IS NOT DISTINCT FROM d.decision AS confirmed,
       current_date - d.decided_on AS days
FROM decided AS d
LEFT JOIN roster AS r USING (person_id);
