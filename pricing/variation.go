package pricing

import (
	"cmp"
	"math/big"
	"slices"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Price variation (under the DPS "it has led to growing price
// variation"): for each service type and area, how spread the contracted or
// submitted prices are, how far they sit from the guide price, and which are
// outliers.
//
// All statistics are worked in integer pence. Where a statistic falls
// between pennies (an interpolated quartile, a mean, a standard deviation) it
// is rounded half-up to the penny once, from its exact value.

// Stats describes a set of prices.
type Stats struct {
	Count  int         `json:"count"`
	Min    money.Money `json:"min_pence"`
	Q1     money.Money `json:"q1_pence"`
	Median money.Money `json:"median_pence"`
	Q3     money.Money `json:"q3_pence"`
	Max    money.Money `json:"max_pence"`
	Mean   money.Money `json:"mean_pence"`
	// StdDev is the population standard deviation: these are all the
	// prices, not a sample of them.
	StdDev money.Money `json:"std_dev_pence"`
	// CV is the coefficient of variation, StdDev / Mean, in basis points.
	CV BP `json:"cv_bp"`
	// Outliers lie more than 1.5 x IQR below Q1 or above Q3 (Tukey's fences).
	LowFence  money.Money   `json:"low_fence_pence"`
	HighFence money.Money   `json:"high_fence_pence"`
	Outliers  []money.Money `json:"outliers_pence"`
	// Guide is the guide price compared with (0: none); the distances are
	// median - guide, and that as a share of the guide.
	Guide          money.Money `json:"guide_pence,omitempty"`
	MedianVsGuide  money.Money `json:"median_vs_guide_pence,omitempty"`
	MedianVsGuideP BP          `json:"median_vs_guide_bp,omitempty"`
	AboveBand      int         `json:"above_band"`
	BelowBand      int         `json:"below_band"`
}

// Describe works out the statistics of prices (which it does not change)
// against guide, counting prices outside guide ± tolerance.
func Describe(prices []money.Money, guide money.Money, tolerance BP) Stats {
	xs := slices.Clone(prices)
	slices.Sort(xs)
	return describeSorted(xs, guide, tolerance)
}

// quantile is the linear interpolation between closest ranks (Excel's
// QUARTILE.INC, R's type 7): at position h = (n-1)k/4 the value is
// x[floor h] + frac(h) x (x[floor h + 1] - x[floor h]); frac(h) is a
// multiple of 1/4, so the value is exact in quarter-pence before rounding.
func quantile(xs []money.Money, k int64) money.Money {
	n := int64(len(xs))
	pos := (n - 1) * k
	i, r := pos/4, pos%4
	if r == 0 {
		return xs[i]
	}
	return money.Money(roundDiv(4*int64(xs[i])+r*int64(xs[i+1]-xs[i]), 4))
}

func describeSorted(xs []money.Money, guide money.Money, tolerance BP) Stats {
	s := Stats{Count: len(xs), Guide: guide, Outliers: []money.Money{}}
	if len(xs) == 0 {
		return s
	}
	n := int64(len(xs))
	s.Min, s.Max = xs[0], xs[n-1]
	s.Q1, s.Median, s.Q3 = quantile(xs, 1), quantile(xs, 2), quantile(xs, 3)
	// Fences from the rounded quartiles: IQR x 1.5 = IQR x 3 / 2, rounded once.
	iqr := int64(s.Q3 - s.Q1)
	spread := roundDiv(3*iqr, 2)
	s.LowFence, s.HighFence = s.Q1-money.Money(spread), s.Q3+money.Money(spread)
	var total int64
	sq := new(big.Int)
	var low, high money.Money
	if guide > 0 {
		c := CheckBand(guide, guide, tolerance)
		low, high = c.Low, c.High
	}
	x2 := new(big.Int)
	for _, x := range xs {
		total += int64(x)
		x2.SetInt64(int64(x))
		sq.Add(sq, x2.Mul(x2, x2))
		if x < s.LowFence || x > s.HighFence {
			s.Outliers = append(s.Outliers, x)
		}
		if guide > 0 {
			if x < low {
				s.BelowBand++
			} else if x > high {
				s.AboveBand++
			}
		}
	}
	s.Mean = money.Money(roundDiv(total, n))
	// Population variance x n^2 = n Σx² - (Σx)², exact in big integers (300,000
	// prices of £10,000 overflow int64 here). StdDev = sqrt(that) / n and
	// CV = sqrt(that) / Σx; each is rounded half-up via an integer square
	// root of 4x the value: floor((floor(2√D) + n) / 2n) = round(√D / n).
	d := new(big.Int).Mul(big.NewInt(n), sq)
	t := big.NewInt(total)
	d.Sub(d, t.Mul(t, t))
	s.StdDev = money.Money(roundedSqrtDiv(d, big.NewInt(1), n))
	if total > 0 {
		s.CV = BP(roundedSqrtDiv(d, big.NewInt(10000), total))
	}
	if guide > 0 {
		s.MedianVsGuide = s.Median - guide
		s.MedianVsGuideP = BP(roundDiv(int64(s.MedianVsGuide)*10000, int64(guide)))
	}
	return s
}

// roundedSqrtDiv returns round(scale x √d / den) for d >= 0, den > 0.
func roundedSqrtDiv(d, scale *big.Int, den int64) int64 {
	v := new(big.Int).Mul(d, scale)
	v.Mul(v, scale)
	v.Mul(v, big.NewInt(4))
	v.Sqrt(v) // floor(2 x scale x √d)
	v.Add(v, big.NewInt(den))
	v.Quo(v, big.NewInt(2*den))
	return v.Int64()
}

// Observation is one price in the market: a location's price for a service
// type (and band) in an area, from a round.
type Observation struct {
	ServiceType market.ServiceType `json:"service_type"`
	Band        string             `json:"band"`
	AreaID      int64              `json:"area_id"`
	AreaName    string             `json:"area_name"`
	Setting     market.Setting     `json:"setting"`
	LocationID  int64              `json:"location_id"`
	RoundID     int64              `json:"round_id"`
	RoundName   string             `json:"round_name"`
	Price       money.Money        `json:"price_pence"`
}

// GroupStats are the statistics of one service type in one area.
type GroupStats struct {
	ServiceType market.ServiceType `json:"service_type"`
	AreaID      int64              `json:"area_id"`
	AreaName    string             `json:"area_name"`
	Setting     market.Setting     `json:"setting"`
	Stats
}

// GuideFunc looks up the guide price an observation is compared with (0: none).
type GuideFunc func(st market.ServiceType, band string, setting market.Setting) money.Money

// Variation groups observations by service type and area and describes each
// group, in service type then area name order. The guide of a group is the
// guide of its first observation's band (groups mix bands only when a
// service has several; the median is then compared with the first band's).
func Variation(obs []Observation, guide GuideFunc, tolerance BP) []GroupStats {
	type key struct {
		st   market.ServiceType
		area int64
	}
	idx := map[key]int{}
	var groups []GroupStats
	var prices [][]money.Money
	for _, o := range obs {
		k := key{o.ServiceType, o.AreaID}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			g := GroupStats{ServiceType: o.ServiceType, AreaID: o.AreaID, AreaName: o.AreaName, Setting: o.Setting}
			if guide != nil {
				g.Guide = guide(o.ServiceType, o.Band, o.Setting)
			}
			groups = append(groups, g)
			prices = append(prices, nil)
		}
		prices[i] = append(prices[i], o.Price)
	}
	for i := range groups {
		slices.Sort(prices[i])
		groups[i].Stats = describeSorted(prices[i], groups[i].Guide, tolerance)
	}
	order := map[market.ServiceType]int{}
	for i, st := range market.ServiceTypes {
		order[st] = i
	}
	slices.SortFunc(groups, func(a, b GroupStats) int {
		return cmp.Or(cmp.Compare(order[a.ServiceType], order[b.ServiceType]), cmp.Compare(a.AreaName, b.AreaName), cmp.Compare(a.AreaID, b.AreaID))
	})
	return groups
}

// TrendPoint is the statistics of one round.
type TrendPoint struct {
	RoundID   int64  `json:"round_id"`
	RoundName string `json:"round_name"`
	Stats
}

// Trend describes each round's prices, in the order rounds first appear in
// obs (the caller lists them oldest first).
func Trend(obs []Observation, guide money.Money, tolerance BP) []TrendPoint {
	idx := map[int64]int{}
	var pts []TrendPoint
	var prices [][]money.Money
	for _, o := range obs {
		i, ok := idx[o.RoundID]
		if !ok {
			i = len(pts)
			idx[o.RoundID] = i
			pts = append(pts, TrendPoint{RoundID: o.RoundID, RoundName: o.RoundName})
			prices = append(prices, nil)
		}
		prices[i] = append(prices[i], o.Price)
	}
	for i := range pts {
		pts[i].Stats = Describe(prices[i], guide, tolerance)
	}
	return pts
}
