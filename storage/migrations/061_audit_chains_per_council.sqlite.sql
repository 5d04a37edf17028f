-- audit chains per council: SQLite keeps each chain's head in step with its last record
CREATE TRIGGER audit_log_head AFTER INSERT ON audit_log WHEN NEW.chain IS NOT NULL BEGIN
	UPDATE audit_heads SET last_id = NEW.id, hash = NEW.hash WHERE council_id = NEW.chain;
END;
