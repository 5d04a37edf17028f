package brokerage

import "container/heap"

// The plan is a minimum-cost flow, solved exactly by successive shortest
// paths.
//
// The network: one node per person, one per place (a location's capacity
// for a service type) and a sink. Each person has an edge of capacity 1 to
// each place they are eligible for, and one straight to the sink (no
// place); each place has an edge to the sink whose capacity is its
// vacancies. Every person sends one unit of flow, so a flow is exactly a
// plan that respects capacity, and a minimum-cost flow is an optimal plan.
//
// Why it is exact. Costs are vectors compared lexicographically (a person
// placed at a stage costs w = (-(W1·[own area] + W2·[neighbouring] + 1),
// weekly cost, distance, rank); no place costs (0, 0, 0, 0)). Vectors of
// integers under componentwise addition and lexicographic order form an
// ordered abelian group, and everything the theory of minimum-cost flow
// uses (shortest paths, Dijkstra with potentials, "a flow is minimal iff
// its residual network has no negative cycle") needs only that. People are
// added one at a time; each is routed along a shortest path of the residual
// network, which keeps the flow minimal for the people added so far (the
// successive-shortest-path theorem), so after the last person it is minimal
// for all of them. Capacities are whole numbers, so the flow is too: no
// person is split.
//
// Why the first component orders the first three priorities. Over a plan of
// n people it sums to -(W1·own + W2·neighbouring + placed), with W2 = n+1
// and W1 = (n+1)². placed ≤ n < W2, so one more person in a neighbouring
// area outweighs any change in the number placed; W2·neighbouring + placed
// ≤ W2·n + n = (n+1)² - 1 < W1, so one more person in their own area
// outweighs everything below it. Weekly cost and distance sit in later
// components, so they only break ties. OnContractFirst weighs a place on
// contract W1 and one in the person's own area W2 more: the sum is
// W1·(own + neighbouring) + W2·own + placed, and W2·own + placed < W1 by
// the same bound, so the order is on contract, then own area, then placed.
//
// Why nothing overflows. n is at most MaxAllocation (10,000): W1 ≤ 1.0e8,
// the first component of a path (at most 2n+1 edges) is below 2.1e12; the
// weekly cost of a place is capped at unknownCost (1e7 pence), a path's
// below 2.1e11; distance and rank are capped at 2^20, a path's below 2.2e10.
// All far inside int64 (9.2e18).

// MaxAllocation is the most requirements planned at once.
const MaxAllocation = 10_000

// w is a cost vector, compared lexicographically.
type w [4]int64

func (a w) add(b w) w { return w{a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]} }
func (a w) sub(b w) w { return w{a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]} }
func (a w) less(b w) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

type edge struct {
	to, rev int
	cap     int
	cost    w
}

type network struct {
	adj [][]edge
	pot []w
}

func (g *network) addEdge(from, to, cap int, cost w) int {
	g.adj[from] = append(g.adj[from], edge{to: to, rev: len(g.adj[to]), cap: cap, cost: cost})
	g.adj[to] = append(g.adj[to], edge{to: from, rev: len(g.adj[from]) - 1, cap: 0, cost: w{}.sub(cost)})
	return len(g.adj[from]) - 1
}

type item struct {
	d    w
	node int
}
type pq []item

func (q pq) Len() int           { return len(q) }
func (q pq) Less(i, j int) bool { return q[i].d.less(q[j].d) }
func (q pq) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x any)        { *q = append(*q, x.(item)) }
func (q *pq) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// route sends one unit from s to the sink t along a shortest path of the
// residual network (Dijkstra on reduced costs, stopping once t is settled)
// and updates the potentials so that every residual edge keeps a
// non-negative reduced cost: settled nodes v get d(v) - d(t), the rest
// nothing (the usual proof: for a residual edge u→v, min(d(v), d(t)) ≤
// min(d(u), d(t)) + reduced cost).
func (g *network) route(s, t int, dist []w, seen []bool, prevNode, prevEdge []int, touched *[]int) {
	for _, v := range *touched {
		seen[v], prevNode[v] = false, -1
	}
	*touched = (*touched)[:0]
	mark := func(v int) {
		if prevNode[v] == -1 && !seen[v] {
			*touched = append(*touched, v)
		}
	}
	mark(s)
	prevNode[s] = s
	dist[s] = w{}
	q := &pq{{node: s}}
	var settled []int
	for q.Len() > 0 {
		it := heap.Pop(q).(item)
		u := it.node
		if seen[u] || dist[u] != it.d {
			continue
		}
		seen[u] = true
		settled = append(settled, u)
		if u == t {
			break
		}
		for i, e := range g.adj[u] {
			if e.cap == 0 || seen[e.to] {
				continue
			}
			nd := dist[u].add(e.cost).add(g.pot[u]).sub(g.pot[e.to])
			if prevNode[e.to] == -1 || nd.less(dist[e.to]) {
				mark(e.to)
				dist[e.to], prevNode[e.to], prevEdge[e.to] = nd, u, i
				heap.Push(q, item{nd, e.to})
			}
		}
	}
	dt := dist[t]
	for _, v := range settled {
		g.pot[v] = g.pot[v].add(dist[v]).sub(dt)
	}
	for v := t; v != s; v = prevNode[v] {
		u := prevNode[v]
		e := &g.adj[u][prevEdge[v]]
		e.cap--
		g.adj[v][e.rev].cap++
	}
}

// optionCosts is each person's cost vector for each option.
func optionCosts(people []person, priority Priority) [][]w {
	n := len(people)
	W2 := int64(n + 1)
	W1 := W2 * W2
	costs := make([][]w, n)
	for i := range people {
		costs[i] = make([]w, len(people[i].options))
		for j, o := range people[i].options {
			var stageW int64 = 1
			switch {
			case o.Stage == StageLocal && priority == OnContractFirst:
				stageW += W1 + W2
			case o.Stage == StageNeighbours && priority == OnContractFirst, o.Stage == StageLocal:
				stageW += W1
			case o.Stage == StageNeighbours:
				stageW += W2
			}
			rank := min(int64(o.Rank), 1<<20)
			d := min(max(int64(o.Distance), 0), 1<<20)
			costs[i][j] = w{-stageW, o.costKey(), d, rank}
		}
	}
	return costs
}

// planCost sums a plan's cost vectors (no place costs nothing).
func planCost(costs [][]w, chosen []int) w {
	var c w
	for i, j := range chosen {
		if j >= 0 {
			c = c.add(costs[i][j])
		}
	}
	return c
}

// units numbers the units of capacity people's options use: unitOf[i][j]
// is the unit of person i's option j, keys the units in order.
func units(people []person) (unitOf [][]int, keys []capKey) {
	index := map[capKey]int{}
	unitOf = make([][]int, len(people))
	for i := range people {
		unitOf[i] = make([]int, len(people[i].options))
		for j, o := range people[i].options {
			k := capKey{o.LocationID, people[i].req.Input.ServiceType}
			u, ok := index[k]
			if !ok {
				u = len(keys)
				index[k] = u
				keys = append(keys, k)
			}
			unitOf[i][j] = u
		}
	}
	return unitOf, keys
}

// flow finds a minimum-cost plan for the people not fixed (fixed[i] >= 0
// holds person i at that option; nil: nobody), leaving out the options
// banned (nil: none), with each unit of capacity u holding at most caps[u]
// places (-1: unlimited). It returns the option per person (fixed ones as
// given) and how many edges the network had.
func flow(people []person, costs [][]w, unitOf [][]int, caps []int, fixed []int, banned [][]bool) ([]int, int) {
	n := len(people)
	const sink = 0
	g := &network{adj: make([][]edge, 1+n+len(caps)), pot: make([]w, 1+n+len(caps))}
	for u, c := range caps {
		if c < 0 || c > n {
			c = n
		}
		g.addEdge(1+n+u, sink, c, w{})
	}
	// The edge index of each person's option, to read the plan back.
	edgeOf := make([][]int, n)
	dist := make([]w, len(g.adj))
	seen := make([]bool, len(g.adj))
	prevNode, prevEdge := make([]int, len(g.adj)), make([]int, len(g.adj))
	for i := range prevNode {
		prevNode[i] = -1
	}
	var touched []int
	edges := len(caps)
	for i := range people {
		if fixed != nil && fixed[i] >= 0 {
			continue
		}
		p := &people[i]
		r := 1 + i
		edgeOf[i] = make([]int, len(p.options))
		g.addEdge(r, sink, 1, w{})
		best := g.pot[sink]
		for j := range p.options {
			edgeOf[i][j] = -1
			if banned != nil && banned[i][j] {
				continue
			}
			v := 1 + n + unitOf[i][j]
			edgeOf[i][j] = g.addEdge(r, v, 1, costs[i][j])
			edges++
			if c := g.pot[v].sub(costs[i][j]); best.less(c) {
				best = c
			}
		}
		// A person's node has no way in, so its potential can be anything
		// that makes its edges' reduced costs non-negative.
		g.pot[r] = best
		g.route(r, sink, dist, seen, prevNode, prevEdge, &touched)
	}
	out := make([]int, n)
	for i := range people {
		out[i] = -1
		if fixed != nil && fixed[i] >= 0 {
			out[i] = fixed[i]
			continue
		}
		for j, ei := range edgeOf[i] {
			if ei >= 0 && g.adj[1+i][ei].cap == 0 {
				out[i] = j
			}
		}
	}
	return out, edges
}
