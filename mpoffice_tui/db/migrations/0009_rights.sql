-- 0009: a constituent's rights (issue 17): who made a subject access request (a representative) and why its
-- deadline was extended; the reviewer's keep/release decision on each proposed redaction of a pack.
ALTER TABLE subject_access_requests ADD COLUMN requester_name VARCHAR;
ALTER TABLE subject_access_requests ADD COLUMN requester_relation VARCHAR;
ALTER TABLE subject_access_requests ADD COLUMN requester_address VARCHAR;
ALTER TABLE subject_access_requests ADD COLUMN authority VARCHAR;
ALTER TABLE subject_access_requests ADD COLUMN extension_reason VARCHAR;
CREATE TABLE redaction_decisions (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	constituent_id VARCHAR NOT NULL, 
	request_id VARCHAR, 
	"key" VARCHAR NOT NULL, 
	decision VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_redaction_decisions_constituent_id ON redaction_decisions (constituent_id);
CREATE INDEX ix_redaction_decisions_key ON redaction_decisions ("key");
