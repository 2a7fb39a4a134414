-- reads: nothing (a table of the store)
CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR);
