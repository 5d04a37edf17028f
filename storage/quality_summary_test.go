package storage_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/quality"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// perfSummaryDump is the daily performance summary, a line a row, in order.
func perfSummaryDump(t testing.TB, db *storage.DB) string {
	t.Helper()
	return perfDump(t, db,
		`SELECT lot_id, provider_id, CAST(day AS TEXT), accepted, declined, expired, priced, price_pence, guide_pence, invitations, bids,
			placements, off_contract, hand_backs, ended_early, answers FROM perf_days ORDER BY lot_id, provider_id, day`,
		`SELECT lot_id, provider_id, CAST(day AS TEXT), reason, n FROM perf_declines ORDER BY lot_id, provider_id, day, reason`)
}

// perfDump is the rows of the queries, a line a row, with the answer times
// (a summary row's 16th column) sorted: they are a list in the order
// answered, and a rebuild lists them in the database's order.
func perfDump(t testing.TB, db *storage.DB, queries ...string) string {
	t.Helper()
	dump, err := storage.DumpRows(db, func(vals []any) {
		if len(vals) == 16 {
			f := strings.Fields(fmt.Sprint(vals[15]))
			slices.Sort(f)
			vals[15] = strings.Join(f, " ")
		}
	}, queries...)
	if err != nil {
		t.Fatal(err)
	}
	return dump
}

// declineAndLapse offers r's care (to Beta and Alpha, the nearest): Beta
// declines after 40 minutes and Alpha lets its offer lapse; it returns the
// one offer then pending, Gamma's.
func (f *brokerFixture) declineAndLapse(t testing.TB, r *brokerage.Requirement) brokerage.Offer {
	t.Helper()
	o, err := f.db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(40 * time.Minute)
	if _, err := f.db.DeclineOffer(f.provider(f.beta), o.ID, "No nurse cover"); err != nil {
		t.Fatal(err)
	}
	pending, _ := f.db.ListOffers(f.broker, brokerage.OfferFilter{RequirementID: r.ID, Status: brokerage.OfferPending})
	f.now = pending[0].ExpiresAt.Add(time.Minute)
	if n, err := f.db.ExpireOffers(f.broker); err != nil || n != 1 {
		t.Fatalf("expired %d %v", n, err)
	}
	pending, _ = f.db.ListOffers(f.broker, brokerage.OfferFilter{RequirementID: r.ID, Status: brokerage.OfferPending})
	if len(pending) != 1 || pending[0].LocationID != f.gamma.ID {
		t.Fatalf("after the lapse %+v", pending)
	}
	return pending[0]
}

// offerWithBedAtBeta frees a nursing bed at Beta, offers a new nursing
// requirement and lets 7 minutes pass, for the offer to be answered.
func (f *brokerFixture) offerWithBedAtBeta(t testing.TB) *brokerage.Offer {
	t.Helper()
	r := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
	if err := f.db.SetVacancy(f.sys, &market.Vacancy{LocationID: f.beta.ID, ServiceType: market.Nursing, Vacancies: 1}); err != nil {
		t.Fatal(err)
	}
	o, err := f.db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(7 * time.Minute)
	return o
}

// TestPerformanceSummary: after a mixed run of writes (offers declined, let
// expire and accepted, a guide price adopted, a mini-competition with a bid
// replaced, placements ended early and handed back), the daily summary kept
// by the writes equals the summary worked out again from the records, and
// every provider's figures in the lot tables equal the figures worked out
// from the records themselves.
func TestPerformanceSummary(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		council := caremarket.ActorFrom(f.sys).CouncilID
		// 1. Beta declines after 40 minutes, Alpha lets it lapse, Gamma
		// accepts after 3 hours.
		gammas := f.declineAndLapse(t, f.requirement(t, market.Nursing, brokerage.ByDirectAward))
		f.now = f.now.Add(3 * time.Hour)
		p1, err := db.AcceptOffer(f.provider(f.gamma), gammas.ID)
		if err != nil {
			t.Fatal(err)
		}
		// 2. A nursing guide price from 1 March: the acceptance above is
		// priced against it afresh.
		m := residentialModel()
		m.Name, m.ServiceType, m.EffectiveFrom = "Nursing 2026", market.Nursing, day(2026, 3, 1)
		adoptModel(t, db, f.comm, m)
		// 3. Beta accepts a second requirement at once; the broker ends it
		// within twelve weeks; Gamma hands the first back within 28 days.
		o2 := f.offerWithBedAtBeta(t)
		p2, err := db.AcceptOffer(f.provider(f.beta), o2.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.now = time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
		if _, err := db.EndPlacement(f.broker, p2.ID, procurement.Date(2026, 4, 30), "Returned home"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.HandBackPlacement(f.provider(f.gamma), p1.ID, 28, "Needs beyond our skill mix"); err != nil {
			t.Fatal(err)
		}
		// 4. Home care: Echo bids, then replaces its bid; Foxtrot bids and
		// is awarded the placement.
		r3 := f.requirement(t, market.Homecare, brokerage.ByMiniCompetition)
		deadline := f.now.Add(48 * time.Hour)
		c, err := db.StartCompetition(f.broker, r3.ID, deadline, -1)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range []struct {
			loc   *market.Location
			price int64
		}{{f.echo, 24_00}, {f.echo, 23_00}, {f.foxtrot, 26_00}} {
			if err := db.SubmitBid(f.provider(b.loc), &brokerage.Bid{CompetitionID: c.ID, LocationID: b.loc.ID, Price: money.Money(b.price), StartDate: r3.StartDate}); err != nil {
				t.Fatal(err)
			}
		}
		f.now = deadline
		staff, _ := db.Competition(f.broker, c.ID)
		if _, err := db.AwardBid(f.broker, c.ID, staff.Bids[0].ID); err != nil {
			t.Fatal(err)
		}

		kept := perfSummaryDump(t, db)
		if !strings.Contains(kept, "No nurse cover") || strings.Count(kept, "\n") < 6 {
			t.Fatalf("summary kept by the writes:\n%s", kept)
		}
		if err := db.RebuildPerformanceSummary(f.sys); err != nil {
			t.Fatal(err)
		}
		if again := perfSummaryDump(t, db); again != kept {
			t.Errorf("summary kept by the writes:\n%s\nworked out again from the records:\n%s", kept, again)
		}
		from, to := procurement.Date(2026, 1, 1), procurement.Date(2026, 7, 1)
		for _, lot := range []int64{f.nursingLot.ID, f.homecareLot.ID} {
			lp, err := db.LotPerformance(f.comm, lot, from, to, "")
			if err != nil {
				t.Fatal(err)
			}
			raw, err := db.LotFiguresFromRecords(f.sys, council, lot, from, to)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range lp.Rows {
				want, ok := raw[row.ProviderID]
				if !ok {
					want = quality.Compute(&quality.PerfInput{})
				}
				if !reflect.DeepEqual(row.Figures, want) {
					t.Errorf("lot %d, %s: from the summary %+v\nfrom the records %+v", lot, row.ProviderName, row.Figures, want)
				}
			}
		}
		// The figures worked by hand: Beta declined in 40 minutes and
		// accepted in 7; Gamma's placement was handed back, Beta's ended
		// early; the guide price counts both acceptances.
		lp, _ := db.LotPerformance(f.comm, f.nursingLot.ID, from, to, "offers")
		got := map[int64]quality.LeagueRow{}
		for _, r := range lp.Rows {
			got[r.ProviderID] = r
		}
		beta, gamma := got[f.beta.ProviderID], got[f.gamma.ProviderID]
		if beta.Offers != 2 || beta.MedianResponseMinutes != 7 || beta.P90ResponseMinutes != 40 || beta.EndedEarly != 1 || beta.PricedOffers != 1 ||
			gamma.HandBacks28d != 1 || gamma.PricedOffers != 1 || got[f.alpha.ProviderID].Expired != 1 {
			t.Errorf("nursing lot %+v", lp.Rows)
		}
		hc, _ := db.LotPerformance(f.comm, f.homecareLot.ID, from, to, "bid_rate")
		for _, r := range hc.Rows {
			if r.Invitations != 1 || r.Bids != 1 {
				t.Errorf("home care %+v", r)
			}
		}
	})
}
