-- reads: claims_effective, people (the full import's claims in force)
-- Claims that top up the bench's held-back week to the weekly import the bench issue describes:
-- about 2% of the full import's claims, 5% of them corrections or reversals of earlier claims
-- (the generator's weeks hold about 1.1% and 1%). pipeline/tools/bench.py, week_supplement, attaches
-- the full import's snapshot as `s`, stages the held-back week's claims as `week_claims` and sets
-- the variables seed, corrections, reversals and new_claims.
--
-- Each row is built from a claim in force settled in the last 45 days of the data, picked in
-- the order of a hash of its claim_id and the seed (the same rows every run):
--   corrections  the same claim_id again, medical assistance paid later: 30% of its OOP;
--   reversals    a new claim_id naming the claim in `reverses`, its amounts negated;
--   new claims   a new claim_id, the same person and amounts: another visit.
-- New rows settle in the week after the data's date.
CREATE OR REPLACE TEMP TABLE supplement AS
WITH data_date AS (
    SELECT max(settle_date) AS day FROM s.claims_effective
),
recent AS (
    SELECT c.*, c.total_cost - c.basic_paid - c.critical_paid - c.assistance_paid
                - c.other_paid AS oop
    FROM s.claims_effective AS c
    WHERE c.settle_date > (SELECT day FROM data_date) - INTERVAL 45 DAY
      AND c.claim_id NOT IN (SELECT claim_id FROM week_claims WHERE claim_id IS NOT NULL)
      AND c.claim_id NOT IN (SELECT reverses FROM week_claims WHERE reverses IS NOT NULL)
),
picked AS (
    SELECT *, row_number() OVER (ORDER BY hash(claim_id, getvariable('seed')), claim_id) AS n
    FROM recent
    WHERE oop >= 1
    ORDER BY hash(claim_id, getvariable('seed')), claim_id
    LIMIT getvariable('corrections') + getvariable('reversals') + getvariable('new_claims')
),
roles AS (
    SELECT p.*,
           CASE WHEN n <= getvariable('corrections') THEN 'correction'
                WHEN n <= getvariable('corrections') + getvariable('reversals') THEN 'reversal'
                ELSE 'new' END AS role,
           (SELECT day FROM data_date) + CAST(1 + hash(claim_id) % 7 AS INTEGER) AS new_day
    FROM picked AS p
)
SELECT CASE role WHEN 'correction' THEN claim_id
                 ELSE 'BENCH' || getvariable('seed') || upper(left(role, 1))
                      || lpad(CAST(n AS VARCHAR), 9, '0')
       END AS claim_id,
       person_id,
       CASE role WHEN 'correction' THEN settle_date ELSE new_day END AS settle_date,
       visit_type,
       CASE role WHEN 'reversal' THEN -total_cost ELSE total_cost END AS total_cost,
       CASE role WHEN 'reversal' THEN -basic_paid ELSE basic_paid END AS basic_paid,
       CASE role WHEN 'reversal' THEN -critical_paid ELSE critical_paid END AS critical_paid,
       CASE role WHEN 'reversal' THEN -assistance_paid
                 WHEN 'correction'
                     THEN assistance_paid + CAST(round(oop * 0.3, 2) AS DECIMAL(14,2))
                 ELSE assistance_paid END AS assistance_paid,
       CASE role WHEN 'reversal' THEN -other_paid ELSE other_paid END AS other_paid,
       CASE role WHEN 'reversal' THEN -in_scope_cost ELSE in_scope_cost END AS in_scope_cost,
       diagnosis,
       hospital,
       CASE role WHEN 'reversal' THEN claim_id END AS reverses,
       role
FROM roles
ORDER BY n;
