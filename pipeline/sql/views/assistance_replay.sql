-- reads: assist_replay, rule_runs
-- Contract view (v1.1): one row per person-year: category, entitled, paid, shortfall, overpaid,
-- claims paid short, and the policy: its most specific region ('' the default) and version (the
-- rules fingerprint of the latest run, which covers rules/assistance/).
CREATE OR REPLACE VIEW assistance_replay AS
SELECT r.person_id, r.year, r.category, r.entitled, r.paid, r.shortfall, r.overpaid,
       r.claims_short, r.claims, r.policy_region,
       (SELECT fingerprint FROM rule_runs ORDER BY run_id DESC LIMIT 1) AS policy_version
FROM assist_replay AS r;
