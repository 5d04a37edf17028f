package pricedemo_test

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/demo/demotest"
	"github.com/caremarket/caremarket/demo/pricedemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// load loads the whole demo (market, procurement, then pricing) as of now
// and returns a context acting as the council's system admin.
func load(t testing.TB, db *storage.DB, now time.Time) context.Context {
	t.Helper()
	ctx, _ := demotest.LoadUpTo(t, db, now, demo.StagePricing)
	return ctx
}

// oprnRounds lists the price rounds of OPRN-2026, the pricing demo's own
// (other demos, such as brokerage's, open rounds on their agreements).
func oprnRounds(t testing.TB, ctx context.Context, db *storage.DB) []pricing.Round {
	t.Helper()
	oprn, err := db.AgreementByReference(ctx, "OPRN-2026")
	if err != nil {
		t.Fatal(err)
	}
	all, err := db.ListPriceRounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rs []pricing.Round
	for _, r := range all {
		if r.AgreementID == oprn.ID {
			rs = append(rs, r)
		}
	}
	return rs
}

// state is what the pricing demo left, counted.
type state struct {
	models, guides, rounds, contracted int
	statuses                           map[string]map[string]int // round name -> status -> count
}

func count(t testing.TB, ctx context.Context, db *storage.DB, now time.Time) state {
	t.Helper()
	ms, err := db.ListCostModels(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	gs, err := db.GuidePrices(ctx, pricing.GuideFilter{On: now})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := db.ListPriceRounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cps, err := db.ContractedPrices(ctx, pricing.ContractedFilter{On: now})
	if err != nil {
		t.Fatal(err)
	}
	s := state{models: len(ms), guides: len(gs), rounds: len(rs), contracted: len(cps), statuses: map[string]map[string]int{}}
	for _, r := range rs {
		s.statuses[r.Name] = map[string]int{}
		for _, st := range []string{pricing.SubmissionSubmitted, pricing.SubmissionApproved, pricing.SubmissionRejected} {
			subs, err := db.ListSubmissions(ctx, pricing.SubmissionFilter{RoundID: r.ID, Status: st})
			if err != nil {
				t.Fatal(err)
			}
			s.statuses[r.Name][st] = len(subs)
		}
	}
	return s
}

func TestLoadDemo(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		ctx := load(t, db, now)
		got := count(t, ctx, db, now)

		// Seven care home models and home care, each adopted: urban and
		// rural guide prices for each.
		if got.models != 8 || got.guides != 16 {
			t.Errorf("%d cost models and %d guide prices in force, want 8 and 16", got.models, got.guides)
		}
		for _, m := range mustModels(t, ctx, db) {
			if m.Status != pricing.ModelAdopted || !m.EffectiveFrom.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("cost model %q is %s from %s, want adopted from 1 April 2026", m.Name, m.Status, m.EffectiveFrom.Format(time.DateOnly))
			}
		}
		gs, _ := db.GuidePrices(ctx, pricing.GuideFilter{On: now})
		for _, g := range gs {
			// Plausible weekly prices for a bed; hourly for home care.
			lo, hi := money.Pounds(650), money.Pounds(1600)
			if g.Basis == pricing.PerHour {
				lo, hi = money.Pounds(22), money.Pounds(40)
			}
			if g.Price < lo || g.Price > hi {
				t.Errorf("guide price %s %s %s = %s, want between %s and %s", g.ServiceType, g.Band, g.Setting, g.Price, lo, hi)
			}
		}

		// Two rounds on OPRN-2026: autumn decided and closed, spring open now.
		rs := oprnRounds(t, ctx, db)
		if len(rs) != 2 {
			t.Fatalf("%d price rounds, want 2", len(rs))
		}
		spring, autumn := rs[0], rs[1]
		if spring.Name != "Spring 2027" || spring.Status != pricing.RoundOpen || now.Before(spring.OpensOn) || now.After(spring.ClosesOn.AddDate(0, 0, 1)) {
			t.Errorf("newest round = %s %s %s to %s, want Spring 2027 open now", spring.Name, spring.Status, spring.OpensOn, spring.ClosesOn)
		}
		if autumn.Name != "Autumn 2026" || autumn.Status != pricing.RoundClosed || autumn.EffectiveFrom.After(now) {
			t.Errorf("older round = %s %s from %s, want Autumn 2026 closed and in effect", autumn.Name, autumn.Status, autumn.EffectiveFrom)
		}
		oprn, err := db.AgreementByReference(ctx, pricedemo.Agreement)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.AgreementID != oprn.ID {
				t.Errorf("%s is on agreement %d, want OPRN-2026 (%d)", r.Name, r.AgreementID, oprn.ID)
			}
		}
		a, s := got.statuses["Autumn 2026"], got.statuses["Spring 2027"]
		if a[pricing.SubmissionSubmitted] != 0 || a[pricing.SubmissionApproved] < 200 || a[pricing.SubmissionRejected] < 5 {
			t.Errorf("autumn round: %v, want every price decided, most approved and some rejected", a)
		}
		if s[pricing.SubmissionSubmitted] < 50 || s[pricing.SubmissionApproved] < 30 || s[pricing.SubmissionRejected] < 5 {
			t.Errorf("spring round: %v, want prices waiting, approved and rejected", s)
		}
		// Prices outside the band all came with reasons; some were approved
		// and some rejected, each rejection with its reason.
		subs, _ := db.ListSubmissions(ctx, pricing.SubmissionFilter{RoundID: autumn.ID})
		var outside, outsideApproved, within int
		for _, sub := range subs {
			if sub.Check.Within {
				within++
				continue
			}
			outside++
			if sub.Reason == "" {
				t.Errorf("submission %d is outside the band with no reason", sub.ID)
			}
			if sub.Status == pricing.SubmissionApproved {
				outsideApproved++
			}
			if sub.Status == pricing.SubmissionRejected && sub.DecisionReason == "" {
				t.Errorf("submission %d was rejected with no reason", sub.ID)
			}
		}
		if within < 4*outside || outside < 10 || outsideApproved == 0 || outsideApproved == outside {
			t.Errorf("autumn: %d within the band, %d outside of which %d approved; want most within, and outside ones both approved and rejected",
				within, outside, outsideApproved)
		}
		// The demo provider user's provider has a spring round to answer.
		pu, err := db.UserByEmail(ctx, "provider@kent.example")
		if err != nil {
			t.Fatal(err)
		}
		if !invited(t, ctx, db, spring.ID, pu.ProviderID) {
			t.Errorf("the demo provider user's provider %d is not invited to %s", pu.ProviderID, spring.Name)
		}
		if mine, _ := db.ListSubmissions(ctx, pricing.SubmissionFilter{RoundID: spring.ID, ProviderID: pu.ProviderID}); len(mine) != 0 {
			t.Errorf("the demo provider user's provider has %d spring prices already, want none", len(mine))
		}

		// Contracted prices in force today for a good share of the homes
		// that price under OPRN, for each of its service types.
		cps, _ := db.ContractedPrices(ctx, pricing.ContractedFilter{On: now})
		priced := map[int64]bool{}
		byType := map[market.ServiceType]int{}
		for _, cp := range cps {
			priced[cp.LocationID] = true
			byType[cp.ServiceType]++
			if !cp.EffectiveFrom.Equal(autumn.EffectiveFrom) {
				t.Errorf("contracted price %d from %s, want the autumn round's %s", cp.ID, cp.EffectiveFrom, autumn.EffectiveFrom)
			}
		}
		homes := 0
		for _, st := range pricedemo.RoundServices {
			_, n, err := db.ListLocations(ctx, market.LocationFilter{ServiceType: st, Page: market.Page{PerPage: 1}})
			if err != nil {
				t.Fatal(err)
			}
			homes = max(homes, n)
			if byType[st] < 5 {
				t.Errorf("%d contracted %s prices, want some", byType[st], st)
			}
		}
		if len(priced) < homes/2 {
			t.Errorf("%d homes have contracted prices, want at least half of the %d largest service type's homes", len(priced), homes)
		}

		// Variation by service type and district, and its trend over the
		// two rounds.
		obs, err := db.PriceObservations(ctx, pricing.ObservationFilter{On: now})
		if err != nil {
			t.Fatal(err)
		}
		groups := pricing.Variation(obs, nil, pricing.DefaultTolerance)
		districts := map[market.ServiceType]int{}
		spread := 0
		for _, g := range groups {
			districts[g.ServiceType]++
			if g.Count >= 3 && g.Max > g.Min && g.CV > 0 {
				spread++
			}
		}
		if len(districts) != len(pricedemo.RoundServices) || districts[market.Residential] < 8 || spread < 10 {
			t.Errorf("variation: %d groups over %v, %d with spread; want every round service type in most districts", len(groups), districts, spread)
		}
		trendObs, err := db.PriceObservations(ctx, pricing.ObservationFilter{ServiceType: market.Nursing, AllRounds: true})
		if err != nil {
			t.Fatal(err)
		}
		trend := pricing.Trend(trendObs, 0, pricing.DefaultTolerance)
		if len(trend) != 2 || trend[0].RoundName != "Autumn 2026" || trend[1].RoundName != "Spring 2027" || trend[1].Median <= trend[0].Median {
			t.Errorf("nursing trend = %+v, want autumn then spring, rising", trend)
		}

		// Loading again adds nothing.
		if err := pricedemo.LoadDemo(ctx, db, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if again := count(t, ctx, db, now); !equal(again, got) {
			t.Errorf("second load changed the counts: %+v, was %+v", again, got)
		}
	})
}

// TestLoadDemoDates loads the demo at awkward times of the year: the round
// open now must be open, and the round before it already in effect.
func TestLoadDemoDates(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo three times")
	}
	for _, now := range []time.Time{
		time.Date(2026, 3, 31, 18, 0, 0, 0, time.UTC), // the day before prices change
		time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC),   // the day they change
		time.Date(2026, 9, 20, 12, 0, 0, 0, time.UTC), // a round that closes before 1 October
	} {
		t.Run(now.Format(time.DateOnly), func(t *testing.T) {
			db := storagetest.SQLite(t)
			ctx := load(t, db, now)
			rs := oprnRounds(t, ctx, db)
			if len(rs) != 2 {
				t.Fatalf("%d rounds, want 2", len(rs))
			}
			today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
			if cur := rs[0]; cur.Status != pricing.RoundOpen || today.Before(cur.OpensOn) || today.After(cur.ClosesOn) || !cur.EffectiveFrom.After(today) {
				t.Errorf("%s: %s to %s, effective %s; want open today and effective later", cur.Name, cur.OpensOn, cur.ClosesOn, cur.EffectiveFrom)
			}
			if prev := rs[1]; prev.EffectiveFrom.After(today) {
				t.Errorf("%s takes effect on %s, after today", prev.Name, prev.EffectiveFrom)
			}
			if cps, err := db.ContractedPrices(ctx, pricing.ContractedFilter{On: now}); err != nil || len(cps) < 100 {
				t.Errorf("%d contracted prices in force (%v), want many", len(cps), err)
			}
		})
	}
}

func mustModels(t testing.TB, ctx context.Context, db *storage.DB) []pricing.CostModel {
	t.Helper()
	ms, err := db.ListCostModels(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func invited(t testing.TB, ctx context.Context, db *storage.DB, round, provider int64) bool {
	t.Helper()
	r, err := db.PriceRound(ctx, round)
	if err != nil {
		t.Fatal(err)
	}
	return containsID(r.ProviderIDs, provider)
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func equal(a, b state) bool {
	if a.models != b.models || a.guides != b.guides || a.rounds != b.rounds || a.contracted != b.contracted || len(a.statuses) != len(b.statuses) {
		return false
	}
	for r, m := range a.statuses {
		for k, v := range m {
			if b.statuses[r][k] != v {
				return false
			}
		}
	}
	return true
}
