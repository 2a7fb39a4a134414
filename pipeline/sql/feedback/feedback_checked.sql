-- reads: _feedback_stage, person_keys, people, pushes, push_rows
-- Validate one answer file's rows (the registered relation _feedback_stage) into the temp table
-- feedback_checked: the person (by case key {year}-{key}, else by resident ID; a masked ID is no
-- ID), the department (the row's, else the file's), the decision code (code, zh or en label),
-- the date, the amount, the push answered, and the row's first problem (NULL: it loads).
-- A row without a case key is the person-year of their latest push to the department on or
-- before the decision date (else any push to it, else the decision's year).
-- Parameters: today, the file's department, the file's push_id, decision codes[], zh labels[],
-- en labels[] (lower case), department names[] (lower case), their codes[].
CREATE OR REPLACE TEMP TABLE feedback_checked AS
WITH params AS (
    SELECT ?::DATE AS today, ?::VARCHAR AS file_department, ?::VARCHAR AS file_push,
           ?::VARCHAR[] AS codes, ?::VARCHAR[] AS zh, ?::VARCHAR[] AS en,
           ?::VARCHAR[] AS dept_names, ?::VARCHAR[] AS dept_codes
),
staged AS (
    SELECT s.*,
           regexp_full_match(lower(coalesce(s.case_key, '')), '[0-9]{4}-[0-9a-f]{16}') AS key_ok,
           nullif(upper(regexp_replace(coalesce(s.person_raw, ''), '\s', '', 'g')), '') AS id_text
    FROM _feedback_stage AS s
    WHERE s.filled
),
parsed AS (
    SELECT s.*,
           CASE WHEN s.id_text IS NOT NULL AND NOT contains(s.id_text, '*') THEN s.id_text END
               AS given_id,
           k.person_id AS key_person,
           CASE WHEN s.key_ok THEN CAST(left(s.case_key, 4) AS INTEGER) END AS key_year,
           p.codes[coalesce(list_position(p.codes, lower(trim(s.decision_raw))),
                            list_position(p.zh, trim(s.decision_raw)),
                            list_position(p.en, lower(trim(s.decision_raw))))] AS decision,
           CAST(try_strptime(trim(s.date_raw), ['%Y-%m-%d', '%Y/%m/%d', '%Y年%m月%d日', '%Y%m%d',
                                                '%Y.%m.%d', '%Y-%m-%d %H:%M:%S']) AS DATE)
               AS decided_on,
           p.dept_codes[list_position(p.dept_names, lower(trim(s.department_raw)))]
               AS row_department,
           TRY_CAST(amount_plain(replace(replace(replace(
                        s.amount_raw, '¥', ''), '￥', ''), '元', '')) AS DECIMAL(38, 10))
               AS amount_exact
    FROM staged AS s
    CROSS JOIN params AS p
    LEFT JOIN person_keys AS k ON s.key_ok AND k.token = substr(lower(s.case_key), 6)
),
personed AS (
    SELECT r.*, pe.person_id AS id_person,
           coalesce(r.key_person, pe.person_id) AS person_id,
           coalesce(r.row_department, p.file_department) AS department
    FROM parsed AS r
    CROSS JOIN params AS p
    LEFT JOIN people AS pe ON pe.person_id = r.given_id
),
pushed AS (  -- the latest push of the person to the department (on or before the date first)
    SELECT r.sheet_no, r."row",
           arg_max(x.year, (CAST(pu.made_at AS DATE) <= r.decided_on, pu.made_at)) AS year,
           arg_max(x.push_id, (CAST(pu.made_at AS DATE) <= r.decided_on, pu.made_at)) AS push_id
    FROM personed AS r
    JOIN push_rows AS x ON x.person_id = r.person_id
                       AND (r.key_year IS NULL OR x.year = r.key_year)
    JOIN pushes AS pu ON pu.push_id = x.push_id AND pu.department = r.department
    GROUP BY r.sheet_no, r."row"
),
judged AS (
    SELECT r.*, coalesce(r.key_year, pd.year, year(r.decided_on)) AS year,
           coalesce(p.file_push, pd.push_id) AS push_id,
           CASE
               WHEN r.formula_cell IS NOT NULL THEN 'formula_without_value'
               WHEN r.case_key IS NULL AND r.given_id IS NULL THEN 'no_person'
               WHEN r.case_key IS NOT NULL AND r.key_person IS NULL THEN 'unknown_key'
               WHEN r.given_id IS NOT NULL AND r.id_person IS NULL THEN 'unknown_person'
               WHEN r.key_person IS NOT NULL AND r.id_person IS NOT NULL
                    AND r.key_person <> r.id_person THEN 'key_id_mismatch'
               WHEN r.decision_raw IS NULL THEN 'missing_decision'
               WHEN r.decision IS NULL THEN 'unknown_decision'
               WHEN r.date_raw IS NULL THEN 'missing_date'
               WHEN r.decided_on IS NULL OR year(r.decided_on) NOT BETWEEN 1900 AND 2100
                   THEN 'bad_date'
               WHEN r.decided_on > p.today THEN 'future_date'
               WHEN r.department_raw IS NOT NULL AND r.row_department IS NULL
                   THEN 'unknown_department'
               WHEN r.department IS NULL THEN 'missing_department'
               WHEN r.decision = 'not_eligible' AND r.reason IS NULL THEN 'missing_reason'
               WHEN r.amount_raw IS NOT NULL
                    AND (r.amount_exact IS NULL OR abs(r.amount_exact) >= 1e12
                         OR r.amount_exact <> round(r.amount_exact, 2)) THEN 'bad_amount'
               WHEN r.amount_exact < 0 THEN 'negative_amount'
               WHEN r.decision = 'assisted' AND r.amount_raw IS NULL THEN 'missing_amount'
           END AS reason_code
    FROM personed AS r
    CROSS JOIN params AS p
    LEFT JOIN pushed AS pd ON pd.sheet_no = r.sheet_no AND pd."row" = r."row"
)
SELECT sheet_no, sheet, "row", person_id, year,
       CASE WHEN person_id IS NOT NULL THEN year || '-' || pk.token END AS case_key,
       push_id, department, decision, decided_on, reason,
       CASE WHEN reason_code IS NULL THEN CAST(amount_exact AS DECIMAL(14,2)) END AS amount,
       raw, reason_code,
       CASE reason_code
           WHEN 'formula_without_value' THEN 'cell ' || formula_cell
               || ' holds a formula with no saved value: open and save the file in Excel or WPS, '
               || 'or type the value'
           WHEN 'no_person' THEN CASE WHEN id_text IS NOT NULL
               THEN 'the resident ID is masked and there is no case key'
               ELSE 'neither a resident ID nor a case key' END
           WHEN 'unknown_key' THEN CASE WHEN NOT key_ok
               THEN 'case key ' || case_key || ' is not YEAR-<16 hex characters>'
               ELSE 'no person has case key ' || case_key END
           WHEN 'unknown_person' THEN 'resident ID ' || mask_id(given_id) || ' is not on the roster'
           WHEN 'key_id_mismatch' THEN 'case key ' || case_key || ' and resident ID '
               || mask_id(given_id) || ' are two different people'
           WHEN 'missing_decision' THEN 'an answer is filled in but no decision (核查结果)'
           WHEN 'unknown_decision' THEN 'decision ' || decision_raw
               || ' is not one of verifying, monitored, dibao, destitute, risk_eliminated, '
               || 'not_eligible, assisted (or their Chinese labels)'
           WHEN 'missing_date' THEN 'no decision date (核查日期)'
           WHEN 'bad_date' THEN 'decision date ' || date_raw
               || ' is not a date (YYYY-MM-DD, YYYY/MM/DD, YYYY年MM月DD日 or YYYYMMDD)'
           WHEN 'future_date' THEN 'decision date ' || CAST(decided_on AS VARCHAR) || ' is after today'
           WHEN 'unknown_department' THEN 'department ' || department_raw
               || ' is neither civil (民政) nor rural (农业农村 / 乡村振兴)'
           WHEN 'missing_department' THEN 'no department in the row, the file or --department'
           WHEN 'missing_reason' THEN 'not_eligible (不符合条件) needs a reason (说明)'
           WHEN 'bad_amount' THEN 'amount ' || amount_raw
               || ' is not an amount in yuan with at most 2 decimals'
           WHEN 'negative_amount' THEN 'amount ' || amount_raw || ' is below 0'
           WHEN 'missing_amount' THEN 'assisted (已救助) needs an amount (救助金额)'
       END AS detail
FROM judged
LEFT JOIN person_keys AS pk USING (person_id);
