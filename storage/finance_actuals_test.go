package storage_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// actualsFixture is a council with two providers and three live
// placements (two with Alpha, one with Beta), and a remittance file paying
// each of them once.
type actualsFixture struct {
	fin         context.Context
	council     int64
	alpha, beta int64 // provider ids
	placements  []int64
	file        string
}

func newActualsFixture(t testing.TB, db *storage.DB) *actualsFixture {
	t.Helper()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	sys, areas := storagetest.Council(t, db, "kent", "Thanet")
	_, a := seedProvider(t, db, sys, "Alpha", "0000001", areas[0], market.Nursing)
	_, b := seedProvider(t, db, sys, "Beta", "0000002", areas[0], market.Nursing)
	start := fday("2025-01-01")
	var hs []storage.HistoryPlacement
	for i, l := range []*market.Location{a, a, b} {
		hs = append(hs, storage.HistoryPlacement{CaseRef: fmt.Sprintf("A-%d", i+1), ServiceType: market.Nursing, ProviderID: l.ProviderID, LocationID: l.ID,
			AreaID: l.AreaID, Outcode: "CT9", Start: start, Prices: []finance.Price{{Weekly: 70000, From: start}}})
	}
	if _, err := storage.LoadPlacementHistory(sys, db, hs); err != nil {
		t.Fatal(err)
	}
	f := &actualsFixture{fin: storagetest.As(sys, caremarket.RoleFinance, 0), council: caremarket.ActorFrom(sys).CouncilID, alpha: a.ProviderID, beta: b.ProviderID}
	rows, err := db.SQL().Query(`SELECT pl.id FROM placements pl JOIN care_requirements r ON r.id = pl.requirement_id WHERE pl.council_id = $1 ORDER BY r.case_reference`, f.council)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var csv strings.Builder
	csv.WriteString("CQC Provider ID,Placement ID,Period From,Period To,Amount,Payment Date\n")
	for i := 0; rows.Next(); i++ {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		f.placements = append(f.placements, id)
		fmt.Fprintf(&csv, "1-10000000%d,%d,01/04/2026,28/04/2026,2800.00,05/05/2026\n", []int{1, 1, 2}[i], id)
	}
	f.file = csv.String()
	return f
}

func countRows(t testing.TB, db *storage.DB, table string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportActualsRollsBack: an import whose last step (its audit
// record) fails leaves nothing behind, neither its record nor any of its
// lines, on either database (on PostgreSQL the lines were already copied
// with COPY); the same file then imports in full, and once only.
func TestImportActualsRollsBack(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newActualsFixture(t, db)
		refuse := []string{`CREATE TRIGGER refuse_import_audit BEFORE INSERT ON audit_log WHEN NEW.action = 'actuals.import'
			BEGIN SELECT RAISE(ABORT, 'audit refused'); END`}
		if db.Driver() == "postgres" {
			refuse = []string{`CREATE FUNCTION refuse_import_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$`,
				`CREATE TRIGGER refuse_import_audit BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = 'actuals.import') EXECUTE FUNCTION refuse_import_audit()`}
		}
		for _, q := range refuse {
			if _, err := db.SQL().Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.ImportActuals(f.fin, "r.csv", "test", strings.NewReader(f.file)); err == nil || !strings.Contains(err.Error(), "audit refused") {
			t.Fatalf("import with its audit refused: %v", err)
		}
		if p, i := countRows(t, db, "actual_payments"), countRows(t, db, "actual_imports"); p != 0 || i != 0 {
			t.Fatalf("after the failed import: %d payment lines, %d imports", p, i)
		}
		if _, err := db.SQL().Exec(`DROP TRIGGER refuse_import_audit` + map[bool]string{true: ` ON audit_log`}[db.Driver() == "postgres"]); err != nil {
			t.Fatal(err)
		}
		rep, err := db.ImportActuals(f.fin, "r.csv", "test", strings.NewReader(f.file))
		if err != nil || rep.Added != 3 || rep.Known != 0 || len(rep.Unmatched) != 0 {
			t.Fatalf("import = %+v, %v", rep, err)
		}
		again, err := db.ImportActuals(f.fin, "r.csv", "test", strings.NewReader(f.file))
		if err != nil || again.Added != 0 || again.Known != 3 {
			t.Fatalf("again = %+v, %v", again, err)
		}
		if p := countRows(t, db, "actual_payments"); p != 3 {
			t.Errorf("%d payment lines stored, want 3", p)
		}
	})
}

// TestImportActualsAtOnce: the same file imported twice at the same time
// stores each line once, and the import that runs second finds them all
// already imported (a council's imports run one at a time).
func TestImportActualsAtOnce(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newActualsFixture(t, db)
		var wg sync.WaitGroup
		reps := make([]*finance.ImportReport, 2)
		errs := make([]error, 2)
		for i := range reps {
			wg.Go(func() { reps[i], errs[i] = db.ImportActuals(f.fin, "r.csv", "test", strings.NewReader(f.file)) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if reps[0].Added+reps[1].Added != 3 || reps[0].Known+reps[1].Known != 3 {
			t.Errorf("reports: %+v and %+v", reps[0], reps[1])
		}
		if p := countRows(t, db, "actual_payments"); p != 3 {
			t.Errorf("%d payment lines stored, want 3", p)
		}
	})
}

// TestActualPaymentIntegrity: a stored payment line must name an import
// and a placement that exist, and an import its lines name cannot be
// deleted or renumbered; on PostgreSQL the line's council and provider
// must also be its placement's.
func TestActualPaymentIntegrity(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newActualsFixture(t, db)
		rep, err := db.ImportActuals(f.fin, "r.csv", "test", strings.NewReader(f.file))
		if err != nil || rep.Added != 3 {
			t.Fatalf("import = %+v, %v", rep, err)
		}
		n := 0
		insert := func(council, importID, placement, provider int64) error {
			n++
			_, err := db.SQL().Exec(`INSERT INTO actual_payments (council_id, import_id, line, placement_id, provider_id, service_type, period_from, period_to,
				amount_pence, committed_pence, paid_on, fingerprint) VALUES ($1, $2, 1, $3, $4, 'nursing', '2026-05-01', '2026-05-28', 1, 1, '2026-06-01', $5)`,
				council, importID, placement, provider, fmt.Sprintf("integrity-%d", n))
			return err
		}
		if err := insert(f.council, rep.ID, f.placements[0], f.alpha); err != nil {
			t.Fatalf("a line that agrees with its placement and import: %v", err)
		}
		bad := map[string]error{
			"an import that does not exist":     insert(f.council, rep.ID+1000, f.placements[0], f.alpha),
			"a placement that does not exist":   insert(f.council, rep.ID, f.placements[2]+1000, f.alpha),
			"deleting an import its lines name": func() error { _, err := db.SQL().Exec(`DELETE FROM actual_imports WHERE id = $1`, rep.ID); return err }(),
			"renumbering an import": func() error {
				_, err := db.SQL().Exec(`UPDATE actual_imports SET id = id + 1000 WHERE id = $1`, rep.ID)
				return err
			}(),
		}
		if db.Driver() == "postgres" {
			other, _ := storagetest.Council(t, db, "surrey", "Guildford")
			bad["a provider other than the placement's"] = insert(f.council, rep.ID, f.placements[2], f.alpha)
			bad["a council other than the placement's"] = insert(caremarket.ActorFrom(other).CouncilID, rep.ID, f.placements[0], f.alpha)
		}
		for what, err := range bad {
			if err == nil {
				t.Errorf("%s: allowed", what)
			}
		}
		if p := countRows(t, db, "actual_payments"); p != 4 {
			t.Errorf("%d payment lines stored, want 4", p)
		}
	})
}
