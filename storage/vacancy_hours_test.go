package storage_test

import (
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

func hoursOf(h int) *int { m := h * 60; return &m }

// TestSpareHours: a home care branch keeps its spare hours a week, read
// back as given; a care home cannot; the cascade passes over a branch
// without the person's hours spare, saying so; a bulk upload takes
// spare_hours.
func TestSpareHours(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: f.echo.ID, ServiceType: market.Homecare, SpareMinutes: hoursOf(10)}); err != nil {
			t.Fatal(err)
		}
		vs, err := db.Vacancies(f.sys, f.echo.ID)
		if err != nil || len(vs) != 1 || vs[0].SpareMinutes == nil || *vs[0].SpareMinutes != 600 || vs[0].Figure() != "10 spare hours a week" {
			t.Fatalf("%+v %v", vs, err)
		}
		err = db.SetVacancy(f.sys, &market.Vacancy{LocationID: f.gamma.ID, ServiceType: market.Nursing, SpareMinutes: hoursOf(10)})
		if caremarket.ErrorFields(err)["spare_minutes_per_week"] == "" {
			t.Fatalf("spare hours for a care home: %v", err)
		}
		r := &brokerage.Requirement{ServiceType: market.Homecare, NeedBand: "standard", AreaID: f.thanet.ID, Outcode: "CT9", StartDate: f.now, MinutesPerWeek: 14 * 60}
		res, err := db.CascadePreview(f.broker, r)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range res.Stage(brokerage.StageLocal).Excluded {
			if e.LocationID == f.echo.ID {
				found = e.Reason == "Not enough spare hours: 10 left, needs 14"
			}
		}
		if !found {
			t.Fatalf("stage 1 %+v", res.Stage(brokerage.StageLocal))
		}
		// A bulk upload: hours for home care, places for a care home.
		m := 7*60 + 30
		n, lineErrs, err := db.ApplyVacancies(f.sys, []market.VacancyRow{
			{Line: 2, LocationID: f.foxtrot.ID, ServiceType: market.Homecare, SpareMinutes: &m},
			{Line: 3, LocationID: f.gamma.ID, ServiceType: market.Nursing, Vacancies: 2},
		})
		if err != nil || n != 2 || len(lineErrs) != 0 {
			t.Fatalf("%d %v %v", n, lineErrs, err)
		}
		at, err := db.VacanciesAt(f.sys, []int64{f.foxtrot.ID, f.gamma.ID})
		if err != nil || at[f.foxtrot.ID][0].Figure() != "7.5 spare hours a week" || at[f.gamma.ID][0].Figure() != "2 vacancies" {
			t.Fatalf("%+v %v", at, err)
		}
		// Places again: the hours are cleared.
		if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: f.foxtrot.ID, ServiceType: market.Homecare, Vacancies: 3}); err != nil {
			t.Fatal(err)
		}
		if vs, _ := db.Vacancies(f.sys, f.foxtrot.ID); vs[0].SpareMinutes != nil || vs[0].Vacancies != 3 {
			t.Fatalf("%+v", vs)
		}
	})
}

// TestSpareHoursRace: many acceptances of home care packages (10 hours a
// week each) at a branch with 25 or 20 spare hours: exactly two are
// placed, the rest refused, and the hours never go below zero, on both
// databases, as the last bed is never given twice.
func TestSpareHoursRace(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const rounds, racers = 10, 20
		echoCtx := f.provider(f.echo)
		for round := range rounds {
			spare := 25 - 5*(round%2)
			if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: f.echo.ID, ServiceType: market.Homecare, SpareMinutes: hoursOf(spare)}); err != nil {
				t.Fatal(err)
			}
			ids := f.seedOffers(t, f.echo, market.Homecare, racers, time.Hour)
			raceRound(t, echoCtx, db, round, ids, "not enough spare hours left", 2)
			var left int
			if err := db.SQL().QueryRow(`SELECT spare_minutes FROM vacancies WHERE location_id = $1 AND service_type = 'homecare'`, f.echo.ID).Scan(&left); err != nil {
				t.Fatal(err)
			}
			placements := countPlacements(t, db, f.echo.ID, ids)
			if left != spare*60-1200 || placements != 2 {
				t.Fatalf("round %d: %d minutes left, %d placements; want %d and 2", round, left, placements, spare*60-1200)
			}
		}
	})
}
