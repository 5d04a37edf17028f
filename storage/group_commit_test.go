package storage_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestGroupCommitFailingMember: acceptances that arrive together share one
// commit; one that fails (its home's last bed was taken by an earlier
// acceptance in the same batch, or its offer has lapsed) is rolled back
// alone and hears its own error, and the others are placed, with their
// audit records on an intact chain.
func TestGroupCommitFailingMember(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		gammaOffers := f.seedOffers(t, f.gamma, market.Nursing, 2, time.Hour)
		f.now = f.now.Add(time.Second)
		alphaOffers := f.seedOffers(t, f.alpha, market.Nursing, 1, time.Hour)
		f.now = f.now.Add(time.Second)
		lapsed := f.seedOffers(t, f.alpha, market.Nursing, 1, time.Minute)
		f.now = f.now.Add(2 * time.Minute)
		batchesBefore, _ := db.GroupCommitStats()

		queued, release := storage.HoldGroupCommit(db)
		type call struct {
			ctx   context.Context
			offer int64
			want  string
		}
		calls := []call{
			{f.provider(f.gamma), gammaOffers[0], ""},
			{f.provider(f.gamma), gammaOffers[1], caremarket.ECONFLICT}, // Gamma's one bed went to the first
			{f.provider(f.alpha), lapsed[0], caremarket.ECONFLICT},      // expired
			{f.provider(f.alpha), alphaOffers[0], ""},
		}
		type result struct {
			p   *brokerage.Placement
			err error
		}
		results := make([]chan result, len(calls))
		for i, c := range calls {
			results[i] = make(chan result, 1)
			go func() {
				p, err := db.AcceptOffer(c.ctx, c.offer)
				results[i] <- result{p, err}
			}()
			for queued() != i+1 {
				time.Sleep(time.Millisecond)
			}
		}
		release()
		for i, c := range calls {
			r := <-results[i]
			if got := caremarket.ErrorCode(r.err); got != c.want {
				t.Fatalf("acceptance %d: error %v; want code %q", i, r.err, c.want)
			}
			if c.want == "" && (r.p == nil || r.p.ID == 0) {
				t.Fatalf("acceptance %d: no placement", i)
			}
		}
		if batches, _ := db.GroupCommitStats(); batches != batchesBefore+1 {
			t.Fatalf("%d batches; want the four acceptances in one", batches-batchesBefore)
		}
		for _, c := range []struct {
			offer  int64
			placed int
		}{{gammaOffers[0], 1}, {gammaOffers[1], 0}, {lapsed[0], 0}, {alphaOffers[0], 1}} {
			var placements int
			if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM placements WHERE offer_id = $1`, c.offer).Scan(&placements); err != nil {
				t.Fatal(err)
			}
			var status string
			if err := db.SQL().QueryRow(`SELECT r.status FROM care_requirements r JOIN offers o ON o.requirement_id = r.id WHERE o.id = $1`, c.offer).Scan(&status); err != nil {
				t.Fatal(err)
			}
			if wantStatus := map[int]string{0: "open", 1: "placed"}[c.placed]; placements != c.placed || status != wantStatus {
				t.Fatalf("offer %d: %d placements, requirement %s; want %d, %s", c.offer, placements, status, c.placed, wantStatus)
			}
		}
		for _, loc := range []*market.Location{f.gamma, f.alpha} {
			var vac int
			if err := db.SQL().QueryRow(`SELECT vacancies FROM vacancies WHERE location_id = $1 AND service_type = 'nursing'`, loc.ID).Scan(&vac); err != nil {
				t.Fatal(err)
			}
			if vac != 0 {
				t.Fatalf("%s: %d vacancies; want 0", loc.Name, vac)
			}
		}
		var audited int
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'placement.create'`).Scan(&audited); err != nil {
			t.Fatal(err)
		}
		if audited != 2 {
			t.Fatalf("%d placement audit records; want 2", audited)
		}
		if _, b, err := db.VerifyAudit(context.Background()); err != nil || b != nil {
			t.Fatalf("audit verify: %v %+v", err, b)
		}
	})
}

// TestGroupCommitLockWait (PostgreSQL, where other connections write side
// by side): a later change of a batch that waits for a row another
// transaction holds gives up after a short lock_timeout, so the batch
// commits the others instead of waiting (a wait that could close a
// deadlock cycle), and the change runs again as the first of the next
// batch, waiting as long as it must, and succeeds.
func TestGroupCommitLockWait(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		if db.Driver() != "postgres" {
			t.Skip("SQLite has one writer: a batch never waits for another")
		}
		f := newBrokerFixture(t, db)
		alphaOffers := f.seedOffers(t, f.alpha, market.Nursing, 1, time.Hour)
		f.now = f.now.Add(time.Second)
		gammaOffers := f.seedOffers(t, f.gamma, market.Nursing, 1, time.Hour)
		// Another connection holds Gamma's vacancy row.
		other, err := db.SQL().Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback()
		if _, err := other.Exec(`SELECT vacancies FROM vacancies WHERE location_id = $1 FOR UPDATE`, f.gamma.ID); err != nil {
			t.Fatal(err)
		}
		batchesBefore, _ := db.GroupCommitStats()
		queued, release := storage.HoldGroupCommit(db)
		done := make(chan error, 2)
		go func() { _, err := db.AcceptOffer(f.provider(f.alpha), alphaOffers[0]); done <- err }()
		for queued() != 1 {
			time.Sleep(time.Millisecond)
		}
		gammaDone := make(chan error, 1)
		go func() { _, err := db.AcceptOffer(f.provider(f.gamma), gammaOffers[0]); gammaDone <- err }()
		for queued() != 2 {
			time.Sleep(time.Millisecond)
		}
		release()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Alpha's acceptance: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Alpha's acceptance waited behind a lock its batch's later change wanted")
		}
		select {
		case err := <-gammaDone:
			t.Fatalf("Gamma's acceptance answered (%v) while its vacancy row was held", err)
		case <-time.After(200 * time.Millisecond):
		}
		other.Rollback()
		if err := <-gammaDone; err != nil {
			t.Fatalf("Gamma's acceptance, run again: %v", err)
		}
		if batches, _ := db.GroupCommitStats(); batches < batchesBefore+2 {
			t.Fatalf("%d batches; want Gamma's acceptance run again in a second", batches-batchesBefore)
		}
		if _, b, err := db.VerifyAudit(context.Background()); err != nil || b != nil {
			t.Fatalf("audit verify: %v %+v", err, b)
		}
	})
}

// TestGroupCommitDatabaseErrors (PostgreSQL): a change whose statement
// fails in the database (not a refusal made in Go) is rolled back alone,
// even as the first of a batch, where the later changes' short lock wait is
// set; and a change PostgreSQL fails to break a deadlock runs again, up to
// three times, before its caller hears of it.
func TestGroupCommitDatabaseErrors(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		if db.Driver() != "postgres" {
			t.Skip("the lock wait and deadlocks are PostgreSQL's")
		}
		sys, _ := storagetest.Council(t, db, "kent", "Thanet")
		exec := func(q string) func(ctx context.Context, tx *sql.Tx) error {
			return func(ctx context.Context, tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err }
		}
		const deadlock = `DO $$ BEGIN RAISE EXCEPTION 'a cycle of waits' USING ERRCODE = 'deadlock_detected'; END $$`
		runs := 0
		losesOnce := func(ctx context.Context, tx *sql.Tx) error {
			if runs++; runs == 1 {
				return exec(deadlock)(ctx, tx)
			}
			return nil
		}
		queued, release := storage.HoldGroupCommit(db)
		var answers []<-chan error
		for i, run := range []func(context.Context, *sql.Tx) error{exec(`SELECT 1/0`), exec(`SELECT 1`), losesOnce, exec(deadlock)} {
			answers = append(answers, storage.GroupChange(sys, db, run))
			for queued() != i+1 {
				time.Sleep(time.Millisecond)
			}
		}
		release()
		for i, want := range []string{"SQLSTATE 22012", "", "", "SQLSTATE 40P01"} {
			err := <-answers[i]
			if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
				t.Errorf("change %d answered %v, want %q", i, err, want)
			}
		}
		if runs != 2 {
			t.Errorf("the change that lost a deadlock once ran %d times, want 2", runs)
		}
	})
}
