-- registry, people, audit: SQLite only
-- The audit log is append-only: the database itself refuses edits.
-- (Someone who can drop the trigger can still tamper; the hash chain
-- is what finds that.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
