package storage

import (
	"encoding/json"
	"strconv"
	"strings"
)

// dialect holds what differs between SQLite and PostgreSQL. Everything else is
// shared SQL; code outside this file asks the dialect, never its name.
type dialect struct {
	name string
	// replacements applied to migration SQL: {{pk}} an auto-numbered primary
	// key, {{ts}} a timestamp with time zone.
	pk, ts string
	// auditHead reads a council's audit chain head and the next record's
	// number, locking the head until commit (SQLite: BEGIN IMMEDIATE
	// already holds the only write lock).
	auditHead string
	// lockMigrations and unlockMigrations hold a session lock while one
	// server migrates (two starting at once must not both migrate); empty
	// on SQLite, where BEGIN IMMEDIATE already holds the only write lock.
	lockMigrations, unlockMigrations string
	// lockGuidePrices serialises a council's changes of prices in bulk
	// ($1: its id): applying an uplift, and adopting a cost model. Each
	// works the month's performance rows out again; two at once would lock
	// rows the other saw appear between its statements, and deadlock.
	lockGuidePrices string
	// lockActuals serialises a council's actuals imports ($1: its id), so
	// an import reads every payment already stored before it writes its
	// own (SQLite: BEGIN IMMEDIATE already holds the only write lock).
	lockActuals string
	// bulkCopy: bulk writes can use COPY (copy.go).
	bulkCopy bool
	// forUpdate locks selected rows until commit (SQLite: the write lock does);
	// forShare too, letting other sharers read them.
	forUpdate, forShare string
	// importWriters is how many batches a CQC import writes at once: a
	// PostgreSQL server process uses one core, and most of an import's cost
	// is the server's index and foreign-key work; SQLite has one writer.
	importWriters int
	// optimize refreshes the planner's statistics after migrating, onClose
	// when a connection closes: SQLite has no autovacuum to gather them, and
	// analysis_limit keeps it quick on a big file.
	optimize, onClose string
	// anonymousPlaceholders: bulk statements run faster with "?" than "$N"
	// (see positional).
	anonymousPlaceholders bool
	// foldWrites: every statement is a round trip to a server, so writes
	// that read none of each other's rows go as one (see writeSet).
	foldWrites bool
	// timestampParam follows a parameter that is a timestamp where nothing
	// else tells the server its type (a SELECT's column): PostgreSQL would
	// take it for text. SQLite keeps timestamps as text, and a CAST would
	// make a number of it.
	timestampParam string
	// SQL expressions that differ: whole minutes and days between two
	// times (computing the number in SQL saves parsing two times a row), a
	// timestamp's day (UTC), a summary day's month (its first day, the key
	// of perf_months), and a group's texts joined with a space, NULLs
	// skipped.
	minutesBetween, daysBetween func(from, to string) string
	dayOf, monthOf, joinText    func(expr string) string
	// inIDs matches column against a list of ids bound as one parameter:
	// an array on PostgreSQL, JSON text read by json_each on SQLite.
	inIDs func(column, param string, ids []int64) (cond string, arg any)
	// lockWait bounds how long a commit group's later changes wait for a
	// row lock (group_commit.go); empty on SQLite, whose one writer waits
	// for no row.
	lockWait string
	// integrityCheck checks the database file (empty: the server keeps its
	// own checksums, so only ask that it answers); backupInto writes a
	// consistent copy to the file $1 while the server runs (empty: use
	// pg_dump); clock reads the database's clock as RFC 3339 text in UTC.
	integrityCheck, backupInto, clock string
}

// Advisory-lock keys (PostgreSQL's advisory locks): one per kind of work two
// servers must not do at once. (The audit chain needs none: each council's
// chain head row is locked instead.)
// A new key goes here, after the last.
const (
	lockKeyMigrations = 7270000 // migrating the schema (a session lock, held for the whole run)
	lockKeyPrices     = 7270005 // applying an uplift or adopting a cost model; the second key is the council
	lockKeyActuals    = 7270006 // importing actuals; the second key is the council
)

func advisoryLock(key int, args string) string {
	return "SELECT pg_advisory_xact_lock(" + strconv.Itoa(key) + args + ")"
}

var (
	sqlite = dialect{
		name:                  "sqlite",
		pk:                    "INTEGER PRIMARY KEY",
		ts:                    "TIMESTAMP",
		auditHead:             `SELECT h.hash, (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) FROM audit_heads h WHERE h.council_id = $1`,
		importWriters:         1,
		optimize:              `PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002`,
		onClose:               `PRAGMA optimize`,
		anonymousPlaceholders: true,
		minutesBetween: func(from, to string) string {
			return `CAST(ROUND((julianday(` + to + `) - julianday(` + from + `)) * 1440) AS INTEGER)`
		},
		daysBetween: func(from, to string) string {
			return `CAST(ROUND(julianday(` + to + `) - julianday(` + from + `)) AS INTEGER)`
		},
		dayOf:    func(ts string) string { return `date(` + ts + `)` },
		monthOf:  func(day string) string { return `substr(` + day + `, 1, 8) || '01'` },
		joinText: func(expr string) string { return `group_concat(` + expr + `, ' ')` },
		inIDs: func(column, param string, ids []int64) (string, any) {
			b, _ := json.Marshal(ids)
			return column + ` IN (SELECT value FROM json_each(` + param + `))`, string(b)
		},
		integrityCheck: `PRAGMA integrity_check`,
		backupInto:     `VACUUM INTO $1`,
		clock:          `SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
	}
	postgres = dialect{
		name:             "postgres",
		pk:               "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
		ts:               "TIMESTAMPTZ",
		auditHead:        `SELECT hash, nextval('audit_log_ids') FROM audit_heads WHERE council_id = $1 FOR UPDATE`,
		lockMigrations:   "SELECT pg_advisory_lock(" + strconv.Itoa(lockKeyMigrations) + ")",
		unlockMigrations: "SELECT pg_advisory_unlock(" + strconv.Itoa(lockKeyMigrations) + ")",
		lockGuidePrices:  advisoryLock(lockKeyPrices, ", CAST($1 AS INTEGER)"),
		lockActuals:      advisoryLock(lockKeyActuals, ", CAST($1 AS INTEGER)"),
		bulkCopy:         true,
		forUpdate:        " FOR UPDATE",
		forShare:         " FOR SHARE",
		importWriters:    2,
		foldWrites:       true,
		timestampParam:   "::timestamptz",
		minutesBetween: func(from, to string) string {
			return `CAST(ROUND(EXTRACT(EPOCH FROM (` + to + ` - ` + from + `)) / 60) AS BIGINT)`
		},
		daysBetween: func(from, to string) string { return `(` + to + ` - ` + from + `)` },
		dayOf:       func(ts string) string { return `CAST(` + ts + ` AT TIME ZONE 'UTC' AS DATE)` },
		monthOf: func(day string) string {
			return `CAST(date_trunc('month', CAST(` + day + ` AS TIMESTAMP)) AS DATE)`
		},
		joinText: func(expr string) string { return `string_agg(CAST(` + expr + ` AS TEXT), ' ')` },
		inIDs:    func(column, param string, ids []int64) (string, any) { return column + ` = ANY(` + param + `)`, ids },
		lockWait: "SET LOCAL lock_timeout = '20ms'",
		clock:    `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
	}
)

// migrationSQL is what a migration step runs on this database: the shared
// SQL, rendered, then the part only this database needs.
func (d dialect) migrationSQL(m migration) string {
	only := m.sqlite
	if d.name == postgres.name {
		only = m.postgres
	}
	return d.render(m.sql + only)
}

func (d dialect) render(sql string) string {
	return strings.NewReplacer("{{pk}}", d.pk, "{{ts}}", d.ts).Replace(sql)
}

// Parameter limits: SQLite allows 32,766 per statement and PostgreSQL
// 65,535; chunks stay well under both.
const (
	locationChunk = 500  // 19 columns
	narrowChunk   = 2000 // 3 to 7 columns
)

// values renders "($1, $2, ...), (...)" for rows of cols parameters.
func values(rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 5)
	for r := range rows {
		rowMarks(&b, r, cols)
	}
	return b.String()
}

// paramMarks are n parameters' placeholders, $first, $first+1, ...
func paramMarks(first, n int) []string {
	marks := make([]string, n)
	for i := range n {
		marks[i] = "$" + strconv.Itoa(first+i)
	}
	return marks
}

// inMarks renders "$first, $first+1, ..." for n parameters, as an IN list.
func inMarks(first, n int) string { return strings.Join(paramMarks(first, n), ", ") }

// rowMarks writes one row of placeholders, ($k, ..., $k+cols-1[, literal]).
func rowMarks(b *strings.Builder, row, cols int, literal ...string) {
	if row > 0 {
		b.WriteString(", ")
	}
	b.WriteByte('(')
	for c := 1; c <= cols; c++ {
		if c > 1 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(row*cols + c))
	}
	for _, l := range literal {
		b.WriteString(", ")
		b.WriteString(l)
	}
	b.WriteByte(')')
}

// positional rewrites a bulk statement's $1, $2, ... as SQLite's anonymous
// "?" placeholders. SQLite treats "$N" as a named parameter and looks each
// one up in a list, so a statement with thousands of them costs time
// quadratic in their number (a 60,000-row import took two minutes); "?" is
// numbered as it is parsed and costs nothing. It needs each $N used once,
// in order; a statement that is not like that is left as it is.
func (db *DB) positional(q string) string {
	if !db.dialect.anonymousPlaceholders {
		return q
	}
	var b strings.Builder
	b.Grow(len(q))
	want := 1
	for i := 0; i < len(q); i++ {
		if q[i] != '$' {
			b.WriteByte(q[i])
			continue
		}
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(q[i+1 : j]); err != nil || n != want {
			return q
		}
		want++
		b.WriteByte('?')
		i = j - 1
	}
	return b.String()
}
