-- reads: _return_stage, person_keys, export_rows
-- Validate one returned file's filled-in rows (the registered relation _return_stage) into the
-- temp table return_checked: the person each case key names (the key is {year}-{the person's
-- key in person_keys}; a file exported before keys has {year}-{first 16 hex of sha256(ID)}, kept
-- as export_rows.legacy_key), the parsed follow-up values, and the row's first problem (NULL: it loads).
-- Parameters: today, outcome codes[], their zh labels[], their en labels[] (lower case).
CREATE OR REPLACE TEMP TABLE return_checked AS
WITH params AS (
    SELECT ?::DATE AS today, ?::VARCHAR[] AS codes, ?::VARCHAR[] AS zh, ?::VARCHAR[] AS en
),
staged AS (
    SELECT s.*, regexp_full_match(coalesce(s.case_key, ''), '[0-9]{4}-[0-9a-f]{16}') AS key_ok
    FROM _return_stage AS s
    WHERE s.filled
),
tokens AS (
    SELECT DISTINCT substr(case_key, 6) AS token FROM staged WHERE key_ok
),
persons AS (  -- the person's key, or the unkeyed hash of an export made before keys
    SELECT token, person_id, token AS current FROM person_keys SEMI JOIN tokens USING (token)
    UNION
    SELECT substr(x.legacy_key, 6), x.person_id, k.token
    FROM export_rows AS x JOIN person_keys AS k USING (person_id)
    WHERE substr(x.legacy_key, 6) IN (SELECT token FROM tokens)
),
parsed AS (
    SELECT s.*, pr.person_id, pr.current,
           CASE WHEN s.key_ok THEN CAST(left(s.case_key, 4) AS INTEGER) END AS year,
           CAST(try_strptime(s.visit_raw, ['%Y-%m-%d', '%Y/%m/%d', '%Y年%m月%d日', '%Y%m%d',
                                           '%Y.%m.%d', '%Y-%m-%d %H:%M:%S']) AS DATE)
               AS visit_date,
           p.codes[coalesce(list_position(p.codes, lower(s.outcome_raw)),
                            list_position(p.zh, s.outcome_raw),
                            list_position(p.en, lower(s.outcome_raw)))] AS outcome,
           TRY_CAST(amount_plain(replace(replace(replace(
                        s.amount_raw, '¥', ''), '￥', ''), '元', '')) AS DECIMAL(38, 10))
               AS amount_exact
    FROM staged AS s
    CROSS JOIN params AS p
    LEFT JOIN persons AS pr ON s.key_ok AND pr.token = substr(s.case_key, 6)
),
judged AS (
    SELECT r.*,
           CASE
               WHEN r.formula_cell IS NOT NULL THEN 'formula_without_value'
               WHEN r.person_id IS NULL THEN 'unknown_key'
               WHEN r.visit_raw IS NOT NULL
                    AND (r.visit_date IS NULL OR year(r.visit_date) NOT BETWEEN 1900 AND 2100)
                   THEN 'bad_visit_date'
               WHEN r.visit_date > p.today THEN 'future_visit_date'
               WHEN r.outcome_raw IS NOT NULL AND r.outcome IS NULL THEN 'unknown_outcome'
               WHEN r.outcome_raw IS NULL THEN 'missing_outcome'
               WHEN r.amount_raw IS NOT NULL
                    AND (r.amount_exact IS NULL OR abs(r.amount_exact) >= 1e12
                         OR r.amount_exact <> round(r.amount_exact, 2))
                   THEN 'bad_amount'
               WHEN r.amount_exact < 0 THEN 'negative_amount'
           END AS reason
    FROM parsed AS r
    CROSS JOIN params AS p
)
SELECT sheet_no, sheet, "row",
       -- recorded under the person's current key, whichever key the file had
       CASE WHEN person_id IS NOT NULL THEN year || '-' || current ELSE case_key END AS case_key,
       case_key AS file_key, person_id, year, visit_date, outcome,
       CASE WHEN reason IS NULL THEN CAST(amount_exact AS DECIMAL(14, 2)) END AS assistance,
       notes, raw, reason,
       CASE reason
           WHEN 'formula_without_value' THEN 'cell ' || formula_cell
               || ' holds a formula with no saved value: open and save the file in Excel or WPS, '
               || 'or type the value'
           WHEN 'unknown_key' THEN CASE
               WHEN case_key IS NULL THEN 'no case key in this row'
               WHEN NOT key_ok THEN 'case key ' || case_key || ' is not YEAR-<16 hex characters>'
               ELSE 'no person has case key ' || case_key END
           WHEN 'bad_visit_date' THEN 'visit date ' || visit_raw
               || ' is not a date (YYYY-MM-DD, YYYY/MM/DD, YYYY年MM月DD日 or YYYYMMDD)'
           WHEN 'future_visit_date' THEN 'visit date ' || CAST(visit_date AS VARCHAR)
               || ' is after today'
           WHEN 'unknown_outcome' THEN 'outcome ' || outcome_raw
               || ' is not one of the drop-down''s options'
           WHEN 'missing_outcome' THEN 'a visit date, amount or note is filled in but no outcome'
           WHEN 'bad_amount' THEN 'amount ' || amount_raw
               || ' is not an amount in yuan with at most 2 decimals'
           WHEN 'negative_amount' THEN 'amount ' || amount_raw || ' is below 0'
       END AS detail
FROM judged;
