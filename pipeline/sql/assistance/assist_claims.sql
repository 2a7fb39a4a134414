-- reads: replay_claims, people, roster_rows, import_files, assist_items, assist_caps, assist_tilted, township_income, replay_scope
-- The medical-assistance replay, claim by claim (issue 18): every claim in force of the people
-- it can cover, in settlement order (settle_date, then claim_id) per person and year, through
-- the policy in force for the person's region and the category they had on the claim's date.
-- Set-based: each step is a running sum over the ordered claims, never a loop.
--   remainder  in_scope_cost - basic_paid - critical_paid, at least 0 (total_cost when the
--              in-scope cost is missing)
--   deductible consumed cumulatively per person, year and visit-type group: the part of the
--              remainder above it, times the ratio
--   cap        a yearly amount shared by the groups that name it: reached mid-claim, the rest
--              of the claim gets nothing
--   tilted     倾斜救助, last: the part of the year's remaining OOP (after the regular share)
--              above its deductible, times its ratio, within its cap
-- A claim's regular and tilted shares are each rounded to the cent (half up) before a cap
-- counts them, as a settlement pays them: a capped person-year is then owed the cap exactly
-- (rounding after the cap left 60,000.01 of a 60,000 cap); a person-year's entitlement is the
-- sum of its claims'.
-- Only the people the policy can cover go through (candidates: a roster row or their current
-- category names a category with an item or a tilted tier): everyone else is entitled to
-- nothing, and sql/assistance/assist_replay.sql gives their person-years from the totals.
-- Category on a date: the roster row in force then. A row takes effect on its category_since
-- (认定日期, contract v1.1) or, without one, on the day its file was imported; the first known
-- row also covers the time before it. category_dated says which a claim's category rests on.
-- After a weekly import only the person-years it touched (replay_scope, from
-- sql/weekly/touched_years.sql: their claims or roster rows changed) are replayed; everyone
-- else's rows hold (tests/test_weekly.py compares with a full replay). The rules' wider scope
-- (projected) would replay people whose inputs did not change. A what-if of one year replays
-- that year's claims only (assist_year; NULL: every year): a person-year's replay reads its
-- own claims alone. replay_claims (pipeline/rules/evaluation.py) holds the scope's claims in
-- force (claims_effective's rows).
-- People go through in batches, ranges of person_id (assist_from, assist_to, set by
-- pipeline/rules/evaluation.py; setup.sql's person_between): the running sums of 10M claims at
-- once ran out of memory. A range's claims are read from their stretch of the sorted segments.
-- The scope's earlier rows were taken out before the first batch (replay_assistance).
INSERT INTO assist_claims BY NAME
WITH policy_categories AS (
    SELECT category FROM assist_items UNION SELECT category FROM assist_tilted
),
candidates AS MATERIALIZED (
    SELECT person_id FROM people
    WHERE category IN (SELECT category FROM policy_categories)
    UNION
    SELECT person_id FROM roster_rows
    WHERE category IN (SELECT category FROM policy_categories)
),
scope_people AS MATERIALIZED (
    -- the candidates this run replays, with their place and current category
    SELECT p.person_id, p.village_code, p.category
    FROM people AS p
    SEMI JOIN candidates USING (person_id)
    WHERE (NOT getvariable('assist_scoped')
           OR p.person_id IN (SELECT person_id FROM replay_scope))
      AND person_between(p.person_id, getvariable('assist_from'), getvariable('assist_to'))
),
roster_dated AS (
    SELECT r.person_id, r.category, r.file_id, r.line,
           coalesce(r.category_since, CAST(f.imported_at AS DATE)) AS since,
           r.category_since IS NOT NULL AS dated
    FROM roster_rows AS r
    JOIN import_files AS f USING (file_id)
    SEMI JOIN scope_people USING (person_id)
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
-- Most people have one roster row, in force all the time: their category comes with them
-- (scope); only the claims of people with several go through a join by date (a range join,
-- which DuckDB builds on the claims side).
scope AS MATERIALIZED (
    SELECT p.person_id, p.village_code, r.periods > 1 AS several,
           CASE WHEN r.periods = 1 THEN r.category ELSE p.category END AS category,
           CASE WHEN r.periods = 1 THEN r.dated END AS dated
    FROM scope_people AS p
    LEFT JOIN (SELECT person_id, count(*) AS periods, any_value(category) AS category,
                      any_value(dated) AS dated
               FROM roster_periods GROUP BY person_id) AS r USING (person_id)
),
several_periods AS (
    SELECT person_id, category, dated, valid_from, valid_to
    FROM roster_periods
    SEMI JOIN scope USING (person_id)
    WHERE person_id IN (SELECT person_id FROM scope WHERE several)
),
scoped_claims AS MATERIALIZED (
    -- narrow: the amounts the steps use, computed here
    SELECT c.claim_id, c.person_id, c.year, c.settle_date, c.visit_type, p.village_code,
           coalesce(substr(p.village_code, 1, 9), '') AS township,
           p.category, p.dated, coalesce(p.several, false) AS several,
           c.assistance_paid AS paid,
           CAST(greatest(coalesce(c.in_scope_cost, c.total_cost) - c.basic_paid
                         - c.critical_paid, 0) AS DECIMAL(13,2)) AS remainder,
           CAST(c.total_cost - c.basic_paid - c.critical_paid - c.other_paid
                AS DECIMAL(18,6)) AS oop_before
    FROM replay_claims AS c
    JOIN scope AS p USING (person_id)
    -- the batch's range on the claims too: the segments' scan then reads that stretch only
    WHERE person_between(c.person_id, getvariable('assist_from'), getvariable('assist_to'))
),
claims AS (
    SELECT c.* EXCLUDE (dated),
           CASE WHEN c.dated THEN 'category_since' ELSE 'import_date' END AS category_dated
    FROM scoped_claims AS c
    WHERE NOT c.several
    UNION ALL BY NAME
    SELECT c.* EXCLUDE (category, dated), rp.category,
           CASE WHEN rp.dated THEN 'category_since' ELSE 'import_date' END AS category_dated
    FROM scoped_claims AS c
    JOIN several_periods AS rp
        ON rp.person_id = c.person_id
       AND c.settle_date >= rp.valid_from AND c.settle_date < rp.valid_to
    WHERE c.several
),
places AS (SELECT DISTINCT township, year FROM claims),
-- The policy resolved once per township and year (region files go down to townships): the
-- most specific region's item per category and visit type, cap per name, tilted tier per
-- category. Joining these small tables costs the claims a hash join each, not a search.
items AS (
    -- (a deductible given as a share of income is in yuan here, from the township's income)
    SELECT pl.township, pl.year, i.category, i.visit_type, i.grp, i.ratio,
           coalesce(i.deductible, round(i.deductible_share * inc.yuan, 2), 0) AS deductible_yuan,
           i.cap_name, i.region_code AS policy_region
    FROM places AS pl
    JOIN assist_items AS i
        ON starts_with(pl.township, i.region_code) AND pl.year BETWEEN i.year_from AND i.year_to
    LEFT JOIN township_income AS inc ON inc.township_code = pl.township AND inc.year = pl.year
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
-- The person-years a tilted tier applies to (on any of their claims): they alone go through
-- the tier's running sums.
tilted_years AS (
    SELECT DISTINCT c.person_id, c.year
    FROM claims AS c
    JOIN tiers AS t USING (township, year, category)
),
itemised AS MATERIALIZED (
    -- each claim with its item, cap and tilted tier, amounts in DECIMAL(18,x), which DuckDB
    -- keeps in 64 bits (a running sum of DECIMAL(14,2) is DECIMAL(38,2), 128 bits, and every
    -- product after it too); each window below sorts what it carries
    SELECT c.claim_id, c.person_id, c.year, c.settle_date, c.visit_type, c.category,
           c.category_dated, c.village_code, c.several, i.policy_region, i.grp, c.paid,
           c.remainder,
           CAST(coalesce(i.ratio, 0) AS DECIMAL(5,4)) AS ratio,
           CAST(coalesce(i.deductible_yuan, 0) AS DECIMAL(13,2)) AS deductible_yuan,
           coalesce(i.cap_name, '#' || i.grp) AS cap_key,
           CAST(cap.amount AS DECIMAL(18,6)) AS cap_amount,
           c.oop_before,
           CAST(t.deductible AS DECIMAL(18,6)) AS tilted_deductible,
           CAST(t.ratio AS DECIMAL(5,4)) AS tilted_ratio,
           CAST(t.cap AS DECIMAL(18,6)) AS tilted_cap,
           (c.person_id, c.year) IN (SELECT (person_id, year) FROM tilted_years) AS tilted_year
    FROM claims AS c
    LEFT JOIN items AS i USING (township, year, category, visit_type)
    LEFT JOIN caps AS cap ON cap.township = c.township AND cap.year = c.year
                         AND cap.name = i.cap_name
    LEFT JOIN tiers AS t ON t.township = c.township AND t.year = c.year
                        AND t.category = c.category
),
-- A claim no item covers, outside a tilted tier's year, has no step: it is entitled to nothing
-- and goes around the running sums. It is stored (below, at the end) only for a person with
-- several roster rows, whose category on its date may differ from today's; everyone else's
-- is left to the readers, who give it the person's category, which it had (storing them
-- all, 44% of the rows, cost 2 s of the 10 s replay at 1M people).
stepped AS (
    SELECT * FROM itemised WHERE grp IS NOT NULL OR tilted_year
),
-- A running sum is a sort: only the partitions that need one go through it. The deductible's
-- (person, year, group) partitions with a deductible on some claim; the cap's partitions are
-- those with a cap (a cap resolves per township and year, so all of a partition's rows have
-- it or none); the tilted tier's person-years, above. Everyone else's step is its own claim.
deductible_parts AS (
    SELECT person_id, year, grp FROM stepped
    WHERE grp IS NOT NULL
    GROUP BY ALL
    HAVING max(deductible_yuan) > 0
),
deducted AS (
    SELECT x.*, CAST(sum(x.remainder) OVER g AS DECIMAL(13,2)) AS running_remainder
    FROM stepped AS x
    SEMI JOIN deductible_parts USING (person_id, year, grp)
    WINDOW g AS (PARTITION BY x.person_id, x.year, x.grp ORDER BY x.settle_date, x.claim_id
                 ROWS UNBOUNDED PRECEDING)
    UNION ALL
    SELECT x.*, x.remainder AS running_remainder
    FROM stepped AS x
    ANTI JOIN deductible_parts USING (person_id, year, grp)
),
regular AS (
    SELECT d.*,
           least(d.remainder, greatest(d.deductible_yuan - (d.running_remainder - d.remainder), 0))
               AS deductible_used,
           CAST(round(d.ratio * CAST(greatest(d.running_remainder - d.deductible_yuan, 0)
                                     - greatest(d.running_remainder - d.remainder
                                                - d.deductible_yuan, 0)
                                     AS DECIMAL(13,2)), 2) AS DECIMAL(18,6)) AS uncapped
    FROM deducted AS d
),
capped AS (
    SELECT w.*, CAST(sum(w.uncapped) OVER k AS DECIMAL(18,6)) AS running_uncapped
    FROM regular AS w
    WHERE w.cap_amount IS NOT NULL
    WINDOW k AS (PARTITION BY w.person_id, w.year, w.cap_key ORDER BY w.settle_date, w.claim_id
                 ROWS UNBOUNDED PRECEDING)
    UNION ALL
    SELECT w.*, w.uncapped AS running_uncapped
    FROM regular AS w
    WHERE w.cap_amount IS NULL
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
-- The tilted tier (倾斜救助) runs over the person-year's claims in one order, after the regular
-- shares.
tilted AS (
    -- the year's remaining OOP after the regular share, running
    SELECT s.*, s.oop_before - s.regular_share AS left_after,
           CAST(sum(s.oop_before - s.regular_share) OVER y AS DECIMAL(18,6)) AS running_left
    FROM shared AS s
    WHERE s.tilted_year
    WINDOW y AS (PARTITION BY s.person_id, s.year ORDER BY s.settle_date, s.claim_id
                 ROWS UNBOUNDED PRECEDING)
),
tilted_share AS (
    SELECT t.*,
           CAST(round(coalesce(t.tilted_ratio, 0) * CAST(
               greatest(t.running_left - coalesce(t.tilted_deductible, 0), 0)
               - greatest(t.running_left - t.left_after - coalesce(t.tilted_deductible, 0), 0)
               AS DECIMAL(13,2)), 2) AS DECIMAL(18,6)) AS tilted_uncapped
    FROM tilted AS t
),
totals AS (
    SELECT t.*, CAST(sum(t.tilted_uncapped) OVER y AS DECIMAL(18,6)) AS running_tilted
    FROM tilted_share AS t
    WINDOW y AS (PARTITION BY t.person_id, t.year ORDER BY t.settle_date, t.claim_id
                 ROWS UNBOUNDED PRECEDING)
),
entitled AS (
    SELECT t.* EXCLUDE (tilted_year, left_after, running_left, tilted_uncapped, running_tilted),
           CASE WHEN t.tilted_cap IS NULL THEN t.tilted_uncapped
                ELSE least(t.running_tilted, t.tilted_cap)
                     - least(t.running_tilted - t.tilted_uncapped, t.tilted_cap) END
               AS tilted_part
    FROM totals AS t
    UNION ALL
    SELECT s.* EXCLUDE (tilted_year), 0 AS tilted_part
    FROM shared AS s
    WHERE NOT s.tilted_year
)
SELECT claim_id, person_id, year, settle_date, visit_type, category, category_dated,
       village_code, policy_region, grp AS visit_group,
       CAST(remainder AS DECIMAL(14,2)) AS remainder,
       CAST(deductible_used AS DECIMAL(14,2)) AS deductible_used, ratio,
       CAST(cap_left AS DECIMAL(14,2)) AS cap_left,
       CAST(round(regular_share + tilted_part, 2) AS DECIMAL(14,2)) AS entitled,
       CAST(round(tilted_part, 2) AS DECIMAL(14,2)) AS tilted,
       paid
FROM entitled
UNION ALL
SELECT claim_id, person_id, year, settle_date, visit_type, category, category_dated,
       village_code, NULL AS policy_region, NULL AS visit_group,
       CAST(remainder AS DECIMAL(14,2)) AS remainder, 0 AS deductible_used, ratio,
       NULL AS cap_left, 0 AS entitled, 0 AS tilted, paid
FROM itemised
WHERE grp IS NULL AND NOT tilted_year AND several
-- stored by person: the person page reads one person's rows through the zone maps (2 ms at 1M
-- people instead of a 37 ms scan; an index made every weekly commit rewrite it)
ORDER BY person_id;
