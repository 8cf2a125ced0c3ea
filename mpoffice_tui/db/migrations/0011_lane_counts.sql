-- 0011: the inbox's lane counts (on every return to the inbox, and each lane's count) read only an index.
-- `WHERE deleted = 0 GROUP BY triage` walked ix_messages_triage and fetched every message's row to read
-- `deleted`: at full scale 500k row lookups, 2.2 s each time, and a whole 32 MiB page cache of message pages
-- on whichever pooled connection ran it (the TUI's memory grew with every F2). The new index covers the count
-- (triage, deleted): 30 ms, and it replaces the one-column index.
CREATE INDEX IF NOT EXISTS ix_messages_triage_live ON messages (triage, deleted);
DROP INDEX IF EXISTS ix_messages_triage;
ANALYZE messages;
DROP TABLE IF EXISTS sqlite_stat4;
