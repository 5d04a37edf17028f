package finance

import (
	"sort"
	"time"

	"github.com/caremarket/caremarket/market"
)

// Dimension is what commitments roll up by.
type Dimension string

const (
	ByBudgetLine  Dimension = "budget_line"
	ByServiceType Dimension = "service_type"
	ByProvider    Dimension = "provider"
	ByAgreement   Dimension = "agreement"
	ByLot         Dimension = "lot"
	ByArea        Dimension = "area"
)

// Dimensions lists them in the order the pages offer them.
var Dimensions = []Dimension{ByBudgetLine, ByServiceType, ByProvider, ByAgreement, ByLot, ByArea}

// Label names a dimension for people.
func (d Dimension) Label() string {
	return map[Dimension]string{ByBudgetLine: "Budget line", ByServiceType: "Service type", ByProvider: "Provider",
		ByAgreement: "Agreement", ByLot: "Lot", ByArea: "Area"}[d]
}

// Valid reports whether d is a known dimension.
func (d Dimension) Valid() bool { return d.Label() != "" }

// Group is the commitment of the placements that share a key in one
// financial year: per month (April first), the year's total, the
// third-party top-ups kept apart, and how many placements.
type Group struct {
	Key        int64     `json:"key"`
	Months     [12]Money `json:"months_pence"`
	Total      Money     `json:"committed_pence"`
	TopUp      Money     `json:"top_up_pence"`
	Placements int       `json:"placements"`
}

// Rollup adds up each placement's year by key (a budget line, a provider,
// an agreement ...): key returns the group's id, and 0 for "none" (an
// off-contract placement has no agreement). Only placements with a day in
// the year count. Groups come back by key.
func Rollup(ps []Placement, y Year, key func(*Placement) int64) []Group {
	byKey := map[int64]*Group{}
	for i := range ps {
		p := &ps[i]
		if p.Start.After(y.End()) || (p.End != nil && p.End.Before(y.Start())) {
			continue
		}
		k := key(p)
		g := byKey[k]
		if g == nil {
			g = &Group{Key: k}
			byKey[k] = g
		}
		m, top := p.MonthsAndTopUp(y)
		for j, v := range m {
			g.Months[j] += v
			g.Total += v
		}
		g.TopUp += top
		g.Placements++
	}
	out := make([]Group, 0, len(byKey))
	for _, g := range byKey {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// KeyFunc returns the key of a dimension; lineOf maps a service type to
// its budget line.
func KeyFunc(d Dimension, lineOf map[string]int64) func(*Placement) int64 {
	switch d {
	case ByProvider:
		return func(p *Placement) int64 { return p.ProviderID }
	case ByAgreement:
		return func(p *Placement) int64 { return p.AgreementID }
	case ByLot:
		return func(p *Placement) int64 { return p.LotID }
	case ByArea:
		return func(p *Placement) int64 { return p.AreaID }
	case ByServiceType:
		return func(p *Placement) int64 { return int64(serviceIndex(string(p.ServiceType))) }
	}
	return func(p *Placement) int64 { return lineOf[string(p.ServiceType)] }
}

// CommittedToDate is the council's cost from the year's start to day
// (the part of the year's commitment already delivered).
func CommittedToDate(ps []Placement, y Year, day time.Time) Money {
	var t Money
	for i := range ps {
		t += ps[i].Cost(y.Start(), day)
	}
	return t
}

// serviceIndex numbers a service type from 1 in market.ServiceTypes' order
// (0 when unknown), so service types roll up like the other dimensions.
func serviceIndex(st string) int {
	for i, s := range market.ServiceTypes {
		if string(s) == st {
			return i + 1
		}
	}
	return 0
}

// ServiceAt is the service type a ByServiceType key stands for.
func ServiceAt(k int64) market.ServiceType {
	if k < 1 || int(k) > len(market.ServiceTypes) {
		return ""
	}
	return market.ServiceTypes[k-1]
}
