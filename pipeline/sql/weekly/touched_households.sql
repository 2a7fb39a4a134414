-- reads: people, touched
-- Households whose totals may change: the touched people's households before the import (the
-- ones after it are added once people is updated).
CREATE OR REPLACE TEMP TABLE touched_households AS
SELECT DISTINCT household_id FROM people SEMI JOIN touched USING (person_id)
WHERE household_id IS NOT NULL;
