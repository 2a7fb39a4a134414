-- reads: whatif_people
-- What-if: who would enter the list (alt) and who would leave it, with the rules either way.
SELECT CASE WHEN alt_flagged THEN 'enter' ELSE 'leave' END AS change, person_id, name,
       village_code, category, now_rules, alt_rules
FROM whatif_people
WHERE now_flagged <> alt_flagged
ORDER BY change, village_code, person_id;
