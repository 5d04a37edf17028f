package brokerdemo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
)

// Agreement is the demo's call-off framework for home care and prisons.
const Agreement = "KCC-PLACE-2023"

// LiveFramework is the open framework care homes are called off from: its
// lots (a service type in a cluster of districts) rank the cascade.
const LiveFramework = "OPRN-2026"

// careHomes are bought under LiveFramework.
var careHomes = map[market.ServiceType]bool{market.Residential: true, market.ResidentialHigh: true, market.Nursing: true}

// Result counts what LoadDemo made.
type Result struct {
	Requirements int
	Placements   int
	OffContract  int
	Pending      int
	Competitions int
}

// demoLots are the framework's lots: service type, call-off, ranking.
var demoLots = []struct {
	st      market.ServiceType
	callOff procurement.CallOff
	ranking []procurement.RankBy
	weekly  money.Money // base contracted price (a week, or an hour)
}{
	{market.Residential, procurement.Either, []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance}, 820_00},
	{market.ResidentialHigh, procurement.Either, []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance}, 960_00},
	{market.Nursing, procurement.Either, []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance}, 1080_00},
	{market.Homecare, procurement.DirectAward, []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance}, 25_40},
	{market.Prisons, procurement.MiniCompetition, []procurement.RankBy{procurement.RankQuality, procurement.RankPrice}, 28_00},
}

var names = []string{"Edith Crawley", "Arthur Pemberton", "Margaret Okafor", "Stanley Hughes", "Doreen Patel", "Harold Mensah", "Joan Whitaker",
	"Frank O'Neill", "Irene Kowalski", "Leonard Ashby", "Mabel Chaudhry", "Walter Finch", "Gladys Mwangi", "Ronald Tate", "Vera Lindqvist", "Cyril Adeyemi"}

// LoadDemo loads requirements and placements across Kent that exercise
// every stage of the cascade: placed and pending at stage 1, a decline
// moving on, neighbour placements at stage 2, off-contract placements of
// various ages awaiting a move to contract (some overdue for review), a
// prisons mini-competition open for bids and one awarded. It first admits
// about two thirds of the providers of each service: care homes to the
// lots of the live open framework OPRN-2026 (as awarded when it started),
// home care and prisons to the KCC-PLACE-2023 framework (home care only in
// half the districts, so some home care falls to neighbours or off
// contract); the demo provider account's nursing home in Thanet is made
// the cheapest there. It does nothing if KCC-PLACE-2023
// exists. ctx acts as the council's system admin; now is the demo's present.
func LoadDemo(ctx context.Context, db *storage.DB, now time.Time) (*Result, error) {
	sys := caremarket.ActorFrom(ctx)
	if sys == nil {
		return nil, caremarket.Errorf(caremarket.EUNAUTHORIZED, "LoadDemo needs a council actor")
	}
	if _, err := db.AgreementByReference(ctx, Agreement); err == nil {
		return &Result{}, nil
	}
	now = now.UTC()
	saved := db.Now
	defer func() { db.Now = saved }()
	l := &loader{ctx: ctx, db: db, now: now, sys: sys, res: &Result{}, outcode: map[int64]string{}, used: map[string]bool{}}
	l.at(now)
	var err error
	if l.areas, err = db.ListAreas(ctx); err != nil {
		return nil, err
	}
	if len(l.areas) == 0 {
		return nil, caremarket.Errorf(caremarket.ECONFLICT, "Load the market before the brokerage demo")
	}
	if l.comm, err = procdemo.Person(ctx, db, "commissioner", caremarket.RoleCommissioner); err != nil {
		return nil, err
	}
	if l.broker, err = procdemo.Person(ctx, db, "broker", caremarket.RoleBroker); err != nil {
		return nil, err
	}
	if err := l.prisonAgencies(); err != nil {
		return nil, err
	}
	demoLoc, err := l.admitAndPrice()
	if err != nil {
		return nil, err
	}
	for _, step := range []func() error{l.offContract, l.placed, l.pending, l.toSource, l.prisonCompetitions} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	// The demo home keeps beds free, so the demo provider has an offer to answer.
	if demoLoc != nil {
		l.at(now)
		if err := db.SetVacancy(ctx, &market.Vacancy{LocationID: demoLoc.ID, ServiceType: market.Nursing, Vacancies: 2}); err != nil {
			return nil, err
		}
	}
	return l.res, nil
}

// loader holds what LoadDemo's steps share: the council's people, its
// areas with an outcode of each, and what has been made so far.
type loader struct {
	ctx          context.Context
	db           *storage.DB
	now          time.Time
	sys          *caremarket.Actor
	comm, broker context.Context
	areas        []market.Area
	outcode      map[int64]string // an outcode in each area, from its locations
	res          *Result
	n            int             // requirements recorded, numbering their case references
	used         map[string]bool // the area, service and stage find has given already
}

// at sets the database's clock to t.
func (l *loader) at(t time.Time) { l.db.Now = func() time.Time { return t } }

// prisonAgencies gives care and support in prisons (part of Kent's home
// care service) to four home care agencies of one district, which also
// work in its prison.
func (l *loader) prisonAgencies() error {
	hc, _, err := l.db.ListLocations(l.ctx, market.LocationFilter{ServiceType: market.Homecare, Page: market.Page{PerPage: market.MaxPerPage}})
	if err != nil {
		return err
	}
	byArea := map[int64][]market.Location{}
	var prisonArea int64
	for _, loc := range hc {
		byArea[loc.AreaID] = append(byArea[loc.AreaID], loc)
		if len(byArea[loc.AreaID]) > len(byArea[prisonArea]) {
			prisonArea = loc.AreaID
		}
	}
	for i, loc := range byArea[prisonArea] {
		if i >= 4 {
			break
		}
		full, err := l.db.Location(l.ctx, loc.ID)
		if err != nil {
			return err
		}
		full.ServiceTypes = append(full.ServiceTypes, market.Prisons)
		if err := l.db.UpdateLocation(l.ctx, full); err != nil {
			return fmt.Errorf("brokerdemo: prisons service: %w", err)
		}
	}
	return nil
}

// admitAndPrice sets up the call-off framework and its lots, admits about
// two thirds of each service's providers (care homes to the live
// framework, as it began), and gives every location of an admitted
// provider a contracted price. It returns the demo provider's home.
func (l *loader) admitAndPrice() (*market.Location, error) {
	ctx, db, now := l.ctx, l.db, l.now
	var allAreas []int64
	evenArea := map[int64]bool{}
	for i, a := range l.areas {
		allAreas = append(allAreas, a.ID)
		evenArea[a.ID] = i%2 == 0
	}
	oprn, err := db.AgreementByReference(ctx, LiveFramework)
	if err != nil {
		return nil, fmt.Errorf("brokerdemo: load the procurement demo (%s) first: %w", LiveFramework, err)
	}
	demoLoc, err := demoHome(ctx, db, l.areas)
	if err != nil {
		return nil, err
	}
	ag, lotFor, err := l.callOffFramework(oprn, allAreas)
	if err != nil {
		return nil, err
	}
	var admissions, oprnAdmissions []Admission
	var prices []Price
	for _, lt := range demoLots {
		locs, err := l.locationsOf(lt.st)
		if err != nil {
			return nil, err
		}
		admitted := map[int64]bool{}
		onLot := map[[2]int64]bool{}
		for _, loc := range locs {
			if l.outcode[loc.AreaID] == "" {
				l.outcode[loc.AreaID] = market.Outcode(loc.Postcode)
			}
			in := loc.ProviderID%3 != 0 || lt.st == market.Prisons || isDemoHome(demoLoc, loc.ID)
			if lt.st == market.Homecare && !evenArea[loc.AreaID] {
				in = false
			}
			lot := lotFor(lt.st, loc.AreaID)
			if !in || lot == 0 {
				continue
			}
			admitted[loc.ProviderID] = true
			if key := [2]int64{lot, loc.ProviderID}; !onLot[key] {
				onLot[key] = true
				ad := Admission{LotID: lot, ProviderID: loc.ProviderID, Mark: 3 + int(loc.ProviderID%3)}
				if careHomes[lt.st] {
					oprnAdmissions = append(oprnAdmissions, ad)
				} else {
					admissions = append(admissions, ad)
				}
			}
		}
		prices = append(prices, contractedPrices(lt.st, lt.weekly, locs, admitted, demoLoc)...)
	}
	if err := Admit(ctx, db, ag, admissions); err != nil {
		return nil, err
	}
	// The live framework's first providers were admitted as it began.
	l.at(oprn.Start.Add(9 * time.Hour))
	if err := Admit(ctx, db, oprn, oprnAdmissions); err != nil {
		return nil, fmt.Errorf("brokerdemo: admit to %s: %w", LiveFramework, err)
	}
	l.at(now)
	if err := SetPrices(ctx, db, "Placements framework prices "+now.Format("2006"), prices); err != nil {
		return nil, err
	}
	return demoLoc, nil
}

// callOffFramework creates the call-off framework with a lot for each
// service not bought as a care home, and returns it with lotFor: the lot
// a location of service st in area is admitted to (the live framework's
// lot for its cluster for a care home, else the call-off framework's; 0:
// none).
func (l *loader) callOffFramework(oprn *procurement.Agreement, allAreas []int64) (*procurement.Agreement, func(market.ServiceType, int64) int64, error) {
	ag := &procurement.Agreement{Reference: Agreement, Title: "Kent home care and prisons placements (call-off framework)",
		Type: procurement.ClosedFramework, Regime: procurement.PCR2015, LightTouch: true,
		Description: "Closed framework the brokerage demo calls off from: direct award by lowest price, then quality, then distance; prisons by mini-competition.",
		Start:       procurement.Date(l.now.Year()-1, 6, 1), End: procurement.Date(l.now.Year()+2, 5, 31)}
	kccLot := map[market.ServiceType]int{}
	for _, lt := range demoLots {
		if careHomes[lt.st] {
			continue
		}
		kccLot[lt.st] = len(ag.Lots)
		ag.Lots = append(ag.Lots, procurement.Lot{Number: len(ag.Lots) + 1, Title: lt.st.Label(), ServiceTypes: []market.ServiceType{lt.st}, AreaIDs: allAreas,
			CallOff: lt.callOff, Ranking: lt.ranking, CallOffTerms: "Kent call-off terms for " + lt.st.Label(), Mechanism: "Lowest price, then quality score, then distance; or mini-competition"})
	}
	if err := l.db.CreateAgreement(l.comm, ag); err != nil {
		return nil, nil, fmt.Errorf("brokerdemo: framework: %w", err)
	}
	lotFor := func(st market.ServiceType, area int64) int64 {
		if !careHomes[st] {
			return ag.Lots[kccLot[st]].ID
		}
		for _, lt := range oprn.Lots {
			if slices.Contains(lt.ServiceTypes, st) && slices.Contains(lt.AreaIDs, area) {
				return lt.ID
			}
		}
		return 0
	}
	return ag, lotFor, nil
}

// locationsOf lists every location offering st, page by page.
func (l *loader) locationsOf(st market.ServiceType) ([]market.Location, error) {
	var locs []market.Location
	for page := 1; ; page++ {
		got, total, err := l.db.ListLocations(l.ctx, market.LocationFilter{ServiceType: st, Page: market.Page{Number: page, PerPage: market.MaxPerPage}})
		if err != nil {
			return nil, err
		}
		locs = append(locs, got...)
		if len(locs) >= total || len(got) == 0 {
			return locs, nil
		}
	}
}

// contractedPrices gives every location of an admitted provider a
// contracted price for st near base: up to £1.40 apart by the hour, £140
// by the week; the demo home is the cheapest nursing home in Thanet.
func contractedPrices(st market.ServiceType, base money.Money, locs []market.Location, admitted map[int64]bool, demoLoc *market.Location) []Price {
	var prices []Price
	for j, loc := range locs {
		if !admitted[loc.ProviderID] {
			continue
		}
		step := money.Money((j * 37) % 15)
		if base < 100_00 {
			step = step * 10 // hourly: up to £1.40 apart
		} else {
			step = step * 1000 // weekly: up to £140 apart
		}
		if isDemoHome(demoLoc, loc.ID) {
			step = -40_00 // the cheapest nursing home in Thanet
		}
		prices = append(prices, Price{ProviderID: loc.ProviderID, LocationID: loc.ID, ServiceType: st, Price: base + step})
	}
	return prices
}

// newReq records a requirement for service st in area, starting on start.
func (l *loader) newReq(area market.Area, st market.ServiceType, method brokerage.Method, start time.Time, needs string) (*brokerage.Requirement, error) {
	l.n++
	n := l.n
	r := &brokerage.Requirement{CaseReference: fmt.Sprintf("MOS-%06d", 400000+n*137), ServiceType: st, StartDate: start, AreaID: area.ID,
		Method: method, SpecialistNeeds: needs}
	if !st.IsBedBased() {
		r.MinutesPerWeek, r.VisitPattern = (7+n%10)*60, fmt.Sprintf("%d calls a day, 7 days a week", 2+n%3)
	}
	oc := l.outcode[area.ID]
	if oc == "" {
		oc = "ME14"
	}
	p := &brokerage.Person{FullName: names[n%len(names)], Address: fmt.Sprintf("%d %s Road, %s", 3+n*7%90, []string{"Station", "Church", "Victoria", "Mill"}[n%4], area.Name),
		Postcode: oc + " " + fmt.Sprintf("%d%s", 1+n%9, []string{"AB", "DE", "HJ", "NP", "QT", "WX"}[n%6])}
	dob := procurement.Date(1930+n%25, time.Month(1+n%12), 1+n%27)
	p.DateOfBirth = &dob
	if err := l.db.CreateRequirement(l.broker, r, p); err != nil {
		return nil, fmt.Errorf("brokerdemo: requirement in %s: %w", area.Name, err)
	}
	l.res.Requirements++
	return r, nil
}

// provider acts as a user of provider id.
func (l *loader) provider(id int64) context.Context {
	return caremarket.NewContext(context.Background(), &caremarket.Actor{Email: fmt.Sprintf("placements@provider-%d.example", id),
		CouncilID: l.sys.CouncilID, CouncilSlug: l.sys.CouncilSlug, Role: caremarket.RoleProvider, ProviderID: id})
}

// find returns an area where a requirement for st would be at stage want
// now, each area once for a service and stage.
func (l *loader) find(st market.ServiceType, want brokerage.Stage) (market.Area, bool) {
	for _, a := range l.areas {
		key := fmt.Sprint(a.ID, st, want)
		if l.used[key] {
			continue
		}
		r := &brokerage.Requirement{ServiceType: st, AreaID: a.ID, Outcode: l.outcode[a.ID], StartDate: l.now.AddDate(0, 0, 7)}
		c, err := l.db.CascadePreview(l.broker, r)
		if err == nil && c.Current == want {
			l.used[key] = true
			return a, true
		}
	}
	return market.Area{}, false
}

func (l *loader) offerAndAccept(r *brokerage.Requirement, q brokerage.OfferRequest) error {
	o, err := l.db.MakeOffer(l.broker, r.ID, q)
	if err != nil {
		return err
	}
	p, err := l.db.AcceptOffer(l.provider(o.ProviderID), o.ID)
	if err != nil {
		return err
	}
	l.res.Placements++
	if p.OffContract {
		l.res.OffContract++
	}
	return nil
}

// offContract makes off-contract placements in the last month (the demo
// register is a month old), awaiting a move to contract: home care where
// no contracted agency covers the district or its neighbours, and
// specialist residential no lot buys.
func (l *loader) offContract() error {
	type past struct {
		st     market.ServiceType
		days   int
		reason string
		cost   money.Money
	}
	for _, pp := range []past{
		{market.ResidentialLD, 29, "No contracted learning disability home has a vacancy in the area or its neighbours", 1650_00},
		{market.Homecare, 22, "No contracted agency could cover the calls in the area or its neighbours", 0},
		{market.ResidentialMH, 14, "Hospital discharge the same day: no contracted mental health home could take it", 1390_00},
		{market.Homecare, 6, "Contracted agencies in the area and neighbours declined: no carer capacity", 0},
	} {
		area, ok := l.find(pp.st, brokerage.StageOffContract)
		if !ok {
			continue
		}
		start := l.now.AddDate(0, 0, -pp.days)
		l.at(start.Add(-24 * time.Hour))
		r, err := l.newReq(area, pp.st, brokerage.ByDirectAward, start, "")
		if err != nil {
			return err
		}
		cost := pp.cost
		if cost == 0 {
			cost = brokerage.WeeklyCost(pp.st, 29_50, r.MinutesPerWeek)
		}
		if err := l.offerAndAccept(r, brokerage.OfferRequest{WeeklyCost: cost, OffContractReason: pp.reason}); err != nil {
			return fmt.Errorf("brokerdemo: off-contract %s: %w", pp.st, err)
		}
	}
	return nil
}

// placed makes stage 1 and stage 2 placements by direct award.
func (l *loader) placed() error {
	l.at(l.now.Add(-3 * time.Hour))
	for _, c := range []struct {
		st    market.ServiceType
		stage brokerage.Stage
		needs string
	}{
		{market.Nursing, brokerage.StageLocal, "Diabetes; PEG feeding"},
		{market.Residential, brokerage.StageLocal, ""},
		{market.Homecare, brokerage.StageLocal, "Double-handed at bedtime"},
		{market.ResidentialHigh, brokerage.StageLocal, "Dementia with distressed behaviour"},
		{market.Homecare, brokerage.StageNeighbours, ""},
		{market.Nursing, brokerage.StageNeighbours, "Hospital discharge"},
	} {
		area, ok := l.find(c.st, c.stage)
		if !ok {
			continue
		}
		r, err := l.newReq(area, c.st, brokerage.ByDirectAward, l.now.AddDate(0, 0, 5), c.needs)
		if err != nil {
			return err
		}
		if err := l.offerAndAccept(r, brokerage.OfferRequest{}); err != nil {
			return fmt.Errorf("brokerdemo: place %s in %s: %w", c.st, area.Name, err)
		}
	}
	return nil
}

// pending makes offers waiting for an answer, one after a decline.
func (l *loader) pending() error {
	l.at(l.now.Add(-90 * time.Minute))
	for i, st := range []market.ServiceType{market.Residential, market.Nursing, market.Homecare} {
		area, ok := l.find(st, brokerage.StageLocal)
		if !ok {
			continue
		}
		r, err := l.newReq(area, st, brokerage.ByDirectAward, l.now.AddDate(0, 0, 10), "")
		if err != nil {
			return err
		}
		o, err := l.db.MakeOffer(l.broker, r.ID, brokerage.OfferRequest{ExpiresIn: 24 * time.Hour})
		if err != nil {
			return fmt.Errorf("brokerdemo: offer %s: %w", st, err)
		}
		if i == 1 {
			if _, err := l.db.DeclineOffer(l.provider(o.ProviderID), o.ID, "No nurse cover for the start date"); err != nil {
				return err
			}
		}
		l.res.Pending++
	}
	return nil
}

// toSource records a requirement still to be sourced, off contract only.
func (l *loader) toSource() error {
	if area, ok := l.find(market.ResidentialPD, brokerage.StageOffContract); ok {
		if _, err := l.newReq(area, market.ResidentialPD, brokerage.ByDirectAward, l.now.AddDate(0, 0, 3), "Bariatric; hoist"); err != nil {
			return err
		}
	}
	return nil
}

// prisonCompetitions runs two prisons mini-competitions: one awarded, one
// open for bids.
func (l *loader) prisonCompetitions() error {
	db, broker := l.db, l.broker
	prisons, havePrisons := l.find(market.Prisons, brokerage.StageLocal)
	for i := 0; i < 2 && havePrisons; i++ {
		if i == 0 {
			l.at(l.now.AddDate(0, 0, -10))
		} else {
			l.at(l.now.Add(-time.Hour))
		}
		r, err := l.newReq(prisons, market.Prisons, brokerage.ByMiniCompetition, db.Now().AddDate(0, 0, 14), "Personal care on a prison wing: escorted visits")
		if err != nil {
			return err
		}
		c, err := db.StartCompetition(broker, r.ID, db.Now().Add(72*time.Hour), -1)
		if err != nil {
			return fmt.Errorf("brokerdemo: prisons competition: %w", err)
		}
		l.res.Competitions++
		var bids []*brokerage.Bid
		for j, inv := range c.Invited {
			if j >= 3 {
				break
			}
			b := &brokerage.Bid{CompetitionID: c.ID, LocationID: inv.LocationID, Price: money.Money(27_00 + 75*j), StartDate: r.StartDate,
				Notes: "Carers cleared for prison work"}
			if err := db.SubmitBid(l.provider(inv.ProviderID), b); err != nil {
				return fmt.Errorf("brokerdemo: bid: %w", err)
			}
			bids = append(bids, b)
		}
		if i == 0 && len(bids) > 0 {
			l.at(c.Deadline.Add(time.Hour))
			full, err := db.Competition(broker, c.ID)
			if err != nil {
				return err
			}
			if _, err := db.AwardBid(broker, c.ID, full.Bids[0].ID); err != nil {
				return fmt.Errorf("brokerdemo: award: %w", err)
			}
			l.res.Placements++
		}
	}
	return nil
}

func isDemoHome(home *market.Location, id int64) bool { return home != nil && home.ID == id }

// demoHome finds the demo provider account's nursing home in Thanet (a
// location with a nursing vacancy figure: the demo gives that account such
// a provider), or nil when it has none.
func demoHome(ctx context.Context, db *storage.DB, areas []market.Area) (*market.Location, error) {
	sys := caremarket.ActorFrom(ctx)
	u, err := db.UserByEmail(ctx, "provider@"+sys.CouncilSlug+".example")
	if err != nil {
		return nil, fmt.Errorf("brokerdemo: the demo provider account: %w", err)
	}
	var thanet int64
	for _, a := range areas {
		if a.Name == "Thanet" {
			thanet = a.ID
		}
	}
	locs, _, err := db.ListLocations(ctx, market.LocationFilter{ProviderID: u.ProviderID, AreaID: thanet, ServiceType: market.Nursing,
		Page: market.Page{PerPage: market.MaxPerPage}})
	if err != nil || thanet == 0 {
		return nil, err
	}
	for i := range locs {
		vs, err := db.Vacancies(ctx, locs[i].ID)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if v.ServiceType == market.Nursing {
				return &locs[i], nil
			}
		}
	}
	return nil, nil
}
