package brokerage

import (
	"cmp"
	"unsafe"

	"github.com/caremarket/caremarket/market"
)

// Pruning: a national market has tens of thousands of locations, but a
// person can use only a few of them.
//
// Every location in the person's own area and in neighbouring areas is
// kept: stages 1 and 2 and the nearest off-contract places are all there.
// Further away, a location is of use only off contract (a contracted
// provider away from the person's area is never in their cascade), and of
// those only the best K by the plan's order (weekly cost, then distance)
// and the first K by the cascade's order (distance, rating, price) can
// matter, where K is the number of people planned of the person's service
// type (only they compete for its places) plus the locations the person
// already tried. Why: the others take at most n-1 places, each kept
// location has at least one (a home care branch kept in hours, at least
// the person's hours: each of the others uses one location), so among the
// first K one is always untouched by the others; a
// person placed further down could move to it at the same stage without
// losing on any priority. So the plan found over the kept locations is
// optimal over all of them, and the one-at-a-time cascade (which takes the
// first location in its order with a place left) picks the same location.
// The same bound trims each stage's list before the plan is solved.

// group is what requests sharing one candidate list have in common.
type group struct {
	// off: candidates eligible off contract (stage 3) for anyone, ignoring
	// what a person already tried; isOff marks them by index.
	off       []int32
	isOff     []bool
	byArea    map[int64][]int32
	outcodes  []string
	outcodeOf []int32
	// The cascade's stage 3 order after locality and distance: rating, then
	// price (none last), then location id, as one number per candidate.
	tail []int64
}

// maxCandidates bounds a candidate list the keys above can number.
const maxCandidates = 1 << 25

type groupKey struct {
	cands *Candidate
	n     int
	lots  *Lot
	nl    int
	st    market.ServiceType
}

func newGroup(in *Input) *group {
	n := len(in.Candidates)
	g := &group{byArea: map[int64][]int32{}, outcodeOf: make([]int32, n), isOff: make([]bool, n), tail: make([]int64, n)}
	oc := map[string]int32{}
	byID := make(map[int64]int32, n)
	for i := range in.Candidates {
		c := &in.Candidates[i]
		g.byArea[c.AreaID] = append(g.byArea[c.AreaID], int32(i))
		o := market.Outcode(c.Postcode)
		j, ok := oc[o]
		if !ok {
			j = int32(len(g.outcodes))
			oc[o] = j
			g.outcodes = append(g.outcodes, o)
		}
		g.outcodeOf[i] = j
		byID[c.LocationID] = int32(i)
		price := int64(c.Price)
		if price <= 0 || price >= 1<<26 {
			price = 1<<26 - 1
		}
		g.tail[i] = int64(ratingOrder[c.Rating])<<51 | price<<25 | int64(i)
	}
	// The cascade for someone in no area: every contracted location is
	// "contracted, but for areas away from the person's" and left out; the
	// rest is stage 3, eligible or excluded by the cascade's own rules.
	res := Run(Input{ServiceType: in.ServiceType, NeedBand: in.NeedBand, AreaID: -1, Lots: in.Lots, Candidates: in.Candidates})
	for _, r := range res.Stage(StageOffContract).Eligible {
		i := byID[r.LocationID]
		g.off = append(g.off, i)
		g.isOff[i] = true
	}
	return g
}

// prepare works out each request's cascade over its kept candidates and
// the options the plan may use.
func prepare(reqs []AllocRequest) []person {
	groups := map[groupKey]*group{}
	people := make([]person, len(reqs))
	// Only people of the same service type compete for a place.
	sameType := map[market.ServiceType]int{}
	for i := range reqs {
		sameType[reqs[i].Input.ServiceType]++
	}
	for i := range reqs {
		k := sameType[reqs[i].Input.ServiceType]
		in := reqs[i].Input
		in.MinutesPerWeek = reqs[i].MinutesPerWeek
		p := &people[i]
		p.req = &reqs[i]
		p.max = in.MaxStage
		if p.max == 0 {
			p.max = StageOffContract
		}
		if limit := k + len(in.Tried); len(in.Candidates) > 4*limit && len(in.Candidates) < maxCandidates {
			key := groupKey{n: len(in.Candidates), st: in.ServiceType, nl: len(in.Lots)}
			key.cands = unsafe.SliceData(in.Candidates)
			key.lots = unsafe.SliceData(in.Lots)
			g := groups[key]
			if g == nil {
				g = newGroup(&in)
				groups[key] = g
			}
			in.Candidates = g.keep(&in, limit, reqs[i].MinutesPerWeek)
		}
		p.res = Run(in)
		for s := StageLocal; s <= p.max; s++ {
			sr := p.res.Stage(s)
			opts := make([]option, len(sr.Eligible))
			for j := range sr.Eligible {
				opts[j] = option{Ranked: sr.Eligible[j]}
				if sr.Eligible[j].Price > 0 {
					opts[j].cost = WeeklyCost(in.ServiceType, sr.Eligible[j].Price, reqs[i].MinutesPerWeek)
				}
			}
			p.options = append(p.options, trim(opts, k+len(in.Tried))...)
		}
	}
	return people
}

// keep returns the candidates worth running the cascade over for in: in
// the person's area and its neighbours, every one that is not an eligible
// off-contract place; of the eligible off-contract places anywhere, the
// first limit by the plan's order and by the cascade's.
func (g *group) keep(in *Input, limit, minutes int) []Candidate {
	near := map[int64]int64{in.AreaID: 0}
	for _, a := range in.Neighbours {
		if a != in.AreaID {
			near[a] = 1
		}
	}
	// A home care branch without the person's hours spare is not eligible
	// for them, whatever it is for others.
	short := func(i int32) bool {
		c := &in.Candidates[i]
		return ByHours(c, in.ServiceType) && *c.SpareMinutes < max(minutes, 1)
	}
	var out []Candidate
	for a := range near {
		for _, i := range g.byArea[a] {
			if !g.isOff[i] || short(i) {
				out = append(out, in.Candidates[i])
			}
		}
	}
	dist := make([]int64, len(g.outcodes))
	for i := range dist {
		dist[i] = -1
	}
	off := g.off
	if !in.ServiceType.IsBedBased() {
		off = make([]int32, 0, len(g.off))
		for _, i := range g.off {
			if !short(i) {
				off = append(off, i)
			}
		}
	}
	planKey, cascadeKey := make([]int64, len(off)), make([]int64, len(off))
	for j, i := range off {
		o := g.outcodeOf[i]
		if dist[o] < 0 {
			dist[o] = int64(min(OutcodeDistance(in.Outcode, g.outcodes[o]), 127))
		}
		c := &in.Candidates[i]
		opt := option{}
		if c.Price > 0 {
			opt.cost = WeeklyCost(in.ServiceType, c.Price, minutes)
		}
		// weekly cost (< 2^24), distance (< 2^7), index (< 2^31).
		planKey[j] = opt.costKey()<<38 | dist[o]<<31 | int64(i)
		locality, ok := near[c.AreaID]
		if !ok {
			locality = 2
		}
		// locality (< 4), distance (< 2^7), rating (< 8), price (< 2^26),
		// index (< 2^25).
		cascadeKey[j] = locality<<61 | dist[o]<<54 | g.tail[i]
	}
	if len(off) <= 2*limit {
		for _, i := range off {
			out = append(out, in.Candidates[i])
		}
		return out
	}
	kept := make(map[int64]bool, 2*limit)
	for _, keys := range [][]int64{planKey, cascadeKey} {
		selectInts(keys, limit)
		for _, k := range keys[:limit] {
			i := k & (1<<25 - 1)
			if !kept[i] {
				kept[i] = true
				out = append(out, in.Candidates[i])
			}
		}
	}
	return out
}

// trim keeps, of a stage's options in the cascade's order, the first k and
// the best k by the plan's order (weekly cost, distance, rank).
func trim(opts []option, k int) []option {
	if len(opts) <= 2*k {
		return opts
	}
	idx := make([]int32, len(opts))
	for i := range idx {
		idx[i] = int32(i)
	}
	selectK(idx, k, func(a, b int32) int {
		return cmp.Or(cmp.Compare(opts[a].costKey(), opts[b].costKey()), cmp.Compare(opts[a].Distance, opts[b].Distance), cmp.Compare(a, b))
	})
	keep := make([]bool, len(opts))
	for i := range k {
		keep[i] = true
	}
	for _, i := range idx[:k] {
		keep[i] = true
	}
	var out []option
	for i, o := range opts {
		if keep[i] {
			out = append(out, o)
		}
	}
	return out
}

// selectK reorders s so that its first k elements are the k smallest by
// order (in no particular order among themselves): quickselect, linear on
// average. The orders used are total (ties fall to an id), so the result
// does not depend on the starting order.
func selectK(s []int32, k int, order func(a, b int32) int) {
	lo, hi := 0, len(s)-1
	seed := uint32(len(s))*2654435761 + 1
	for lo < hi {
		seed = seed*1664525 + 1013904223
		p := s[lo+int(seed%uint32(hi-lo+1))]
		i, j := lo, hi
		for i <= j {
			for order(s[i], p) < 0 {
				i++
			}
			for order(s[j], p) > 0 {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}

// selectInts reorders s so that its first k elements are its k smallest.
func selectInts(s []int64, k int) {
	idx := make([]int32, len(s))
	for i := range idx {
		idx[i] = int32(i)
	}
	selectK(idx, k, func(a, b int32) int { return cmp.Compare(s[a], s[b]) })
	first := make([]int64, k)
	for i := range k {
		first[i] = s[idx[i]]
	}
	copy(s, first)
}
