-- 0004: raw mail and attachments out of the rows and the op log, into blobs stored once by content hash
-- (db/blobs.py). Rows and ops name a blob by its SHA-256; the move (and the rewrite of the ops that held
-- the bytes, base64 or the text of a Python repr) is the Python step; the file is vacuumed afterwards.
CREATE TABLE blobs (
	hash VARCHAR NOT NULL, 
	size INTEGER NOT NULL, 
	codec VARCHAR NOT NULL, 
	data BLOB NOT NULL, 
	PRIMARY KEY (hash)
);
ALTER TABLE messages ADD COLUMN raw_hash VARCHAR;
ALTER TABLE attachments RENAME COLUMN sha256 TO blob_hash;
-- python: move_bytes_to_blobs
ALTER TABLE messages DROP COLUMN raw;
ALTER TABLE attachments DROP COLUMN data;
