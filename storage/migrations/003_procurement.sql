-- procurement: agreements, lots, windows, applications, scoring, awards, contracts
-- procurement. Small lists (lots' service types and areas, a
-- contract's extension options) are JSON text: they are read and written
-- whole with their row and never queried inside.
CREATE TABLE agreements (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	reference TEXT NOT NULL,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	type TEXT NOT NULL,
	regime TEXT NOT NULL CHECK (regime IN ('pcr2015', 'pa2023')),
	light_touch BOOLEAN NOT NULL DEFAULT FALSE,
	voluntary_standstill BOOLEAN NOT NULL DEFAULT FALSE,
	allow_resubmission BOOLEAN NOT NULL DEFAULT FALSE,
	single_supplier BOOLEAN NOT NULL DEFAULT FALSE,
	annual_value_pence BIGINT NOT NULL DEFAULT 0 CHECK (annual_value_pence >= 0),
	lifetime_value_pence BIGINT NOT NULL DEFAULT 0 CHECK (lifetime_value_pence >= 0),
	start_date DATE NOT NULL,
	end_date DATE NOT NULL,
	reopenings TEXT NOT NULL DEFAULT '[]',
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (council_id, reference)
);
CREATE TABLE lots (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	agreement_id BIGINT NOT NULL REFERENCES agreements(id),
	number INTEGER NOT NULL,
	title TEXT NOT NULL,
	service_types TEXT NOT NULL,
	area_ids TEXT NOT NULL,
	provider_cap INTEGER NOT NULL DEFAULT 0,
	call_off TEXT NOT NULL,
	ranking TEXT NOT NULL DEFAULT '[]',
	call_off_terms TEXT NOT NULL DEFAULT '',
	mechanism TEXT NOT NULL DEFAULT '',
	UNIQUE (agreement_id, number)
);
CREATE TABLE proc_windows (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	agreement_id BIGINT NOT NULL REFERENCES agreements(id),
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	opens_at {{ts}} NOT NULL,
	deadline {{ts}} NOT NULL,
	assessment_days INTEGER NOT NULL DEFAULT 0,
	justification TEXT NOT NULL DEFAULT '',
	lot_ids TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX proc_windows_agreement ON proc_windows (council_id, agreement_id);
CREATE TABLE questions (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	window_id BIGINT NOT NULL REFERENCES proc_windows(id),
	number INTEGER NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('selection', 'quality')),
	text TEXT NOT NULL,
	evidence_required BOOLEAN NOT NULL DEFAULT FALSE,
	weight INTEGER NOT NULL DEFAULT 0,
	max_score INTEGER NOT NULL DEFAULT 0,
	pass_mark INTEGER NOT NULL DEFAULT 0,
	UNIQUE (window_id, number)
);
CREATE TABLE window_evaluators (
	window_id BIGINT NOT NULL REFERENCES proc_windows(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	moderator BOOLEAN NOT NULL DEFAULT FALSE,
	declared_at {{ts}},
	conflicts TEXT NOT NULL DEFAULT '[]',
	statement TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (window_id, user_id)
);
CREATE TABLE applications (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	window_id BIGINT NOT NULL REFERENCES proc_windows(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	lot_ids TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'withdrawn')),
	submitted_at {{ts}},
	assessed_at {{ts}},
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (window_id, provider_id)
);
CREATE INDEX applications_provider ON applications (council_id, provider_id);
CREATE TABLE answers (
	application_id BIGINT NOT NULL REFERENCES applications(id),
	question_id BIGINT NOT NULL REFERENCES questions(id),
	attempt INTEGER NOT NULL CHECK (attempt IN (1, 2)),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	text TEXT NOT NULL DEFAULT '',
	evidence TEXT NOT NULL DEFAULT '',
	submitted_at {{ts}},
	PRIMARY KEY (application_id, question_id, attempt)
);
CREATE TABLE scores (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	application_id BIGINT NOT NULL REFERENCES applications(id),
	question_id BIGINT NOT NULL REFERENCES questions(id),
	attempt INTEGER NOT NULL,
	evaluator_id BIGINT NOT NULL REFERENCES users(id),
	evaluator TEXT NOT NULL,
	pass BOOLEAN,
	points INTEGER NOT NULL DEFAULT 0,
	comment TEXT NOT NULL DEFAULT '',
	submitted_at {{ts}},
	updated_at {{ts}} NOT NULL,
	UNIQUE (application_id, question_id, attempt, evaluator_id)
);
CREATE TABLE moderations (
	application_id BIGINT NOT NULL REFERENCES applications(id),
	question_id BIGINT NOT NULL REFERENCES questions(id),
	attempt INTEGER NOT NULL,
	council_id BIGINT NOT NULL REFERENCES councils(id),
	pass BOOLEAN,
	points INTEGER NOT NULL DEFAULT 0,
	reason TEXT NOT NULL,
	moderator_id BIGINT NOT NULL DEFAULT 0,
	moderator TEXT NOT NULL,
	at {{ts}} NOT NULL,
	PRIMARY KEY (application_id, question_id, attempt)
);
CREATE TABLE awards (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	agreement_id BIGINT NOT NULL REFERENCES agreements(id),
	window_id BIGINT NOT NULL REFERENCES proc_windows(id),
	lot_id BIGINT NOT NULL REFERENCES lots(id),
	application_id BIGINT NOT NULL REFERENCES applications(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	score INTEGER NOT NULL DEFAULT 0,
	decided_at {{ts}} NOT NULL,
	notice_at {{ts}},
	standstill TEXT NOT NULL DEFAULT '',
	UNIQUE (lot_id, application_id)
);
CREATE INDEX awards_window ON awards (council_id, window_id);
CREATE TABLE assessment_summaries (
	application_id BIGINT PRIMARY KEY REFERENCES applications(id),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	window_id BIGINT NOT NULL REFERENCES proc_windows(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	body TEXT NOT NULL,
	generated_at {{ts}} NOT NULL
);
CREATE TABLE contracts (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	agreement_id BIGINT REFERENCES agreements(id),
	award_id BIGINT REFERENCES awards(id) UNIQUE,
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	reference TEXT NOT NULL,
	title TEXT NOT NULL,
	start_date DATE NOT NULL,
	initial_end DATE NOT NULL,
	end_date DATE NOT NULL,
	extensions TEXT NOT NULL DEFAULT '[]',
	break_clauses TEXT NOT NULL DEFAULT '[]',
	variations TEXT NOT NULL DEFAULT '[]',
	annual_value_pence BIGINT NOT NULL DEFAULT 0,
	lifetime_value_pence BIGINT NOT NULL DEFAULT 0,
	value_so_far_pence BIGINT NOT NULL DEFAULT 0,
	entered_on DATE,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (council_id, reference)
);
CREATE INDEX contracts_agreement ON contracts (council_id, agreement_id);
CREATE TABLE bank_holidays (
	council_id BIGINT NOT NULL REFERENCES councils(id),
	day DATE NOT NULL,
	name TEXT NOT NULL,
	PRIMARY KEY (council_id, day)
);
