package brokerage

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Allocating many requirements at once.
//
// The cascade places people one at a time, first come, first served: the
// first person can take the last contracted bed in a district that a second
// person needed more, while the first could have gone to a neighbouring
// area's contracted home. Allocate plans a set of open requirements
// together. It keeps every rule of the cascade, because it asks the cascade
// (Run) who is eligible for each person at each stage, and it chooses, in
// strict priority:
//
//  1. the most people placed with contracted providers in their own area;
//  2. then the most placed with contracted providers in neighbouring areas;
//  3. then the fewest off contract: with 1 and 2 fixed, the people not on
//     contract are fixed in number, and of those the most are placed
//     (off contract, the cascade's stage 3) rather than left without a
//     place: a temporary off-contract place is the cascade's last resort,
//     not something to avoid by leaving a person unplaced;
//  4. then the least total weekly cost, then the least distance (and last,
//     the lot's own ranking within a stage).
//
// The method is an exact minimum-cost flow; see allocate_flow.go for why.

// AllocRequest is one open requirement to plan: its cascade input (as the
// cascade would see it now, capacity included) and the hours, which turn an
// hourly price into a weekly cost.
type AllocRequest struct {
	RequirementID  int64  `json:"requirement_id"`
	CaseReference  string `json:"case_reference"`
	MinutesPerWeek int    `json:"minutes_per_week"`
	Input          Input  `json:"-"`
}

// AllocLine is one person's place in a plan.
type AllocLine struct {
	RequirementID int64  `json:"requirement_id"`
	CaseReference string `json:"case_reference"`
	// Stage is the cascade stage of the place (0: no place).
	Stage        Stage  `json:"stage"`
	LocationID   int64  `json:"location_id,omitempty"`
	LocationName string `json:"location_name,omitempty"`
	ProviderID   int64  `json:"provider_id,omitempty"`
	ProviderName string `json:"provider_name,omitempty"`
	AreaName     string `json:"area_name,omitempty"`
	LotID        int64  `json:"lot_id,omitempty"`
	// Rank is the place's rank within its stage of the person's cascade.
	Rank int `json:"rank,omitempty"`
	// Price is the contracted price in force (0: none agreed, so the weekly
	// cost is agreed when the offer is made).
	Price      money.Money `json:"price_pence"`
	WeeklyCost money.Money `json:"weekly_cost_pence"`
	Distance   int         `json:"distance"`
	// Why says why the person did not get a better stage.
	Why string `json:"why"`
}

// AllocCounts counts requirements by the stage that placed them, with the
// weekly cost of the places: a plan's totals and a simulation's sides.
type AllocCounts struct {
	Requirements int `json:"requirements"`
	OwnArea      int `json:"own_area"`
	Neighbouring int `json:"neighbouring"`
	OffContract  int `json:"off_contract"`
	Unplaced     int `json:"unplaced"`
	// WeeklyCost sums the known weekly costs; NoPrice counts places with no
	// agreed price (their cost is agreed when the offer is made).
	WeeklyCost money.Money `json:"weekly_cost_pence"`
	NoPrice    int         `json:"no_price"`
}

// count adds a line to its stage and its place's weekly cost; a line with
// no stage is unplaced. It reports whether the line was placed.
func (c *AllocCounts) count(l AllocLine) bool {
	switch l.Stage {
	case StageLocal:
		c.OwnArea++
	case StageNeighbours:
		c.Neighbouring++
	case StageOffContract:
		c.OffContract++
	default:
		c.Unplaced++
		return false
	}
	if l.WeeklyCost > 0 {
		c.WeeklyCost += l.WeeklyCost
	} else {
		c.NoPrice++
	}
	return true
}

// AllocTotals sums a plan by the priorities it is judged on.
type AllocTotals struct {
	AllocCounts
	Distance int `json:"distance"`
	// SearchStopped is set on a plan when home care kept in hours made the
	// search for the best plan stop at its limit: the plan is the best
	// found, never worse than one at a time, but not proven best.
	SearchStopped bool `json:"search_stopped,omitempty"`
}

// Better reports whether t beats u on the first three priorities, in order:
// own area on contract, then neighbouring on contract, then the fewest left
// without a place. 0 means equal on all three.
func (t AllocTotals) Better(u AllocTotals) int {
	return cmp.Or(cmp.Compare(t.OwnArea, u.OwnArea), cmp.Compare(t.Neighbouring, u.Neighbouring), cmp.Compare(u.Unplaced, t.Unplaced))
}

// Allocation is a plan for a set of requirements, with what the cascade
// one at a time (in the order given) would do beside it.
type Allocation struct {
	// Exact says the plan is proven best on every priority. Home care kept
	// in hours makes planning a packing problem; when the search for the
	// best plan stops at its limit, the plan is the best found, never worse
	// than one at a time (see allocate_hours.go).
	Exact            bool        `json:"exact"`
	Lines            []AllocLine `json:"lines"`
	Totals           AllocTotals `json:"totals"`
	OneAtATime       []AllocLine `json:"one_at_a_time"`
	OneAtATimeTotals AllocTotals `json:"one_at_a_time_totals"`
}

// capKey is a unit of capacity: a location's places for one service type.
type capKey struct {
	location int64
	st       market.ServiceType
}

// limit is a unit of capacity's size: places (n; -1 not limited), or, for
// home care kept in hours, minutes a week (hours set, n the minutes).
type limit struct {
	n     int
	hours bool
}

// option is a place a person may take: an eligible location at a stage of
// their cascade.
type option struct {
	Ranked
	cost money.Money // weekly cost; 0 when no price is agreed
}

// person is a request with its cascade worked out and its options.
type person struct {
	req     *AllocRequest
	res     Result
	options []option // stages 1..max, each in the cascade's order
	max     Stage
}

// unknownCost is the weekly cost a place with no agreed price counts as
// when plans are compared: dearer than any priced place (a week of care is
// far below £100,000), so a priced place is preferred at equal stage.
const unknownCost = money.Money(10_000_000)

func (o *option) costKey() int64 {
	if o.cost <= 0 {
		return int64(unknownCost)
	}
	return min(int64(o.cost), int64(unknownCost))
}

// Priority orders the first three criteria of a plan.
type Priority int

const (
	// OwnAreaFirst is the cascade's own order: the most in their own area
	// on contract, then the most in neighbouring areas, then the fewest
	// left without a place.
	OwnAreaFirst Priority = iota
	// OnContractFirst puts the most people on contract (own or
	// neighbouring area) first, then the most in their own area, then the
	// fewest without a place. It can place fewer people in their own area
	// than OwnAreaFirst, never fewer on contract; the simulation compares
	// both with one at a time.
	OnContractFirst
)

// Allocate plans reqs together in the cascade's order (OwnAreaFirst).
// Capacity is each location's vacancy figure for the service type, or its
// spare hours a week for home care kept in hours (hourly care with no
// figure is not limited), as the cascade reads it; where two requests'
// figures for the same place differ, the lower counts. The one-at-a-time
// comparison takes reqs in the order given.
func Allocate(reqs []AllocRequest) *Allocation { return AllocateBy(reqs, OwnAreaFirst) }

// AllocateBy plans reqs together with the first three criteria in the
// order p gives.
func AllocateBy(reqs []AllocRequest, p Priority) *Allocation {
	if len(reqs) > MaxAllocation {
		a := AllocateBy(reqs[:MaxAllocation], p)
		for _, r := range reqs[MaxAllocation:] {
			l := AllocLine{RequirementID: r.RequirementID, CaseReference: r.CaseReference, Why: "Not planned: one plan takes at most 10,000 requirements"}
			a.Lines, a.OneAtATime = append(a.Lines, l), append(a.OneAtATime, l)
		}
		a.Totals, a.OneAtATimeTotals = totals(a.Lines), totals(a.OneAtATime)
		return a
	}
	people := prepare(reqs)
	capacity := capacities(people)
	a := &Allocation{}
	one := oneAtATime(people, capacity)
	var chosen []int
	chosen, a.Exact = solve(people, capacity, p, one)
	a.Lines = lines(people, chosen, capacity)
	a.Totals = totals(a.Lines)
	a.Totals.SearchStopped = !a.Exact
	a.OneAtATime = lines(people, one, capacity)
	a.OneAtATimeTotals = totals(a.OneAtATime)
	return a
}

// capacities: the size of each (location, service type); where people's
// figures differ the lower counts, and hours win over places.
func capacities(people []person) map[capKey]limit {
	capacity := map[capKey]limit{}
	for i := range people {
		p := &people[i]
		for _, o := range p.options {
			k := capKey{o.LocationID, p.req.Input.ServiceType}
			l := limit{n: -1}
			switch {
			case ByHours(&o.Candidate, k.st):
				l = limit{n: *o.SpareMinutes, hours: true}
			case o.Vacancies != nil:
				l.n = *o.Vacancies
			}
			old, ok := capacity[k]
			if !ok || l.hours && !old.hours || l.hours == old.hours && l.n >= 0 && (old.n < 0 || l.n < old.n) {
				capacity[k] = l
			}
		}
	}
	return capacity
}

// use is what person p takes of a unit of capacity l: one place, or its
// hours a week (at least a minute, as the cascade wants some spare).
func (p *person) use(l limit) int {
	if l.hours {
		return max(p.req.MinutesPerWeek, 1)
	}
	return 1
}

// fits reports whether p can still take a place of l with left remaining.
func (p *person) fits(l limit, left int) bool {
	if l.hours {
		return left >= p.use(l)
	}
	return left != 0
}

// oneAtATime is the cascade as it runs today: each person in turn takes the
// first place of the first stage with anyone eligible and a place (or the
// hours) left.
func oneAtATime(people []person, capacity map[capKey]limit) []int {
	left := map[capKey]int{}
	for k, l := range capacity {
		left[k] = l.n
	}
	out := make([]int, len(people))
	for i := range people {
		p := &people[i]
		out[i] = -1
		for j, o := range p.options {
			k := capKey{o.LocationID, p.req.Input.ServiceType}
			if l := capacity[k]; p.fits(l, left[k]) {
				if left[k] > 0 {
					left[k] -= p.use(l)
				}
				out[i] = j
				break
			}
		}
	}
	return out
}

// lines turns a choice (an option index per person, -1 for none) into the
// plan's lines, each saying why the person did not get a better stage.
func lines(people []person, chosen []int, capacity map[capKey]limit) []AllocLine {
	takenBy := map[capKey][]int{}
	for i, j := range chosen {
		if j >= 0 {
			k := capKey{people[i].options[j].LocationID, people[i].req.Input.ServiceType}
			takenBy[k] = append(takenBy[k], i)
		}
	}
	out := make([]AllocLine, len(people))
	for i := range people {
		p := &people[i]
		l := AllocLine{RequirementID: p.req.RequirementID, CaseReference: p.req.CaseReference}
		if j := chosen[i]; j >= 0 {
			o := p.options[j]
			l.Stage, l.LocationID, l.LocationName, l.ProviderID, l.ProviderName = o.Stage, o.LocationID, o.LocationName, o.ProviderID, o.ProviderName
			l.AreaName, l.LotID, l.Rank, l.Price, l.WeeklyCost, l.Distance = o.AreaName, o.LotID, o.Rank, o.Price, o.cost, o.Distance
		}
		l.Why = why(people, i, l.Stage, takenBy, capacity)
		out[i] = l
	}
	return out
}

// why explains, stage by stage above the one reached, why the person is not
// placed there: nobody eligible (the cascade's own account), every
// eligible place taken by others in the plan, or not enough spare hours
// left at a home care branch once others' packages are counted (the others
// named by case reference).
func why(people []person, i int, reached Stage, takenBy map[capKey][]int, capacity map[capKey]limit) string {
	p := &people[i]
	last := reached - 1
	if reached == 0 {
		last = p.max
	}
	var parts []string
	for s := StageLocal; s <= last; s++ {
		sr := p.res.Stage(s)
		if sr == nil || len(sr.Eligible) == 0 {
			parts = append(parts, describe(sr)+shortOfHours(sr))
			continue
		}
		others := map[string]bool{}
		var refs, short []string
		full := 0
		for _, o := range p.options {
			if o.Stage != s {
				continue
			}
			k := capKey{o.LocationID, p.req.Input.ServiceType}
			l, used := capacity[k], 0
			for _, j := range takenBy[k] {
				if j == i {
					continue
				}
				used += people[j].use(l)
				ref := people[j].req.CaseReference
				if ref == "" {
					ref = fmt.Sprintf("requirement %d", people[j].req.RequirementID)
				}
				if !others[ref] {
					others[ref] = true
					refs = append(refs, ref)
				}
			}
			switch {
			case l.hours && !p.fits(l, l.n-used):
				short = append(short, fmt.Sprintf("%s: %s left, needs %s", o.LocationName, HoursFigure(max(l.n-used, 0)), HoursFigure(p.req.MinutesPerWeek)))
			case !l.hours:
				full++
			}
		}
		slices.Sort(refs)
		var msg string
		switch {
		case len(short) == 0:
			msg = fmt.Sprintf("Stage %d: every place at the %d eligible locations is taken by others", s, len(sr.Eligible))
		default:
			if len(short) > 3 {
				short = append(short[:3], fmt.Sprintf("%d more", len(short)-3))
			}
			msg = fmt.Sprintf("Stage %d: not enough spare hours at %s", s, strings.Join(short, "; at "))
			if full > 0 {
				msg += fmt.Sprintf("; every place at the other %d eligible locations is taken", full)
			}
		}
		if len(refs) > 0 {
			if len(refs) > 5 {
				refs = append(refs[:5], fmt.Sprintf("%d more", len(refs)-5))
			}
			msg += " (" + strings.Join(refs, ", ") + ")"
		}
		parts = append(parts, msg)
	}
	if reached == 0 && p.max < StageOffContract {
		parts = append(parts, "Off-contract providers are not asked: the placement is being moved to contract")
	}
	if len(parts) == 0 {
		return "Placed with a contracted provider in the person's own area"
	}
	return strings.Join(parts, ". ")
}

// shortOfHours names the locations of a stage the cascade passed over for
// want of spare hours, with what they have left and what the person needs.
func shortOfHours(sr *StageResult) string {
	if sr == nil {
		return ""
	}
	var out []string
	for _, e := range sr.Excluded {
		if strings.HasPrefix(e.Reason, "Not enough spare hours") {
			out = append(out, e.LocationName+": "+e.Reason[strings.LastIndex(e.Reason, ": ")+2:])
		}
	}
	if len(out) == 0 {
		return ""
	}
	if len(out) > 3 {
		out = append(out[:3], fmt.Sprintf("%d more", len(out)-3))
	}
	return ": not enough spare hours at " + strings.Join(out, "; at ")
}

// totals sums lines.
func totals(ls []AllocLine) AllocTotals {
	t := AllocTotals{AllocCounts: AllocCounts{Requirements: len(ls)}}
	for _, l := range ls {
		if t.count(l) {
			t.Distance += l.Distance
		}
	}
	return t
}

// EditOptions lists the places a broker may choose for line i instead of
// the plan's: those the person's cascade offers at its current stage once
// every other line of the plan holds its place. Choosing among them keeps
// the offer valid for the cascade (it is the stage it reaches).
func EditOptions(reqs []AllocRequest, lines []AllocLine, i int) (Stage, []Ranked) {
	held, minutes := map[int64]int{}, map[int64]int{}
	for j, l := range lines {
		if j != i && l.LocationID != 0 && reqs[j].Input.ServiceType == reqs[i].Input.ServiceType {
			held[l.LocationID]++
			minutes[l.LocationID] += reqs[j].MinutesPerWeek
		}
	}
	in := reqs[i].Input
	in.Held, in.HeldMinutes, in.MinutesPerWeek = held, minutes, reqs[i].MinutesPerWeek
	res := Run(in)
	if st := res.Stage(res.Current); st != nil {
		return res.Current, st.Eligible
	}
	return 0, nil
}
