-- Validation helpers used by the clean_* models. Each *_problem macro returns NULL when the value
-- is fine, else a struct {reason, detail}; a row's reason is the first problem found.

CREATE OR REPLACE TEMP MACRO problem(reason, detail) AS {'reason': reason, 'detail': detail};

CREATE OR REPLACE TEMP MACRO missing(col, v) AS
    CASE WHEN v IS NULL THEN problem('missing_' || col, col || ' is empty') END;

-- GB 11643: 17 digits weighted 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 indexes '10X98765432'.
CREATE OR REPLACE TEMP MACRO id_check_char(pid) AS substr('10X98765432', (
    CAST(substr(pid, 1, 1) AS INTEGER) * 7 + CAST(substr(pid, 2, 1) AS INTEGER) * 9 + CAST(substr(pid, 3, 1) AS INTEGER) * 10 + CAST(substr(pid, 4, 1) AS INTEGER) * 5 + CAST(substr(pid, 5, 1) AS INTEGER) * 8 + CAST(substr(pid, 6, 1) AS INTEGER) * 4 + CAST(substr(pid, 7, 1) AS INTEGER) * 2 + CAST(substr(pid, 8, 1) AS INTEGER) * 1 + CAST(substr(pid, 9, 1) AS INTEGER) * 6 + CAST(substr(pid, 10, 1) AS INTEGER) * 3 + CAST(substr(pid, 11, 1) AS INTEGER) * 7 + CAST(substr(pid, 12, 1) AS INTEGER) * 9 + CAST(substr(pid, 13, 1) AS INTEGER) * 10 + CAST(substr(pid, 14, 1) AS INTEGER) * 5 + CAST(substr(pid, 15, 1) AS INTEGER) * 8 + CAST(substr(pid, 16, 1) AS INTEGER) * 4 + CAST(substr(pid, 17, 1) AS INTEGER) * 2
) % 11 + 1, 1);

-- pid is upper-cased already; the detail never repeats the ID (it is personal data).
CREATE OR REPLACE TEMP MACRO id_problem(pid) AS CASE
    WHEN pid IS NULL THEN NULL
    WHEN length(pid) <> 18 THEN problem('bad_id_length', 'resident ID has ' || length(pid) || ' characters, not 18')
    WHEN NOT regexp_full_match(pid, '[0-9]{17}[0-9X]') THEN problem('bad_id_format', 'resident ID must be 17 digits and a digit or X')
    WHEN id_check_char(pid) <> substr(pid, 18, 1) THEN problem('bad_id_checksum', 'resident ID check digit does not match (GB 11643)')
END;

CREATE OR REPLACE TEMP MACRO parse_date(v) AS
    CAST(try_strptime(v, ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d']) AS DATE);

CREATE OR REPLACE TEMP MACRO date_problem(col, v) AS CASE
    WHEN v IS NOT NULL AND (parse_date(v) IS NULL OR year(parse_date(v)) NOT BETWEEN 1900 AND 2100)
    THEN problem('bad_date', col || ' = ' || v || ' is not a date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)')
END;

CREATE OR REPLACE TEMP MACRO money(v) AS TRY_CAST(v AS DECIMAL(14,2));

CREATE OR REPLACE TEMP MACRO money_problem(col, v, allow_negative) AS CASE
    WHEN v IS NULL THEN NULL
    WHEN NOT regexp_full_match(v, '-?[0-9]+(\.[0-9]{1,2})?') OR money(v) IS NULL
    THEN problem('bad_amount', col || ' = ' || v || ' is not an amount in yuan with at most 2 decimals')
    WHEN NOT allow_negative AND money(v) < 0
    THEN problem('negative_amount', col || ' = ' || v || ' is below 0')
END;

CREATE OR REPLACE TEMP MACRO code_problem(col, v, code) AS CASE
    WHEN v IS NOT NULL AND code IS NULL THEN problem('unknown_' || col, col || ' = ' || v || ' is not a known code or label')
END;

CREATE OR REPLACE TEMP MACRO village_problem(v) AS CASE
    WHEN v IS NOT NULL AND NOT regexp_full_match(v, '[0-9]{12}')
    THEN problem('bad_village_code', 'village_code = ' || v || ' is not a 12-digit division code')
END;

-- Every accepted spelling of a code: the English code (case-folded) and the Chinese label.
CREATE OR REPLACE TEMP TABLE code_lookup AS
    SELECT domain, lower(code) AS input, code FROM codes
    UNION ALL
    SELECT domain, label_zh AS input, code FROM codes;
