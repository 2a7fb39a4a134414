-- reads: claims_effective, people, roster_rows, import_files, assist_items, assist_caps, assist_tilted, township_income, rule_scope
-- The medical-assistance replay, claim by claim (issue 18): every claim in force, in settlement
-- order (settle_date, then claim_id) per person and year, through the policy in force for the
-- person's region and the category they had on the claim's date. Set-based: each step is a
-- running sum over the ordered claims, never a loop.
--   remainder  in_scope_cost - basic_paid - critical_paid, at least 0 (total_cost when the
--              in-scope cost is missing)
--   deductible consumed cumulatively per person, year and visit-type group: the part of the
--              remainder above it, times the ratio
--   cap        a yearly amount shared by the groups that name it: reached mid-claim, the rest
--              of the claim gets nothing
--   tilted     倾斜救助, last: the part of the year's remaining OOP (after the regular share)
--              above its deductible, times its ratio, within its cap
-- Entitled amounts are running totals rounded to the cent; a claim's is the difference of two,
-- so a person-year's claims add up exactly to its rounded total.
-- Category on a date: the roster row in force then. A row takes effect on its category_since
-- (认定日期, contract v1.1) or, without one, on the day its file was imported; the first known
-- row also covers the time before it. category_dated says which a claim's category rests on.
-- After a weekly import only the people the rules decide again (rule_scope: everyone touched)
-- are replayed; everyone else's rows hold (tests/test_weekly.py compares with a full replay).
-- People go through in batches (hash(person_id) % assist_batches = assist_batch, set by
-- pipeline/rules/evaluation.py): the running sums of 10M claims at once ran out of memory.
DELETE FROM assist_claims
WHERE (NOT getvariable('rules_incremental') OR person_id IN (SELECT person_id FROM rule_scope))
  AND hash(person_id) % getvariable('assist_batches') = getvariable('assist_batch');

INSERT INTO assist_claims BY NAME
WITH roster_dated AS (
    SELECT r.person_id, r.category, r.file_id, r.line,
           coalesce(r.category_since, CAST(f.imported_at AS DATE)) AS since,
           r.category_since IS NOT NULL AS dated
    FROM roster_rows AS r
    JOIN import_files AS f USING (file_id)
    WHERE (NOT getvariable('rules_incremental')
           OR r.person_id IN (SELECT person_id FROM rule_scope))
      AND hash(r.person_id) % getvariable('assist_batches') = getvariable('assist_batch')
),
roster_periods AS (
    -- in file order, each row holds from its date until the earliest date of a later row (a
    -- later row dated earlier overrides from its own date; periods never overlap)
    SELECT person_id, category, dated,
           CASE WHEN row_number() OVER w = 1 THEN DATE '1900-01-01' ELSE since END AS valid_from,
           coalesce(min(since) OVER (w ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING),
                    DATE '9999-12-31') AS valid_to
    FROM roster_dated
    WINDOW w AS (PARTITION BY person_id ORDER BY file_id, line)
),
claims AS MATERIALIZED (
    SELECT c.claim_id, c.person_id, c.year, c.settle_date, c.visit_type, c.total_cost,
           c.basic_paid, c.critical_paid, c.assistance_paid, c.other_paid, c.in_scope_cost,
           p.village_code, coalesce(substr(p.village_code, 1, 9), '') AS township,
           coalesce(rp.category, p.category) AS category,
           CASE WHEN rp.dated THEN 'category_since' ELSE 'import_date' END AS category_dated,
           greatest(coalesce(c.in_scope_cost, c.total_cost) - c.basic_paid - c.critical_paid, 0)
               AS remainder
    FROM claims_effective AS c
    JOIN people AS p USING (person_id)
    LEFT JOIN roster_periods AS rp
        ON rp.person_id = c.person_id
       AND c.settle_date >= rp.valid_from AND c.settle_date < rp.valid_to
    WHERE (NOT getvariable('rules_incremental')
           OR c.person_id IN (SELECT person_id FROM rule_scope))
      AND hash(c.person_id) % getvariable('assist_batches') = getvariable('assist_batch')
),
places AS (SELECT DISTINCT township, year FROM claims),
-- The policy resolved once per township and year (region files go down to townships): the
-- most specific region's item per category and visit type, cap per name, tilted tier per
-- category. Joining these small tables costs the claims a hash join each, not a search.
items AS (
    SELECT pl.township, pl.year, i.category, i.visit_type, i.grp, i.ratio, i.deductible,
           i.deductible_share, i.cap_name, i.region_code AS policy_region
    FROM places AS pl
    JOIN assist_items AS i
        ON starts_with(pl.township, i.region_code) AND pl.year BETWEEN i.year_from AND i.year_to
    QUALIFY row_number() OVER (PARTITION BY pl.township, pl.year, i.category, i.visit_type
                               ORDER BY length(i.region_code) DESC) = 1
),
caps AS (
    SELECT pl.township, pl.year, c.name, c.amount
    FROM places AS pl
    JOIN assist_caps AS c
        ON starts_with(pl.township, c.region_code) AND pl.year BETWEEN c.year_from AND c.year_to
    QUALIFY row_number() OVER (PARTITION BY pl.township, pl.year, c.name
                               ORDER BY length(c.region_code) DESC) = 1
),
tiers AS (
    SELECT pl.township, pl.year, t.category, t.deductible, t.ratio, t.cap
    FROM places AS pl
    JOIN assist_tilted AS t
        ON starts_with(pl.township, t.region_code) AND pl.year BETWEEN t.year_from AND t.year_to
    QUALIFY row_number() OVER (PARTITION BY pl.township, pl.year, t.category
                               ORDER BY length(t.region_code) DESC) = 1
),
itemised_all AS MATERIALIZED (
    SELECT c.*, i.grp, i.ratio, i.deductible, i.deductible_share, i.cap_name, i.policy_region,
           cap.amount AS cap_amount, t.deductible AS tilted_deductible,
           t.ratio AS tilted_ratio, t.cap AS tilted_cap
    FROM claims AS c
    LEFT JOIN items AS i USING (township, year, category, visit_type)
    LEFT JOIN caps AS cap ON cap.township = c.township AND cap.year = c.year
                         AND cap.name = i.cap_name
    LEFT JOIN tiers AS t ON t.township = c.township AND t.year = c.year
                        AND t.category = c.category
),
-- Only the person-years with something to replay (a claim under an item or a tilted tier) go
-- through the running sums, each claim numbered once in settlement order (seq); everyone
-- else's claims are entitled to nothing.
covered AS MATERIALIZED (
    SELECT DISTINCT person_id, year FROM itemised_all
    WHERE grp IS NOT NULL OR tilted_ratio IS NOT NULL
),
itemised AS (
    -- narrow rows for the running sums (each window sorts what it carries): the ids, the
    -- claim's number in settlement order, and the few amounts and parameters the steps use
    SELECT x.claim_id, x.person_id, x.year,
           row_number() OVER (PARTITION BY x.person_id, x.year
                              ORDER BY x.settle_date, x.claim_id) AS seq,
           x.remainder, x.grp, coalesce(x.ratio, 0) AS ratio,
           coalesce(x.deductible, round(x.deductible_share * inc.yuan, 2), 0) AS deductible_yuan,
           coalesce(x.cap_name, '#' || x.grp) AS cap_key, x.cap_amount,
           x.total_cost - x.basic_paid - x.critical_paid - x.other_paid AS oop_before,
           x.tilted_deductible, x.tilted_ratio, x.tilted_cap
    FROM itemised_all AS x
    SEMI JOIN covered USING (person_id, year)
    LEFT JOIN township_income AS inc ON inc.township_code = x.township AND inc.year = x.year
),
deducted AS (
    SELECT x.*, sum(x.remainder) OVER g AS running_remainder
    FROM itemised AS x
    WINDOW g AS (PARTITION BY x.person_id, x.year, x.grp ORDER BY x.seq
                 ROWS UNBOUNDED PRECEDING)
),
regular AS (
    SELECT d.*,
           least(d.remainder, greatest(d.deductible_yuan - (d.running_remainder - d.remainder), 0))
               AS deductible_used,
           d.ratio * (greatest(d.running_remainder - d.deductible_yuan, 0)
                      - greatest(d.running_remainder - d.remainder - d.deductible_yuan, 0))
               AS uncapped
    FROM deducted AS d
),
capped AS (
    SELECT w.*, sum(w.uncapped) OVER k AS running_uncapped
    FROM regular AS w
    WINDOW k AS (PARTITION BY w.person_id, w.year, w.cap_key ORDER BY w.seq
                 ROWS UNBOUNDED PRECEDING)
),
shared AS (
    SELECT c.*,
           CASE WHEN c.cap_amount IS NULL THEN c.uncapped
                ELSE least(c.running_uncapped, c.cap_amount)
                     - least(c.running_uncapped - c.uncapped, c.cap_amount) END AS regular_share,
           CASE WHEN c.cap_amount IS NULL THEN NULL
                ELSE greatest(c.cap_amount - c.running_uncapped, 0) END AS cap_left
    FROM capped AS c
),
tilted AS (
    -- the year's remaining OOP after the regular share, running
    SELECT s.*, s.oop_before - s.regular_share AS left_after,
           sum(s.oop_before - s.regular_share) OVER y AS running_left
    FROM shared AS s
    WINDOW y AS (PARTITION BY s.person_id, s.year ORDER BY s.seq ROWS UNBOUNDED PRECEDING)
),
tilted_share AS (
    SELECT t.*,
           coalesce(t.tilted_ratio, 0) * (
               greatest(t.running_left - coalesce(t.tilted_deductible, 0), 0)
               - greatest(t.running_left - t.left_after - coalesce(t.tilted_deductible, 0), 0))
               AS tilted_uncapped
    FROM tilted AS t
),
totals AS (
    SELECT t.*, sum(t.tilted_uncapped) OVER y AS running_tilted
    FROM tilted_share AS t
    WINDOW y AS (PARTITION BY t.person_id, t.year ORDER BY t.seq ROWS UNBOUNDED PRECEDING)
),
entitled AS (
    SELECT t.*,
           CASE WHEN t.tilted_cap IS NULL THEN t.tilted_uncapped
                ELSE least(t.running_tilted, t.tilted_cap)
                     - least(t.running_tilted - t.tilted_uncapped, t.tilted_cap) END
               AS tilted_part
    FROM totals AS t
),
rounded AS (
    SELECT e.claim_id, e.remainder, e.deductible_used, e.ratio, e.cap_left,
           e.regular_share, e.tilted_part,
           sum(e.regular_share + e.tilted_part) OVER y AS running_entitled
    FROM entitled AS e
    WINDOW y AS (PARTITION BY e.person_id, e.year ORDER BY e.seq ROWS UNBOUNDED PRECEDING)
)
SELECT a.claim_id, a.person_id, a.year, a.settle_date, a.visit_type, a.category,
       a.category_dated, a.village_code, a.policy_region, a.grp AS visit_group,
       CAST(r.remainder AS DECIMAL(14,2)) AS remainder,
       CAST(r.deductible_used AS DECIMAL(14,2)) AS deductible_used,
       r.ratio,
       CAST(r.cap_left AS DECIMAL(14,2)) AS cap_left,
       CAST(round(r.running_entitled, 2)
            - round(r.running_entitled - r.regular_share - r.tilted_part, 2) AS DECIMAL(14,2))
           AS entitled,
       CAST(round(r.tilted_part, 2) AS DECIMAL(14,2)) AS tilted,
       a.assistance_paid AS paid
FROM rounded AS r
JOIN itemised_all AS a USING (claim_id)
UNION ALL
SELECT claim_id, person_id, year, settle_date, visit_type, category, category_dated,
       village_code, NULL AS policy_region, NULL AS visit_group, CAST(remainder AS DECIMAL(14,2)) AS remainder,
       0 AS deductible_used, 0 AS ratio, NULL AS cap_left, 0 AS entitled, 0 AS tilted,
       assistance_paid AS paid
FROM itemised_all
ANTI JOIN covered USING (person_id, year);
