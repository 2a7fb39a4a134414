-- reads: mart_flags, applicable
-- Kind assistance_shortfall nationally: the provinces' own findings. The kind needs the
-- medical-assistance replay of every claim against a province's policy (rules/
-- assistance_shortfall.sql over assist_replay and assist_claims), which each province runs on
-- its store and publishes with its flags (marts/flags); the nation takes them as they are (the
-- OOP and shortfall in the explanation are the province's), for the person-years where the
-- national rules have the kind in force. A person two provinces paid short keeps the finding
-- of the lower province code (the list names one rule once).
INSERT INTO fired
SELECT person_id, year, rule_id, version, oop, threshold, severity, note_zh, note_en,
       explain_zh, explain_en, compared_oop
FROM (
    SELECT f.person_id, f.year, f.rule_id, a.version, f.oop, f.threshold, f.severity,
           f.note_zh, f.note_en, f.explain_zh, f.explain_en, f.compared_oop,
           row_number() OVER (
               PARTITION BY f.person_id, f.year, f.rule_id ORDER BY f.province
           ) AS pick
    FROM mart_flags AS f
    JOIN applicable AS a
        ON a.person_id = f.person_id AND a.year = f.year AND a.rule_id = f.rule_id
    WHERE a.kind = 'assistance_shortfall'
) AS found
WHERE pick = 1
