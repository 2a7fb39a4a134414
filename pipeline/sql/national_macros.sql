-- reads: nothing (macros: expressions the national SQL calls)
-- The national build's macros (pipeline/national/port.py expands them for Spark, which has none).
-- One macro per statement: CREATE OR REPLACE TEMP MACRO name(args) AS expression;

-- The code of a village's division at a drill level: '' national (0), then province (2 digits),
-- city (4), county (6), township (9), village (12). DuckDB lists count from 1 (Spark's arrays
-- from 0: the port reads the element with element_at, which counts from 1 on both).
CREATE OR REPLACE TEMP MACRO region_prefix(village, lv) AS
    CASE WHEN lv = 0 THEN '' ELSE substr(village, 1, [2, 4, 6, 9, 12][lv]) END;

-- An amount in yuan as the explanations print it: 12,345.60.
CREATE OR REPLACE TEMP MACRO yuan(amount) AS format('{:,.2f}', amount);
