package storage

import (
	"context"
	"strconv"
	"strings"
)

// writeSet gathers writes that read none of each other's rows (the stored
// commitment's rows and totals, each a different table), so that they can
// go to the database together. Over a network every statement is a round
// trip, and on PostgreSQL a placement's acceptance spent more time on round
// trips than on its statements; so there they go as one statement, each
// write a part of one WITH (PostgreSQL runs every part exactly once, to
// completion). SQLite runs in process, where a statement costs no trip:
// they run one by one, as written.
type writeSet struct {
	qs   []string
	args [][]any
}

// add adds one statement.
func (w *writeSet) add(q string, args ...any) {
	w.qs = append(w.qs, q)
	w.args = append(w.args, args)
}

// insertRows adds a multi-row INSERT of rows of cols values each (args
// holds them one row after another), in statements of at most 1,000 rows
// (500 for wide rows); suffix follows the VALUES (an ON CONFLICT clause).
func (w *writeSet) insertRows(db *DB, head string, cols int, args []any, suffix ...string) {
	per := 1000 * cols
	if cols > 16 {
		per = 500 * cols
	}
	for lo := 0; lo < len(args); lo += per {
		part := args[lo:min(lo+per, len(args))]
		w.qs = append(w.qs, db.positional(head+values(len(part)/cols, cols)+strings.Join(suffix, "")))
		w.args = append(w.args, part)
	}
}

// maxFoldParams keeps a folded statement under PostgreSQL's 65,535
// parameters.
const maxFoldParams = 30000

// run sends the writes, folded where the database gains by it.
func (w *writeSet) run(ctx context.Context, tx *Tx) error {
	for lo := 0; lo < len(w.qs); {
		hi, n := lo+1, len(w.args[lo])
		if tx.db.dialect.foldWrites {
			for hi < len(w.qs) && n+len(w.args[hi]) <= maxFoldParams {
				n += len(w.args[hi])
				hi++
			}
		}
		q, args := foldStatements(w.qs[lo:hi], w.args[lo:hi])
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}

// foldStatements makes one statement of several: "WITH w0 AS (first), w1 AS
// (second) last", each one's $N numbered on after the one before.
func foldStatements(qs []string, args [][]any) (string, []any) {
	if len(qs) == 1 {
		return qs[0], args[0]
	}
	var b strings.Builder
	var all []any
	for i, q := range qs {
		q = shiftParams(q, len(all))
		all = append(all, args[i]...)
		switch {
		case i == 0:
			b.WriteString("WITH w0 AS (" + q + ")")
		case i < len(qs)-1:
			b.WriteString(", w" + strconv.Itoa(i) + " AS (" + q + ")")
		default:
			b.WriteString(" " + q)
		}
	}
	return b.String(), all
}

// shiftParams adds by to every $N in q (q holds no "$" but its parameters).
func shiftParams(q string, by int) string {
	if by == 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + len(q)/8)
	for i := 0; i < len(q); i++ {
		j := i + 1
		for q[i] == '$' && j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		if j == i+1 {
			b.WriteByte(q[i])
			continue
		}
		n, _ := strconv.Atoi(q[i+1 : j])
		b.WriteString("$" + strconv.Itoa(n+by))
		i = j - 1
	}
	return b.String()
}
