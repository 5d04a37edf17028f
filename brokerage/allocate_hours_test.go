package brokerage

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/market"
)

func minutes(h int) *int { m := h * 60; return &m }

// TestCascadeSpareHours: a home care branch that keeps its spare hours is
// passed over, with the figures, when it cannot take the person's hours.
func TestCascadeSpareHours(t *testing.T) {
	lots := []Lot{{ID: 1, AgreementRef: "DPS", Number: 1, ServiceTypes: []market.ServiceType{market.Homecare}, AreaIDs: []int64{1}}}
	cands := []Candidate{
		{LocationID: 10, LocationName: "Bluebell Homecare", AreaID: 1, Postcode: "CT9 1AA", Rating: market.Good, SpareMinutes: minutes(10), Admissions: []Admission{{LotID: 1}}},
		{LocationID: 20, LocationName: "Primrose Care", AreaID: 1, Postcode: "CT9 2AA", Rating: market.Good, SpareMinutes: minutes(20), Admissions: []Admission{{LotID: 1}}},
	}
	in := Input{ServiceType: market.Homecare, Outcode: "CT9", AreaID: 1, Lots: lots, Candidates: cands, MinutesPerWeek: 14 * 60}
	res := Run(in)
	st := res.Stage(StageLocal)
	if len(st.Eligible) != 1 || st.Eligible[0].LocationID != 20 || len(st.Excluded) != 1 || st.Excluded[0].Reason != "Not enough spare hours: 10 left, needs 14" {
		t.Fatalf("%+v", st)
	}
	in.HeldMinutes = map[int64]int{20: 450}
	res = Run(in)
	st = res.Stage(StageLocal)
	if len(st.Eligible) != 0 || !strings.Contains(st.Excluded[1].Reason, "12.5 left, needs 14") {
		t.Fatalf("%+v", st)
	}
	// Spare hours of 0 take nobody, even a package of unknown hours.
	in.HeldMinutes, in.MinutesPerWeek = nil, 0
	zero := 0
	cands[0].SpareMinutes = &zero
	res = Run(in)
	if st = res.Stage(StageLocal); len(st.Eligible) != 1 || st.Excluded[0].Reason != "Not enough spare hours: 0 left, needs 0" {
		t.Fatalf("%+v", st)
	}
}

// TestAllocateHoursPacking is the packing case: one branch with 20 spare
// hours in everyone's area. One at a time, the first person (12 hours)
// leaves 8, too few for either of the next two (10 hours each); planned
// together the two share the 20 hours and only the first goes further.
func TestAllocateHoursPacking(t *testing.T) {
	lots := []Lot{{ID: 1, AgreementRef: "DPS", Number: 1, ServiceTypes: []market.ServiceType{market.Homecare}, AreaIDs: []int64{1}}}
	cands := []Candidate{
		{LocationID: 10, LocationName: "Bluebell Homecare", AreaID: 1, Postcode: "CT9 1AA", Rating: market.Good, SpareMinutes: minutes(20), Price: 2500, Admissions: []Admission{{LotID: 1}}},
		{LocationID: 30, LocationName: "Spot Agency", AreaID: 2, Postcode: "ME1 1AA", Rating: market.Good},
	}
	var reqs []AllocRequest
	for i, h := range []int{12, 10, 10} {
		in := Input{ServiceType: market.Homecare, Outcode: "CT9", AreaID: 1, Lots: lots, Candidates: cands, MinutesPerWeek: h * 60}
		reqs = append(reqs, AllocRequest{RequirementID: int64(i + 1), CaseReference: string(rune('A' + i)), MinutesPerWeek: h * 60, Input: in})
	}
	a := Allocate(reqs)
	if !a.Exact || a.Totals.OwnArea != 2 || a.OneAtATimeTotals.OwnArea != 1 || a.Lines[0].Stage != StageOffContract {
		t.Fatalf("plan %+v, one at a time %+v", a.Lines, a.OneAtATime)
	}
	if want := "Stage 1: not enough spare hours at Bluebell Homecare: 0 left, needs 12 (B, C)"; !strings.HasPrefix(a.Lines[0].Why, want) {
		t.Fatalf("why: %q, want %q", a.Lines[0].Why, want)
	}
	if want := "not enough spare hours at Bluebell Homecare: 8 left, needs 10 (A)"; !strings.Contains(a.OneAtATime[1].Why, want) {
		t.Fatalf("one at a time, why: %q, want %q", a.OneAtATime[1].Why, want)
	}
	checkPlan(t, reqs, a.Lines)
	// Editing B's line: Bluebell still has B's 10 hours once A and C hold theirs.
	if st, eligible := EditOptions(reqs, a.Lines, 1); st != StageLocal || len(eligible) != 1 {
		t.Fatalf("edit options: stage %d, %+v", st, eligible)
	}
}

// TestAllocateSearchStops: with the search cut to one step, the plan is
// still never worse than one at a time, says it is not proven best, and no
// person could move to a better place with room.
func TestAllocateSearchStops(t *testing.T) {
	old := searchLimit
	searchLimit.nodes = 1
	defer func() { searchLimit = old }()
	rng := rand.New(rand.NewPCG(11, 12))
	stopped := 0
	for n := range 300 {
		reqs := randomMarket(rng, 2+rng.IntN(4), 5+rng.IntN(30), 2+rng.IntN(20))
		a := Allocate(reqs)
		if a.Totals.Better(a.OneAtATimeTotals) < 0 || score(a.OneAtATime).less(score(a.Lines)) {
			t.Fatalf("market %d: plan %+v is worse than one at a time %+v", n, a.Totals, a.OneAtATimeTotals)
		}
		if a.Exact == a.Totals.SearchStopped {
			t.Fatalf("market %d: exact %v, search stopped %v", n, a.Exact, a.Totals.SearchStopped)
		}
		if !a.Exact {
			stopped++
		}
		checkPlan(t, reqs, a.Lines)
	}
	if stopped == 0 {
		t.Fatal("the search never stopped: the test tests nothing")
	}
	t.Logf("stopped early in %d of 300 markets", stopped)
}
