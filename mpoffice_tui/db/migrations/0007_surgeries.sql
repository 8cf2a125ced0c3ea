-- 0007: advice surgeries (issue 15): surgeries and the appointments booked at them (both synced). Safe to run
-- again (IF NOT EXISTS), as the upgrade tests do when they turn a file back into an older schema.
CREATE TABLE IF NOT EXISTS surgeries (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	held_on VARCHAR NOT NULL, 
	place VARCHAR NOT NULL, 
	starts_at VARCHAR NOT NULL, 
	ends_at VARCHAR NOT NULL, 
	slot_minutes INTEGER NOT NULL, 
	held_by_id VARCHAR, 
	notes VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ix_surgeries_held_on ON surgeries (held_on);
CREATE TABLE IF NOT EXISTS appointments (
	id VARCHAR NOT NULL, 
	created_at VARCHAR NOT NULL, 
	updated_at VARCHAR NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	surgery_id VARCHAR NOT NULL, 
	constituent_id VARCHAR, 
	slot VARCHAR, 
	walk_in BOOLEAN NOT NULL, 
	topic VARCHAR NOT NULL, 
	phone VARCHAR, 
	interpreter_language VARCHAR, 
	access_needs VARCHAR, 
	status VARCHAR NOT NULL, 
	arrived_at VARCHAR, 
	seen_at VARCHAR, 
	case_id VARCHAR, 
	case_opened BOOLEAN NOT NULL, 
	confirmation_id VARCHAR, 
	reminder_id VARCHAR, 
	PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ix_appointments_case_id ON appointments (case_id);
CREATE INDEX IF NOT EXISTS ix_appointments_constituent_id ON appointments (constituent_id);
CREATE INDEX IF NOT EXISTS ix_appointments_status ON appointments (status);
CREATE INDEX IF NOT EXISTS ix_appointments_surgery_id ON appointments (surgery_id);
