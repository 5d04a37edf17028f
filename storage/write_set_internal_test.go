package storage

import (
	"slices"
	"testing"
)

func TestFoldStatements(t *testing.T) {
	for _, c := range []struct {
		name     string
		qs       []string
		args     [][]any
		want     string
		wantArgs []any
	}{
		{"one statement is left as it is", []string{"INSERT INTO a VALUES ($1, $2)"}, [][]any{{1, 2}},
			"INSERT INTO a VALUES ($1, $2)", []any{1, 2}},
		{"two: the second's parameters follow the first's", []string{"INSERT INTO a VALUES ($1, $2)", "INSERT INTO b VALUES ($1) ON CONFLICT (x) DO UPDATE SET n = b.n + excluded.n"},
			[][]any{{1, 2}, {3}},
			"WITH w0 AS (INSERT INTO a VALUES ($1, $2)) INSERT INTO b VALUES ($3) ON CONFLICT (x) DO UPDATE SET n = b.n + excluded.n", []any{1, 2, 3}},
		{"three, with two-digit numbers", []string{"INSERT INTO a VALUES ($1), ($2), ($3), ($4), ($5), ($6), ($7), ($8), ($9), ($10)", "INSERT INTO b VALUES ($1)", "INSERT INTO c VALUES ($1, $2)"},
			[][]any{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {11}, {12, 13}},
			"WITH w0 AS (INSERT INTO a VALUES ($1), ($2), ($3), ($4), ($5), ($6), ($7), ($8), ($9), ($10)), w1 AS (INSERT INTO b VALUES ($11)) INSERT INTO c VALUES ($12, $13)",
			[]any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}},
		{"a $ without a number stays", []string{"SELECT 1", "SELECT '$' || $1"}, [][]any{{}, {"x"}},
			"WITH w0 AS (SELECT 1) SELECT '$' || $1", []any{"x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, args := foldStatements(c.qs, c.args)
			if got != c.want || !slices.Equal(args, c.wantArgs) {
				t.Errorf("foldStatements = %q %v\nwant %q %v", got, args, c.want, c.wantArgs)
			}
		})
	}
}
