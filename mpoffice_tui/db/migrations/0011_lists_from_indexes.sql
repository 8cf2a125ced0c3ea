-- 0011: lists and counts the app shows on every visit read an index, not every row's page. At full scale each
-- such scan filled a pooled connection's whole page cache (32 MiB) and the TUI's memory grew with each screen.
-- The inbox's lane counts (`WHERE deleted = 0 GROUP BY triage`) walked ix_messages_triage and fetched every
-- message's row to read `deleted`: 500k row lookups, 2.2 s on every return to the inbox. The new index covers
-- the count (triage, deleted): 30 ms. It replaces the one-column index.
CREATE INDEX IF NOT EXISTS ix_messages_triage_live ON messages (triage, deleted);
DROP INDEX IF EXISTS ix_messages_triage;
-- The register's bulk list (Register screen, F4, empty search box) is ordered by name: without an index every
-- page read and sorted all 110k electors (23 MB of pages; 370 ms for a page half-way down). 1-13 ms with it.
CREATE INDEX IF NOT EXISTS ix_electors_by_name ON electors (surname, forename, id);
ANALYZE messages;
ANALYZE electors;
DROP TABLE IF EXISTS sqlite_stat4;
