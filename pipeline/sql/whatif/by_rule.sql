-- reads: whatif_people
-- What-if: people flagged by each rule now and under the alternative.
WITH fired AS (
    SELECT unnest(string_split(now_rules, ';')) AS rule_id, 1 AS now, 0 AS alt
    FROM whatif_people WHERE now_flagged
    UNION ALL
    SELECT unnest(string_split(alt_rules, ';')), 0, 1
    FROM whatif_people WHERE alt_flagged
)
SELECT rule_id, sum(now)::BIGINT AS now, sum(alt)::BIGINT AS alt
FROM fired
GROUP BY rule_id
ORDER BY rule_id;
