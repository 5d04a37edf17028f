package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/audit"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

func mustCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := caremarket.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// checkAudited fails the test for each action with no record among the
// latest limit audit records.
func checkAudited(t testing.TB, db *storage.DB, ctx context.Context, limit int, actions ...string) {
	t.Helper()
	recs, err := db.SearchAudit(ctx, audit.Filter{Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.Action] = true
	}
	for _, want := range actions {
		if !seen[want] {
			t.Errorf("no audit record %q", want)
		}
	}
}

// seedProvider adds a provider with one location in area.
func seedProvider(t testing.TB, db *storage.DB, ctx context.Context, name, cqc string, area market.Area, sts ...market.ServiceType) (*market.Provider, *market.Location) {
	t.Helper()
	p := &market.Provider{Name: name, CQCProviderID: "1-10" + cqc}
	if err := db.CreateProvider(ctx, p); err != nil {
		t.Fatal(err)
	}
	d := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	l := &market.Location{ProviderID: p.ID, CQCLocationID: "1-20" + cqc, Name: name + " House", Postcode: "ct9 1aa",
		AreaID: area.ID, ServiceTypes: sts, RegisteredBeds: 40, Rating: market.Good, RatingDate: &d}
	if err := db.CreateLocation(ctx, l); err != nil {
		t.Fatal(err)
	}
	return p, l
}

func TestMigrateTwice(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		n, err := db.Migrate(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d (%v), want 0", n, err)
		}
	})
}

func TestRegistry(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, areas := storagetest.Council(t, db, "kent", "Thanet", "Dover", "Canterbury")
		if err := db.SetNeighbours(ctx, areas[0].ID, []int64{areas[1].ID, areas[2].ID}); err != nil {
			t.Fatal(err)
		}
		p, l := seedProvider(t, db, ctx, "Seaview Care", "0000001", areas[0], market.Nursing, market.Residential)
		seedProvider(t, db, ctx, "Harbour Homes", "0000002", areas[1], market.Homecare)

		got, err := db.Location(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Postcode != "CT9 1AA" || got.AreaName != "Thanet" || got.ProviderName != "Seaview Care" ||
			len(got.ServiceTypes) != 2 || got.RatingDate == nil || !got.RatingDate.Equal(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("location read back wrong: %+v", got)
		}

		dover, err := db.Area(ctx, areas[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(dover.Neighbours) != 1 || dover.Neighbours[0].Name != "Thanet" {
			t.Errorf("borders are not symmetric: Dover neighbours %+v", dover.Neighbours)
		}

		tests := []struct {
			name string
			f    market.LocationFilter
			want int
		}{
			{"all", market.LocationFilter{}, 2},
			{"by area", market.LocationFilter{AreaID: areas[0].ID}, 1},
			{"by service", market.LocationFilter{ServiceType: market.Homecare}, 1},
			{"by rating none", market.LocationFilter{Rating: market.Inadequate}, 0},
			{"by text", market.LocationFilter{Query: "harbour"}, 1},
			{"by postcode", market.LocationFilter{Query: "ct9"}, 2},
			{"by provider", market.LocationFilter{ProviderID: p.ID}, 1},
		}
		for _, tt := range tests {
			locs, total, err := db.ListLocations(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if total != tt.want || len(locs) != tt.want {
				t.Errorf("%s: got %d (total %d), want %d", tt.name, len(locs), total, tt.want)
			}
		}

		if err := db.SetVacancy(ctx, &market.Vacancy{LocationID: l.ID, ServiceType: market.Nursing, Vacancies: 2}); err != nil {
			t.Fatal(err)
		}
		err = db.SetVacancy(ctx, &market.Vacancy{LocationID: l.ID, ServiceType: market.Homecare, Vacancies: 2})
		mustCode(t, err, caremarket.EINVALID)
		vs, err := db.Vacancies(ctx, l.ID)
		if err != nil || len(vs) != 1 || vs[0].Vacancies != 2 {
			t.Fatalf("vacancies = %+v, %v", vs, err)
		}

		// Duplicate CQC ids are a conflict, not a crash.
		err = db.CreateProvider(ctx, &market.Provider{Name: "Copy", CQCProviderID: "1-100000001"})
		mustCode(t, err, caremarket.ECONFLICT)
	})
}

func TestCouncilIsolation(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		kent, ka := storagetest.Council(t, db, "kent", "Thanet")
		surrey, sa := storagetest.Council(t, db, "surrey", "Woking")
		kp, kl := seedProvider(t, db, kent, "Kent Care", "0000001", ka[0], market.Nursing)
		sp, _ := seedProvider(t, db, surrey, "Surrey Care", "0000002", sa[0], market.Nursing)

		broker := storagetest.As(surrey, caremarket.RoleBroker, 0)
		_, err := db.Provider(broker, kp.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.Location(broker, kl.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		locs, total, err := db.ListLocations(broker, market.LocationFilter{})
		if err != nil || total != 1 || locs[0].Name != "Surrey Care House" {
			t.Errorf("Surrey broker sees %d locations: %+v", total, locs)
		}
		// Attaching a location to another council's provider is refused.
		err = db.CreateLocation(surrey, &market.Location{ProviderID: kp.ID, CQCLocationID: "1-300000001", Name: "X",
			Postcode: "GU21 1AA", AreaID: sa[0].ID, ServiceTypes: []market.ServiceType{market.Nursing}})
		mustCode(t, err, caremarket.EINVALID)
		_ = sp
	})
}

func TestProviderIsolation(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, areas := storagetest.Council(t, db, "kent", "Thanet")
		a, al := seedProvider(t, db, ctx, "Alpha", "0000001", areas[0], market.Nursing)
		b, bl := seedProvider(t, db, ctx, "Beta", "0000002", areas[0], market.Nursing)

		asA := storagetest.As(ctx, caremarket.RoleProvider, a.ID)
		if _, err := db.Provider(asA, a.ID); err != nil {
			t.Errorf("provider cannot read itself: %v", err)
		}
		_, err := db.Provider(asA, b.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.Location(asA, bl.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.Vacancies(asA, bl.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		err = db.SetVacancy(asA, &market.Vacancy{LocationID: bl.ID, ServiceType: market.Nursing, Vacancies: 9})
		mustCode(t, err, caremarket.ENOTFOUND)
		if err := db.SetVacancy(asA, &market.Vacancy{LocationID: al.ID, ServiceType: market.Nursing, Vacancies: 1}); err != nil {
			t.Errorf("provider cannot update own vacancy: %v", err)
		}
		provs, total, err := db.ListProviders(asA, market.ProviderFilter{})
		if err != nil || total != 1 || provs[0].ID != a.ID {
			t.Errorf("provider lists %d providers: %+v", total, provs)
		}
		err = db.CreateProvider(asA, &market.Provider{Name: "Sneaky"})
		mustCode(t, err, caremarket.EFORBIDDEN)
		_, _, err = db.ListLocations(context.Background(), market.LocationFilter{})
		mustCode(t, err, caremarket.EUNAUTHORIZED)
	})
}

func TestAuditChain(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, areas := storagetest.Council(t, db, "kent", "Thanet", "Dover")
		p, _ := seedProvider(t, db, ctx, "Alpha", "0000001", areas[0], market.Nursing)
		p.Name = "Alpha Care Ltd"
		if err := db.UpdateProvider(ctx, p); err != nil {
			t.Fatal(err)
		}
		checked, broken, err := db.VerifyAudit(context.Background())
		if err != nil || broken != nil || checked < 6 {
			t.Fatalf("intact chain: checked %d, broken %+v, err %v", checked, broken, err)
		}
		recs, err := db.SearchAudit(ctx, audit.Filter{Query: "provider.update"})
		if err != nil || len(recs) != 1 || recs[0].Before == "" || recs[0].After == "" {
			t.Fatalf("audit search: %+v %v", recs, err)
		}
		_, err = db.SearchAudit(storagetest.As(ctx, caremarket.RoleBroker, 0), audit.Filter{})
		mustCode(t, err, caremarket.EFORBIDDEN)

		// The database refuses edits outright...
		if _, err := db.SQL().Exec(`UPDATE audit_log SET actor = 'mallory' WHERE id = $1`, recs[0].ID); err == nil {
			t.Fatal("audit log accepted an UPDATE")
		}
		// ...and when someone with the power to drop the guard edits a row anyway, verify finds it.
		dropGuard := `DROP TRIGGER audit_log_no_update`
		if db.Driver() == "postgres" {
			dropGuard = `DROP TRIGGER audit_log_no_update ON audit_log`
		}
		if _, err := db.SQL().Exec(dropGuard); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec(`UPDATE audit_log SET after_summary = '{"name":"Forged"}' WHERE id = $1`, recs[0].ID); err != nil {
			t.Fatal(err)
		}
		_, broken, err = db.VerifyAudit(context.Background())
		if err != nil || broken == nil || broken.ID != recs[0].ID {
			t.Fatalf("tampered chain: broken %+v, err %v, want break at %d", broken, err, recs[0].ID)
		}
	})
}

func TestFailedChangeLeavesNothing(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, areas := storagetest.Council(t, db, "kent", "Thanet")
		seedProvider(t, db, ctx, "Alpha", "0000001", areas[0], market.Nursing)
		count := func() (n int) {
			db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&n)
			return n
		}
		before := count()
		// A location whose CQC id is taken fails after its provider check passed.
		p, _, _ := db.ListProviders(ctx, market.ProviderFilter{})
		err := db.CreateLocation(ctx, &market.Location{ProviderID: p[0].ID, CQCLocationID: "1-200000001", Name: "Dup",
			Postcode: "CT9 2AA", AreaID: areas[0].ID, ServiceTypes: []market.ServiceType{market.Nursing}})
		mustCode(t, err, caremarket.ECONFLICT)
		if got := count(); got != before {
			t.Errorf("failed change wrote %d audit records", got-before)
		}
		var services int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM location_services`).Scan(&services)
		if services != 1 {
			t.Errorf("failed change left service rows: %d", services)
		}
	})
}

func TestUsersSessionsTokens(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, areas := storagetest.Council(t, db, "kent", "Thanet")
		p, _ := seedProvider(t, db, ctx, "Alpha", "0000001", areas[0], market.Nursing)
		hash, _ := access.HashPassword("a long enough password")
		u := &access.User{Email: "Provider@Alpha.example", Role: caremarket.RoleProvider, ProviderID: p.ID, PasswordHash: hash}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		err := db.CreateUser(ctx, &access.User{Email: "provider@alpha.example", Role: caremarket.RoleBroker})
		mustCode(t, err, caremarket.ECONFLICT)
		err = db.CreateUser(storagetest.As(ctx, caremarket.RoleBroker, 0), &access.User{Email: "x@y.example", Role: caremarket.RoleAdmin})
		mustCode(t, err, caremarket.EFORBIDDEN)

		got, err := db.UserByEmail(ctx, "provider@alpha.example")
		if err != nil || got.ProviderID != p.ID || got.CouncilSlug != "kent" || !access.CheckPassword("a long enough password", got.PasswordHash) {
			t.Fatalf("user read back wrong: %+v %v", got, err)
		}
		secret, sh := access.NewSecret()
		now := time.Now()
		if err := db.CreateSession(ctx, u.ID, sh, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if s, err := db.UserBySession(ctx, access.HashSecret(secret), now); err != nil || s.ID != u.ID {
			t.Fatalf("session lookup: %+v %v", s, err)
		}
		_, err = db.UserBySession(ctx, sh, now.Add(2*time.Hour))
		mustCode(t, err, caremarket.ENOTFOUND)
		db.DeleteSession(ctx, sh)
		_, err = db.UserBySession(ctx, sh, now)
		mustCode(t, err, caremarket.ENOTFOUND)

		_, th := access.NewSecret()
		if err := db.CreateToken(ctx, u.ID, th, "script"); err != nil {
			t.Fatal(err)
		}
		if tu, err := db.UserByToken(ctx, th); err != nil || tu.Role != caremarket.RoleProvider {
			t.Fatalf("token lookup: %+v %v", tu, err)
		}
	})
}

// TestManualRatingChange keeps the rating history and raises the Inadequate
// alert when a person changes a rating by hand, as an import does.
func TestManualRatingChange(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, areas := storagetest.Council(t, db, "kent", "Thanet")
		_, l := seedProvider(t, db, ctx, "Seaview Care", "0000001", areas[0], market.Nursing)
		l.Name = "Seaview Care Home" // not a rating change: no history
		if err := db.UpdateLocation(ctx, l); err != nil {
			t.Fatal(err)
		}
		// With no change recorded, the history is just the current rating.
		if h, err := db.RatingHistory(ctx, l.ID); err != nil || len(h) != 1 || h[0].ID != 0 || h[0].Rating != market.Good {
			t.Fatalf("history after a name change: %+v %v", h, err)
		}
		d := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		l.Rating, l.RatingDate = market.Inadequate, &d
		if err := db.UpdateLocation(ctx, l); err != nil {
			t.Fatal(err)
		}
		h, err := db.RatingHistory(ctx, l.ID)
		if err != nil || len(h) != 2 || h[0].Rating != market.Inadequate || h[0].Previous != market.Good || h[1].Rating != market.Good {
			t.Fatalf("history = %+v, %v; want Inadequate (was Good), then the first-seen Good", h, err)
		}
		alerts, err := db.ListAlerts(ctx, true)
		if err != nil || len(alerts) != 1 || alerts[0].LocationID != l.ID {
			t.Fatalf("alerts = %+v, %v; want one for the location", alerts, err)
		}
		if blocked, _, err := db.PlacementBlocked(ctx, l.ID); err != nil || !blocked {
			t.Errorf("an Inadequate location is not blocked: %v %v", blocked, err)
		}
	})
}
