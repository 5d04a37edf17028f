package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// eachRow runs a read and hands each row to scan, then closes the rows. An
// error of the query, of a row's scan or of the rows is wrapped as
// "storage: what: ...".
func eachRow(ctx context.Context, q queryer, what, query string, args []any, scan func(rows *sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("storage: %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("storage: %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: %s: %w", what, err)
	}
	return nil
}

// scanAll scans every row with scan and closes rows. An empty result is []
// (never nil, so it is [] in JSON). A scan error is wrapped as "storage:
// scan what: ..." when what is set.
func scanAll[T any](rows *sql.Rows, what string, scan func(row interface{ Scan(...any) error }) (*T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			if what != "" {
				return nil, fmt.Errorf("storage: scan %s: %w", what, err)
			}
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// timeOf is a scanned nullable time as a pointer (nil: NULL), as the
// driver gave it; ptrTime is the same in UTC.
func timeOf(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

func ptrTime(nt sql.NullTime) *time.Time {
	if !nt.Valid {
		return nil
	}
	t := nt.Time.UTC()
	return &t
}

// floatOf is a scanned nullable number as a pointer (nil: NULL).
func floatOf(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	return &n.Float64
}

// scanID scans a row of one id, for scanAll.
func scanID(row interface{ Scan(...any) error }) (*int64, error) {
	var id int64
	return &id, row.Scan(&id)
}

// addWhere returns a function that adds a condition to where, its "?"
// numbered as the argument v it appends to args ($2, $3 ...).
func addWhere(where *[]string, args *[]any) func(cond string, v any) {
	return func(cond string, v any) {
		*args = append(*args, v)
		*where = append(*where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(*args))))
	}
}
