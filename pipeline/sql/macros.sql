-- Validation helpers used by the clean/* models. Each *_problem macro returns NULL when the value
-- is fine, else a struct {reason, detail}; a row's reason is the first problem found. They avoid
-- regular expressions and string slicing where a cast does the job: they run on every row.

-- Text values are trimmed of spaces, tabs and full-width spaces (U+3000); the set-trim is slow, so
-- it runs only where such a character is present. Cast columns keep their text: casts ignore
-- surrounding spaces, and a value of spaces only is NULL.
CREATE OR REPLACE TEMP MACRO clean_text(c) AS NULLIF(
    CASE WHEN contains(c, '　') OR contains(c, chr(9))
         THEN trim(c, ' ' || chr(9) || chr(10) || chr(13) || '　') ELSE trim(c) END, '');

CREATE OR REPLACE TEMP MACRO blank_as_null(c) AS CASE
    WHEN c IS NULL OR c = '' OR (ascii(c) = 32 AND trim(c) = '') THEN NULL ELSE c END;

CREATE OR REPLACE TEMP MACRO problem(reason, detail) AS {'reason': reason, 'detail': detail};

CREATE OR REPLACE TEMP MACRO missing(col, v) AS
    CASE WHEN v IS NULL THEN problem('missing_' || col, col || ' is empty') END;

-- GB 11643: the 17 digits weighted 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the sum mod 11 indexes
-- '10X98765432'. n is the first 17 characters as a BIGINT (digits only, checked before).
CREATE OR REPLACE TEMP MACRO id_check_char(n) AS substr('10X98765432', CAST((
    (n // 10000000000000000) % 10 * 7 +
    (n // 1000000000000000) % 10 * 9 +
    (n // 100000000000000) % 10 * 10 +
    (n // 10000000000000) % 10 * 5 +
    (n // 1000000000000) % 10 * 8 +
    (n // 100000000000) % 10 * 4 +
    (n // 10000000000) % 10 * 2 +
    (n // 1000000000) % 10 * 1 +
    (n // 100000000) % 10 * 6 +
    (n // 10000000) % 10 * 3 +
    (n // 1000000) % 10 * 7 +
    (n // 100000) % 10 * 9 +
    (n // 10000) % 10 * 10 +
    (n // 1000) % 10 * 5 +
    (n // 100) % 10 * 8 +
    (n // 10) % 10 * 4 +
    n % 10 * 2
) % 11 AS INTEGER) + 1, 1);

-- pid is upper-cased already; the detail never repeats the ID (it is personal data).
-- n = TRY_CAST(substr(pid, 1, 17) AS BIGINT), computed once per row by the caller.
CREATE OR REPLACE TEMP MACRO id_problem(pid, n) AS CASE
    WHEN pid IS NULL THEN NULL
    WHEN length(pid) <> 18
        THEN problem('bad_id_length', 'resident ID has ' || length(pid) || ' characters, not 18')
    WHEN NOT regexp_full_match(pid, '[0-9]{17}[0-9X]')
        THEN problem('bad_id_format', 'resident ID must be 17 digits and a digit or X')
    WHEN id_check_char(n) <> substr(pid, 18, 1)
        THEN problem('bad_id_checksum', 'resident ID check digit does not match (GB 11643)')
END;

-- YYYY-MM-DD and YYYY/MM/DD by the fast date cast, YYYYMMDD by strptime where that failed.
CREATE OR REPLACE TEMP MACRO parse_date(v) AS coalesce(
    TRY_CAST(v AS DATE), CAST(try_strptime(v, '%Y%m%d') AS DATE));

CREATE OR REPLACE TEMP MACRO date_problem(col, v, d) AS CASE
    WHEN v IS NOT NULL AND (d IS NULL OR year(d) NOT BETWEEN 1900 AND 2100)
    THEN problem('bad_date', col || ' = ' || v
                 || ' is not a date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)')
END;

-- Amounts (contract v1.1): plain decimals. Thousands separators (in groups of three) and
-- full-width digits, as Excel and WPS write them, are normalised; exponents (1e3), underscores
-- (1_000), NaN and infinities are rejected (a cast would take the first two, and a cast to
-- DOUBLE the last two). The cast is tried first; only a value it refuses is normalised.
CREATE OR REPLACE TEMP MACRO amount_normalised(v) AS CASE
    WHEN regexp_full_match(
        translate(trim(v, ' 　'), '０１２３４５６７８９．，＋－', '0123456789.,+-'),
        '[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)([.][0-9]+)?')
    THEN replace(translate(trim(v, ' 　'), '０１２３４５６７８９．，＋－', '0123456789.,+-'), ',', '')
END;

-- v as a plain decimal (the value itself when a cast takes it), or NULL.
CREATE OR REPLACE TEMP MACRO amount_plain(v) AS CASE
    WHEN TRY_CAST(v AS DECIMAL(38,10)) IS NULL THEN amount_normalised(v)
    WHEN contains(v, 'e') OR contains(v, 'E') OR contains(v, '_') THEN NULL
    ELSE v
END;

-- money(v) is amount_plain's value as DECIMAL(14,2), spelt out: cast first (most values), at
-- DECIMAL(14,2) rather than amount_plain's wider check (2x cheaper over 10M claims); one CASE
-- and a coalesce rather than three branches that cast twice (1.52 -> 1.28 s for six amounts of
-- 9.3M claims). A value with an exponent or an underscore is never normalised either.
CREATE OR REPLACE TEMP MACRO money(v) AS CASE
    WHEN NOT (contains(v, 'e') OR contains(v, 'E') OR contains(v, '_'))
    THEN coalesce(TRY_CAST(v AS DECIMAL(14,2)), TRY_CAST(amount_normalised(v) AS DECIMAL(14,2)))
END;

-- m = money(v). A value with more than 2 decimals casts to a DECIMAL(14,2) that, as a double,
-- differs from the value read as a double. (v NULL: m is NULL too, and so is the problem.)
CREATE OR REPLACE TEMP MACRO money_problem(col, v, m, allow_negative) AS CASE
    WHEN m IS NULL OR CAST(m AS DOUBLE)
            <> coalesce(TRY_CAST(v AS DOUBLE), TRY_CAST(amount_normalised(v) AS DOUBLE))
    THEN CASE WHEN v IS NOT NULL THEN problem('bad_amount', col || ' = ' || v
                 || ' is not an amount in yuan with at most 2 decimals') END
    WHEN NOT allow_negative AND m < 0
    THEN problem('negative_amount', col || ' = ' || v || ' is below 0')
END;

CREATE OR REPLACE TEMP MACRO code_problem(col, v, code) AS CASE
    WHEN v IS NOT NULL AND code IS NULL
    THEN problem('unknown_' || col, col || ' = ' || v || ' is not a known code or label')
END;

CREATE OR REPLACE TEMP MACRO village_problem(v) AS CASE
    WHEN v IS NOT NULL AND (length(v) <> 12 OR NOT regexp_full_match(v, '[0-9]{12}'))
    THEN problem('bad_village_code', 'village_code = ' || v || ' is not a 12-digit division code')
END;

CREATE OR REPLACE TEMP MACRO csv_field(v) AS CASE
    WHEN v IS NULL THEN ''
    WHEN contains(v, ',') OR contains(v, '"') OR contains(v, chr(10))
        THEN '"' || replace(v, '"', '""') || '"'
    ELSE v
END;

-- The code of a village's division at a drill level: '' national (0), then province (2 digits),
-- city (4), county (6), township (9), village (12). NULL village codes count at national only.
CREATE OR REPLACE TEMP MACRO region_prefix(village, level) AS
    CASE WHEN level = 0 THEN '' ELSE substr(village, 1, [2, 4, 6, 9, 12][level]) END;

-- amount / n (a whole number above 0) to the cent, half away from zero as every amount is
-- rounded, in whole cents: exact on DuckDB, whose DECIMAL / INTEGER is a DOUBLE (17,560.85 / 2
-- was 8,780.42499…, printed 8,780.42), and on Spark, whose is a DECIMAL (8,780.43).
CREATE OR REPLACE TEMP MACRO money_divided(amount, n) AS
    CAST(CASE WHEN amount < 0 THEN -1 ELSE 1 END
         * ((abs(CAST(amount * 100 AS BIGINT)) * 2 + n) // (2 * n)) AS DECIMAL(18,0)) * 0.01;

-- The median of amounts, exact: the two middle values (the lower one of x, the upper one the
-- lower of -x) added and halved to the cent by money_divided. DuckDB's median of a DECIMAL
-- truncates the half cent (2.01 and 3.00 gave 2.50) and Spark's is a DOUBLE; this is 2.51 on
-- both (pipeline/national/ runs the marts that use it on Spark too).
CREATE OR REPLACE TEMP MACRO money_median(x) AS
    money_divided(CAST(quantile_disc(x, 0.5) AS DECIMAL(14,2))
                  - CAST(quantile_disc(-x, 0.5) AS DECIMAL(14,2)), 2);

-- A resident ID as shown and exported: first 4 and last 4 characters, the rest as * (schema.mask_id).
CREATE OR REPLACE TEMP MACRO mask_id(v) AS CASE
    WHEN length(v) <= 8 THEN repeat('*', length(v))
    ELSE left(v, 4) || repeat('*', length(v) - 8) || right(v, 4)
END;
