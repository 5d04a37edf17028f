package storage_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/demo/pricedemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// BenchmarkSubmitPrices submits, in one call as a CSV upload would, a price
// for every care home service type at every location of every provider
// invited to the demo's open price round (those not yet approved): each
// call replaces the previous call's prices.
func BenchmarkSubmitPrices(b *testing.B) {
	storagetest.Each(b, func(tb testing.TB, db *storage.DB) {
		comm, round, rows := openRoundPrices(tb, db)
		tb.(*testing.B).Run(strconv.Itoa(len(rows))+"-lines", func(b *testing.B) {
			for b.Loop() {
				if _, lineErrs, err := db.SubmitPrices(comm, round.ID, rows, "csv"); err != nil {
					b.Fatal(err, lineErrs)
				}
			}
		})
	})
}

// A file may name the same price twice: the later line replaces the
// earlier, which stays as history, as a price sent again does.
func TestSubmitPricesTwiceInOneFile(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		comm, round, rows := openRoundPrices(t, db)
		first, second := rows[0], rows[0]
		second.Line, second.Price = first.Line+1, first.Price+100
		subs, lineErrs, err := db.SubmitPrices(comm, round.ID, []pricing.SubmissionRow{first, second}, "csv")
		if err != nil || len(subs) != 2 {
			t.Fatalf("SubmitPrices = %d, %v, %v", len(subs), lineErrs, err)
		}
		got := map[int64]string{}
		for _, status := range []string{pricing.SubmissionSubmitted, pricing.SubmissionSuperseded} {
			f := pricing.SubmissionFilter{RoundID: round.ID, LocationID: subs[0].LocationID, Status: status}
			some, err := db.ListSubmissions(comm, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range some {
				if s.ServiceType == first.ServiceType && s.Band == first.Band {
					got[int64(s.Price)] = s.Status
				}
			}
		}
		if got[int64(first.Price)] != pricing.SubmissionSuperseded || got[int64(second.Price)] != pricing.SubmissionSubmitted {
			t.Errorf("statuses by price = %v, want the first superseded and the second submitted", got)
		}
	})
}

// openRoundPrices loads the demo up to its price rounds and returns the
// commissioner, the open round and a price for every care home service type
// at every location of every provider invited to it (those not yet approved).
func openRoundPrices(tb testing.TB, db *storage.DB) (context.Context, *pricing.Round, []pricing.SubmissionRow) {
	tb.Helper()
	bg := context.Background()
	res, err := demo.LoadUpTo(bg, db, time.Now(), demo.StagePricing)
	if err != nil {
		tb.Fatal(err)
	}
	comm := storagetest.As(caremarket.NewContext(bg, caremarket.SystemActor(res.Council.ID, res.Council.Slug)), caremarket.RoleCommissioner, 0)
	rounds, err := db.ListPriceRounds(comm)
	if err != nil {
		tb.Fatal(err)
	}
	var round *pricing.Round
	for i := range rounds {
		if rounds[i].Status == pricing.RoundOpen {
			round = &rounds[i]
		}
	}
	if round == nil {
		tb.Fatal("the demo has no open price round")
	}
	round, err = db.PriceRound(comm, round.ID)
	if err != nil {
		tb.Fatal(err)
	}
	approved, err := db.ListSubmissions(comm, pricing.SubmissionFilter{RoundID: round.ID, Status: pricing.SubmissionApproved})
	if err != nil {
		tb.Fatal(err)
	}
	done := map[string]bool{}
	for _, s := range approved {
		done[strconv.FormatInt(s.LocationID, 10)+string(s.ServiceType)+s.Band] = true
	}
	var rows []pricing.SubmissionRow
	for _, p := range round.ProviderIDs {
		locs, _, err := db.ListLocations(comm, market.LocationFilter{ProviderID: p, Page: market.Page{PerPage: market.MaxPerPage}})
		if err != nil {
			tb.Fatal(err)
		}
		for _, l := range locs {
			for _, st := range pricedemo.RoundServices {
				if slices.Contains(l.ServiceTypes, st) && !done[strconv.FormatInt(l.ID, 10)+string(st)+pricing.StandardBand] {
					rows = append(rows, pricing.SubmissionRow{Line: len(rows) + 2, CQCLocationID: l.CQCLocationID, ServiceType: st,
						Band: pricing.StandardBand, Price: 95000, Reason: "Our costs this year"})
				}
			}
		}
	}
	if len(rows) == 0 {
		tb.Fatal("no price left to submit in the open round")
	}
	return comm, round, rows
}
