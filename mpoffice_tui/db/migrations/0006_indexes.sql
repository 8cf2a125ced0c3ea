-- 0006: costs that stay flat as the office grows. A person's open cases are counted per row in constituent
-- search and register lookup; without an index led by constituent_id (and no statistics) SQLite walked every
-- live case through ix_cases_live_opened for each person (0.4 ms in a small office, ~1 s at full scale).
-- The new index covers the count (constituent_id, deleted, status) and replaces the one-column index.
CREATE INDEX IF NOT EXISTS ix_cases_constituent_live ON cases (constituent_id, deleted, status);
DROP INDEX IF EXISTS ix_cases_constituent_id;
-- Statistics for the query planner (sqlite_stat1), from the office as it is now; `PRAGMA optimize` keeps them
-- current when an office is closed and after big imports (db/engine.py: Office.optimize). Only stat1 is kept:
-- sqlite_stat4's samples are loaded by every new connection (db/engine.py: optimize).
ANALYZE;
DROP TABLE IF EXISTS sqlite_stat4;
