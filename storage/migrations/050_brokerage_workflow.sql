-- the broker's daily work: urgent requirements and notes only the council sees
ALTER TABLE care_requirements ADD COLUMN urgent BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE care_requirements ADD COLUMN needed_by {{ts}};
ALTER TABLE care_requirements ADD COLUMN urgent_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX care_requirements_board ON care_requirements (council_id, urgent, status, id);
CREATE TABLE requirement_notes (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	requirement_id BIGINT NOT NULL REFERENCES care_requirements(id),
	body TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX requirement_notes_requirement ON requirement_notes (council_id, requirement_id, id);
CREATE INDEX cascade_steps_kind ON cascade_steps (council_id, kind, id);
