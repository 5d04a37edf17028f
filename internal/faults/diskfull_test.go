package faults

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/storage"
)

// TestSQLiteDiskFull: SQLite's file cannot grow (max_page_count, as a full
// disk or a size-limited file would stop it). An acceptance gets 503 with a
// clear message and changes nothing; the database stays intact; once space
// is freed, writes work again on the same server.
func TestSQLiteDiskFull(t *testing.T) {
	tg := sqliteTarget(t)
	m := seed(t, tg.cfg, 200)
	ctx := context.Background()
	probe, err := storage.Open(ctx, tg.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var pages int
	probe.SQL().QueryRow(`PRAGMA page_count`).Scan(&pages)
	probe.Close()

	cfg := tg.cfg
	cfg.SQLitePragmas = []string{fmt.Sprintf("max_page_count(%d)", pages+64)}
	db, serverURL, client := serveInProcess(t, cfg)

	var acked []accepted
	next := 0
	acceptNext := func() (int, string) {
		status, placement, msg, err := accept(client, serverURL, m.token, m.offers[next])
		if err != nil {
			t.Fatal(err)
		}
		if status == http.StatusCreated {
			acked = append(acked, accepted{m.offers[next], placement})
		}
		next++
		return status, msg
	}
	if status, msg := acceptNext(); status != http.StatusCreated {
		t.Fatalf("before the disk fills: %d %s", status, msg)
	}
	// Fill the file to its limit with something that can be let go.
	if _, err := db.SQL().Exec(`CREATE TABLE filler (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{8000, 1000, 100} {
		for i := 0; ; i++ {
			_, err := db.SQL().Exec(fmt.Sprintf(`INSERT INTO filler VALUES (randomblob(%d))`, size))
			if err != nil {
				if !strings.Contains(err.Error(), "full") {
					t.Fatalf("filling: %v", err)
				}
				break
			}
			if i > 100_000 {
				t.Fatal("the file never filled")
			}
		}
	}
	// Full: acceptances are refused, clearly, until one would fit.
	full := 0
	for i := 0; i < 10; i++ {
		status, msg := acceptNext()
		switch status {
		case http.StatusCreated:
		case http.StatusServiceUnavailable:
			full++
			if !strings.Contains(msg, "disk is full") {
				t.Fatalf("full disk: message %q", msg)
			}
		default:
			t.Fatalf("full disk: %d %s, want 503", status, msg)
		}
	}
	if full == 0 {
		t.Fatal("no acceptance was refused with the file at its limit")
	}
	integrity(t, db.SQL())
	consistent(t, db.SQL(), m, acked)

	// Space freed: the same server writes again.
	if _, err := db.SQL().Exec(`DROP TABLE filler`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if status, msg := acceptNext(); status != http.StatusCreated {
			t.Fatalf("after space was freed: %d %s", status, msg)
		}
	}
	integrity(t, db.SQL())
	consistent(t, db.SQL(), m, acked)
	verifyAudit(t, binary(t), tg)
}
