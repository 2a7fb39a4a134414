-- reads: watch_changes, rule_runs, watchlist, decisions, case_events, roster_rows, import_files, people
-- Who actually fell back (cohort outcomes): the people first flagged in `year` in the region,
-- each from the data's date of the run that first listed them (the flag) for 12 months up to
-- as_of: entered monitoring, dibao or destitute support (a department's decision, or a roster
-- row taking effect with that category when they were not in it at the flag), had their risk
-- eliminated (a decision), moved to a poorer category on the roster (general < out_of_poverty <
-- dibao_edge < monitored < dibao < destitute; a roster row takes effect on its category_since,
-- else on its import's date, and a person's first row from the start), or are on the list
-- again for a later year. Split by assisted (a department's
-- assisted, or a caseworker's assistance granted or paid, within the 12 months) or not, and by
-- days from the flag to the first visit (0-14, 15-30, 31-90, over 90, not visited).
-- `complete`: people whose 12 months have passed by as_of. Parameters: year, region, as_of.
WITH params AS (
    SELECT ?::INTEGER AS year, ?::VARCHAR AS region, ?::DATE AS as_of
),
rank AS (
    SELECT * FROM (VALUES ('general', 0), ('out_of_poverty', 1), ('dibao_edge', 2),
                          ('monitored', 3), ('dibao', 4), ('destitute', 5)) AS r(category, n)
),
cohort AS (
    SELECT c.person_id, min(CAST(r.as_of AS DATE)) AS flagged_on
    FROM watch_changes AS c
    JOIN rule_runs AS r USING (run_id)
    WHERE c.change = 'entered' AND c.year = (SELECT year FROM params)
    GROUP BY c.person_id
),
windowed AS (
    SELECT k.person_id, k.flagged_on,
           least(CAST(k.flagged_on + INTERVAL 12 MONTH AS DATE), q.as_of) AS until,
           CAST(k.flagged_on + INTERVAL 12 MONTH AS DATE) <= q.as_of AS complete
    FROM cohort AS k
    CROSS JOIN params AS q
    JOIN people AS pe USING (person_id)
    WHERE starts_with(coalesce(pe.village_code, ''), q.region)
),
roster AS (
    SELECT r.person_id, r.category,
           CASE WHEN r.category_since IS NOT NULL THEN r.category_since
                WHEN row_number() OVER (PARTITION BY r.person_id ORDER BY r.file_id, r.line) = 1
                    THEN DATE '1900-01-01'
                ELSE CAST(f.imported_at AS DATE) END AS day,
           r.file_id, r.line
    FROM roster_rows AS r
    JOIN import_files AS f USING (file_id)
    SEMI JOIN windowed AS w USING (person_id)
),
at_flag AS (  -- the roster's category at the flag (else the person's first one)
    SELECT w.person_id,
           coalesce(arg_max(r.category, (r.day, r.file_id, r.line))
                        FILTER (WHERE r.day <= w.flagged_on),
                    arg_min(r.category, (r.day, r.file_id, r.line))) AS category
    FROM windowed AS w
    JOIN roster AS r USING (person_id)
    GROUP BY w.person_id
),
after_flag AS (
    SELECT w.person_id,
           bool_or(r.category IN ('monitored', 'dibao', 'destitute')
                   AND r.category IS DISTINCT FROM af.category) AS roster_included,
           bool_or(rn.n > coalesce(ra.n, 0)) AS moved_down
    FROM windowed AS w
    JOIN roster AS r ON r.person_id = w.person_id AND r.day > w.flagged_on AND r.day <= w.until
    LEFT JOIN at_flag AS af ON af.person_id = w.person_id
    LEFT JOIN rank AS rn ON rn.category = r.category
    LEFT JOIN rank AS ra ON ra.category = af.category
    GROUP BY w.person_id
),
decided AS (
    SELECT w.person_id,
           bool_or(d.decision IN ('monitored', 'dibao', 'destitute')) AS included,
           bool_or(d.decision = 'risk_eliminated') AS eliminated,
           bool_or(d.decision = 'assisted') AS assisted
    FROM windowed AS w
    JOIN decisions AS d ON d.person_id = w.person_id AND d.decided_on >= w.flagged_on
                       AND d.decided_on <= w.until
    GROUP BY w.person_id
),
visits AS (
    SELECT w.person_id,
           min(e.visit_date) FILTER (WHERE e.outcome IN ('visited', 'assistance_applied',
                                                         'assistance_granted', 'no_need'))
               AS first_visit,
           bool_or(e.outcome = 'assistance_granted' OR e.assistance > 0) AS assisted
    FROM windowed AS w
    JOIN case_events AS e ON e.person_id = w.person_id AND e.superseded_by IS NULL
                         AND coalesce(e.visit_date, CAST(e.returned_at AS DATE)) >= w.flagged_on
                         AND coalesce(e.visit_date, CAST(e.returned_at AS DATE)) <= w.until
    GROUP BY w.person_id
),
later AS (
    SELECT DISTINCT person_id
    FROM watchlist
    WHERE year > (SELECT year FROM params)
),
each AS (
    SELECT w.person_id, w.complete,
           coalesce(d.included, false) OR coalesce(a.roster_included, false) AS included,
           coalesce(d.eliminated, false) AS eliminated,
           coalesce(a.moved_down, false) AS moved_down,
           l.person_id IS NOT NULL AS over_later,
           coalesce(d.assisted, false) OR coalesce(v.assisted, false) AS assisted,
           CASE WHEN v.first_visit IS NULL THEN 'not_visited'
                WHEN v.first_visit - w.flagged_on <= 14 THEN '0-14'
                WHEN v.first_visit - w.flagged_on <= 30 THEN '15-30'
                WHEN v.first_visit - w.flagged_on <= 90 THEN '31-90'
                ELSE 'over_90' END AS visit_bucket
    FROM windowed AS w
    LEFT JOIN after_flag AS a USING (person_id)
    LEFT JOIN decided AS d USING (person_id)
    LEFT JOIN visits AS v USING (person_id)
    LEFT JOIN later AS l USING (person_id)
),
grouped AS (
    SELECT 'all' AS split, 'all' AS "group", 0 AS ord, * FROM each
    UNION ALL
    SELECT 'assistance', CASE WHEN assisted THEN 'assisted' ELSE 'not_assisted' END,
           CASE WHEN assisted THEN 1 ELSE 2 END, * FROM each
    UNION ALL
    SELECT 'visit', visit_bucket,
           CASE visit_bucket WHEN '0-14' THEN 3 WHEN '15-30' THEN 4 WHEN '31-90' THEN 5
                             WHEN 'over_90' THEN 6 ELSE 7 END, * FROM each
)
SELECT split, "group", count(*) AS people, count(*) FILTER (WHERE complete) AS complete,
       count(*) FILTER (WHERE included) AS included,
       count(*) FILTER (WHERE eliminated) AS eliminated,
       count(*) FILTER (WHERE moved_down) AS moved_down,
       count(*) FILTER (WHERE over_later) AS over_later
FROM grouped
GROUP BY split, "group", ord
ORDER BY ord;
