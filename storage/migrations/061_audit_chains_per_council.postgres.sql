-- audit chains per council: PostgreSQL numbers records from a sequence (councils do not wait for each other's numbers) and keeps each chain's head in step with its last record
CREATE SEQUENCE audit_log_ids;
SELECT setval('audit_log_ids', COALESCE((SELECT MAX(id) FROM audit_log), 0) + 1, false);
CREATE FUNCTION audit_log_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE audit_heads SET last_id = NEW.id, hash = NEW.hash WHERE council_id = NEW.chain; RETURN NULL; END $$;
CREATE TRIGGER audit_log_head AFTER INSERT ON audit_log FOR EACH ROW WHEN (NEW.chain IS NOT NULL) EXECUTE FUNCTION audit_log_head();
