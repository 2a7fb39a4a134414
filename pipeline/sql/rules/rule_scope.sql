-- reads: touched, touched_households, people, flag_entries, rule_params
-- After a weekly import (pipeline/rules/evaluation.py, evaluate), the people whose rules may fire
-- differently from the previous run: those the import touched (their person-years changed), the
-- members of the households it touched (household_burden), and, when the import moved the
-- data's date, everyone the kinds whose windows move with it (moving_kinds: projected,
-- rolling_window, household_net_income) flag now or flagged then (they ran first, for
-- everyone, into `fired`; with the date where it was they are decided for this scope alone).
-- Everyone else keeps the previous run's flags and list entry: the rules, their fingerprint and
-- the enrolment years covered are the same (or this runs in full).
INSERT INTO rule_scope
SELECT person_id FROM touched
UNION
SELECT person_id FROM people SEMI JOIN touched_households USING (household_id)
UNION
SELECT person_id FROM fired
UNION
SELECT person_id FROM flag_entries
WHERE to_run IS NULL  -- the previous run's, before this run ends any
  AND rule_id IN (SELECT rule_id FROM rule_params WHERE list_contains(getvariable('moving_kinds'), kind));
