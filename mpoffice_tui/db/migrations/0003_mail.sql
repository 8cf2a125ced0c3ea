-- 0003: the office mailbox: accounts, sealed secrets, fetch state per folder, the outgoing queue.
CREATE TABLE mail_accounts (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	name VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	address VARCHAR NOT NULL, 
	display_name VARCHAR NOT NULL, 
	user VARCHAR NOT NULL, 
	imap_host VARCHAR NOT NULL, 
	imap_port INTEGER NOT NULL, 
	imap_security VARCHAR NOT NULL, 
	smtp_host VARCHAR NOT NULL, 
	smtp_port INTEGER NOT NULL, 
	smtp_security VARCHAR NOT NULL, 
	trust_fingerprint VARCHAR, 
	folders VARCHAR NOT NULL, 
	sent_folder VARCHAR, 
	server_saves_sent BOOLEAN NOT NULL, 
	mail_site VARCHAR, 
	client_id VARCHAR, 
	tenant VARCHAR, 
	send_per_minute INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_mail_accounts_name ON mail_accounts (name);
CREATE TABLE mail_secrets (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	account_id VARCHAR NOT NULL, 
	sealed VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_mail_secrets_account_id ON mail_secrets (account_id);
CREATE TABLE mail_folders (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	account_id VARCHAR NOT NULL, 
	name VARCHAR NOT NULL, 
	uidvalidity INTEGER NOT NULL, 
	last_uid INTEGER NOT NULL, 
	problem VARCHAR, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_mail_folders_account_id ON mail_folders (account_id);
CREATE TABLE outgoing_mail (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	message_id VARCHAR NOT NULL, 
	account_id VARCHAR, 
	state VARCHAR NOT NULL, 
	reason VARCHAR, 
	attempts INTEGER NOT NULL, 
	next_attempt_at VARCHAR, 
	queued_at VARCHAR, 
	sending_site VARCHAR, 
	sent_at VARCHAR, 
	in_sent_folder BOOLEAN NOT NULL, 
	exported_at VARCHAR, 
	approved_by VARCHAR, 
	batch VARCHAR, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_outgoing_mail_batch ON outgoing_mail (batch);
CREATE UNIQUE INDEX ix_outgoing_mail_message_id ON outgoing_mail (message_id);
CREATE INDEX ix_outgoing_mail_state ON outgoing_mail (state);
CREATE INDEX ix_outgoing_state_due ON outgoing_mail (state, next_attempt_at);
