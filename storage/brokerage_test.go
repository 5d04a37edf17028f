package storage_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo/brokerdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// brokerFixture is a small Kent: Thanet borders Canterbury; Maidstone is
// away. Nursing homes: Alpha and Beta in Thanet and Gamma in Canterbury on
// the nursing lot (Alpha dearest), Delta in Thanet off contract; Echo, a
// home care agency in Thanet on the home care lot (mini-competition).
type brokerFixture struct {
	db                        *storage.DB
	sys, broker, comm         context.Context
	thanet, canterbury, maid  market.Area
	alpha, beta, gamma, delta *market.Location
	echo, foxtrot             *market.Location
	nursingLot, homecareLot   procurement.Lot
	now                       time.Time
}

func (f *brokerFixture) provider(loc *market.Location) context.Context {
	return storagetest.As(f.sys, caremarket.RoleProvider, loc.ProviderID)
}

func newBrokerFixture(t testing.TB, db *storage.DB) *brokerFixture {
	t.Helper()
	f := &brokerFixture{db: db, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { return f.now }
	var areas []market.Area
	f.sys, areas = storagetest.Council(t, db, "kent", "Thanet", "Canterbury", "Maidstone")
	f.thanet, f.canterbury, f.maid = areas[0], areas[1], areas[2]
	if err := db.SetNeighbours(f.sys, f.thanet.ID, []int64{f.canterbury.ID}); err != nil {
		t.Fatal(err)
	}
	f.broker = storagetest.As(f.sys, caremarket.RoleBroker, 0)
	f.comm = storagetest.As(f.sys, caremarket.RoleCommissioner, 0)
	_, f.alpha = seedProvider(t, db, f.sys, "Alpha", "0000001", f.thanet, market.Nursing)
	_, f.beta = seedProvider(t, db, f.sys, "Beta", "0000002", f.thanet, market.Nursing)
	_, f.gamma = seedProvider(t, db, f.sys, "Gamma", "0000003", f.canterbury, market.Nursing)
	_, f.delta = seedProvider(t, db, f.sys, "Delta", "0000004", f.thanet, market.Nursing)
	_, f.echo = seedProvider(t, db, f.sys, "Echo", "0000005", f.thanet, market.Homecare)
	_, f.foxtrot = seedProvider(t, db, f.sys, "Foxtrot", "0000006", f.thanet, market.Homecare)
	for _, l := range []*market.Location{f.alpha, f.beta, f.gamma, f.delta} {
		if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: l.ID, ServiceType: market.Nursing, Vacancies: 1}); err != nil {
			t.Fatal(err)
		}
	}
	a := &procurement.Agreement{Reference: "OPRN-DPS", Title: "Older persons nursing", Type: procurement.ClosedFramework, Regime: procurement.PCR2015,
		LightTouch: true, Start: procurement.Date(2025, 4, 1), End: procurement.Date(2029, 3, 31),
		Lots: []procurement.Lot{
			{Number: 1, Title: "Nursing", ServiceTypes: []market.ServiceType{market.Nursing}, AreaIDs: []int64{f.thanet.ID, f.canterbury.ID, f.maid.ID},
				CallOff: procurement.Either, Ranking: []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance},
				CallOffTerms: "Terms", Mechanism: "Price, quality, distance"},
			{Number: 2, Title: "Home care", ServiceTypes: []market.ServiceType{market.Homecare}, AreaIDs: []int64{f.thanet.ID, f.canterbury.ID},
				CallOff: procurement.MiniCompetition},
		}}
	if err := db.CreateAgreement(f.comm, a); err != nil {
		t.Fatal(err)
	}
	f.nursingLot, f.homecareLot = a.Lots[0], a.Lots[1]
	if err := brokerdemo.Admit(f.sys, db, a, []brokerdemo.Admission{
		{LotID: f.nursingLot.ID, ProviderID: f.alpha.ProviderID, Mark: 5},
		{LotID: f.nursingLot.ID, ProviderID: f.beta.ProviderID, Mark: 3},
		{LotID: f.nursingLot.ID, ProviderID: f.gamma.ProviderID, Mark: 4},
		{LotID: f.homecareLot.ID, ProviderID: f.echo.ProviderID, Mark: 3},
		{LotID: f.homecareLot.ID, ProviderID: f.foxtrot.ProviderID, Mark: 5},
	}); err != nil {
		t.Fatal(err)
	}
	if err := brokerdemo.SetPrices(f.sys, db, "Spring 2026", []brokerdemo.Price{
		{ProviderID: f.alpha.ProviderID, LocationID: f.alpha.ID, ServiceType: market.Nursing, Price: 1100_00},
		{ProviderID: f.beta.ProviderID, LocationID: f.beta.ID, ServiceType: market.Nursing, Price: 950_00},
		{ProviderID: f.gamma.ProviderID, LocationID: f.gamma.ID, ServiceType: market.Nursing, Price: 900_00},
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *brokerFixture) requirement(t testing.TB, st market.ServiceType, method brokerage.Method) *brokerage.Requirement {
	t.Helper()
	r := &brokerage.Requirement{CaseReference: "MOS-100001", ServiceType: st, StartDate: procurement.Date(2026, 3, 9), AreaID: f.thanet.ID, Method: method,
		SpecialistNeeds: "Dementia"}
	if !st.IsBedBased() {
		r.MinutesPerWeek, r.VisitPattern = 10*60+30, "3 calls a day, 7 days a week"
	}
	p := &brokerage.Person{FullName: "Edith Crawley", Address: "4 Marine Parade, Margate", Postcode: "CT9 1XY"}
	if err := f.db.CreateRequirement(f.broker, r, p); err != nil {
		t.Fatal(err)
	}
	return r
}

// seedOffers seeds n pending offers of st at loc for people in Thanet,
// lapsing ttl from now, in bulk (storage.SeedOffers).
func (f *brokerFixture) seedOffers(t testing.TB, loc *market.Location, st market.ServiceType, n int, ttl time.Duration) []int64 {
	t.Helper()
	ids, err := storage.SeedOffers(f.sys, f.db, f.thanet.ID, loc.ID, st, n, f.now.Add(ttl))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func vacanciesOf(t testing.TB, db *storage.DB, ctx context.Context, loc int64, st market.ServiceType) int {
	t.Helper()
	vs, err := db.Vacancies(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.ServiceType == st {
			return v.Vacancies
		}
	}
	return -1
}

// TestBrokerageDirectAward: the cascade offers to the cheapest contracted
// home in the area; a decline moves to the next; expiry moves to the
// neighbour; acceptance reserves the bed and places; the provider sees the
// person only then; another provider sees nothing.
func TestBrokerageDirectAward(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		r := f.requirement(t, market.Nursing, brokerage.ByDirectAward)

		// Nobody but brokers make requirements or offers.
		mustCode(t, db.CreateRequirement(f.provider(f.alpha), &brokerage.Requirement{}, &brokerage.Person{}), caremarket.EINVALID)
		_, err := db.MakeOffer(f.comm, r.ID, brokerage.OfferRequest{})
		mustCode(t, err, caremarket.EFORBIDDEN)

		res, err := db.Cascade(f.broker, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Current != brokerage.StageLocal || len(res.Stage(1).Eligible) != 2 || res.Top().LocationID != f.beta.ID {
			t.Fatalf("cascade %+v", res)
		}
		if len(res.Stage(3).Eligible) != 1 || res.Stage(3).Eligible[0].LocationID != f.delta.ID {
			t.Fatalf("off contract stage %+v", res.Stage(3))
		}

		// Before any offer a provider cannot see the requirement at all.
		_, err = db.AnonymisedRequirement(f.provider(f.beta), r.ID)
		mustCode(t, err, caremarket.ENOTFOUND)

		o1, err := db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{ExpiresIn: 4 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if o1.LocationID != f.beta.ID || o1.WeeklyCost != 950_00 || o1.Stage != 1 || o1.LotID != f.nursingLot.ID {
			t.Fatalf("first offer %+v", o1)
		}
		_, err = db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{})
		mustCode(t, err, caremarket.ECONFLICT)

		// Beta sees it anonymised; Alpha does not see Beta's offer.
		a, err := db.AnonymisedRequirement(f.provider(f.beta), r.ID)
		if err != nil || a.Outcode != "CT9" {
			t.Fatalf("anonymised %+v %v", a, err)
		}
		_, err = db.Offer(f.provider(f.alpha), o1.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.AcceptOffer(f.provider(f.alpha), o1.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.Person(f.provider(f.beta), r.ID)
		mustCode(t, err, caremarket.ENOTFOUND)

		// Beta declines (a reason is required): the cascade offers Alpha.
		_, err = db.DeclineOffer(f.provider(f.beta), o1.ID, " ")
		mustCode(t, err, caremarket.EINVALID)
		if _, err := db.DeclineOffer(f.provider(f.beta), o1.ID, "No nurse cover at weekends"); err != nil {
			t.Fatal(err)
		}
		pending, _ := db.ListOffers(f.broker, brokerage.OfferFilter{RequirementID: r.ID, Status: brokerage.OfferPending})
		if len(pending) != 1 || pending[0].LocationID != f.alpha.ID || pending[0].Rank != 1 {
			t.Fatalf("after decline, pending %+v", pending)
		}
		o2 := pending[0]

		// Alpha lets it expire: the next is Gamma, in the neighbouring area.
		f.now = o2.ExpiresAt.Add(time.Minute)
		_, err = db.AcceptOffer(f.provider(f.alpha), o2.ID)
		mustCode(t, err, caremarket.ECONFLICT)
		if n, err := db.ExpireOffers(f.broker); err != nil || n != 1 {
			t.Fatalf("expired %d, %v", n, err)
		}
		pending, _ = db.ListOffers(f.broker, brokerage.OfferFilter{RequirementID: r.ID, Status: brokerage.OfferPending})
		if len(pending) != 1 || pending[0].LocationID != f.gamma.ID || pending[0].Stage != brokerage.StageNeighbours {
			t.Fatalf("after expiry, pending %+v", pending)
		}
		o3 := pending[0]

		// Gamma accepts: one transaction reserves the bed and places.
		p, err := db.AcceptOffer(f.provider(f.gamma), o3.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.LocationID != f.gamma.ID || p.WeeklyCost != 900_00 || p.OffContract || p.AgreementID == 0 || p.Stage != 2 {
			t.Fatalf("placement %+v", p)
		}
		if v := vacanciesOf(t, db, f.sys, f.gamma.ID, market.Nursing); v != 0 {
			t.Fatalf("Gamma's vacancies = %d, want 0", v)
		}
		_, err = db.AcceptOffer(f.provider(f.gamma), o3.ID)
		mustCode(t, err, caremarket.ECONFLICT)

		// The identity goes to Gamma only.
		person, err := db.Person(f.provider(f.gamma), r.ID)
		if err != nil || person.FullName != "Edith Crawley" || person.Postcode != "CT9 1XY" {
			t.Fatalf("Gamma reads the person: %+v %v", person, err)
		}
		_, err = db.Person(f.provider(f.beta), r.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.Placement(f.provider(f.alpha), p.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		if ps, _ := db.ListPlacements(f.provider(f.alpha), brokerage.PlacementFilter{}); len(ps) != 0 {
			t.Fatalf("Alpha lists %d placements", len(ps))
		}

		// Every step is in the log.
		v, err := db.RequirementView(f.broker, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, s := range v.Steps {
			kinds[s.Kind]++
		}
		for _, k := range []string{"created", "cascade", "offered", "declined", "expired", "accepted"} {
			if kinds[k] == 0 {
				t.Errorf("no %q step in %+v", k, v.Steps)
			}
		}
		// The view leaves the person out: it is opened with a reason, logged.
		if v.Requirement.Status != brokerage.StatusPlaced || v.Requirement.Person != nil {
			t.Errorf("view %+v", v.Requirement)
		}
		if p, err := db.ViewPerson(f.broker, v.Requirement.ID, brokerage.ViewArranging); err != nil || p.FullName == "" {
			t.Errorf("the person, with a reason: %+v %v", p, err)
		}

		// Lifecycle: uplift, top-up, end.
		p, err = db.ChangePlacementPrice(f.broker, p.ID, brokerage.PriceChange{WeeklyCost: 950_00, EffectiveFrom: procurement.Date(2026, 3, 9), Reason: "NLW uplift"})
		if err != nil || len(p.Prices) != 2 {
			t.Fatalf("price change %+v %v", p, err)
		}
		p, err = db.SetTopUp(f.broker, p.ID, 75_00, "Daughter (Mary Crawley)")
		if err != nil || p.TopUp != 75_00 || p.WeeklyCost != 900_00 && p.WeeklyCost != 950_00 {
			t.Fatalf("top up %+v %v", p, err)
		}
		_, err = db.EndPlacement(f.provider(f.gamma), p.ID, procurement.Date(2026, 6, 1), "Returned home")
		mustCode(t, err, caremarket.EFORBIDDEN)
		hb, err := db.HandBackPlacement(f.provider(f.gamma), p.ID, 28, "Needs now beyond our nursing skill mix")
		if err != nil || hb.Status != brokerage.PlacementHandedBack || hb.EndDate == nil {
			t.Fatalf("hand back %+v %v", hb, err)
		}
		if r2, _ := db.Requirement(f.broker, r.ID); r2.Status != brokerage.StatusOpen {
			t.Errorf("after hand-back the requirement is %s", r2.Status)
		}
	})
}

// TestBrokerageExclusionsAndOffContract: concerns and Inadequate exclude;
// off contract only after both contracted stages; move to contract.
func TestBrokerageExclusionsAndOffContract(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		// Beta under serious concerns, Alpha rated Inadequate, Gamma full.
		if err := db.RaiseConcern(f.comm, &brokerage.Concern{ProviderID: f.beta.ProviderID, Reason: "Safeguarding enquiry"}); err != nil {
			t.Fatal(err)
		}
		mustCode(t, db.RaiseConcern(f.broker, &brokerage.Concern{ProviderID: f.beta.ProviderID, Reason: "x"}), caremarket.EFORBIDDEN)
		alpha := *f.alpha
		alpha.Rating = market.Inadequate
		if err := db.UpdateLocation(f.sys, &alpha); err != nil {
			t.Fatal(err)
		}
		if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: f.gamma.ID, ServiceType: market.Nursing, Vacancies: 0}); err != nil {
			t.Fatal(err)
		}
		r := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		res, err := db.Cascade(f.broker, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Current != brokerage.StageOffContract || res.Top().LocationID != f.delta.ID {
			t.Fatalf("cascade current %d, steps %q", res.Current, res.Steps)
		}
		why := map[int64]string{}
		for _, st := range res.Stages {
			for _, e := range st.Excluded {
				why[e.LocationID] = e.Reason
			}
		}
		if why[f.alpha.ID] == "" || why[f.beta.ID] == "" || why[f.gamma.ID] == "" {
			t.Fatalf("exclusions %v", why)
		}
		// Off contract needs a reason and a cost.
		_, err = db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{})
		mustCode(t, err, caremarket.EINVALID)
		o, err := db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{WeeklyCost: 1450_00, OffContractReason: "No contracted nursing bed in Thanet or Canterbury"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := db.AcceptOffer(f.provider(f.delta), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !p.OffContract || p.ReviewDate == nil || p.AgreementID != 0 || p.OffContractReason == "" {
			t.Fatalf("off-contract placement %+v", p)
		}
		// Moving needs a contracted provider: none yet.
		_, err = db.MoveToContract(f.broker, p.ID)
		mustCode(t, err, caremarket.ECONFLICT)
		// A bed frees at Gamma: the move offers it and, on acceptance, the
		// off-contract placement ends as the contracted one starts.
		if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: f.gamma.ID, ServiceType: market.Nursing, Vacancies: 2}); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.AddDate(0, 0, 14)
		if _, err := db.MoveToContract(f.broker, p.ID); err != nil {
			t.Fatal(err)
		}
		pending, _ := db.ListOffers(f.provider(f.gamma), brokerage.OfferFilter{Status: brokerage.OfferPending})
		if len(pending) != 1 {
			t.Fatalf("Gamma's inbox %+v", pending)
		}
		np, err := db.AcceptOffer(f.provider(f.gamma), pending[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := storage.CheckCommitments(f.sys, db); err != nil {
			t.Errorf("stored commitment after the move to contract: %v", err)
		}
		old, _ := db.Placement(f.broker, p.ID)
		if old.Status != brokerage.PlacementMoved || old.MovedTo != np.ID || np.OffContract {
			t.Fatalf("moved %+v -> %+v", old, np)
		}
		rep, err := db.OffContractReport(f.comm)
		if err != nil || len(rep.Rows) != 1 || rep.Rows[0].Placements != 1 || rep.Rows[0].Active != 0 {
			t.Fatalf("report %+v %v", rep, err)
		}
	})
}

// TestBrokerageMiniCompetition: invited providers bid; a provider sees only
// its own bid; bids after the deadline are refused; the broker awards after
// the deadline by score.
func TestBrokerageMiniCompetition(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		r := f.requirement(t, market.Homecare, brokerage.ByMiniCompetition)
		deadline := f.now.Add(48 * time.Hour)
		c, err := db.StartCompetition(f.broker, r.ID, deadline, -1)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Invited) != 2 || c.PriceWeight != 60 {
			t.Fatalf("competition %+v", c)
		}
		echo, fox := f.provider(f.echo), f.provider(f.foxtrot)
		bEcho := &brokerage.Bid{CompetitionID: c.ID, LocationID: f.echo.ID, Price: 24_00, StartDate: r.StartDate, Notes: "Two carers in CT9"}
		if err := db.SubmitBid(echo, bEcho); err != nil {
			t.Fatal(err)
		}
		if bEcho.WeeklyCost != 252_00 || bEcho.Basis != pricing.PerHour {
			t.Errorf("weekly cost of 10.5 hours at £24 = %d", bEcho.WeeklyCost)
		}
		// Echo cannot bid for Foxtrot's location; a stranger cannot see the competition.
		mustCode(t, db.SubmitBid(echo, &brokerage.Bid{CompetitionID: c.ID, LocationID: f.foxtrot.ID, Price: 1, StartDate: r.StartDate}), caremarket.ENOTFOUND)
		_, err = db.Competition(f.provider(f.alpha), c.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		bFox := &brokerage.Bid{CompetitionID: c.ID, LocationID: f.foxtrot.ID, Price: 26_00, StartDate: r.StartDate}
		if err := db.SubmitBid(fox, bFox); err != nil {
			t.Fatal(err)
		}
		// Each sees only its own bid.
		got, err := db.Competition(echo, c.ID)
		if err != nil || len(got.Bids) != 1 || got.Bids[0].ID != bEcho.ID || len(got.Invited) != 1 {
			t.Fatalf("Echo sees %+v %v", got, err)
		}
		_, err = db.Bid(echo, bFox.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		// Award before the deadline is refused.
		_, err = db.AwardBid(f.broker, c.ID, bEcho.ID)
		mustCode(t, err, caremarket.ECONFLICT)
		// After the deadline: bids refused, scores shown to the broker.
		f.now = deadline
		mustCode(t, db.SubmitBid(echo, &brokerage.Bid{CompetitionID: c.ID, LocationID: f.echo.ID, Price: 20_00, StartDate: r.StartDate}), caremarket.ECONFLICT)
		staff, err := db.Competition(f.broker, c.ID)
		if err != nil || len(staff.Bids) != 2 {
			t.Fatalf("broker sees %+v %v", staff, err)
		}
		// Foxtrot: quality 10000 x 40% = 4000 + 24/26 x 60% = 5538 -> 9538; Echo: 6000 + 2400 = 8400.
		if staff.Bids[0].ID != bFox.ID || staff.Bids[0].Score != 9538 || staff.Bids[1].Score != 8400 {
			t.Fatalf("scores %+v", staff.Bids)
		}
		p, err := db.AwardBid(f.broker, c.ID, bFox.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.LocationID != f.foxtrot.ID || p.WeeklyCost != 273_00 {
			t.Fatalf("placement %+v", p)
		}
		if _, err := db.Person(fox, r.ID); err != nil {
			t.Fatalf("Foxtrot reads the person: %v", err)
		}
		_, err = db.Person(echo, r.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
	})
}

// TestAcceptanceRace: 100 acceptances at once for a location with one
// vacancy, 50 times over: exactly one placement each time, and the vacancy
// never goes below zero. Half the rounds race 100 offers of 100
// requirements for the one bed; the other half race 100 acceptances of one
// offer.
func TestAcceptanceRace(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const rounds, racers = 50, 100
		if testing.Short() {
			t.Skip("race test is long")
		}
		gammaCtx := f.provider(f.gamma)
		for round := 0; round < rounds; round++ {
			if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: f.gamma.ID, ServiceType: market.Nursing, Vacancies: 1}); err != nil {
				t.Fatal(err)
			}
			var offers []int64
			manyOffers := round%2 == 0
			n := 1
			if manyOffers {
				n = racers
			}
			ids := f.seedOffers(t, f.gamma, market.Nursing, n, time.Hour)
			for i := 0; i < racers; i++ {
				offers = append(offers, ids[i%len(ids)])
			}
			raceRound(t, gammaCtx, db, round, offers, "", 1)
			var vac int
			if err := db.SQL().QueryRow(`SELECT vacancies FROM vacancies WHERE location_id = $1 AND service_type = 'nursing'`, f.gamma.ID).Scan(&vac); err != nil {
				t.Fatal(err)
			}
			placements := countPlacements(t, db, f.gamma.ID, ids)
			if vac != 0 || placements != 1 {
				t.Fatalf("round %d: vacancies %d, placements %d; want 0 and 1", round, vac, placements)
			}
		}
	})
}

// raceAccept accepts every offer at once, each from its own goroutine, and
// counts the placements made and the conflicts refused; other holds every
// other error, and every conflict whose message does not contain want.
func raceAccept(ctx context.Context, db *storage.DB, offers []int64, want string) (placed, conflicts int, other []error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	for _, id := range offers {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			<-start
			_, err := db.AcceptOffer(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			switch caremarket.ErrorCode(err) {
			case "":
				placed++
			case caremarket.ECONFLICT:
				if !strings.Contains(err.Error(), want) {
					other = append(other, err)
				}
				conflicts++
			default:
				other = append(other, err)
			}
		}(id)
	}
	close(start)
	wg.Wait()
	return placed, conflicts, other
}

// raceRound runs a race's round (raceAccept) and fails it unless exactly
// want acceptances were placed and every other one refused as a conflict
// that says reason.
func raceRound(t testing.TB, ctx context.Context, db *storage.DB, round int, offers []int64, reason string, want int) {
	t.Helper()
	placed, conflicts, other := raceAccept(ctx, db, offers, reason)
	if len(other) > 0 {
		t.Fatalf("round %d: unexpected errors: %v", round, other[0])
	}
	if placed != want || conflicts != len(offers)-want {
		t.Fatalf("round %d: %d placed, %d refused; want %d and %d", round, placed, conflicts, want, len(offers)-want)
	}
}

// countPlacements counts the placements at a location made from the offers.
func countPlacements(t testing.TB, db *storage.DB, location int64, offers []int64) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(fmt.Sprintf(`SELECT COUNT(*) FROM placements WHERE location_id = %d AND offer_id IN (%s)`, location, joinIDs(offers))).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func joinIDs(ids []int64) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(id)
	}
	return s
}
