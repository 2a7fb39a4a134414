-- reads: claims_in_force, people
-- Claims in force whose person no province knows (no roster or enrolment row anywhere): kept and
-- counted, as a store's unmatched_claims, but nationally: a claim one province could not match
-- is matched here when another province's roster names the person.
SELECT c.province, c.claim_id, c.person_id, c.settle_date, c.year, c.visit_type, c.total_cost,
       CAST(c.total_cost - c.basic_paid - c.critical_paid - c.assistance_paid - c.other_paid
            AS DECIMAL(14,2)) AS oop
FROM claims_in_force AS c
ANTI JOIN people AS p ON p.person_id = c.person_id
