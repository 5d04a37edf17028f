package storage_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket/audit"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestAuditChainsPerCouncil: a log that began as one shared chain (records
// written before chains per council, chain NULL) still verifies; each
// council's records then follow their own chain from the shared chain's
// end; councils writing at once do not break each other's chains; and a
// record removed from the end of a council's chain is found through its
// head.
func TestAuditChainsPerCouncil(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		// The shared chain as it was written before: three records of two
		// councils, each following the one before whatever its council.
		prev := audit.GenesisHash
		at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		for i, council := range []int64{1, 2, 1} {
			r := &audit.Record{ID: int64(i + 1), At: at, CouncilID: council, Actor: "old@example", Role: "admin", Action: "legacy.change",
				EntityType: "thing", EntityID: "1", PrevHash: prev}
			r.Hash = audit.ComputeHash(r)
			if _, err := db.SQL().Exec(`INSERT INTO audit_log (id, at, council_id, actor, role, action, entity_type, entity_id, prev_hash, hash)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, r.ID, r.At, r.CouncilID, r.Actor, r.Role, r.Action, r.EntityType, r.EntityID, r.PrevHash, r.Hash); err != nil {
				t.Fatal(err)
			}
			prev = r.Hash
		}
		if db.Driver() == "postgres" {
			// As the migration does for a log that has records.
			if _, err := db.SQL().Exec(`SELECT setval('audit_log_ids', 4, false)`); err != nil {
				t.Fatal(err)
			}
		}
		kent, _ := storagetest.Council(t, db, "kent", "Thanet")
		surrey, _ := storagetest.Council(t, db, "surrey", "Guildford")
		// Both councils write at once.
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := kent
				if i%2 == 1 {
					ctx = surrey
				}
				p := &market.Provider{Name: "Provider " + string(rune('A'+i))}
				if err := db.CreateProvider(ctx, p); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		n, chains, broken, err := db.VerifyAuditChains(context.Background())
		if err != nil || broken != nil || n < 3+8 || chains < 3 {
			t.Fatalf("checked %d in %d chains, broken %+v, err %v", n, chains, broken, err)
		}
		// Each council's first record follows the shared chain's last.
		var firstPrev string
		if err := db.SQL().QueryRow(`SELECT prev_hash FROM audit_log WHERE chain IS NOT NULL ORDER BY id LIMIT 1`).Scan(&firstPrev); err != nil || firstPrev != prev {
			t.Fatalf("first chained record follows %q, want the shared chain's end %q (%v)", firstPrev, prev, err)
		}

		// Someone able to lift the guard removes the last record of a chain:
		// the chain itself still links, but its head says where it ended.
		lift := []string{`DROP TRIGGER audit_log_no_delete`}
		if db.Driver() == "postgres" {
			lift = []string{`DROP TRIGGER audit_log_no_update ON audit_log`}
		}
		for _, q := range lift {
			if _, err := db.SQL().Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		var last int64
		db.SQL().QueryRow(`SELECT MAX(id) FROM audit_log`).Scan(&last)
		if _, err := db.SQL().Exec(`DELETE FROM audit_log WHERE id = $1`, last); err != nil {
			t.Fatal(err)
		}
		_, _, broken, err = db.VerifyAuditChains(context.Background())
		if err != nil || broken == nil || broken.ID != last || !strings.Contains(broken.Reason, "removed from the end") {
			t.Fatalf("truncated chain: broken %+v, err %v, want a break at %d", broken, err, last)
		}
	})
}
