-- reads: claim_rows
-- Claim ids that some reversal row cancels (in any import, before or after the claim arrived).
-- Small (a few per thousand claims); claims_effective and a person's claims anti-join it.
CREATE OR REPLACE TABLE reversed_claims AS
SELECT DISTINCT reverses AS claim_id
FROM claim_rows
WHERE reverses IS NOT NULL
ORDER BY claim_id;
