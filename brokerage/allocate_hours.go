package brokerage

import (
	"cmp"
	"slices"

	"github.com/caremarket/caremarket/market"
)

// Home care kept in hours.
//
// A care home bed is one place, so a plan is a flow (allocate_flow.go). A
// home care branch may instead say how many hours a week of new care it
// can take on, and a package takes its hours a week from them, whole: a
// person's package is not split between branches. Choosing which packages
// share a branch's hours is a packing problem (with one branch and
// everyone eligible it is the knapsack problem), so no flow solves it
// exactly in general, and no known method is fast on every input.
//
// solve therefore searches: branch and bound over the flow.
//
//   - The relaxation. Each branch's hours become a count of places: the
//     most people eligible there whose packages fit together (the smallest
//     packages first). Every plan that respects the hours respects these
//     counts, so the minimum-cost flow over them is a lower bound on the
//     best plan (the lexicographic cost, so all four priorities at once).
//     When that flow also respects every branch's hours, it is the best
//     plan.
//   - The branching. Otherwise take the branch most over its hours and,
//     of the people the flow put there, the one with the largest package:
//     either that person goes there (their hours are taken from it, and
//     the rest planned again) or that person may not go there. Each plan
//     falls in exactly one of the two, so searching both is exhaustive.
//   - The bound. A branch of the search whose lower bound is not below the
//     best plan found so far is dropped. The best plan found starts as the
//     cascade one at a time (which respects the hours), so whatever
//     happens, the plan is never worse than one at a time on any priority.
//     At each step the flow is also repaired into a plan that respects the
//     hours (people over a branch's hours are moved to their next best
//     place with room), which finds good plans early.
//
// When the search ends, the plan is proven best (Exact). It stops early
// after 300 steps or once it has built half a million edges of flow networks
// (a limit on work, not on time, so the same input always gives the same
// plan); the plan is then the best found, improved until no single person
// can move to a better place with room, and Exact is false. Small plans
// (the property tests' brute-force cases) and the Kent demo's finish well
// inside the limits.
var searchLimit = struct{ nodes, work int }{nodes: 300, work: 500_000}

// solve finds a plan: for each person the index of the chosen option, or
// -1 for no place, and whether it is proven best. one is the plan one at a
// time, the fallback.
//
// People of different service types never share capacity (a unit is a
// location's capacity for one service type), so the people of service
// types with no unit kept in hours are planned by one flow, and only the
// rest by the search; the best plan is the two best plans together.
func solve(people []person, capacity map[capKey]limit, priority Priority, one []int) ([]int, bool) {
	costs := optionCosts(people, priority)
	byHours := map[market.ServiceType]bool{}
	for k, l := range capacity {
		if l.hours {
			byHours[k.st] = true
		}
	}
	var flat, packed []int
	for i := range people {
		if byHours[people[i].req.Input.ServiceType] {
			packed = append(packed, i)
		} else {
			flat = append(flat, i)
		}
	}
	out := make([]int, len(people))
	if len(flat) > 0 {
		ps, cs := subset(people, costs, flat)
		unitOf, keys := units(ps)
		caps := make([]int, len(keys))
		for u, k := range keys {
			caps[u] = capacity[k].n
		}
		plan, _ := flow(ps, cs, unitOf, caps, nil, nil)
		for j, i := range flat {
			out[i] = plan[j]
		}
	}
	if len(packed) == 0 {
		return out, true
	}
	ps, cs := subset(people, costs, packed)
	s := newSearch(ps, cs, capacity)
	start := make([]int, len(packed))
	for j, i := range packed {
		start[j] = one[i]
	}
	s.consider(start)
	exact := s.run()
	if !exact {
		s.best = s.polish(s.best)
	}
	for j, i := range packed {
		out[i] = s.best[j]
	}
	return out, exact
}

// subset is the people at idx and their options' costs.
func subset(people []person, costs [][]w, idx []int) ([]person, [][]w) {
	ps, cs := make([]person, len(idx)), make([][]w, len(idx))
	for j, i := range idx {
		ps[j], cs[j] = people[i], costs[i]
	}
	return ps, cs
}

// search is the branch and bound's state. Units of capacity are numbered
// (units): size[u] is a unit's places or minutes, hours[u] whether minutes.
type search struct {
	people []person
	costs  [][]w
	unitOf [][]int
	keys   []capKey
	size   []int
	hours  []bool
	need   []int // each person's hours a week (at least a minute)
	// at lists, for each unit kept in hours, the (person, option) pairs
	// that may use it.
	at       [][][2]int
	best     []int
	bestCost w
	nodes    int
	work     int
}

// node is a step of the search: people held at an option, and options
// ruled out.
type node struct {
	fixed  [][2]int
	banned [][2]int
}

func newSearch(people []person, costs [][]w, capacity map[capKey]limit) *search {
	s := &search{people: people, costs: costs, need: make([]int, len(people))}
	s.unitOf, s.keys = units(people)
	s.size, s.hours, s.at = make([]int, len(s.keys)), make([]bool, len(s.keys)), make([][][2]int, len(s.keys))
	for u, k := range s.keys {
		s.size[u], s.hours[u] = capacity[k].n, capacity[k].hours
	}
	for i := range people {
		s.need[i] = max(people[i].req.MinutesPerWeek, 1)
		for j, u := range s.unitOf[i] {
			if s.hours[u] {
				s.at[u] = append(s.at[u], [2]int{i, j})
			}
		}
	}
	return s
}

// use is what person i takes of unit u: its hours, or one place.
func (s *search) use(i, u int) int {
	if s.hours[u] {
		return s.need[i]
	}
	return 1
}

// consider keeps plan if it respects capacity and beats the best so far.
func (s *search) consider(plan []int) {
	if !s.feasible(plan) {
		return
	}
	if c := planCost(s.costs, plan); s.best == nil || c.less(s.bestCost) {
		s.best, s.bestCost = plan, c
	}
}

// used sums what plan takes of each unit.
func (s *search) used(plan []int) []int {
	u := make([]int, len(s.keys))
	for i, j := range plan {
		if j >= 0 {
			k := s.unitOf[i][j]
			u[k] += s.use(i, k)
		}
	}
	return u
}

func (s *search) feasible(plan []int) bool {
	for u, n := range s.used(plan) {
		if s.size[u] >= 0 && n > s.size[u] {
			return false
		}
	}
	return true
}

// fits reports whether person i can take a place of unit u with left
// remaining (left is ignored for an unlimited unit).
func (s *search) fits(i, u, left int) bool {
	switch {
	case s.size[u] < 0:
		return true
	case s.hours[u]:
		return left >= s.need[i]
	}
	return left > 0
}

// run searches depth first; it reports whether it finished.
func (s *search) run() bool {
	stack := []node{{}}
	for len(stack) > 0 {
		if s.nodes >= searchLimit.nodes || s.work >= searchLimit.work {
			return false
		}
		nd := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		s.nodes++
		stack = append(stack, s.step(nd)...)
	}
	return true
}

// step bounds a node and returns its children (none when it is solved or
// cannot beat the best plan found).
func (s *search) step(nd node) []node {
	n := len(s.people)
	fixed := make([]int, n)
	for i := range fixed {
		fixed[i] = -1
	}
	left := slices.Clone(s.size)
	for _, f := range nd.fixed {
		fixed[f[0]] = f[1]
		u := s.unitOf[f[0]][f[1]]
		left[u] -= s.use(f[0], u)
	}
	banned := make([][]bool, n)
	for i := range banned {
		banned[i] = make([]bool, len(s.people[i].options))
	}
	for _, b := range nd.banned {
		banned[b[0]][b[1]] = true
	}
	// The relaxation: each branch's hours as the most packages that fit;
	// a package larger than the hours a branch has left cannot go there.
	caps := slices.Clone(s.size)
	var sizes []int
	for u, pairs := range s.at {
		if !s.hours[u] {
			continue
		}
		sizes = sizes[:0]
		for _, ij := range pairs {
			switch {
			case fixed[ij[0]] >= 0 || banned[ij[0]][ij[1]]:
			case s.need[ij[0]] > left[u]:
				banned[ij[0]][ij[1]] = true
			default:
				sizes = append(sizes, s.need[ij[0]])
			}
		}
		slices.Sort(sizes)
		c, sum := 0, 0
		for _, m := range sizes {
			if sum+m > left[u] {
				break
			}
			sum += m
			c++
		}
		caps[u] = c
	}
	plan, edges := flow(s.people, s.costs, s.unitOf, caps, fixed, banned)
	s.work += edges
	if s.best != nil && !planCost(s.costs, plan).less(s.bestCost) {
		return nil
	}
	// Over its hours: the unit most over (the first, on a tie), and its
	// largest package.
	over, excess := -1, 0
	for u, n := range s.used(plan) {
		if e := n - s.size[u]; s.hours[u] && e > excess {
			over, excess = u, e
		}
	}
	if over < 0 {
		s.consider(plan)
		return nil
	}
	s.consider(s.polish(s.repair(plan)))
	pick := [2]int{-1, -1}
	for i, j := range plan {
		if j >= 0 && fixed[i] < 0 && s.unitOf[i][j] == over && (pick[0] < 0 || s.need[i] > s.need[pick[0]]) {
			pick = [2]int{i, j}
		}
	}
	// Depth first, "goes there" first: it is popped first.
	out := []node{{fixed: nd.fixed, banned: append(slices.Clone(nd.banned), pick)}}
	if s.need[pick[0]] <= left[over] {
		out = append(out, node{fixed: append(slices.Clone(nd.fixed), pick), banned: nd.banned})
	}
	return out
}

// repair makes plan respect every unit's size: at a unit over it, the
// people whose places there cost least keep them while they fit; the rest
// take their best option with room left, or none.
func (s *search) repair(plan []int) []int {
	out := slices.Clone(plan)
	byUnit := make([][]int, len(s.keys))
	for i, j := range out {
		if j >= 0 {
			byUnit[s.unitOf[i][j]] = append(byUnit[s.unitOf[i][j]], i)
		}
	}
	var moved []int
	for u, ps := range byUnit {
		if s.size[u] < 0 || len(ps) == 0 {
			continue
		}
		slices.SortFunc(ps, func(a, b int) int {
			ca, cb := s.costs[a][out[a]], s.costs[b][out[b]]
			switch {
			case ca.less(cb):
				return -1
			case cb.less(ca):
				return 1
			}
			return cmp.Compare(a, b)
		})
		sum := 0
		for _, i := range ps {
			if x := s.use(i, u); sum+x <= s.size[u] {
				sum += x
			} else {
				moved = append(moved, i)
			}
		}
	}
	slices.Sort(moved)
	for _, i := range moved {
		out[i] = -1
	}
	used := s.used(out)
	for _, i := range moved {
		if j := s.bestWithRoom(i, used); j >= 0 {
			out[i] = j
			u := s.unitOf[i][j]
			used[u] += s.use(i, u)
		}
	}
	return out
}

// bestWithRoom is person i's cheapest option with room left given used,
// or -1.
func (s *search) bestWithRoom(i int, used []int) int {
	best := -1
	for j, u := range s.unitOf[i] {
		if !s.fits(i, u, s.size[u]-used[u]) {
			continue
		}
		if best < 0 || s.costs[i][j].less(s.costs[i][best]) {
			best = j
		}
	}
	return best
}

// polish moves one person at a time to a cheaper option with room left,
// until none can move: each move lowers the plan's cost, so it ends.
func (s *search) polish(plan []int) []int {
	out := slices.Clone(plan)
	used := s.used(out)
	for changed := true; changed; {
		changed = false
		for i := range out {
			cur := w{}
			if out[i] >= 0 {
				u := s.unitOf[i][out[i]]
				used[u] -= s.use(i, u)
				cur = s.costs[i][out[i]]
			}
			if j := s.bestWithRoom(i, used); j >= 0 && j != out[i] && s.costs[i][j].less(cur) {
				out[i], changed = j, true
			}
			if out[i] >= 0 {
				u := s.unitOf[i][out[i]]
				used[u] += s.use(i, u)
			}
		}
	}
	return out
}
