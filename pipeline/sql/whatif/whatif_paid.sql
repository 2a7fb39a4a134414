-- reads: assist_replay, store_assist_replay
-- What-if: what each person-year would be paid under the alternative assistance policy, paid
-- the way the policy in force is paid now: the difference it makes to what is owed (more, or
-- less down to nothing), `extra`; the alternative's replay (the temp assist_replay) then says
-- paid, short and over with it, so what is short now stays short and nothing else.
CREATE OR REPLACE TEMP TABLE whatif_paid AS
SELECT a.person_id, a.year,
       greatest(a.paid + a.entitled - coalesce(n.entitled, 0), 0) - a.paid AS extra
FROM assist_replay AS a
LEFT JOIN store_assist_replay AS n USING (person_id, year)
WHERE a.entitled <> coalesce(n.entitled, 0);

UPDATE assist_replay AS a
SET paid = CAST(a.paid + w.extra AS DECIMAL(14,2)),
    shortfall = CAST(greatest(a.entitled - a.paid - w.extra, 0) AS DECIMAL(14,2)),
    overpaid = CAST(greatest(a.paid + w.extra - a.entitled, 0) AS DECIMAL(14,2))
FROM whatif_paid AS w
WHERE w.person_id = a.person_id AND w.year = a.year;
