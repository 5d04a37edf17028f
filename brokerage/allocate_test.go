package brokerage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/caremarket/caremarket/internal/cputime"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
)

// randomMarket builds a random market of nLocs locations in nAreas areas
// and nReqs requests, every rule of the cascade in play: lots, admissions,
// Inadequate ratings, deregistration, serious concerns, no capacity, no
// vacancy figure (hourly care), home care kept in spare hours, locations
// already tried, moves to contract.
func randomMarket(rng *rand.Rand, nAreas, nLocs, nReqs int) []AllocRequest {
	border := map[[2]int64]bool{}
	for a := int64(1); a <= int64(nAreas); a++ {
		for b := a + 1; b <= int64(nAreas); b++ {
			if rng.IntN(2) == 0 {
				border[[2]int64{a, b}], border[[2]int64{b, a}] = true, true
			}
		}
	}
	st := market.Nursing
	if rng.IntN(3) == 0 {
		st = market.Homecare
	}
	var lots []Lot
	for l := range 1 + rng.IntN(2) {
		lot := Lot{ID: int64(l + 1), AgreementRef: "DPS", Number: l + 1, ServiceTypes: []market.ServiceType{st}}
		for a := int64(1); a <= int64(nAreas); a++ {
			if rng.IntN(3) > 0 {
				lot.AreaIDs = append(lot.AreaIDs, a)
			}
		}
		if rng.IntN(3) == 0 {
			lot.Ranking = []procurement.RankBy{procurement.RankDistance, procurement.RankRating}
		}
		lots = append(lots, lot)
	}
	ratings := []market.Rating{market.Outstanding, market.Good, market.Good, market.RequiresImprovement, market.NotRated, market.Inadequate}
	cands := make([]Candidate, nLocs)
	for i := range cands {
		c := Candidate{LocationID: int64(100 + i), ProviderID: int64(1 + rng.IntN(nLocs)), AreaID: int64(1 + rng.IntN(nAreas)),
			Postcode: fmt.Sprintf("CT%d 1AA", 1+rng.IntN(20)), Rating: ratings[rng.IntN(len(ratings))]}
		c.LocationName = fmt.Sprintf("Home %d", i)
		switch rng.IntN(20) {
		case 0:
			c.Blocked = "Deregistered"
		case 1:
			c.Concern = "safeguarding"
		}
		switch {
		case st == market.Homecare && rng.IntN(4) == 0:
			// no figure: not limited
		case st == market.Homecare && rng.IntN(3) > 0:
			// spare hours a week, in half hours, up to 40 hours
			m := 30 * rng.IntN(81)
			c.SpareMinutes = &m
		default:
			v := rng.IntN(3)
			c.Vacancies = &v
		}
		if rng.IntN(4) > 0 {
			c.Price = money.Money(60000 + 1000*rng.IntN(60))
		}
		for _, l := range lots {
			if rng.IntN(2) == 0 {
				c.Admissions = append(c.Admissions, Admission{LotID: l.ID, Quality: rng.IntN(10000)})
			}
		}
		cands[i] = c
	}
	reqs := make([]AllocRequest, nReqs)
	for i := range reqs {
		area := int64(1 + rng.IntN(nAreas))
		in := Input{ServiceType: st, NeedBand: "standard", Outcode: fmt.Sprintf("CT%d", 1+rng.IntN(20)), AreaID: area, Lots: lots, Candidates: cands}
		for b := int64(1); b <= int64(nAreas); b++ {
			if border[[2]int64{area, b}] {
				in.Neighbours = append(in.Neighbours, b)
			}
		}
		if rng.IntN(8) == 0 {
			in.Tried = map[int64]string{cands[rng.IntN(nLocs)].LocationID: "declined"}
		}
		if rng.IntN(10) == 0 {
			in.MaxStage = StageNeighbours
		}
		minutes := 0
		if st == market.Homecare {
			minutes = 30 * (1 + rng.IntN(40))
		}
		reqs[i] = generatedRequest(i, in, minutes)
	}
	return reqs
}

// generatedRequest is the i'th generated requirement (case MOS-i+1), its
// care minutes a week (0 for a bed) set on the request and its input alike.
func generatedRequest(i int, in Input, minutes int) AllocRequest {
	in.MinutesPerWeek = minutes
	return AllocRequest{RequirementID: int64(i + 1), CaseReference: fmt.Sprintf("MOS-%d", i+1), MinutesPerWeek: minutes, Input: in}
}

// objective is a plan's score, lexicographic, lower is better.
type objective [5]int64

func (a objective) less(b objective) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func score(ls []AllocLine) objective { return scoreBy(ls, OwnAreaFirst) }

func scoreBy(ls []AllocLine, p Priority) objective {
	var o objective
	for _, l := range ls {
		if l.Stage == 0 {
			continue
		}
		opt := option{cost: l.WeeklyCost}
		if p == OnContractFirst {
			o[0] -= b2i(l.Stage != StageOffContract)
			o[1] -= b2i(l.Stage == StageLocal)
		} else {
			o[0] -= b2i(l.Stage == StageLocal)
			o[1] -= b2i(l.Stage == StageNeighbours)
		}
		o[2]--
		o[3] += opt.costKey()
		o[4] += int64(l.Distance)
	}
	return o
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// bruteForce tries every plan over the full cascade (no pruning) and
// returns the best score.
func bruteForce(reqs []AllocRequest, p Priority) objective {
	type opt struct {
		loc   int64
		stage Stage
		cost  money.Money
		dist  int
	}
	opts := make([][]opt, len(reqs))
	capacity := map[int64]int{}
	hours := map[int64]bool{}
	for i, r := range reqs {
		res := Run(r.Input)
		max := r.Input.MaxStage
		if max == 0 {
			max = StageOffContract
		}
		for s := StageLocal; s <= max; s++ {
			for _, e := range res.Stage(s).Eligible {
				o := opt{loc: e.LocationID, stage: s, dist: e.Distance}
				if e.Price > 0 {
					o.cost = WeeklyCost(r.Input.ServiceType, e.Price, r.MinutesPerWeek)
				}
				opts[i] = append(opts[i], o)
				capacity[e.LocationID] = -1
				switch {
				case ByHours(&e.Candidate, r.Input.ServiceType):
					capacity[e.LocationID], hours[e.LocationID] = *e.SpareMinutes, true
				case e.Vacancies != nil:
					capacity[e.LocationID] = *e.Vacancies
				}
			}
		}
	}
	best := objective{1 << 62}
	cur := make([]AllocLine, len(reqs))
	var rec func(i int)
	rec = func(i int) {
		if i == len(reqs) {
			if s := scoreBy(cur, p); s.less(best) {
				best = s
			}
			return
		}
		cur[i] = AllocLine{}
		rec(i + 1)
		for _, o := range opts[i] {
			use := 1
			if hours[o.loc] {
				use = max(reqs[i].MinutesPerWeek, 1)
			}
			if capacity[o.loc] == 0 || capacity[o.loc] > 0 && capacity[o.loc] < use {
				continue
			}
			if capacity[o.loc] > 0 {
				capacity[o.loc] -= use
			}
			cur[i] = AllocLine{Stage: o.stage, LocationID: o.loc, WeeklyCost: o.cost, Distance: o.dist}
			rec(i + 1)
			if capacity[o.loc] >= 0 {
				capacity[o.loc] += use
			}
		}
	}
	rec(0)
	return best
}

// checkPlan: capacity respected, every place eligible at its stage for the
// person, and (what sending needs) each person's cascade, with the other
// lines holding their places, reaches exactly the line's stage and offers
// its location.
func checkPlan(t *testing.T, reqs []AllocRequest, ls []AllocLine) {
	t.Helper()
	used, usedMinutes := map[int64]int{}, map[int64]int{}
	for i, l := range ls {
		if l.LocationID != 0 {
			used[l.LocationID]++
			usedMinutes[l.LocationID] += reqs[i].MinutesPerWeek
		}
	}
	for i, l := range ls {
		held, heldMinutes := map[int64]int{}, map[int64]int{}
		for loc, n := range used {
			held[loc], heldMinutes[loc] = n, usedMinutes[loc]
		}
		if l.LocationID != 0 {
			held[l.LocationID]--
			heldMinutes[l.LocationID] -= reqs[i].MinutesPerWeek
		}
		in := reqs[i].Input
		in.Held, in.HeldMinutes = held, heldMinutes
		res := Run(in)
		if res.Current != l.Stage {
			t.Fatalf("line %d (%+v): with the plan's other places held the cascade reaches stage %d, not %d", i, l, res.Current, l.Stage)
		}
		if l.Stage != 0 && res.Find(l.LocationID) == nil {
			t.Fatalf("line %d: location %d is not eligible at stage %d", i, l.LocationID, l.Stage)
		}
		if l.Why == "" {
			t.Fatalf("line %d has no reason", i)
		}
	}
}

func TestAllocateAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 400 {
		nLocs, nReqs := 2+rng.IntN(6), 1+rng.IntN(5)
		if n%4 == 0 { // big enough for pruning to cut
			nLocs, nReqs = 30+rng.IntN(20), 1+rng.IntN(3)
		}
		reqs := randomMarket(rng, 2+rng.IntN(3), nLocs, nReqs)
		for _, p := range []Priority{OwnAreaFirst, OnContractFirst} {
			a := AllocateBy(reqs, p)
			if !a.Exact {
				t.Fatalf("market %d: the search stopped on a small market", n)
			}
			want := bruteForce(reqs, p)
			if got := scoreBy(a.Lines, p); got != want {
				t.Fatalf("market %d, priority %d: engine scores %v, brute force %v\n%+v", n, p, got, want, a.Lines)
			}
			checkPlan(t, reqs, a.Lines)
		}
	}
}

// TestAllocateNeverWorseThanOneAtATime: over 1,000 random markets the plan
// is never worse than the cascade one at a time on the first three
// priorities, in order, and is often better.
func TestAllocateNeverWorseThanOneAtATime(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	better, hours, hoursBetter, stopped := 0, 0, 0, 0
	for n := range 1000 {
		reqs := randomMarket(rng, 2+rng.IntN(6), 5+rng.IntN(60), 2+rng.IntN(25))
		a := Allocate(reqs)
		inHours := slices.ContainsFunc(reqs[0].Input.Candidates, func(c Candidate) bool { return ByHours(&c, reqs[0].Input.ServiceType) })
		if inHours {
			hours++
		}
		if !a.Exact {
			stopped++
		}
		switch c := a.Totals.Better(a.OneAtATimeTotals); {
		case c < 0:
			t.Fatalf("market %d: plan %+v is worse than one at a time %+v", n, a.Totals, a.OneAtATimeTotals)
		case c > 0:
			better++
			if inHours {
				hoursBetter++
			}
		}
		if c := a.Totals.Better(a.OneAtATimeTotals); c == 0 && score(a.OneAtATime).less(score(a.Lines)) {
			t.Fatalf("market %d: one at a time is cheaper or nearer at equal stages", n)
		}
		checkPlan(t, reqs, a.Lines)
		// On contract first: never fewer on contract, nor more unplaced.
		c := AllocateBy(reqs, OnContractFirst)
		on := func(t AllocTotals) int { return t.OwnArea + t.Neighbouring }
		if on(c.Totals) < on(c.OneAtATimeTotals) || on(c.Totals) < on(a.Totals) ||
			on(c.Totals) == on(c.OneAtATimeTotals) && c.Totals.OwnArea < c.OneAtATimeTotals.OwnArea {
			t.Fatalf("market %d: on contract first %+v, one at a time %+v, own area first %+v", n, c.Totals, c.OneAtATimeTotals, a.Totals)
		}
		checkPlan(t, reqs, c.Lines)
	}
	t.Logf("the plan beat one at a time in %d of 1,000 markets; %d markets kept home care in hours, the plan beat one at a time in %d of them; the search stopped at its limit in %d",
		better, hours, hoursBetter, stopped)
	if better == 0 || hoursBetter == 0 {
		t.Fatal("the plan never beat one at a time: the markets test nothing")
	}
}

// TestAllocateSecondPersonNeedsTheBed is the case the plan exists for: the
// first person could go to a neighbouring area's contracted home, the
// second has only the last bed in their own area.
func TestAllocateSecondPersonNeedsTheBed(t *testing.T) {
	one, two := 1, 1
	lots := []Lot{{ID: 1, AgreementRef: "DPS", Number: 1, ServiceTypes: []market.ServiceType{market.Nursing}, AreaIDs: []int64{1, 2, 3}}}
	cands := []Candidate{
		{LocationID: 10, LocationName: "Thanet Home", AreaID: 1, Postcode: "CT9 1AA", Rating: market.Good, Vacancies: &one, Price: 80000, Admissions: []Admission{{LotID: 1}}},
		{LocationID: 20, LocationName: "Canterbury Home", AreaID: 2, Postcode: "CT1 1AA", Rating: market.Good, Vacancies: &two, Price: 90000, Admissions: []Admission{{LotID: 1}}},
		{LocationID: 30, LocationName: "Spot Agency", AreaID: 3, Postcode: "ME1 1AA", Rating: market.Good, Vacancies: &two},
	}
	reqs := []AllocRequest{
		// Lives in Canterbury (2), borders Thanet (1).
		{RequirementID: 1, CaseReference: "A", Input: Input{ServiceType: market.Nursing, Outcode: "CT1", AreaID: 2, Neighbours: []int64{1, 3}, Lots: lots, Candidates: cands}},
		// Lives in Thanet: the same bed, and Canterbury is not a neighbour.
		{RequirementID: 2, CaseReference: "B", Input: Input{ServiceType: market.Nursing, Outcode: "CT9", AreaID: 1, Lots: lots, Candidates: cands}},
	}
	// A bed in Canterbury: no conflict, both in their own area.
	a := Allocate(reqs)
	if a.Totals.OwnArea != 2 {
		t.Fatalf("%+v", a.Lines)
	}
	// Canterbury full: one at a time, A (first) takes Thanet's last bed as
	// a neighbouring area's and B goes off contract; the plan gives B the
	// bed in B's own area and A the off-contract place.
	zero := 0
	cands[1].Vacancies = &zero
	a = Allocate(reqs)
	if a.OneAtATime[0].LocationID != 10 || a.OneAtATime[1].Stage != StageOffContract && a.OneAtATime[1].Stage != 0 {
		t.Fatalf("one at a time: %+v", a.OneAtATime)
	}
	if a.Lines[1].LocationID != 10 || a.Lines[1].Stage != StageLocal {
		t.Fatalf("plan: %+v", a.Lines)
	}
	if a.Lines[0].Stage != StageOffContract || a.Lines[0].Why == "" {
		t.Fatalf("plan: %+v", a.Lines[0])
	}
	t.Logf("A: %s", a.Lines[0].Why)
}

// marketOf builds a national-scale market: nLocs locations in 150 areas on
// a 15 x 10 grid (each borders up to 8), each offering one of residential,
// nursing or home care; one lot per 15 areas admitting two providers in
// three; a busy morning: nReqs requirements from 20 areas, one location in
// ten with a place free.
func marketOf(seed uint64, nLocs, nReqs int) []AllocRequest {
	rng := rand.New(rand.NewPCG(seed, 7))
	const side = 15
	sts := []market.ServiceType{market.Residential, market.Nursing, market.Homecare}
	var lots []Lot
	for l := range 10 {
		lot := Lot{ID: int64(l + 1), AgreementRef: "DPS", Number: l + 1, ServiceTypes: sts}
		for a := range side {
			lot.AreaIDs = append(lot.AreaIDs, int64(l*side+a+1))
		}
		lots = append(lots, lot)
	}
	postcode := func(area int) string {
		return fmt.Sprintf("%c%c%d", 'A'+rune(area%26), 'A'+rune(area/26), 1+rng.IntN(30))
	}
	ratings := []market.Rating{market.Outstanding, market.Good, market.Good, market.Good, market.RequiresImprovement, market.Inadequate}
	cands := map[market.ServiceType][]Candidate{}
	for i := range nLocs {
		area := 1 + rng.IntN(150)
		v := 0
		if rng.IntN(10) == 0 {
			v = 1 + rng.IntN(2)
		}
		st := sts[rng.IntN(len(sts))]
		c := Candidate{LocationID: int64(i + 1), ProviderID: int64(1 + i/2), AreaID: int64(area), Rating: ratings[rng.IntN(len(ratings))], Vacancies: &v,
			Postcode: postcode(area) + " 1AA"}
		if st == market.Homecare {
			// A branch with room keeps its spare hours: 8 to 17 hours a
			// week for each package it could take.
			m := v * 60 * (8 + rng.IntN(10))
			c.SpareMinutes = &m
		}
		if rng.IntN(3) > 0 {
			c.Admissions = []Admission{{LotID: int64((area-1)/side + 1), Quality: rng.IntN(10000)}}
			c.Price = money.Money(70000 + 100*rng.IntN(500))
			if st == market.Homecare {
				c.Price /= 40
			}
		}
		cands[st] = append(cands[st], c)
	}
	busy := make([]int, 20)
	for i := range busy {
		busy[i] = 1 + rng.IntN(150)
	}
	reqs := make([]AllocRequest, nReqs)
	for i := range reqs {
		area := busy[rng.IntN(len(busy))]
		st := sts[rng.IntN(len(sts))]
		in := Input{ServiceType: st, NeedBand: "standard", AreaID: int64(area), Lots: lots, Candidates: cands[st], Outcode: postcode(area)}
		r, c := (area-1)/side, (area-1)%side
		for dr := -1; dr <= 1; dr++ {
			for dc := -1; dc <= 1; dc++ {
				if (dr != 0 || dc != 0) && r+dr >= 0 && r+dr < 10 && c+dc >= 0 && c+dc < side {
					in.Neighbours = append(in.Neighbours, int64((r+dr)*side+c+dc+1))
				}
			}
		}
		minutes := 0
		if st == market.Homecare {
			minutes = 60 * (5 + rng.IntN(20))
		}
		reqs[i] = generatedRequest(i, in, minutes)
	}
	return reqs
}

// BenchmarkAllocate plans 200 requirements against 30,000 locations, the
// cascade worked out for each person included.
//
//	go test -run XXX -bench Allocate -benchtime 5x ./brokerage/
func BenchmarkAllocate(b *testing.B) {
	reqs := marketOf(1, 30_000, 200)
	b.ResetTimer()
	cpu := cputime.Process()
	for b.Loop() {
		a := Allocate(reqs)
		b.ReportMetric(float64(a.Totals.OwnArea), "own-area")
		b.ReportMetric(float64(a.OneAtATimeTotals.OwnArea), "own-area-one-at-a-time")
	}
	// CPU time says what a plan costs when other work shares the machine.
	b.ReportMetric(float64((cputime.Process()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

func TestAllocateNationalScale(t *testing.T) {
	if testing.Short() {
		t.Skip("national scale")
	}
	reqs := marketOf(2, 30_000, 200)
	start := time.Now()
	a := Allocate(reqs)
	t.Logf("200 requirements, 30,000 locations: %v; plan %+v (proven best: %v); one at a time %+v", time.Since(start), a.Totals, a.Exact, a.OneAtATimeTotals)
	if a.Totals.Better(a.OneAtATimeTotals) < 0 {
		t.Fatal("worse than one at a time")
	}
}

func simMarket(seed uint64) *SimMarket {
	reqs := marketOf(seed, 600, 3)
	m := &SimMarket{Services: map[market.ServiceType]Input{}}
	for _, r := range reqs {
		m.Services[r.Input.ServiceType] = r.Input
	}
	for _, st := range []market.ServiceType{market.Residential, market.Nursing, market.Homecare} {
		if _, ok := m.Services[st]; !ok {
			in := reqs[0].Input
			in.ServiceType = st
			in.Candidates = nil
			m.Services[st] = in
		}
	}
	for a := 1; a <= 150; a++ {
		r, c := (a-1)/15, (a-1)%15
		area := SimArea{ID: int64(a), Name: fmt.Sprintf("Area %d", a), Outcodes: []string{fmt.Sprintf("%c%c1", 'A'+rune(a%26), 'A'+rune(a/26))}}
		for dr := -1; dr <= 1; dr++ {
			for dc := -1; dc <= 1; dc++ {
				if (dr != 0 || dc != 0) && r+dr >= 0 && r+dr < 10 && c+dc >= 0 && c+dc < 15 {
					area.Neighbours = append(area.Neighbours, int64((r+dr)*15+c+dc+1))
				}
			}
		}
		m.Areas = append(m.Areas, area)
	}
	return m
}

// TestSimulate: the same seed gives the same run, and the counts add up.
func TestSimulate(t *testing.T) {
	m := simMarket(5)
	a, err := Simulate(context.Background(), m, SimOptions{Days: 20, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Simulate(context.Background(), m, SimOptions{Days: 20, Seed: 9})
	if *a != *b {
		t.Fatalf("not repeatable:\n%+v\n%+v", a, b)
	}
	for _, s := range []SimSide{a.OneAtATime, a.Batch, a.BatchOnContract} {
		if s.OwnArea+s.Neighbouring+s.OffContract+s.Unplaced != s.Requirements || s.Requirements == 0 {
			t.Fatalf("counts %+v", s)
		}
	}
	t.Logf("one at a time %+v\nbatch %+v\non contract first %+v", a.OneAtATime, a.Batch, a.BatchOnContract)
	if _, err := Simulate(context.Background(), m, SimOptions{Days: 0}); err == nil {
		t.Fatal("0 days accepted")
	}
}
