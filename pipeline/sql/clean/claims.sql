-- reads: stage (the file being read)
-- Claims of one staged file → typed rows; `reason` is the first failing check (NULL = loadable).
-- A reversal row (reverses set) only needs numbers: its own amounts count for nothing.
-- `stage` is the file's staging view; __RAW__ is replaced by the expression that rebuilds the
-- source row's text, evaluated only for rejected rows.
WITH s AS (
    SELECT *,
        upper(person_id) AS pid,
        TRY_CAST(substr(upper(person_id), 1, 17) AS BIGINT) AS id17,
        parse_date(settle_date) AS settle_day,
        code_visit_type(visit_type) AS visit_code,
        money(total_cost) AS m_total,
        money(basic_paid) AS m_basic,
        money(critical_paid) AS m_critical,
        money(assistance_paid) AS m_assistance,
        money(other_paid) AS m_other,
        money(in_scope_cost) AS m_in_scope,
        reverses IS NOT NULL AS is_reversal
    FROM stage
),
checked AS (
    SELECT *, coalesce(
        shape,
        missing('claim_id', claim_id),
        missing('person_id', person_id),
        id_problem(pid, id17),
        missing('settle_date', settle_date),
        date_problem('settle_date', settle_date, settle_day),
        missing('visit_type', visit_type),
        code_problem('visit_type', visit_type, visit_code),
        missing('total_cost', total_cost),
        missing('basic_paid', basic_paid),
        missing('critical_paid', critical_paid),
        missing('assistance_paid', assistance_paid),
        money_problem('total_cost', total_cost, m_total, is_reversal),
        money_problem('basic_paid', basic_paid, m_basic, is_reversal),
        money_problem('critical_paid', critical_paid, m_critical, is_reversal),
        money_problem('assistance_paid', assistance_paid, m_assistance, is_reversal),
        money_problem('other_paid', other_paid, m_other, is_reversal),
        money_problem('in_scope_cost', in_scope_cost, m_in_scope, is_reversal),
        CASE WHEN reverses = claim_id
            THEN problem('reverses_itself', 'reverses names the row''s own claim_id') END,
        CASE WHEN NOT is_reversal
                AND m_basic + m_critical + m_assistance + coalesce(m_other, 0) > m_total + 0.01
            THEN problem('payments_exceed_total', 'basic + critical + assistance + other = '
                || (m_basic + m_critical + m_assistance + coalesce(m_other, 0))
                || ' exceeds total_cost ' || m_total || ' by more than 0.01') END,
        CASE WHEN NOT is_reversal AND m_in_scope > m_total
            THEN problem('in_scope_exceeds_total', 'in_scope_cost ' || m_in_scope
                || ' exceeds total_cost ' || m_total) END
    ) AS problem
    FROM s
)
SELECT
    file_id,
    src_line,
    claim_id,
    pid AS person_id,
    settle_day AS settle_date,
    visit_code AS visit_type,
    m_total AS total_cost,
    m_basic AS basic_paid,
    m_critical AS critical_paid,
    m_assistance AS assistance_paid,
    coalesce(m_other, 0) AS other_paid,
    m_in_scope AS in_scope_cost,
    upper(diagnosis) AS diagnosis,
    hospital,
    reverses,
    extra,
    problem.reason AS reason,
    problem.detail AS detail,
    CASE WHEN problem IS NOT NULL THEN __RAW__ END AS raw
FROM checked
