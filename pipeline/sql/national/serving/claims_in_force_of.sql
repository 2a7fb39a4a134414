-- reads: claims_in_force, raw_claims
-- claims_in_force_of(person_id, year) in the national dashboard's store (national/serving.py):
-- one person's claims in force in a year, as a store's macro gives them (views/
-- claims_in_force_of.sql), read from the national build's claims in force ({claims}, put in
-- when the store is loaded): the very rows the build summed into the person's national year,
-- from every province. Their diagnosis and hospital (which the build does not carry) are the
-- latest version's of the warehouse's raw rows ({raw_claims}). Each read is a filter on the
-- person that the Parquet reader pushes down (about 50 ms each over 5 provinces' 48.7M
-- claims); resolving the raw rows' corrections and reversals per person took 3 s there.
CREATE OR REPLACE MACRO claims_in_force_of(pid, y) AS TABLE
WITH described AS (
    SELECT province, claim_id, arg_max(diagnosis, (file_id, line)) AS diagnosis,
           arg_max(hospital, (file_id, line)) AS hospital
    FROM read_parquet('{raw_claims}', hive_partitioning = true)
    WHERE person_id = pid
    GROUP BY province, claim_id
)
SELECT c.claim_id, c.settle_date, c.visit_type, c.total_cost, c.basic_paid, c.critical_paid,
       c.assistance_paid, c.other_paid,
       CAST(c.total_cost - c.basic_paid - c.critical_paid - c.assistance_paid - c.other_paid
            AS DECIMAL(14,2)) AS oop,
       d.diagnosis, d.hospital,
       CAST(greatest(coalesce(c.in_scope_cost, c.total_cost) - c.basic_paid - c.critical_paid, 0)
            AS DECIMAL(14,2)) AS in_scope_remainder
FROM read_parquet('{claims}', hive_partitioning = true) AS c
LEFT JOIN described AS d ON d.province = c.province AND d.claim_id = c.claim_id
WHERE c.year = y AND c.person_id = pid
ORDER BY c.settle_date, c.claim_id;
