package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// The cascade's read path. brokerage.Run ranks; this file reads only what
// it ranks:
//   - stages 1 and 2 whole: the locations offering the service in the
//     person's area and its neighbours whose provider holds an award on a
//     lot in force there;
//   - stage 3 (off contract) as the nearest eligible, in Run's own order,
//     as far as the page asks (brokerage.DefaultCascadeLimit).
//
// The register, lots, awards, prices and centroids come from the cascade
// cache (cascade_cache.go); vacancies, serious concerns and offers already
// tried are read fresh, only for the locations looked at.

// cascadeWant says how far to read stage 3: until eligible locations are
// found there, and past location (an offer to a chosen one) if set.
type cascadeWant struct {
	eligible int
	location int64
	// held are places (and heldMinutes home care hours) promised to other
	// lines of a batch allocation.
	held        map[int64]int
	heldMinutes map[int64]int
	// resend offers location again although it declined or let an offer
	// lapse.
	resend bool
}

// cascadeRead is the input and how it was read.
type cascadeRead struct {
	in brokerage.Input
	// more: stage 3 has locations not read.
	more bool
	// miles: distances are in miles (centroids known for the person).
	miles bool
}

// cascadeInput gathers, for a requirement, the lots of agreements in force
// on its start date, its area's neighbours, the contracted candidates of
// stages 1 and 2, and the nearest off-contract candidates, each with its
// rating, registration, vacancies, contracted price, open concerns and lot
// admissions.
func (db *DB) cascadeInput(ctx context.Context, q queryer, council int64, r *brokerage.Requirement, want cascadeWant) (*cascadeRead, error) {
	in := brokerage.Input{ServiceType: r.ServiceType, NeedBand: r.NeedBand, Outcode: r.Outcode, AreaID: r.AreaID, Tried: map[int64]string{},
		Held: want.held, HeldMinutes: want.heldMinutes, MinutesPerWeek: r.MinutesPerWeek}
	if r.MoveFromPlacementID != 0 {
		in.MaxStage = brokerage.StageNeighbours
		want = cascadeWant{held: want.held, heldMinutes: want.heldMinutes}
	}
	plan, err := db.cascadePlan(ctx, q, council, &in, ymd(r.StartDate))
	if err != nil {
		return nil, err
	}
	in.Neighbours, in.Lots, in.Centroids = plan.neighbours, plan.lots, plan.centroids
	read := &cascadeRead{miles: plan.miles}
	if err := db.freshTried(ctx, q, council, r.ID, in.Tried); err != nil {
		return nil, err
	}
	if want.resend {
		delete(in.Tried, want.location)
	}
	concern, err := db.freshConcerns(ctx, q, council)
	if err != nil {
		return nil, err
	}

	// Vacancies: every contracted candidate and the first stretch of stage
	// 3 in one read, then stage 3 stretch by stretch until enough are
	// eligible.
	off := plan.off
	// Never more than stage 3 holds: a caller wanting the whole market
	// asks for a huge number of eligible locations.
	batch := min(max(2*want.eligible, 64), max(len(off), 64))
	ids := make([]int64, 0, len(plan.contracted)+batch)
	for i := range plan.contracted {
		ids = append(ids, plan.contracted[i].LocationID)
	}
	next := 0
	for ; next < min(len(off), batch) && want.eligible > 0; next++ {
		ids = append(ids, off[next].id)
	}
	vac, err := db.freshVacancies(ctx, q, council, r.ServiceType, ids)
	if err != nil {
		return nil, err
	}
	in.Candidates = make([]brokerage.Candidate, len(plan.contracted), len(plan.contracted)+min(want.eligible, len(off))+16)
	// The figures the candidates point to, in one block rather than one
	// allocation each (earlier pointers stay good if it grows).
	figures := make([]int, 0, cap(in.Candidates))
	fresh := func(cand *brokerage.Candidate) {
		if f, ok := vac[cand.LocationID]; ok {
			figures = append(figures, f.n)
			cand.Vacancies, cand.SpareMinutes = &figures[len(figures)-1], f.spare
		}
		cand.Concern = concern(cand.ProviderID, cand.LocationID)
	}
	copy(in.Candidates, plan.contracted)
	for i := range in.Candidates {
		fresh(&in.Candidates[i])
	}
	eligible, found, i := 0, want.location == 0, 0
	for ; i < len(off) && (eligible < want.eligible || !found); i++ {
		if i == next {
			ids = ids[:0]
			for ; next < min(len(off), i+batch); next++ {
				ids = append(ids, off[next].id)
			}
			if vac, err = db.freshVacancies(ctx, q, council, r.ServiceType, ids); err != nil {
				return nil, err
			}
		}
		cand := plan.candidate(off[i])
		fresh(&cand)
		if in.Excluded(&cand) == "" {
			eligible++
		}
		found = found || cand.LocationID == want.location
		in.Candidates = append(in.Candidates, cand)
	}
	read.more = i < len(off)
	// A lot's minimum contract monitoring rating (storage/quality_risk.go).
	if err := db.auditMinimums(ctx, q, council, &in); err != nil {
		return nil, err
	}
	read.in = in
	return read, nil
}

// cascadePlan is the cached part of a cascade's input: for a service type,
// need band, start date, area and outcode, the lots and neighbours, the
// contracted candidates of stages 1 and 2, and the off-contract ones in
// Run's stage 3 order, without what is read fresh.
type cascadePlan struct {
	neighbours []int64
	lots       []brokerage.Lot
	centroids  map[string]brokerage.Centroid
	miles      bool
	contracted []brokerage.Candidate
	// off is stage 3 in order, as compact references (a national service
	// type has thousands): candidate makes each one read into a Candidate.
	off        []*cachedLocation
	prices     map[int64][]pricePoint
	admissions map[int64][]brokerage.Admission
	day        string
	c          *councilCache
}

// candidate is a cached location as the cascade's candidate, with its price
// in force and its provider's admissions (not yet what is read fresh).
func (p *cascadePlan) candidate(l *cachedLocation) brokerage.Candidate {
	return brokerage.Candidate{LocationID: l.id, LocationName: l.name, ProviderID: l.provider, ProviderName: l.providerName,
		AreaID: l.area, AreaName: l.areaName, Postcode: l.postcode, Rating: l.rating, Blocked: l.blocked,
		Price: money.Money(p.c.priceOf(p.prices, l.id, p.day)), Admissions: p.admissions[l.provider]}
}

type planKey struct {
	st                 market.ServiceType
	band, day, outcode string
	area               int64
	maxStage           brokerage.Stage
}

func (db *DB) cascadePlan(ctx context.Context, q queryer, council int64, in *brokerage.Input, day string) (*cascadePlan, error) {
	c, unlock, err := db.cascadeCacheFor(ctx, q, council)
	if err != nil {
		return nil, err
	}
	defer unlock()
	key := planKey{in.ServiceType, in.NeedBand, day, strings.ToUpper(strings.TrimSpace(in.Outcode)), in.AreaID, in.MaxStage}
	if p, ok := c.plans[key]; ok {
		return p, nil
	}
	var prices map[int64][]pricePoint
	for _, load := range []func() error{
		func() error { return db.cacheNeighbours(ctx, c, council) },
		func() error { return db.cacheLots(ctx, c, council) },
		func() error { return db.cacheService(ctx, c, council, in.ServiceType) },
		func() error { return db.cacheCentroids(ctx, c, council) },
		func() (err error) {
			prices, err = db.cachePrices(ctx, c, council, in.ServiceType, in.NeedBand)
			return err
		},
	} {
		if err := load(); err != nil {
			return nil, err
		}
	}
	p := &cascadePlan{neighbours: slices.Clone(c.neighbours[in.AreaID]), centroids: c.centroids, prices: prices, day: day, c: c}
	p.lots, p.admissions = c.lotsInForce(in.ServiceType, day)
	if p.centroids != nil {
		_, p.miles = p.centroids[key.outcode]
	}
	// Sort the register into the stages, as Run will.
	pin := *in
	pin.Neighbours, pin.Lots, pin.Centroids = p.neighbours, p.lots, p.centroids
	placer := brokerage.NewPlacer(&pin)
	var locality []int8
	var off []brokerage.Ranked // stage 3 while it is sorted
	var offLocs []*cachedLocation
	dist := map[string]int{}
	for _, l := range c.services[in.ServiceType] {
		cand := p.candidate(l)
		switch placer.Stage(&cand) {
		case brokerage.StageLocal, brokerage.StageNeighbours:
			p.contracted = append(p.contracted, cand)
		case brokerage.StageOffContract:
			if in.MaxStage == brokerage.StageNeighbours {
				continue
			}
			d, ok := dist[l.outcode]
			if !ok {
				d, _ = pin.Distance(l.outcode)
				dist[l.outcode] = d
			}
			off = append(off, brokerage.Ranked{Candidate: cand, Distance: d})
			offLocs = append(offLocs, l)
			locality = append(locality, int8(placer.Locality(l.area)))
		}
	}
	order := make([]int, len(off))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return brokerage.CompareOffContract(int(locality[a]), int(locality[b]), &off[a], &off[b])
	})
	p.off = make([]*cachedLocation, len(order))
	for i, j := range order {
		p.off[i] = offLocs[j]
	}
	// A plan holds its stage 3 order as references (tens of KB at national
	// scale) and its contracted candidates: keep at most 32 a council.
	if len(c.plans) >= 32 {
		clear(c.plans)
	}
	c.plans[key] = p
	return p, nil
}

// freshTried reads the locations already offered the requirement that said
// no or let the offer lapse.
func (db *DB) freshTried(ctx context.Context, q queryer, council, requirementID int64, tried map[int64]string) error {
	if requirementID == 0 {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT location_id, status, reason FROM offers WHERE requirement_id = $1 AND council_id = $2
		AND status IN ('declined', 'expired', 'withdrawn')`, requirementID, council)
	if err != nil {
		return fmt.Errorf("storage: read tried offers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var loc int64
		var status, reason string
		if err := rows.Scan(&loc, &status, &reason); err != nil {
			return err
		}
		why := status
		if reason != "" {
			why += " (" + reason + ")"
		}
		tried[loc] = why
	}
	return rows.Err()
}

// freshConcerns reads the open serious concerns, on a provider (location
// NULL) or a location, and returns the lookup: a provider's concern first.
func (db *DB) freshConcerns(ctx context.Context, q queryer, council int64) (func(provider, location int64) string, error) {
	type concernKey struct{ provider, location int64 }
	concerns := map[concernKey]string{}
	rows, err := q.QueryContext(ctx, `SELECT provider_id, COALESCE(location_id, 0), kind, reason FROM serious_concerns WHERE council_id = $1 AND ended_at IS NULL`, council)
	if err != nil {
		return nil, fmt.Errorf("storage: read concerns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k concernKey
		var kind, reason string
		if err := rows.Scan(&k.provider, &k.location, &kind, &reason); err != nil {
			return nil, err
		}
		if kind == "suspension" {
			reason = "suspended: " + reason
		}
		concerns[k] = reason
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return func(provider, location int64) string {
		if len(concerns) == 0 {
			return ""
		}
		if why, ok := concerns[concernKey{provider, 0}]; ok {
			return why
		}
		return concerns[concernKey{provider, location}]
	}, nil
}

// vacancyFigure is a location's figure for a service type: places, and
// for hourly care the spare hours a week, in minutes, when kept.
type vacancyFigure struct {
	n     int
	spare *int
}

// freshVacancies reads the vacancy figures of the given locations for st.
func (db *DB) freshVacancies(ctx context.Context, q queryer, council int64, st market.ServiceType, ids []int64) (map[int64]vacancyFigure, error) {
	out := make(map[int64]vacancyFigure, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cond, list := db.dialect.inIDs("location_id", "$3", ids)
	rows, err := q.QueryContext(ctx, `SELECT location_id, vacancies, spare_minutes FROM vacancies WHERE council_id = $1 AND service_type = $2 AND `+cond,
		council, string(st), list)
	if err != nil {
		return nil, fmt.Errorf("storage: read vacancies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var f vacancyFigure
		var spare sql.NullInt64
		if err := rows.Scan(&id, &f.n, &spare); err != nil {
			return nil, err
		}
		f.spare = spareOf(spare)
		out[id] = f
	}
	return out, rows.Err()
}

// runCascade reads and ranks, and describes stage 3 as read.
func (db *DB) runCascade(ctx context.Context, q queryer, council int64, r *brokerage.Requirement, want cascadeWant) (*brokerage.Result, *cascadeRead, error) {
	read, err := db.cascadeInput(ctx, q, council, r, want)
	if err != nil {
		return nil, nil, err
	}
	res := brokerage.Run(read.in)
	res.DistanceBasis = "district steps"
	if read.miles {
		res.DistanceBasis = "miles"
	}
	if read.more {
		// Stage 3 was read nearest first: say so where its step is counted.
		for i, s := range res.Steps {
			if strings.HasPrefix(s, "Stage 3: ") {
				res.Steps[i] = "Stage 3 (the nearest read first; more further away): " + strings.TrimPrefix(s, "Stage 3: ")
			}
		}
	}
	return &res, read, nil
}

// Cascade works out a requirement's cascade now, stage 3 as far as the
// first page. Council staff.
func (db *DB) Cascade(ctx context.Context, requirementID int64) (*brokerage.Result, error) {
	res, _, err := db.cascadePage(ctx, requirementID, brokerage.CascadePage{})
	return res, err
}

func (db *DB) cascadePage(ctx context.Context, requirementID int64, page brokerage.CascadePage) (*brokerage.Result, bool, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, false, err
	}
	r, err := db.requirement(ctx, db.sql, actor.CouncilID, requirementID)
	if err != nil {
		return nil, false, err
	}
	page = page.Normalize()
	res, read, err := db.runCascade(ctx, db.sql, actor.CouncilID, r, cascadeWant{eligible: page.Offset + page.Limit})
	if err != nil {
		return nil, false, err
	}
	return res, read.more, nil
}

// RequirementView is the broker's page of a requirement: the requirement,
// its cascade now (each stage's first page), its log, offers, competitions
// and placements. Staff.
func (db *DB) RequirementView(ctx context.Context, id int64) (*brokerage.View, error) {
	return db.RequirementViewPage(ctx, id, brokerage.CascadePage{})
}

// RequirementViewPage is RequirementView with each stage's lists paged.
func (db *DB) RequirementViewPage(ctx context.Context, id int64, page brokerage.CascadePage) (*brokerage.View, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	r, err := db.requirement(ctx, db.sql, actor.CouncilID, id)
	if err != nil {
		return nil, err
	}
	// The person is not part of the view: it is opened with a reason, and
	// logged (ViewPerson).
	v := &brokerage.View{Requirement: r}
	if r.Status == brokerage.StatusOpen {
		page = page.Normalize()
		res, read, err := db.runCascade(ctx, db.sql, actor.CouncilID, r, cascadeWant{eligible: page.Offset + page.Limit})
		if err != nil {
			return nil, err
		}
		res.Window(page, read.more)
		v.Cascade = res
	}
	if v.Steps, err = db.steps(ctx, actor.CouncilID, id); err != nil {
		return nil, err
	}
	if v.Offers, err = db.ListOffers(ctx, brokerage.OfferFilter{RequirementID: id}); err != nil {
		return nil, err
	}
	for _, o := range v.Offers {
		if o.Status == brokerage.OfferPending {
			r.PendingOffer = &o
			break
		}
	}
	if v.Competitions, err = db.competitionsOf(ctx, actor, id); err != nil {
		return nil, err
	}
	if v.Placements, err = db.ListPlacements(ctx, brokerage.PlacementFilter{RequirementID: id}); err != nil {
		return nil, err
	}
	return v, nil
}

func (db *DB) steps(ctx context.Context, council, requirementID int64) ([]brokerage.Step, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, at, stage, kind, COALESCE(location_id, 0), COALESCE(provider_id, 0), detail, actor
		FROM cascade_steps WHERE council_id = $1 AND requirement_id = $2 ORDER BY id`, council, requirementID)
	if err != nil {
		return nil, fmt.Errorf("storage: read steps: %w", err)
	}
	return scanAll(rows, "", func(row interface{ Scan(...any) error }) (*brokerage.Step, error) {
		var s brokerage.Step
		return &s, row.Scan(&s.ID, &s.At, &s.Stage, &s.Kind, &s.LocationID, &s.ProviderID, &s.Detail, &s.Actor)
	})
}

// CascadePreview works out the cascade for a requirement that is not yet
// recorded (a broker's "who could take this?"; the demo loader), stage 3
// as far as the first page. Council staff.
func (db *DB) CascadePreview(ctx context.Context, r *brokerage.Requirement) (*brokerage.Result, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	if r.NeedBand == "" {
		r.NeedBand = brokerage.DefaultNeedBand
	}
	res, _, err := db.runCascade(ctx, db.sql, actor.CouncilID, r, cascadeWant{eligible: brokerage.DefaultCascadeLimit})
	return res, err
}
