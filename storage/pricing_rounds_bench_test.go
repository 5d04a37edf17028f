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
		tb.(*testing.B).Run(strconv.Itoa(len(rows))+"-lines", func(b *testing.B) {
			for b.Loop() {
				if _, lineErrs, err := db.SubmitPrices(comm, round.ID, rows, "csv"); err != nil {
					b.Fatal(err, lineErrs)
				}
			}
		})
	})
}
