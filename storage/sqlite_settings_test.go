package storage_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestSQLiteConnectionSettings checks the settings every pooled SQLite
// connection gets: foreign keys on, WAL, synchronous=FULL (a commit survives a
// power cut), a 16 MB page cache and reads through a 256 MB memory map.
func TestSQLiteConnectionSettings(t *testing.T) {
	db := storagetest.SQLite(t)
	ctx := context.Background()
	// Hold several connections at once, so the check is not of one only.
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		c, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for _, tc := range []struct {
		pragma, want string
	}{
		{"foreign_keys", "1"},
		{"journal_mode", "wal"},
		{"synchronous", "2"},
		{"cache_size", "-16000"},
		{"mmap_size", "268435456"},
	} {
		for i, c := range conns {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatalf("connection %d: PRAGMA %s: %v", i, tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, tc.pragma, got, tc.want)
			}
		}
	}
}
