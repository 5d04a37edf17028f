// Package pricedemo loads the pricing part of the demo into a council that
// already has its market and agreements (the demo package's Kent, after
// procdemo): cost models for the care home service types and home care,
// adopted from the last April so their guide prices are in force; an autumn
// price round on the OPRN open framework (OPRN-2026), submitted and decided,
// whose approved prices are the homes' contracted prices today; and the
// spring round, open now, with prices submitted and a mix of approved,
// rejected and waiting decisions for the commissioner.
//
// Everything goes through storage's ordinary, audited methods, acting as the
// council's commissioner and the providers' staff; the clock is moved to when
// each step happened. A provider submits all its prices of a round in one
// call (SubmitPrices takes many rows in one transaction), as a CSV upload
// would.
package pricedemo

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/storage"
)

// Seed fixes the generated prices and decisions.
const Seed uint64 = 20261001

// Agreement is the agreement whose providers price in the demo's rounds.
const Agreement = "OPRN-2026"

// RoundServices are the service types priced in the OPRN rounds: older
// people's residential and nursing care.
var RoundServices = []market.ServiceType{market.Residential, market.ResidentialHigh, market.Nursing, market.NursingHigh}

// Shares of the generated rounds, in percent.
const (
	autumnSubmitShare = 88 // of invited homes that priced in the autumn round
	springSubmitShare = 75 // and have priced so far in the spring round
	springApproved    = 35 // of spring prices already approved
	springRejected    = 10 // and rejected; the rest wait for a decision
)

// bedModel is a care home service type's cost model inputs.
type bedModel struct {
	st        market.ServiceType
	label     string
	premium   money.Money // above the NLW an hour: a blended rate where nurses are in the mix
	hours     pricing.Dec // care (and nursing) hours per resident a week
	urbanNon  money.Money // non-staff costs per bed a week
	ruralNon  money.Money
	overheads pricing.BP
}

func dec(hundredths int64) pricing.Dec { return pricing.Dec(hundredths * pricing.DecScale / 100) }

// The care home models: hours and costs in the range of councils' published
// cost of care exercises (2022 fair cost of care returns, uprated).
var bedModels = []bedModel{
	{market.Residential, "Residential care (older people)", 60, dec(2200), 29000, 27000, 1000},
	{market.ResidentialHigh, "Residential High: dementia and complex needs", 85, dec(2800), 29500, 27500, 1000},
	{market.Nursing, "Nursing care (older people)", 290, dec(3300), 31000, 29000, 1000},
	{market.NursingHigh, "Nursing High: complex nursing needs", 310, dec(4000), 31500, 29500, 1000},
	{market.ResidentialLD, "Residential care: learning disability", 120, dec(4500), 32000, 30000, 1200},
	{market.ResidentialPD, "Residential care: physical disability", 110, dec(4000), 32000, 30000, 1200},
	{market.ResidentialMH, "Residential care: mental health", 100, dec(3000), 30000, 28000, 1200},
}

// onCosts are the employer's costs as effective rates of pay: employer NI at
// 15% above the secondary threshold averaged over a care worker's pay, the
// auto-enrolment minimum pension, statutory holiday (5.6 weeks), training
// and sickness cover.
var onCosts = pricing.OnCosts{EmployerNI: 1050, Pension: 300, Holiday: 1207, Training: 200, Sickness: 200}

// The reasons providers and the commissioner give.
var (
	aboveReasons = []string{
		"Dementia specialist unit with one-to-one staffing at night",
		"We pay all care staff the Real Living Wage, above the NLW",
		"Agency nursing costs: we cannot recruit registered nurses locally",
		"Energy costs have risen by 40% on our fixed-rate contract",
		"Recent refurbishment: en-suite wet rooms and ceiling hoists in every room",
		"Two waking night staff needed because of the layout of the building",
		"Rural location: staff travel and recruitment costs are higher",
	}
	belowReasons = []string{
		"Large home: economies of scale in catering and management",
		"We own the building outright and have no rent or loan costs",
		"Reduced rate offered for a block of beds to fill our vacancies",
	}
	approveReasons = []string{
		"Cost evidence accepted at the contract monitoring visit",
		"Staffing rota and pay rates provided and accepted",
		"Accepted: specialist provision confirmed by the quality team",
		"Accepted to keep capacity in an area with few vacancies",
	}
	rejectAboveReasons = []string{
		"No evidence of the higher staffing levels claimed: resubmit with your staffing rota",
		"Above the guide band without a cost breakdown: send one and resubmit",
		"The increase is more than the change in the National Living Wage justifies",
	}
	rejectBelowReasons = []string{
		"Below the sustainable cost of care: confirm staff are paid at least the NLW and resubmit",
	}
	rejectWithinReasons = []string{
		"Price entered for the wrong service type: please resubmit",
	}
)

// districtPremium is how far a district's prices sit from the county's:
// West Kent's property and pay costs are higher, the coast's lower.
var districtPremium = map[string]float64{
	"Sevenoaks": 0.07, "Tunbridge Wells": 0.06, "Tonbridge and Malling": 0.04, "Maidstone": 0.02, "Dartford": 0.02,
	"Gravesham": 0.01, "Ashford": 0.0, "Canterbury": 0.01, "Swale": -0.01, "Folkestone and Hythe": -0.02, "Dover": -0.03, "Thanet": -0.045,
}

// home is one care home location priced in the rounds.
type home struct {
	market.Location
	setting  market.Setting
	services []market.ServiceType // of RoundServices
	level    float64              // how far this home's prices sit from the guide
}

// LoadDemo loads the pricing demo into the council of the actor in ctx (a
// system admin, as the demo loader uses). It does nothing if the council
// already has cost models or price rounds. now is the demo's present.
func LoadDemo(ctx context.Context, db *storage.DB, now time.Time) error {
	sys := caremarket.ActorFrom(ctx)
	if sys == nil || sys.CouncilID == 0 {
		return caremarket.Errorf(caremarket.EUNAUTHORIZED, "LoadDemo needs a council actor")
	}
	if ms, err := db.ListCostModels(ctx, ""); err != nil {
		return err
	} else if len(ms) > 0 {
		return nil
	}
	if rs, err := db.ListPriceRounds(ctx); err != nil {
		return err
	} else if len(rs) > 0 {
		return nil
	}
	ag, err := db.AgreementByReference(ctx, Agreement)
	if caremarket.ErrorCode(err) == caremarket.ENOTFOUND {
		return caremarket.Errorf(caremarket.ECONFLICT, "Load the procurement demo (%s) before the pricing demo", Agreement)
	} else if err != nil {
		return err
	}
	now = now.UTC()
	saved := db.Now
	defer func() { db.Now = saved }()
	at := func(t time.Time) { db.Now = func() time.Time { return t } }

	comm, err := commissioner(ctx, db, sys)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(Seed, Seed^0x5851f42d4c957f2d))
	cal := calendarFor(now)

	// Cost models, adopted ahead of the April they take effect from.
	at(cal.adopt)
	guides := map[pricing.PriceKey]money.Money{}
	for _, m := range costModels(cal.lastApril) {
		if err := db.CreateCostModel(comm, m); err != nil {
			return fmt.Errorf("pricedemo: cost model %q: %w", m.Name, err)
		}
		gs, err := db.AdoptCostModel(comm, m.ID)
		if err != nil {
			return fmt.Errorf("pricedemo: adopt %q: %w", m.Name, err)
		}
		for _, g := range gs {
			guides[g.Key()] = g.Price
		}
	}

	homes, userProvider, err := carehomes(ctx, db, rng)
	if err != nil {
		return err
	}
	if len(homes) == 0 {
		return nil // no care homes to price: guide prices only
	}
	var providerIDs []int64
	for _, h := range homes {
		if !slices.Contains(providerIDs, h.ProviderID) {
			providerIDs = append(providerIDs, h.ProviderID)
		}
	}
	actors, err := providerActors(ctx, db, sys, providerIDs)
	if err != nil {
		return err
	}

	r := &rounds{db: db, at: at, rng: rng, comm: comm, agreementID: ag.ID, cal: cal, homes: homes, actors: actors, guides: guides,
		providerIDs: providerIDs, userProvider: userProvider, prevPrices: map[priceKey]money.Money{}, now: now}
	if err := r.autumn(); err != nil {
		return err
	}
	return r.spring()
}

// rounds is what the demo's two price rounds share: the homes priced,
// their providers, the guide prices, and the autumn's prices (the spring's
// start from them).
type rounds struct {
	db           *storage.DB
	at           func(time.Time)
	rng          *rand.Rand
	comm         context.Context
	agreementID  int64
	cal          calendar
	homes        []home
	actors       map[int64]context.Context
	guides       map[pricing.PriceKey]money.Money
	providerIDs  []int64
	userProvider int64
	prevPrices   map[priceKey]money.Money
	now          time.Time
}

// open opens a round of the agreement's providers at 9am on the day it
// opens.
func (r *rounds) open(name string, opens, closes, effective time.Time) (*pricing.Round, error) {
	rd := &pricing.Round{AgreementID: r.agreementID, Name: name, OpensOn: opens, ClosesOn: closes,
		EffectiveFrom: effective, Tolerance: pricing.DefaultTolerance, ProviderIDs: r.providerIDs}
	r.at(opens.Add(9 * time.Hour))
	if err := r.db.OpenPriceRound(r.comm, rd); err != nil {
		return nil, fmt.Errorf("pricedemo: open %s: %w", rd.Name, err)
	}
	return rd, nil
}

// autumn runs the autumn round: priced, closed and decided.
func (r *rounds) autumn() error {
	prev, err := r.open(r.cal.prevName, r.cal.prevOpens, r.cal.prevCloses, r.cal.prevEffective)
	if err != nil {
		return err
	}
	subs, err := submitRound(r.db, r.at, r.rng, prev, r.homes, r.actors, r.guides, 0, autumnSubmitShare, 0.01, r.prevPrices)
	if err != nil {
		return fmt.Errorf("pricedemo: %s: %w", prev.Name, err)
	}
	r.at(r.cal.prevCloses.Add(17 * time.Hour))
	if err := r.db.ClosePriceRound(r.comm, prev.ID); err != nil {
		return fmt.Errorf("pricedemo: close %s: %w", prev.Name, err)
	}
	decideFrom := r.cal.prevCloses.AddDate(0, 0, 3).Add(9 * time.Hour)
	decideFor := r.cal.prevEffective.AddDate(0, 0, -7).Sub(decideFrom)
	for i, s := range subs {
		r.at(decideFrom.Add(decideFor * time.Duration(i) / time.Duration(len(subs))))
		approve := true
		switch {
		case !s.Check.Within && r.rng.IntN(100) < 40:
			approve = false
		case s.Check.Within && r.rng.IntN(100) < 2:
			approve = false
		}
		if err := decide(r.comm, r.db, r.rng, s, approve); err != nil {
			return fmt.Errorf("pricedemo: %s: %w", prev.Name, err)
		}
	}
	return nil
}

// spring runs the spring round, open now: the demo provider user's
// provider has not priced yet, so that user has a round to answer.
func (r *rounds) spring() error {
	cur, err := r.open(r.cal.curName, r.cal.curOpens, r.cal.curCloses, r.cal.curEffective)
	if err != nil {
		return err
	}
	subs, err := submitRound(r.db, r.at, r.rng, cur, r.homes, r.actors, r.guides, r.userProvider, springSubmitShare, 0.045, r.prevPrices)
	if err != nil {
		return fmt.Errorf("pricedemo: %s: %w", cur.Name, err)
	}
	// Decisions so far, the oldest submissions first; the rest wait.
	var rejected []pricing.Submission
	decided := 0
	for _, s := range subs {
		roll := r.rng.IntN(100)
		if roll >= springApproved+springRejected {
			continue
		}
		approve := roll < springApproved
		if !s.Check.Within && approve && r.rng.IntN(2) == 0 {
			continue // outside the band: the commissioner has asked for evidence
		}
		r.at(s.SubmittedAt.Add(time.Duration(24+r.rng.IntN(72)) * time.Hour))
		if r.db.Now().After(r.now.Add(-time.Hour)) {
			continue
		}
		if err := decide(r.comm, r.db, r.rng, s, approve); err != nil {
			return fmt.Errorf("pricedemo: %s: %w", cur.Name, err)
		}
		decided++
		if !approve {
			rejected = append(rejected, s)
		}
	}
	// Some providers told their price was rejected have sent a new one,
	// within the band this time, which waits for a decision.
	again := map[int64][]pricing.SubmissionRow{}
	var againOrder []int64
	for _, s := range rejected {
		if r.rng.IntN(2) == 0 || s.Check.Guide == 0 {
			continue
		}
		price := s.Check.Guide + money.Money(r.rng.IntN(int(s.Check.High-s.Check.Guide)/100+1))*100
		if _, ok := again[s.ProviderID]; !ok {
			againOrder = append(againOrder, s.ProviderID)
		}
		again[s.ProviderID] = append(again[s.ProviderID], pricing.SubmissionRow{Line: len(again[s.ProviderID]) + 1, LocationID: s.LocationID,
			ServiceType: s.ServiceType, Band: s.Band, Price: price})
	}
	r.at(r.now.Add(-2 * time.Hour))
	for _, p := range againOrder {
		if _, lineErrs, err := r.db.SubmitPrices(r.actors[p], cur.ID, again[p], "form"); err != nil {
			return fmt.Errorf("pricedemo: %s resubmission: %w %v", cur.Name, err, lineErrs)
		}
	}
	return nil
}

// calendar is when the demo's pricing steps happen.
type calendar struct {
	lastApril, adopt                     time.Time
	prevName, curName                    string
	prevOpens, prevCloses, prevEffective time.Time
	curOpens, curCloses, curEffective    time.Time
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// calendarFor places the rounds around now. Prices change on 1 April
// (spring) and 1 October (autumn). The round open now sets the prices from
// the next of those dates; the round before it set the prices in force now.
func calendarFor(now time.Time) calendar {
	today := day(now.Year(), now.Month(), now.Day())
	var c calendar
	c.lastApril = day(now.Year(), time.April, 1)
	if today.Before(c.lastApril) {
		c.lastApril = c.lastApril.AddDate(-1, 0, 0)
	}
	switch {
	case today.Before(day(now.Year(), time.April, 1)):
		c.curEffective = day(now.Year(), time.April, 1)
	case today.Before(day(now.Year(), time.October, 1)):
		c.curEffective = day(now.Year(), time.October, 1)
	default:
		c.curEffective = day(now.Year()+1, time.April, 1)
	}
	c.prevEffective = c.curEffective.AddDate(0, -6, 0)
	c.curName, c.prevName = season(c.curEffective), season(c.prevEffective)
	c.curOpens = today.AddDate(0, 0, -10)
	c.curCloses = today.AddDate(0, 0, 21)
	if last := c.curEffective.AddDate(0, 0, -1); c.curCloses.After(last) {
		c.curCloses = last
	}
	c.prevOpens = c.prevEffective.AddDate(0, 0, -56)
	c.prevCloses = c.prevEffective.AddDate(0, 0, -28)
	c.adopt = c.lastApril.AddDate(0, 0, -45).Add(10 * time.Hour)
	if limit := c.prevOpens.AddDate(0, 0, -7); c.adopt.After(limit) {
		c.adopt = limit.Add(10 * time.Hour)
	}
	return c
}

func season(effective time.Time) string {
	if effective.Month() == time.April {
		return fmt.Sprintf("Spring %d", effective.Year())
	}
	return fmt.Sprintf("Autumn %d", effective.Year())
}

// costModels are the council's models for the care home service types and
// home care, from the given April at that April's National Living Wage.
func costModels(from time.Time) []*pricing.CostModel {
	year := fmt.Sprintf("%d-%02d", from.Year(), (from.Year()+1)%100)
	var out []*pricing.CostModel
	for _, b := range bedModels {
		out = append(out, &pricing.CostModel{Name: b.label + " " + year, ServiceType: b.st, EffectiveFrom: from,
			PayPremium: b.premium, OnCosts: onCosts,
			Bands:     []pricing.NeedBand{{Code: pricing.StandardBand, Label: "Standard", CareHoursPerWeek: b.hours}},
			Urban:     pricing.SettingCosts{NonStaffPerWeek: b.urbanNon},
			Rural:     pricing.SettingCosts{NonStaffPerWeek: b.ruralNon},
			Overheads: b.overheads, Return: 500})
	}
	// Home care by the hour: paid travel time and mileage, longer in rural
	// clusters (home care is let in urban and rural clusters).
	out = append(out, &pricing.CostModel{Name: "Home care " + year, ServiceType: market.Homecare, EffectiveFrom: from,
		PayPremium: 80, OnCosts: onCosts, MileageRate: 45,
		Urban:     pricing.SettingCosts{NonStaffPerHour: 120, TravelMinutesPerHour: dec(1200), MilesPerHour: dec(400)},
		Rural:     pricing.SettingCosts{NonStaffPerHour: 120, TravelMinutesPerHour: dec(2000), MilesPerHour: dec(800)},
		Overheads: 1200, Return: 500})
	return out
}

// commissioner acts as the demo commissioner (commissioner@slug.example),
// or as an unnamed commissioner of the council when there is none.
func commissioner(ctx context.Context, db *storage.DB, sys *caremarket.Actor) (context.Context, error) {
	email := "commissioner@" + sys.CouncilSlug + ".example"
	u, err := db.UserByEmail(ctx, email)
	if err == nil && u.CouncilID == sys.CouncilID && u.Role == caremarket.RoleCommissioner {
		a := u.Actor()
		a.CouncilSlug = sys.CouncilSlug
		return caremarket.NewContext(context.Background(), a), nil
	} else if err != nil && caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
		return nil, err
	}
	return caremarket.NewContext(context.Background(), &caremarket.Actor{Email: email, CouncilID: sys.CouncilID,
		CouncilSlug: sys.CouncilSlug, Role: caremarket.RoleCommissioner}), nil
}

// carehomes lists the council's locations registered for a round service
// type, in id order, and the provider of the demo provider user (0: none).
func carehomes(ctx context.Context, db *storage.DB, rng *rand.Rand) ([]home, int64, error) {
	areas, err := db.ListAreas(ctx)
	if err != nil {
		return nil, 0, err
	}
	setting := map[int64]market.Setting{}
	for _, a := range areas {
		setting[a.ID] = a.Cluster.Setting
	}
	var locs []market.Location
	for page := 1; ; page++ {
		ls, total, err := db.ListLocations(ctx, market.LocationFilter{Page: market.Page{Number: page, PerPage: market.MaxPerPage}})
		if err != nil {
			return nil, 0, err
		}
		locs = append(locs, ls...)
		if len(ls) == 0 || len(locs) >= total {
			break
		}
	}
	slices.SortFunc(locs, func(a, b market.Location) int { return cmp.Compare(a.ID, b.ID) })
	var homes []home
	for _, l := range locs {
		var sts []market.ServiceType
		for _, st := range RoundServices {
			if slices.Contains(l.ServiceTypes, st) {
				sts = append(sts, st)
			}
		}
		if len(sts) == 0 {
			continue
		}
		// A home's prices sit near the guide: a little above on average,
		// more so in the dearer districts.
		level := districtPremium[l.AreaName] + 0.01 + 0.035*rng.NormFloat64()
		homes = append(homes, home{Location: l, setting: setting[l.AreaID], services: sts, level: level})
	}
	var userProvider int64
	if u, err := db.UserByEmail(ctx, "provider@"+caremarket.ActorFrom(ctx).CouncilSlug+".example"); err == nil && u.Role == caremarket.RoleProvider {
		userProvider = u.ProviderID
	} else if err != nil && caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
		return nil, 0, err
	}
	return homes, userProvider, nil
}

// providerActors acts as each provider's staff: the demo provider user for
// its provider, otherwise a pricing contact of the provider.
func providerActors(ctx context.Context, db *storage.DB, sys *caremarket.Actor, ids []int64) (map[int64]context.Context, error) {
	out := map[int64]context.Context{}
	for _, id := range ids {
		out[id] = caremarket.NewContext(context.Background(), &caremarket.Actor{Email: fmt.Sprintf("prices@provider-%d.example", id),
			CouncilID: sys.CouncilID, CouncilSlug: sys.CouncilSlug, Role: caremarket.RoleProvider, ProviderID: id})
	}
	if u, err := db.UserByEmail(ctx, "provider@"+sys.CouncilSlug+".example"); err == nil && u.Role == caremarket.RoleProvider {
		if _, ok := out[u.ProviderID]; ok {
			a := u.Actor()
			a.CouncilID, a.CouncilSlug = sys.CouncilID, sys.CouncilSlug
			out[u.ProviderID] = caremarket.NewContext(context.Background(), a)
		}
	} else if err != nil && caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
		return nil, err
	}
	return out, nil
}

// priceKey is a home's price for a service type.
type priceKey struct {
	location int64
	st       market.ServiceType
}

// submitRound has share percent of the homes (none of skip's) price every
// round service type they offer, each provider in one submission, at times
// spread over the round's opening up to its close or now. Prices move from
// the home's last round price by about drift, or are first set from its
// level against the guide. It returns the submissions in the order made.
func submitRound(db *storage.DB, at func(time.Time), rng *rand.Rand, r *pricing.Round, homes []home, actors map[int64]context.Context,
	guides map[pricing.PriceKey]money.Money, skip int64, share int, drift float64, last map[priceKey]money.Money) ([]pricing.Submission, error) {
	rows := map[int64][]pricing.SubmissionRow{}
	var order []int64
	for _, h := range homes {
		if h.ProviderID == skip || rng.IntN(100) >= share {
			continue
		}
		for _, st := range h.services {
			guide := guides[pricing.PriceKey{ServiceType: st, Band: pricing.StandardBand, Setting: h.setting}]
			k := priceKey{h.ID, st}
			var price money.Money
			if p, ok := last[k]; ok {
				price = wholePounds(float64(p) * (1 + drift + 0.015*rng.NormFloat64()))
			} else {
				dev := h.level + 0.02*rng.NormFloat64()
				switch x := rng.IntN(100); {
				case x < 10: // a home with costs it says the model misses
					dev = 0.11 + 0.17*rng.Float64()
				case x < 14: // and one pricing low to fill beds
					dev = -0.11 - 0.07*rng.Float64()
				default:
					dev = math.Max(-0.09, math.Min(0.09, dev))
				}
				price = wholePounds(float64(guide) * (1 + dev))
			}
			last[k] = price
			row := pricing.SubmissionRow{Line: len(rows[h.ProviderID]) + 1, LocationID: h.ID, ServiceType: st, Band: pricing.StandardBand, Price: price}
			if c := pricing.CheckBand(price, guide, r.Tolerance); !c.Within {
				if price > guide {
					row.Reason = aboveReasons[rng.IntN(len(aboveReasons))]
				} else {
					row.Reason = belowReasons[rng.IntN(len(belowReasons))]
				}
			}
			if _, ok := rows[h.ProviderID]; !ok {
				order = append(order, h.ProviderID)
			}
			rows[h.ProviderID] = append(rows[h.ProviderID], row)
		}
	}
	// Providers answer at times spread over the round so far.
	from := r.OpensOn.Add(9 * time.Hour)
	until := r.ClosesOn.Add(16 * time.Hour)
	if n := db.Now(); until.After(n) && r.OpensOn.Before(n) {
		until = n
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var out []pricing.Submission
	for i, p := range order {
		at(from.Add(until.Sub(from) * time.Duration(i+1) / time.Duration(len(order)+1)))
		subs, lineErrs, err := db.SubmitPrices(actors[p], r.ID, rows[p], "csv")
		if err != nil {
			return nil, fmt.Errorf("provider %d: %w %v", p, err, lineErrs)
		}
		out = append(out, subs...)
	}
	return out, nil
}

// wholePounds rounds a price in pence to the pound, as providers quote.
func wholePounds(pence float64) money.Money {
	return money.Money(math.Round(pence/100) * 100)
}

// decide approves or rejects a submission with a fitting reason.
func decide(comm context.Context, db *storage.DB, rng *rand.Rand, s pricing.Submission, approve bool) error {
	var reason string
	switch {
	case approve && !s.Check.Within:
		reason = approveReasons[rng.IntN(len(approveReasons))]
	case approve:
	case s.Check.Within:
		reason = rejectWithinReasons[rng.IntN(len(rejectWithinReasons))]
	case s.Price > s.Check.Guide:
		reason = rejectAboveReasons[rng.IntN(len(rejectAboveReasons))]
	default:
		reason = rejectBelowReasons[rng.IntN(len(rejectBelowReasons))]
	}
	_, err := db.DecideSubmission(comm, s.ID, approve, reason)
	return err
}
