-- One foreign key instead of three: a line's placement, with the line's
-- council and provider. The importer matches every line to a placement
-- of the importing council and with the line's provider, in the same
-- transaction, so stored lines already agree with their placement; the
-- key now also requires it. The placement's council and provider are
-- themselves foreign keys of placements, so the line's council and
-- provider still exist. The unique index it needs replaces
-- placements_provider, on the same columns (id alone is unique, so it
-- adds no rule), so placements keep the same number of indexes.
DROP INDEX placements_provider;
CREATE UNIQUE INDEX placements_provider ON placements (council_id, provider_id, id);
ALTER TABLE actual_payments
	DROP CONSTRAINT actual_payments_council_id_fkey,
	DROP CONSTRAINT actual_payments_placement_id_fkey,
	DROP CONSTRAINT actual_payments_provider_id_fkey,
	ADD CONSTRAINT actual_payments_placement_fkey FOREIGN KEY (council_id, provider_id, placement_id)
		REFERENCES placements (council_id, provider_id, id);

-- A line's import, checked once a statement instead of once a line: an
-- import writes its record and then its lines in one transaction, all
-- naming that record, so one set-wise look at the statement's lines
-- (new_payments) finds what the per-line foreign key found, without a row
-- lock per line. The record is the import's own, not yet committed, so no
-- other transaction can remove it meanwhile; and the triggers on
-- actual_imports refuse to delete a record, or change its id, while lines
-- name it, as the foreign key did.
ALTER TABLE actual_payments DROP CONSTRAINT actual_payments_import_id_fkey;
CREATE FUNCTION actual_payments_import_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM (SELECT DISTINCT council_id, import_id FROM new_payments) n
		WHERE NOT EXISTS (SELECT 1 FROM actual_imports i WHERE i.id = n.import_id AND i.council_id = n.council_id)) THEN
		RAISE EXCEPTION 'a payment line names an import that is not its council''s' USING ERRCODE = 'foreign_key_violation';
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER actual_payments_import_insert AFTER INSERT ON actual_payments
	REFERENCING NEW TABLE AS new_payments FOR EACH STATEMENT EXECUTE FUNCTION actual_payments_import_exists();
CREATE TRIGGER actual_payments_import_update AFTER UPDATE ON actual_payments
	REFERENCING NEW TABLE AS new_payments FOR EACH STATEMENT EXECUTE FUNCTION actual_payments_import_exists();
CREATE FUNCTION actual_imports_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM old_imports o JOIN actual_payments p ON p.import_id = o.id
		WHERE NOT EXISTS (SELECT 1 FROM actual_imports i WHERE i.id = o.id)) THEN
		RAISE EXCEPTION 'an import''s payment lines still name it' USING ERRCODE = 'foreign_key_violation';
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER actual_imports_delete AFTER DELETE ON actual_imports
	REFERENCING OLD TABLE AS old_imports FOR EACH STATEMENT EXECUTE FUNCTION actual_imports_keep_referenced();
CREATE TRIGGER actual_imports_update AFTER UPDATE ON actual_imports
	REFERENCING OLD TABLE AS old_imports FOR EACH STATEMENT EXECUTE FUNCTION actual_imports_keep_referenced();
