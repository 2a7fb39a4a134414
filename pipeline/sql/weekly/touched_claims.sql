-- reads: touched_log, reversed_claims
-- The touched people's claims in force now (as claims_effective has them), once the models
-- before person_year (reversed_claims among them) are rebuilt: the weekly scope_claims.
CREATE OR REPLACE TEMP VIEW touched_claims AS
SELECT c.*, year(c.settle_date) AS year
FROM touched_log AS c
ANTI JOIN reversed_claims AS r ON r.claim_id = c.claim_id
WHERE c.superseded_by IS NULL;
