package storage_test

import (
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

func TestPerfSpans(t *testing.T) {
	for _, c := range []struct {
		from, to time.Time
		want     []string
	}{
		{day(2025, 12, 6), day(2026, 12, 6), []string{"perf_days 2025-12-06 2026-01-01", "perf_months 2026-01-01 2026-12-01", "perf_days 2026-12-01 2026-12-06"}},
		{day(2026, 3, 1), day(2026, 7, 1), []string{"perf_months 2026-03-01 2026-07-01"}},
		{day(2026, 3, 3), day(2026, 3, 20), []string{"perf_days 2026-03-03 2026-03-20"}},
		{day(2026, 3, 3), day(2026, 4, 20), []string{"perf_days 2026-03-03 2026-04-20"}},
		{day(2026, 3, 3), day(2026, 5, 1), []string{"perf_days 2026-03-03 2026-04-01", "perf_months 2026-04-01 2026-05-01"}},
		{day(2026, 3, 1), day(2026, 4, 2), []string{"perf_months 2026-03-01 2026-04-01", "perf_days 2026-04-01 2026-04-02"}},
	} {
		if got := storage.PerfSpans(c.from, c.to); !slices.Equal(got, c.want) {
			t.Errorf("PerfSpans(%v, %v) = %q, want %q", c.from.Format(time.DateOnly), c.to.Format(time.DateOnly), got, c.want)
		}
	}
}

// perfMonthsDump is the monthly summary, a line a row, in order, with each
// row's answer times sorted.
func perfMonthsDump(t testing.TB, db *storage.DB) string {
	t.Helper()
	return perfDump(t, db, `SELECT lot_id, provider_id, CAST(month AS TEXT), accepted, declined, expired, priced, price_pence, guide_pence,
		invitations, bids, placements, off_contract, hand_backs, ended_early, answers FROM perf_months ORDER BY lot_id, provider_id, month`)
}

// TestLotTableFromMonths: a lot's league table read from the monthly rows
// and the days at either end equals the table read from the daily rows
// alone and the figures worked out from the records, for periods of whole
// months, of days inside one month and of ragged ends, before and after
// writes that change figures in the middle of a month (a decline, an
// acceptance, a guide price from the 10th, a hand-back, an early end). The
// monthly rows the writes keep equal those worked out again from scratch.
func TestLotTableFromMonths(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		council := caremarket.ActorFrom(f.sys).CouncilID
		periods := [][2]time.Time{
			{day(2026, 1, 1), day(2026, 7, 1)}, {day(2026, 3, 1), day(2026, 4, 1)}, {day(2026, 3, 2), day(2026, 3, 3)},
			{day(2026, 2, 15), day(2026, 4, 11)}, {day(2026, 3, 3), day(2026, 4, 15)}, {day(2025, 4, 20), day(2027, 4, 20)},
			{day(2026, 4, 10), day(2026, 5, 1)}, {day(2026, 3, 1), day(2026, 4, 21)},
		}
		check := func(stage string) { t.Helper(); checkLotTables(t, db, f, council, periods, stage) }
		adopt := func(name string, from time.Time, premium int) {
			t.Helper()
			m := residentialModel()
			m.Name, m.ServiceType, m.EffectiveFrom, m.PayPremium = name, market.Nursing, from, money.Money(premium)
			adoptModel(t, db, f.comm, m)
		}
		adopt("Nursing 2026", day(2026, 3, 1), 50)
		// 2 March: Beta declines after 40 minutes, Alpha lets it lapse,
		// Gamma accepts the next day.
		gammas := f.declineAndLapse(t, f.requirement(t, market.Nursing, brokerage.ByDirectAward))
		f.now = f.now.Add(2 * time.Hour)
		p1, err := db.AcceptOffer(f.provider(f.gamma), gammas.ID)
		if err != nil {
			t.Fatal(err)
		}
		check("March")
		before := perfMonthsDump(t, db)

		// 14 April, the middle of a month already summed: Beta accepts a
		// second requirement; a new nursing guide price from 10 April prices
		// it again.
		f.now = time.Date(2026, 4, 14, 9, 0, 0, 0, time.UTC)
		o2 := f.offerWithBedAtBeta(t)
		p2, err := db.AcceptOffer(f.provider(offerLocation(t, f, o2)), o2.ID)
		if err != nil {
			t.Fatal(err)
		}
		check("April, before the new guide price")
		adopt("Nursing 2026 from April", day(2026, 4, 10), 90)
		// 20 April: Gamma hands the March placement back; the broker ends
		// Beta's within twelve weeks.
		f.now = time.Date(2026, 4, 20, 10, 0, 0, 0, time.UTC)
		if _, err := db.HandBackPlacement(f.provider(f.gamma), p1.ID, 28, "Needs beyond our skill mix"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.EndPlacement(f.broker, p2.ID, procurement.Date(2026, 5, 30), "Returned home"); err != nil {
			t.Fatal(err)
		}
		check("April")
		kept := perfMonthsDump(t, db)
		if kept == before || !strings.Contains(kept, "2026-04-01") {
			t.Errorf("the monthly rows did not follow April's writes:\n%s", kept)
		}
		if err := db.RebuildPerformanceSummary(f.sys); err != nil {
			t.Fatal(err)
		}
		if again := perfMonthsDump(t, db); again != kept {
			t.Errorf("monthly rows kept by the writes:\n%s\nworked out again from the records:\n%s", kept, again)
		}
		check("rebuilt")
	})
}

// checkLotTables compares, for each lot and period, the league table read
// from the monthly rows with the one read from the daily rows alone and
// with the figures worked out from the records.
func checkLotTables(t testing.TB, db *storage.DB, f *brokerFixture, council int64, periods [][2]time.Time, stage string) {
	t.Helper()
	for _, lot := range []int64{f.nursingLot.ID, f.homecareLot.ID} {
		for _, p := range periods {
			lp, err := db.LotPerformance(f.comm, lot, p[0], p[1], "")
			if err != nil {
				t.Fatal(err)
			}
			days, err := db.LotRowsFromDays(f.sys, council, lot, p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			raw, err := db.LotFiguresFromRecords(f.sys, council, lot, p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			fromDays := map[int64]quality.Figures{}
			for _, r := range days {
				fromDays[r.ProviderID] = r.Figures
			}
			if len(lp.Rows) != len(days) {
				t.Errorf("%s, lot %d, %v: %d rows from the months, %d from the days", stage, lot, p, len(lp.Rows), len(days))
			}
			for _, row := range lp.Rows {
				want, ok := raw[row.ProviderID]
				if !ok {
					want = quality.Compute(&quality.PerfInput{})
				}
				if !reflect.DeepEqual(row.Figures, fromDays[row.ProviderID]) {
					t.Errorf("%s, lot %d, %v, %s: from the months %+v\nfrom the days %+v", stage, lot, p, row.ProviderName, row.Figures, fromDays[row.ProviderID])
				}
				if !reflect.DeepEqual(row.Figures, want) {
					t.Errorf("%s, lot %d, %v, %s: from the months %+v\nfrom the records %+v", stage, lot, p, row.ProviderName, row.Figures, want)
				}
			}
		}
	}
}

// offerLocation is the location an offer was made to.
func offerLocation(t testing.TB, f *brokerFixture, o *brokerage.Offer) *market.Location {
	t.Helper()
	for _, l := range []*market.Location{f.alpha, f.beta, f.gamma} {
		if l.ID == o.LocationID {
			return l
		}
	}
	t.Fatalf("offer %d to location %d", o.ID, o.LocationID)
	return nil
}
