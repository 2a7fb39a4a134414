-- Claims staged this import → typed rows; `problem` is the first failing check (NULL = loadable).
-- A reversal row (reverses set) only needs numbers: its own amounts count for nothing.
WITH s AS (
    SELECT st.*, upper(st.person_id) AS pid, vt.code AS visit_code,
           st.reverses IS NOT NULL AS is_reversal
    FROM stage_claims AS st
    LEFT JOIN code_lookup AS vt ON vt.domain = 'visit_type' AND vt.input = lower(st.visit_type)
),
checked AS (
    SELECT s.*, coalesce(
        missing('claim_id', claim_id),
        missing('person_id', person_id),
        id_problem(pid),
        missing('settle_date', settle_date),
        date_problem('settle_date', settle_date),
        missing('visit_type', visit_type),
        code_problem('visit_type', visit_type, visit_code),
        missing('total_cost', total_cost),
        missing('basic_paid', basic_paid),
        missing('critical_paid', critical_paid),
        missing('assistance_paid', assistance_paid),
        money_problem('total_cost', total_cost, is_reversal),
        money_problem('basic_paid', basic_paid, is_reversal),
        money_problem('critical_paid', critical_paid, is_reversal),
        money_problem('assistance_paid', assistance_paid, is_reversal),
        money_problem('other_paid', other_paid, is_reversal),
        money_problem('in_scope_cost', in_scope_cost, is_reversal),
        CASE WHEN reverses = claim_id
            THEN problem('reverses_itself', 'reverses names the row''s own claim_id') END,
        CASE WHEN NOT is_reversal AND money(basic_paid) + money(critical_paid)
                + money(assistance_paid) + coalesce(money(other_paid), 0) > money(total_cost) + 0.01
            THEN problem('payments_exceed_total', 'basic + critical + assistance + other = '
                || (money(basic_paid) + money(critical_paid) + money(assistance_paid)
                    + coalesce(money(other_paid), 0))
                || ' exceeds total_cost ' || total_cost || ' by more than 0.01') END,
        CASE WHEN NOT is_reversal AND money(in_scope_cost) > money(total_cost)
            THEN problem('in_scope_exceeds_total', 'in_scope_cost ' || in_scope_cost
                || ' exceeds total_cost ' || total_cost) END
    ) AS problem
    FROM s
)
SELECT
    file_id, line,
    claim_id,
    pid AS person_id,
    parse_date(settle_date) AS settle_date,
    visit_code AS visit_type,
    money(total_cost) AS total_cost,
    money(basic_paid) AS basic_paid,
    money(critical_paid) AS critical_paid,
    money(assistance_paid) AS assistance_paid,
    coalesce(money(other_paid), 0) AS other_paid,
    money(in_scope_cost) AS in_scope_cost,
    upper(diagnosis) AS diagnosis,
    hospital,
    reverses,
    extra,
    problem.reason AS reason,
    problem.detail AS detail
FROM checked
