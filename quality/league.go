package quality

import (
	"cmp"
	"slices"
)

// LeagueRow is a provider's line of a lot's league table.
type LeagueRow struct {
	ProviderID   int64  `json:"provider_id"`
	ProviderName string `json:"provider_name"`
	Figures
	// Rank is the row's place under the table's sort (1 first).
	Rank int `json:"rank"`
}

// SortKey is a column of the league table.
type SortKey struct {
	Key   string
	Label string
	// value is the column's figure; better says which way is better;
	// has is false when the provider has nothing to measure (no offers for
	// a response time), which sorts last.
	value  func(*Figures) int
	better int // +1: higher is better; -1: lower is better
	has    func(*Figures) bool
}

func always(*Figures) bool { return true }

// SortKeys are the league table's columns, in the table's order.
var SortKeys = []SortKey{
	{Key: "offers", Label: "Offers", value: func(f *Figures) int { return f.Offers }, better: 1, has: always},
	{Key: "median_response", Label: "Median response", value: func(f *Figures) int { return f.MedianResponseMinutes }, better: -1, has: func(f *Figures) bool { return f.Responded > 0 }},
	{Key: "p90_response", Label: "90th percentile response", value: func(f *Figures) int { return f.P90ResponseMinutes }, better: -1, has: func(f *Figures) bool { return f.Responded > 0 }},
	{Key: "acceptance", Label: "Acceptance rate", value: func(f *Figures) int { return f.AcceptanceRateBP }, better: 1, has: func(f *Figures) bool { return f.Offers > 0 }},
	{Key: "bid_rate", Label: "Bid rate", value: func(f *Figures) int { return f.BidRateBP }, better: 1, has: func(f *Figures) bool { return f.Invitations > 0 }},
	{Key: "hand_backs", Label: "Handed back within 28 days", value: func(f *Figures) int { return f.HandBacks28d }, better: -1, has: always},
	{Key: "ended_early", Label: "Ended early", value: func(f *Figures) int { return f.EndedEarly }, better: -1, has: always},
	{Key: "price_vs_guide", Label: "Price against guide", value: func(f *Figures) int { return f.PriceVsGuideBP }, better: -1, has: func(f *Figures) bool { return f.PricedOffers > 0 }},
	{Key: "stale_vacancies", Label: "Stale vacancy figures", value: func(f *Figures) int { return f.StaleVacancies }, better: -1, has: always},
	{Key: "delivered", Label: "Hours delivered", value: func(f *Figures) int { return f.DeliveredBP }, better: 1, has: func(f *Figures) bool { return f.CommissionedMinutes > 0 }},
}

// SortKeyFor finds a column by key; an unknown key is the acceptance rate.
func SortKeyFor(key string) SortKey {
	for _, k := range SortKeys {
		if k.Key == key {
			return k
		}
	}
	return SortKeys[3]
}

// compareRows puts the better row first; rows with nothing to measure go
// last; ties fall to the provider's name, then id.
func (k SortKey) compare(a, b *LeagueRow) int {
	ha, hb := k.has(&a.Figures), k.has(&b.Figures)
	switch {
	case ha && !hb:
		return -1
	case !ha && hb:
		return 1
	}
	if ha {
		if c := cmp.Compare(k.value(&a.Figures), k.value(&b.Figures)) * -k.better; c != 0 {
			return c
		}
	}
	return cmp.Or(cmp.Compare(a.ProviderName, b.ProviderName), cmp.Compare(a.ProviderID, b.ProviderID))
}

// SortLeague sorts rows best first by key and numbers their ranks: rows
// equal on the figure share a rank ("2, 2, 4"); rows with nothing to
// measure have rank 0.
//
//	acceptance 80%, 50%, 50%, no offers -> ranks 1, 2, 2, 0
func SortLeague(rows []LeagueRow, key string) SortKey {
	k := SortKeyFor(key)
	// Sort positions, not the (large) rows, then put the rows in order.
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	// compare is a total order (ties fall to the provider's id), and the
	// position breaks any tie left, so an unstable sort, a good deal
	// quicker on a national lot's 11,000 rows, gives the stable order.
	slices.SortFunc(idx, func(a, b int) int { return cmp.Or(k.compare(&rows[a], &rows[b]), cmp.Compare(a, b)) })
	sorted := make([]LeagueRow, len(rows))
	for i, j := range idx {
		sorted[i] = rows[j]
	}
	copy(rows, sorted)
	for i := range rows {
		switch {
		case !k.has(&rows[i].Figures):
			rows[i].Rank = 0
		case i > 0 && k.has(&rows[i-1].Figures) && k.value(&rows[i-1].Figures) == k.value(&rows[i].Figures):
			rows[i].Rank = rows[i-1].Rank
		default:
			rows[i].Rank = i + 1
		}
	}
	return k
}

// OwnRank is a provider's place in its lot on one column, without the
// others' figures.
type OwnRank struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Rank  int    `json:"rank"` // 0: nothing to measure
	Of    int    `json:"of"`   // providers with a figure on this column
}

// RanksOf is provider's rank on every column of the table.
func RanksOf(rows []LeagueRow, provider int64) []OwnRank {
	var out []OwnRank
	for _, k := range SortKeys {
		sorted := slices.Clone(rows)
		SortLeague(sorted, k.Key)
		r := OwnRank{Key: k.Key, Label: k.Label}
		for _, row := range sorted {
			if k.has(&row.Figures) {
				r.Of++
			}
			if row.ProviderID == provider {
				r.Rank = row.Rank
			}
		}
		out = append(out, r)
	}
	return out
}
