-- 0008: the MP's desk: approval rules and decisions (letters and emails), letterhead images, the directory.
CREATE TABLE approval_rules (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	kind VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	applies_to VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE approvals (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	target_kind VARCHAR NOT NULL, 
	target_id VARCHAR NOT NULL, 
	case_id VARCHAR, 
	reason VARCHAR NOT NULL, 
	state VARCHAR NOT NULL, 
	requested_by VARCHAR, 
	decided_by VARCHAR, 
	decided_at VARCHAR, 
	comment VARCHAR, 
	approved_hash VARCHAR, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_approvals_case_id ON approvals (case_id);
CREATE INDEX ix_approvals_state ON approvals (deleted, state);
CREATE INDEX ix_approvals_target_id ON approvals (target_id);
CREATE TABLE office_images (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	name VARCHAR NOT NULL, 
	filename VARCHAR NOT NULL, 
	content_type VARCHAR NOT NULL, 
	blob_hash VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_office_images_name ON office_images (name);
CREATE TABLE directory_entries (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	organisation VARCHAR NOT NULL, 
	department VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	name VARCHAR NOT NULL, 
	role VARCHAR NOT NULL, 
	address VARCHAR NOT NULL, 
	email VARCHAR NOT NULL, 
	phone VARCHAR NOT NULL, 
	notes VARCHAR NOT NULL, 
	source VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_directory_entries_organisation ON directory_entries (organisation);
