package server

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/demo/brokerdemo"
	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// apiToken creates an account in ctx's council and returns an API token for
// it, exactly as `caremarket users create --token` does.
func apiToken(t testing.TB, db *storage.DB, ctx context.Context, email string, role caremarket.Role, providerID int64) (string, *access.User) {
	t.Helper()
	u := &access.User{Email: email, Role: role, ProviderID: providerID}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	secret, hash := access.NewSecret()
	if err := db.CreateToken(ctx, u.ID, hash, "test"); err != nil {
		t.Fatal(err)
	}
	return secret, u
}

// procDemoCouncil creates council "kent" (Thanet and Dover) with the
// procurement demo loaded as of 25 November 2026, and returns a context
// acting as its system admin.
func procDemoCouncil(t testing.TB, db *storage.DB) context.Context {
	t.Helper()
	ctx, _ := storagetest.Council(t, db, "kent", "Thanet", "Dover")
	if _, err := procdemo.LoadDemo(ctx, db, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// procDemoTokens reads the procurement demo's CSIH-2020 agreement and its
// awards, and makes API tokens for the first award's provider and for a
// commissioner.
func procDemoTokens(t testing.TB, db *storage.DB, ctx context.Context) (a *procurement.Agreement, aws []procurement.Award, prov, comm string) {
	t.Helper()
	a, _ = db.AgreementByReference(ctx, "CSIH-2020")
	aws, _ = db.ListAwards(ctx, procurement.AwardFilter{AgreementID: a.ID})
	prov, _ = apiToken(t, db, ctx, "bids@one.example", caremarket.RoleProvider, aws[0].ProviderID)
	comm, _ = apiToken(t, db, ctx, "c@kent.example", caremarket.RoleCommissioner, 0)
	return a, aws, prov, comm
}

// placementsFixture is the API fixture for the placement tests, with the
// database's and the server's clocks reading now: 9am on Monday 2 March
// 2026 to begin with, and a test moves both by changing it.
type placementsFixture struct {
	*apiFixture
	now time.Time
}

func newPlacementsFixture(t testing.TB, db *storage.DB) *placementsFixture {
	t.Helper()
	f := &placementsFixture{apiFixture: newAPIFixture(t, db), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { return f.now }
	f.srv.Now = func() time.Time { return f.now }
	return f
}

// gammaNursing adds Gamma Nursing with a nursing home in area, and gives
// its home and Alpha's one nursing vacancy each.
func (f *apiFixture) gammaNursing(t testing.TB, area market.Area) *market.Location {
	t.Helper()
	_, home := f.seed(t, f.kent, "Gamma Nursing", "0000007", area, market.Nursing)
	setVacancies(t, f.db, f.kent, market.Vacancy{LocationID: f.alphaHome.ID, ServiceType: market.Nursing, Vacancies: 1},
		market.Vacancy{LocationID: home.ID, ServiceType: market.Nursing, Vacancies: 1})
	return home
}

// setVacancies sets each vacancy, acting as ctx.
func setVacancies(t testing.TB, db *storage.DB, ctx context.Context, vs ...market.Vacancy) {
	t.Helper()
	for _, v := range vs {
		if err := db.SetVacancy(ctx, &v); err != nil {
			t.Fatal(err)
		}
	}
}

// placementsFramework creates a closed framework (reference ref, April 2025
// to March 2029) with lots in Kent, as its commissioner; admits each
// admission to the lot its LotID numbers (the lot's number, not its id);
// and sets the contracted prices, as the spring round would.
func (f *apiFixture) placementsFramework(t testing.TB, db *storage.DB, ref string, lots []procurement.Lot, admissions []brokerdemo.Admission, prices []brokerdemo.Price) *procurement.Agreement {
	t.Helper()
	comm := storagetest.As(f.kent, caremarket.RoleCommissioner, 0)
	a := &procurement.Agreement{Reference: ref, Title: "Kent placements", Type: procurement.ClosedFramework, Regime: procurement.PCR2015,
		LightTouch: true, Start: procurement.Date(2025, 4, 1), End: procurement.Date(2029, 3, 31), Lots: lots}
	if err := db.CreateAgreement(comm, a); err != nil {
		t.Fatal(err)
	}
	for i := range admissions {
		admissions[i].LotID = a.Lots[admissions[i].LotID-1].ID
	}
	if err := brokerdemo.Admit(f.kent, db, a, admissions); err != nil {
		t.Fatal(err)
	}
	if err := brokerdemo.SetPrices(f.kent, db, "Spring", prices); err != nil {
		t.Fatal(err)
	}
	return a
}

// nursingLot is lot 1: nursing in areas, by either call-off, ranked by
// price then quality.
func nursingLot(areas ...int64) procurement.Lot {
	return procurement.Lot{Number: 1, Title: "Nursing", ServiceTypes: []market.ServiceType{market.Nursing}, AreaIDs: areas,
		CallOff: procurement.Either, Ranking: []procurement.RankBy{procurement.RankPrice, procurement.RankQuality}, CallOffTerms: "Terms", Mechanism: "Price then quality"}
}

// alphaGammaPrices are Alpha's nursing home at £900 a week and gamma's at
// £1,000.
func (f *apiFixture) alphaGammaPrices(gamma *market.Location) []brokerdemo.Price {
	return []brokerdemo.Price{
		{ProviderID: f.alpha.ID, LocationID: f.alphaHome.ID, ServiceType: market.Nursing, Price: 900_00},
		{ProviderID: gamma.ProviderID, LocationID: gamma.ID, ServiceType: market.Nursing, Price: 1000_00},
	}
}
