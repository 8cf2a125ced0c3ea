-- 0002: every head of a field (not only the winner), the erasure record, and earlier link values.
-- field_head keeps all the heads of a field, so a new edit can supersede every value its writer saw;
-- an existing office's heads are its winners plus the losing values of its open conflicts.
CREATE TABLE field_head_new (
	tbl VARCHAR NOT NULL, 
	row_id VARCHAR NOT NULL, 
	field VARCHAR NOT NULL, 
	hlc INTEGER NOT NULL, 
	site VARCHAR NOT NULL, 
	seq INTEGER NOT NULL, 
	PRIMARY KEY (tbl, row_id, field, site, seq)
);
INSERT INTO field_head_new (tbl, row_id, field, hlc, site, seq)
	SELECT tbl, row_id, field, hlc, site, seq FROM field_head;
INSERT OR IGNORE INTO field_head_new (tbl, row_id, field, hlc, site, seq)
	SELECT c.tbl, c.row_id, c.field, o.hlc, c.loser_site, c.loser_seq FROM "conflict" c
	JOIN ops o ON o.site = c.loser_site AND o.seq = c.loser_seq WHERE c.resolved = 0;
DROP TABLE field_head;
ALTER TABLE field_head_new RENAME TO field_head;
CREATE TABLE erased (
	tbl VARCHAR NOT NULL, 
	row_id VARCHAR NOT NULL, 
	PRIMARY KEY (tbl, row_id)
);
CREATE TABLE link_history (
	tbl VARCHAR NOT NULL, 
	row_id VARCHAR NOT NULL, 
	col VARCHAR NOT NULL, 
	target VARCHAR NOT NULL, 
	PRIMARY KEY (tbl, row_id, col, target)
);
CREATE INDEX ix_link_history_target ON link_history (target);
CREATE INDEX ix_ops_erase ON ops (tbl, row_id) WHERE field = '$erase';
-- rows an erasure already reached (its own `$erase` ops); the rest of what it should reach is found
-- when the erasure is next reconciled (sync.erasure.reconcile, at the next import or erasure)
INSERT OR IGNORE INTO erased (tbl, row_id) SELECT tbl, row_id FROM ops WHERE field = '$erase';
-- every value a link column held, for rows whose link was changed after they were written
INSERT OR IGNORE INTO link_history (tbl, row_id, col, target)
	SELECT tbl, row_id, field, json_extract(value, '$') FROM ops
	WHERE field IN ('case_id', 'constituent_id', 'message_id', 'merged_into') AND value != 'null';
INSERT OR IGNORE INTO link_history (tbl, row_id, col, target)
	SELECT s.tbl, s.row_id, l.field, json_extract(s.value, '$.' || l.field) FROM ops l
	JOIN ops s ON s.row_id = l.row_id AND s.tbl = l.tbl AND s.field = '*'
	WHERE l.field IN ('case_id', 'constituent_id', 'message_id', 'merged_into')
	AND json_extract(s.value, '$.' || l.field) IS NOT NULL;
INSERT OR REPLACE INTO office_meta (key, value)
	SELECT 'erasure.reconcile', '1' WHERE EXISTS (SELECT 1 FROM erased);
