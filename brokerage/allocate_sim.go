package brokerage

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// Simulation: a generated demand stream replayed against a council's
// market twice, once with the cascade one person at a time as they arrive
// and once with a daily batch (Allocate over the day's arrivals and anyone
// still waiting), so commissioners can see what planning together changes.

// SimMarket is a council's market as the simulation needs it: for each
// service type the cascade's input for someone in the first area (lots and
// every candidate with its vacancies and price), and the areas with their
// neighbours and the postcode districts people live in.
type SimMarket struct {
	Services map[market.ServiceType]Input
	Areas    []SimArea
}

// SimArea is an area of the market.
type SimArea struct {
	ID         int64
	Name       string
	Neighbours []int64
	Outcodes   []string
}

// SimOptions shape a run.
type SimOptions struct {
	Days int
	Seed uint64
	// ArrivalsPerDay is the mean number of new requirements a day; 0 works
	// it out from the market (busy: a little above what frees up).
	ArrivalsPerDay float64
}

// Simulation limits, so a page can run one on demand.
const (
	MaxSimDays     = 90
	MaxSimArrivals = 400 // a day
)

// SimSide is one side's results.
type SimSide struct {
	Name string `json:"name"`
	// AllocCounts are the side's requirements by the stage that placed
	// them; Unplaced are those still waiting at the end.
	AllocCounts
	MeanDistance float64 `json:"mean_distance"`
	// Of placements with a vacancy figure (care homes, and home care where
	// the provider gives one, in places or spare hours), the provider that
	// took the most: its share of them, and its share of the places free
	// at the start (spare hours counted as packages of 10 hours).
	TopProvider      string  `json:"top_provider"`
	TopProviderShare float64 `json:"top_provider_share"`
	TopCapacityShare float64 `json:"top_provider_capacity_share"`
	// Waits is the number of person-days spent waiting for a place.
	Waits int `json:"waiting_days"`
}

// Share is n as a fraction of the side's requirements.
func (s *SimSide) Share(n int) float64 {
	if s.Requirements == 0 {
		return 0
	}
	return float64(n) / float64(s.Requirements)
}

// SimResult is both sides of a run.
type SimResult struct {
	Days           int     `json:"days"`
	Seed           uint64  `json:"seed"`
	ArrivalsPerDay float64 `json:"arrivals_per_day"`
	OneAtATime     SimSide `json:"one_at_a_time"`
	Batch          SimSide `json:"batch"`
	// BatchOnContract plans each day with people on contract first
	// (OnContractFirst), for comparison.
	BatchOnContract SimSide `json:"batch_on_contract_first"`
}

// simPerson is a generated requirement.
type simPerson struct {
	id      int64
	st      market.ServiceType
	area    *SimArea
	outcode string
	minutes int
	day     int // arrival
	stay    int // days the placement lasts once made
}

type simPlacement struct {
	loc     int64
	st      market.ServiceType
	minutes int
	endDay  int
}

// packageMinutes is a typical home care package, 10 hours a week: a branch
// kept in hours counts as its spare hours over this many places where the
// simulation weighs places (how fast other packages end, providers' shares).
const packageMinutes = 600

// places is how many places l counts as (hours: packages of
// packageMinutes, at least one while any are spare).
func (l limit) places() int {
	if l.hours {
		if l.n <= 0 {
			return 0
		}
		return max(l.n/packageMinutes, 1)
	}
	return l.n
}

// simSide is one side's running state.
type simSide struct {
	out      SimSide
	capacity map[capKey]limit
	live     []simPlacement
	waiting  []*simPerson
	byProv   map[int64]int
	limited  int // placements with a vacancy figure
	distance int
}

// Simulate runs the market for opts.Days. It stops early, with an error,
// when ctx is done.
func Simulate(ctx context.Context, m *SimMarket, opts SimOptions) (*SimResult, error) {
	if opts.Days < 1 || opts.Days > MaxSimDays {
		return nil, caremarket.Invalid(map[string]string{"days": "Simulate between 1 and 90 days"})
	}
	var sts []market.ServiceType
	for st, in := range m.Services {
		if len(in.Candidates) > 0 {
			sts = append(sts, st)
		}
	}
	slices.Sort(sts)
	if len(sts) == 0 || len(m.Areas) == 0 {
		return nil, caremarket.Invalid(map[string]string{"council": "The council has no areas or no locations to simulate"})
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	capacity, provOf, provName, capShare := simCapacity(m)
	// Places free up: each occupied place a location has beyond its free
	// ones ends, on average, after a year (residents leave, packages end).
	// A location with no figure is not limited.
	// The default demand is sized on places (care home beds, and home care
	// counted in packages); home care kept in hours is left out of it, as
	// a branch with no figure is.
	freeing := 0.0
	for k, l := range capacity {
		if !l.hours && l.n >= 0 && slices.Contains(sts, k.st) {
			freeing += 0.02 * float64(max(l.n, 1))
		}
	}
	free := 0
	for _, l := range capacity {
		if !l.hours && l.n > 0 {
			free += l.n
		}
	}
	rate := opts.ArrivalsPerDay
	if rate <= 0 {
		rate = 1.15 * (float64(free)/float64(opts.Days) + freeing)
	}
	rate = math.Min(math.Max(rate, 1), MaxSimArrivals)
	res := &SimResult{Days: opts.Days, Seed: opts.Seed, ArrivalsPerDay: math.Round(rate*10) / 10}
	sides := []*simSide{{out: SimSide{Name: "One at a time"}}, {out: SimSide{Name: "Daily batch"}}, {out: SimSide{Name: "Daily batch, on contract first"}}}
	for _, s := range sides {
		s.capacity, s.byProv = map[capKey]limit{}, map[int64]int{}
		for k, v := range capacity {
			s.capacity[k] = v
		}
	}
	weights := make([]int, len(m.Areas))
	for i := range weights {
		weights[i] = 1 + rng.IntN(4)
	}
	keys := make([]capKey, 0, len(capacity))
	for k := range capacity {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b capKey) int {
		return cmp.Or(cmp.Compare(a.location, b.location), strings.Compare(string(a.st), string(b.st)))
	})
	var nextID int64
	for day := 0; day < opts.Days; day++ {
		if err := ctx.Err(); err != nil {
			return nil, caremarket.Errorf(caremarket.EINVALID, "The simulation took too long: try fewer days")
		}
		// Places freeing today, the same on both sides (a home care
		// branch kept in hours: another package of 10 hours ends).
		var freed []capKey
		for _, k := range keys {
			if l := capacity[k]; (l.hours || l.n >= 0) && rng.Float64() < 0.02*float64(max(l.places(), 1)) {
				freed = append(freed, k)
			}
		}
		var arrivals []*simPerson
		for range poisson(rng, rate) {
			nextID++
			arrivals = append(arrivals, newSimPerson(rng, m, sts, weights, nextID, day))
		}
		for _, s := range sides {
			s.endPlacements(day)
			for _, k := range freed {
				s.free(k, packageMinutes)
			}
			s.out.Requirements += len(arrivals)
		}
		sides[0].place(m, append(sides[0].waiting, arrivals...), day, provOf, -1)
		sides[1].place(m, append(sides[1].waiting, arrivals...), day, provOf, OwnAreaFirst)
		sides[2].place(m, append(sides[2].waiting, arrivals...), day, provOf, OnContractFirst)
	}
	for _, s := range sides {
		s.finish(provName, capShare)
	}
	res.OneAtATime, res.Batch, res.BatchOnContract = sides[0].out, sides[1].out, sides[2].out
	return res, nil
}

func poisson(rng *rand.Rand, mean float64) int {
	// Knuth's method is fine for the small means used here; a normal
	// approximation above 30.
	if mean > 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func newSimPerson(rng *rand.Rand, m *SimMarket, sts []market.ServiceType, weights []int, id int64, day int) *simPerson {
	total := 0
	for _, w := range weights {
		total += w
	}
	pick := rng.IntN(total)
	area := &m.Areas[0]
	for i, w := range weights {
		if pick < w {
			area = &m.Areas[i]
			break
		}
		pick -= w
	}
	p := &simPerson{id: id, st: sts[rng.IntN(len(sts))], area: area, day: day, outcode: area.Name}
	if len(area.Outcodes) > 0 {
		p.outcode = area.Outcodes[rng.IntN(len(area.Outcodes))]
	}
	if p.st.IsBedBased() {
		p.stay = 30 + rng.IntN(700) // care home stays are long
	} else {
		p.minutes = 60 * (5 + rng.IntN(20))
		p.stay = 14 + rng.IntN(120)
	}
	return p
}

// simCapacity: the places (or spare hours) free at the start by
// (location, service type), each location's provider, providers' names,
// and each provider's share of the places (hours counted as packages of
// packageMinutes).
func simCapacity(m *SimMarket) (map[capKey]limit, map[int64]int64, map[int64]string, map[int64]float64) {
	capacity, provOf, names, share := map[capKey]limit{}, map[int64]int64{}, map[int64]string{}, map[int64]float64{}
	total := 0
	for st, in := range m.Services {
		for _, c := range in.Candidates {
			l := limit{n: -1}
			switch {
			case ByHours(&c, st):
				l = limit{n: *c.SpareMinutes, hours: true}
			case c.Vacancies != nil:
				l.n = *c.Vacancies
			}
			if n := l.places(); n >= 0 {
				total += n
				share[c.ProviderID] += float64(n)
			}
			capacity[capKey{c.LocationID, st}] = l
			provOf[c.LocationID], names[c.ProviderID] = c.ProviderID, c.ProviderName
		}
	}
	for p := range share {
		if total > 0 {
			share[p] /= float64(total)
		}
	}
	return capacity, provOf, names, share
}

// free gives a unit back a place, or, kept in hours, minutes.
func (s *simSide) free(k capKey, minutes int) {
	switch l := s.capacity[k]; {
	case l.hours:
		l.n += minutes
		s.capacity[k] = l
	case l.n >= 0:
		l.n++
		s.capacity[k] = l
	}
}

// take uses a place, or minutes, of a unit.
func (s *simSide) take(k capKey, minutes int) {
	switch l := s.capacity[k]; {
	case l.hours:
		l.n = max(l.n-max(minutes, 1), 0)
		s.capacity[k] = l
	case l.n > 0:
		l.n--
		s.capacity[k] = l
	}
}

// endPlacements frees the places (and a package's hours) of placements
// ending by day.
func (s *simSide) endPlacements(day int) {
	kept := s.live[:0]
	for _, p := range s.live {
		if p.endDay <= day {
			s.free(capKey{p.loc, p.st}, p.minutes)
			continue
		}
		kept = append(kept, p)
	}
	s.live = kept
}

// place sources people: one at a time in arrival order (those waiting
// first) when batch is negative, or all together in that priority. Whoever
// finds no place waits for tomorrow.
func (s *simSide) place(m *SimMarket, people []*simPerson, day int, provOf map[int64]int64, batch Priority) {
	if len(people) == 0 {
		s.waiting = nil
		return
	}
	cands := map[market.ServiceType][]Candidate{}
	for st, in := range m.Services {
		cs := make([]Candidate, len(in.Candidates))
		copy(cs, in.Candidates)
		for i := range cs {
			cs[i].Vacancies, cs[i].SpareMinutes = nil, nil
			switch l := s.capacity[capKey{cs[i].LocationID, st}]; {
			case l.hours:
				v := l.n
				cs[i].SpareMinutes = &v
			case l.n >= 0:
				v := l.n
				cs[i].Vacancies = &v
			}
		}
		cands[st] = cs
	}
	reqs := make([]AllocRequest, len(people))
	for i, p := range people {
		in := m.Services[p.st]
		in.AreaID, in.Outcode, in.Neighbours, in.Candidates, in.Tried = p.area.ID, p.outcode, p.area.Neighbours, cands[p.st], nil
		reqs[i] = AllocRequest{RequirementID: p.id, MinutesPerWeek: p.minutes, Input: in}
	}
	var lines []AllocLine
	if batch >= 0 {
		lines = AllocateBy(reqs, batch).Lines
	} else {
		ps := prepare(reqs)
		lines = make([]AllocLine, len(ps))
		for i, j := range oneAtATime(ps, capacities(ps)) {
			lines[i] = AllocLine{}
			if j >= 0 {
				o := ps[i].options[j]
				lines[i] = AllocLine{Stage: o.Stage, LocationID: o.LocationID, WeeklyCost: o.cost, Distance: o.Distance}
			}
		}
	}
	s.waiting = nil
	for i, l := range lines {
		p := people[i]
		if l.Stage == 0 {
			s.waiting = append(s.waiting, p)
			continue
		}
		k := capKey{l.LocationID, p.st}
		s.take(k, p.minutes)
		s.live = append(s.live, simPlacement{loc: l.LocationID, st: p.st, minutes: p.minutes, endDay: day + p.stay})
		s.out.Waits += day - p.day
		s.out.count(l)
		s.distance += l.Distance
		if c := s.capacity[k]; c.hours || c.n >= 0 {
			s.byProv[provOf[l.LocationID]]++
			s.limited++
		}
	}
}

func (s *simSide) finish(names map[int64]string, capShare map[int64]float64) {
	s.out.Unplaced = len(s.waiting)
	placed := s.out.OwnArea + s.out.Neighbouring + s.out.OffContract
	if placed > 0 {
		s.out.MeanDistance = math.Round(100*float64(s.distance)/float64(placed)) / 100
	}
	var top int64
	for p, n := range s.byProv {
		if n > s.byProv[top] || (n == s.byProv[top] && p < top) {
			top = p
		}
	}
	if top != 0 && s.limited > 0 {
		s.out.TopProvider = names[top]
		s.out.TopProviderShare = math.Round(1000*float64(s.byProv[top])/float64(s.limited)) / 1000
		s.out.TopCapacityShare = math.Round(1000*capShare[top]) / 1000
	}
}
