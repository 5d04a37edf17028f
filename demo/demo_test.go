package demo_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// now is fixed so the test sees the same market every run; it is in the past
// because Location.Validate refuses rating dates after the wall clock.
var now = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func TestKentDistricts(t *testing.T) {
	if len(demo.KentDistricts) != 12 {
		t.Fatalf("Kent has 12 districts, got %d", len(demo.KentDistricts))
	}
	clusters := map[string]bool{}
	for _, c := range demo.KentClusters {
		clusters[c.Name] = true
	}
	outcodeRe := regexp.MustCompile(`^[A-Z]{1,2}[0-9]{1,2}$`)
	codes, names, outcodes := map[string]bool{}, map[string]bool{}, map[string]string{}
	for _, d := range demo.KentDistricts {
		if codes[d.Code] || names[d.Name] {
			t.Errorf("district %s (%s) listed twice", d.Name, d.Code)
		}
		codes[d.Code], names[d.Name] = true, true
		if !clusters[d.Cluster] {
			t.Errorf("%s is in unknown cluster %q", d.Name, d.Cluster)
		}
		if len(d.Outcodes) == 0 {
			t.Errorf("%s has no outcodes", d.Name)
		}
		for _, oc := range d.Outcodes {
			if !outcodeRe.MatchString(oc) {
				t.Errorf("%s: %q is not an outcode", d.Name, oc)
			}
			if other, ok := outcodes[oc]; ok {
				t.Errorf("outcode %s is under both %s and %s", oc, other, d.Name)
			}
			outcodes[oc] = d.Name
		}
	}
	seen := map[[2]string]bool{}
	for _, b := range demo.KentBorders {
		if !names[b[0]] || !names[b[1]] || b[0] == b[1] {
			t.Errorf("border %v names an unknown district or a district with itself", b)
		}
		if seen[b] || seen[[2]string{b[1], b[0]}] {
			t.Errorf("border %v listed twice", b)
		}
		seen[b] = true
	}
}

func TestDistrictForOutcode(t *testing.T) {
	tests := []struct {
		outcode string
		want    string
		ok      bool
	}{
		{"CT9", "Thanet", true},
		{"ct11", "Thanet", true},
		{" CT16 ", "Dover", true},
		{"CT1", "Canterbury", true},
		{"TN23", "Ashford", true},
		{"TN30", "Ashford", true},
		{"CT20", "Folkestone and Hythe", true},
		{"TN29", "Folkestone and Hythe", true},
		{"ME10", "Swale", true},
		{"ME15", "Maidstone", true},
		{"ME19", "Tonbridge and Malling", true},
		{"TN9", "Tonbridge and Malling", true},
		{"TN1", "Tunbridge Wells", true},
		{"TN13", "Sevenoaks", true},
		{"BR8", "Sevenoaks", true},
		{"DA1", "Dartford", true},
		{"DA12", "Gravesham", true},
		{"ME4", "", false},  // Chatham: Medway, not Kent County
		{"SW1A", "", false}, // Westminster
		{"CT9 1AA", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := demo.DistrictForOutcode(tt.outcode)
		if got != tt.want || ok != tt.ok {
			t.Errorf("DistrictForOutcode(%q) = %q, %v; want %q, %v", tt.outcode, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGenerateMarket(t *testing.T) {
	areas := []int64{101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112}
	tests := []struct {
		name      string
		locations int
		areas     []int64
	}{
		{"kent", demo.KentLocations, areas},
		{"one location", 1, areas},
		{"more areas than Kent", 400, append(slices.Clone(areas), 113, 114, 115)},
		{"one area", 50, areas[:1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := demo.GenerateMarket(demo.Seed, now, tt.locations, tt.areas)
			if got := m.Locations(); got != tt.locations {
				t.Fatalf("generated %d locations, want %d", got, tt.locations)
			}
			if again := demo.GenerateMarket(demo.Seed, now, tt.locations, tt.areas); !sameMarket(m, again) {
				t.Error("the same seed gave a different market")
			}
			ids, names := map[string]bool{}, map[string]bool{}
			for _, p := range m.Providers {
				pr := p.Provider
				if err := pr.Validate(); err != nil {
					t.Errorf("provider %q invalid: %v", pr.Name, err)
				}
				if names[pr.Name] || ids[pr.CQCProviderID] {
					t.Errorf("provider name %q or CQC id %s used twice", pr.Name, pr.CQCProviderID)
				}
				names[pr.Name], ids[pr.CQCProviderID] = true, true
				if n := len(p.Locations); n < 1 || n > 3 {
					t.Errorf("provider %q has %d locations, want 1 to 3", pr.Name, n)
				}
				for _, lp := range p.Locations {
					l := lp.Location
					l.ProviderID = 1 // stored later; Validate wants one
					if err := l.Validate(); err != nil {
						t.Errorf("location %q invalid: %v", l.Name, err)
					}
					if ids[l.CQCLocationID] {
						t.Errorf("CQC id %s used twice", l.CQCLocationID)
					}
					ids[l.CQCLocationID] = true
					// Locations carry trading names, never the company form,
					// and say "Nursing Home" only when registered for nursing.
					if strings.Contains(l.Name, " Ltd") || strings.Contains(l.Name, " Limited") ||
						(strings.Contains(l.Name, "Nursing Home") && !slices.Contains(l.ServiceTypes, market.Nursing)) {
						t.Errorf("location name %q does not fit %v", l.Name, l.ServiceTypes)
					}
					if !slices.Contains(tt.areas, l.AreaID) {
						t.Errorf("location %q in area %d, not one of %v", l.Name, l.AreaID, tt.areas)
					}
					bedBased := l.ServiceTypes[0].IsBedBased()
					if (bedBased && (l.RegisteredBeds < 6 || l.RegisteredBeds > 90)) || (!bedBased && l.RegisteredBeds != 0) {
						t.Errorf("location %q (%v) has %d beds", l.Name, l.ServiceTypes, l.RegisteredBeds)
					}
					if l.RatingDate != nil && (l.RatingDate.After(now) || l.RatingDate.Before(now.AddDate(-3, 0, 0))) {
						t.Errorf("location %q rated %v, not in the 3 years before %v", l.Name, l.RatingDate, now)
					}
				}
			}
		})
	}
}

// TestRatingSpread checks the generated ratings are roughly CQC's national
// split, over a market big enough for the proportions to settle.
func TestRatingSpread(t *testing.T) {
	m := demo.GenerateMarket(1, now, 20000, []int64{1, 2, 3})
	counts := map[market.Rating]int{}
	total := 0
	for _, p := range m.Providers {
		for _, l := range p.Locations {
			counts[l.Location.Rating]++
			total++
		}
	}
	tests := []struct {
		rating   market.Rating
		min, max float64 // share of locations
	}{
		{market.Outstanding, 0.03, 0.07},
		{market.Good, 0.66, 0.74},
		{market.RequiresImprovement, 0.15, 0.21},
		{market.Inadequate, 0.01, 0.03},
		{market.NotRated, 0.03, 0.07},
	}
	for _, tt := range tests {
		if share := float64(counts[tt.rating]) / float64(total); share < tt.min || share > tt.max {
			t.Errorf("%s: %.3f of locations, want %.2f to %.2f", tt.rating, share, tt.min, tt.max)
		}
	}
}

func sameMarket(a, b *demo.Market) bool {
	if len(a.Providers) != len(b.Providers) {
		return false
	}
	for i := range a.Providers {
		pa, pb := a.Providers[i], b.Providers[i]
		if pa.Provider != pb.Provider || len(pa.Locations) != len(pb.Locations) {
			return false
		}
		for j := range pa.Locations {
			la, lb := pa.Locations[j], pb.Locations[j]
			if la.Location.Name != lb.Location.Name || la.Location.Postcode != lb.Location.Postcode ||
				la.Location.CQCLocationID != lb.Location.CQCLocationID || !slices.Equal(la.Vacancies, lb.Vacancies) {
				return false
			}
		}
	}
	return true
}

func TestLoad(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx := context.Background()
		start := time.Now()
		res, err := demo.Load(ctx, db, now)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: demo loaded in %v: %+v", db.Driver(), time.Since(start).Round(time.Millisecond), res.Counts)
		if !res.Loaded || res.Council.Slug != "kent" || res.Council.Name != "Kent County Council" {
			t.Fatalf("Load = %+v, want a freshly loaded Kent", res)
		}
		c := res.Counts
		if c.Clusters != len(demo.KentClusters) || c.Areas != 12 || c.Borders != len(demo.KentBorders) ||
			c.Locations != demo.KentLocations || c.Providers < 250 || c.Providers > 350 ||
			c.Users != len(caremarket.Roles) || c.Vacancies < 150 {
			t.Errorf("counts = %+v", c)
		}
		ctx = caremarket.NewContext(ctx, caremarket.SystemActor(res.Council.ID, res.Council.Slug))

		checkAreas(t, db, ctx)
		checkUsers(t, db, ctx, res.SignIns)
		checkVacancies(t, db, ctx, c.Vacancies)
		if _, broken, err := db.VerifyAudit(ctx); err != nil || broken != nil {
			t.Errorf("audit chain after load: %v %+v", err, broken)
		}

		// A second load finds the council and adds nothing.
		before := snapshot(t, db, ctx)
		again, err := demo.Load(context.Background(), db, now)
		if err != nil {
			t.Fatal(err)
		}
		if again.Loaded || again.Council.ID != res.Council.ID || again.Counts != (demo.Counts{}) ||
			!slices.Equal(again.SignIns, demo.SignIns()) {
			t.Errorf("second Load = %+v, want Loaded=false, no counts and every sign-in", again)
		}
		if after := snapshot(t, db, ctx); after != before {
			t.Errorf("second Load changed the database: %+v, was %+v", after, before)
		}
	})
}

func checkAreas(t testing.TB, db *storage.DB, ctx context.Context) {
	t.Helper()
	areas, err := db.ListAreas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) != 12 {
		t.Fatalf("%d districts, want 12", len(areas))
	}
	codes := map[string]string{}
	for _, d := range demo.KentDistricts {
		codes[d.Name] = d.Code
	}
	neighbours := map[string][]string{}
	for _, a := range areas {
		if codes[a.Name] != a.Code {
			t.Errorf("%s has code %s, want %s", a.Name, a.Code, codes[a.Name])
		}
		if a.Locations == 0 {
			t.Errorf("%s has no locations", a.Name)
		}
		for _, n := range a.Neighbours {
			neighbours[a.Name] = append(neighbours[a.Name], n.Name)
		}
	}
	tests := []struct {
		district string
		want     []string // sorted by name, as ListAreas gives them
	}{
		{"Thanet", []string{"Canterbury", "Dover"}},
		{"Dartford", []string{"Gravesham", "Sevenoaks"}},
		{"Dover", []string{"Canterbury", "Folkestone and Hythe", "Thanet"}},
		{"Ashford", []string{"Canterbury", "Folkestone and Hythe", "Maidstone", "Swale", "Tunbridge Wells"}},
		{"Tonbridge and Malling", []string{"Gravesham", "Maidstone", "Sevenoaks", "Tunbridge Wells"}},
	}
	for _, tt := range tests {
		if got := neighbours[tt.district]; !slices.Equal(got, tt.want) {
			t.Errorf("%s borders %v, want %v", tt.district, got, tt.want)
		}
	}
	pairs := 0
	for a, ns := range neighbours {
		for _, n := range ns {
			pairs++
			if !slices.Contains(neighbours[n], a) {
				t.Errorf("%s borders %s but not the other way round", a, n)
			}
			if !demo.Borders(a, n) {
				t.Errorf("%s borders %s in the database but not in KentBorders", a, n)
			}
		}
	}
	if pairs != 2*len(demo.KentBorders) {
		t.Errorf("%d directed borders, want %d", pairs, 2*len(demo.KentBorders))
	}
}

func checkUsers(t testing.TB, db *storage.DB, ctx context.Context, signIns []demo.SignIn) {
	t.Helper()
	if !slices.Equal(signIns, demo.SignIns()) {
		t.Errorf("sign-ins = %+v, want %+v", signIns, demo.SignIns())
	}
	for _, s := range signIns {
		u, err := db.UserByEmail(ctx, s.Email)
		if err != nil {
			t.Errorf("%s: %v", s.Email, err)
			continue
		}
		if u.Role != s.Role || u.CouncilSlug != "kent" || s.Password != demo.Password {
			t.Errorf("%s: role %s in %s, want %s in kent", s.Email, u.Role, u.CouncilSlug, s.Role)
		}
		if !access.CheckPassword(s.Password, u.PasswordHash) {
			t.Errorf("%s: the demo password does not check", s.Email)
		}
		if s.Role == caremarket.RoleProvider {
			// The provider user sees its own provider and only that.
			pctx := caremarket.NewContext(ctx, u.Actor())
			ps, total, err := db.ListProviders(pctx, market.ProviderFilter{})
			if err != nil || total != 1 || ps[0].ID != u.ProviderID || ps[0].Locations == 0 {
				t.Errorf("provider user sees %+v (%d, %v), want its own provider with locations", ps, total, err)
			}
		}
	}
}

// checkVacancies reads every care home's vacancies and wants both fresh and
// stale figures, none dated in the future or before the register existed.
func checkVacancies(t testing.TB, db *storage.DB, ctx context.Context, want int) {
	t.Helper()
	var fresh, stale int
	for page := 1; ; page++ {
		locs, total, err := db.ListLocations(ctx, market.LocationFilter{Page: market.Page{Number: page, PerPage: market.MaxPerPage}})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range locs {
			vs, err := db.Vacancies(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				if v.UpdatedAt.After(now) || v.UpdatedAt.Before(l.CreatedAt) {
					t.Errorf("%s: vacancy dated %v, outside %v to %v", l.Name, v.UpdatedAt, l.CreatedAt, now)
				}
				if v.Stale(now) {
					stale++
				} else {
					fresh++
				}
			}
		}
		if page*market.MaxPerPage >= total {
			break
		}
	}
	if fresh+stale != want || stale < want/10 || fresh < want/2 {
		t.Errorf("%d fresh and %d stale vacancy figures, want %d with some of each", fresh, stale, want)
	}
}

// state is what a second Load must leave unchanged.
type state struct {
	providers, locations, users, audit int
}

func snapshot(t testing.TB, db *storage.DB, ctx context.Context) state {
	t.Helper()
	var s state
	var err error
	if _, s.providers, err = db.ListProviders(ctx, market.ProviderFilter{}); err != nil {
		t.Fatal(err)
	}
	if _, s.locations, err = db.ListLocations(ctx, market.LocationFilter{}); err != nil {
		t.Fatal(err)
	}
	users, err := db.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.users = len(users)
	if s.audit, _, err = db.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
