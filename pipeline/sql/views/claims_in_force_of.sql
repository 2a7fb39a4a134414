-- reads: claim_log, claim_rows_superseded, reversed_claims
-- claims_in_force_of(person_id, year): one person's claims in force in a year, by settle date,
-- each with its OOP and the in-scope remainder the assistance replay starts from (the person
-- page). The person's rows of claim_log first (its segments are sorted by person_id: each
-- file's row-group statistics lead to them, about 10 ms at 1M people), without the unused extra
-- column; then the rows a later one replaced, reversal rows and the claims they cancel are left
-- out, as claims_effective does. The national dashboard's store defines its own, over the
-- warehouse's raw claims (national/serving/claims_in_force_of.sql).
CREATE OR REPLACE MACRO claims_in_force_of(pid, y) AS TABLE
WITH c AS MATERIALIZED (
    SELECT * EXCLUDE (extra, person_id) FROM claim_log
    WHERE person_id = pid AND settle_date >= make_date(y, 1, 1)
      AND settle_date < make_date(y + 1, 1, 1)
)
SELECT claim_id, settle_date, visit_type, total_cost, basic_paid, critical_paid,
       assistance_paid, coalesce(other_paid, 0) AS other_paid,
       CAST(total_cost - basic_paid - critical_paid - assistance_paid
            - coalesce(other_paid, 0) AS DECIMAL(14,2)) AS oop,
       diagnosis, hospital,
       CAST(greatest(coalesce(in_scope_cost, total_cost) - basic_paid - critical_paid, 0)
            AS DECIMAL(14,2)) AS in_scope_remainder
FROM c
ANTI JOIN claim_rows_superseded AS s USING (file_id, line)  -- a few thousand rows
ANTI JOIN reversed_claims AS r USING (claim_id)
WHERE reverses IS NULL
ORDER BY settle_date, claim_id;
