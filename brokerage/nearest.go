package brokerage

import (
	"cmp"
	"math"
	"strings"

	"github.com/caremarket/caremarket/market"
)

// This file holds the pieces of Run that a reader of the cascade's input
// needs before it calls Run: which stage a candidate falls in, whether it
// would be excluded, how far it is, and the off-contract order. Storage uses
// them to read only what the cascade ranks (stages 1 and 2 whole; stage 3
// as the nearest eligible, page by page) without deciding anything Run
// would decide differently.

// Centroid is a postcode district's centre (ONS Postcode Directory).
type Centroid struct {
	Lat float64 `json:"latitude"`
	Lon float64 `json:"longitude"`
}

// unknownCentroid puts a candidate without a centroid after every one with
// one, when the person's centroid is known.
const unknownCentroid = 1_000_000

// Distance is a candidate's distance from the person, by its outcode: with
// centroids for both, in tenths of a mile (and the miles); otherwise
// OutcodeDistance's district steps (past every located candidate when the
// person's centroid is known).
func (in *Input) Distance(outcode string) (int, *float64) {
	if in.Centroids != nil {
		from, ok := in.Centroids[strings.ToUpper(strings.TrimSpace(in.Outcode))]
		if ok {
			to, ok := in.Centroids[strings.ToUpper(strings.TrimSpace(outcode))]
			if !ok {
				return unknownCentroid + OutcodeDistance(in.Outcode, outcode), nil
			}
			m := Miles(from, to)
			return int(math.Round(m * 10)), &m
		}
	}
	return OutcodeDistance(in.Outcode, outcode), nil
}

// Miles is the great-circle distance between two points, in miles.
func Miles(a, b Centroid) float64 {
	const earthMiles = 3958.8
	rad := math.Pi / 180
	dLat, dLon := (b.Lat-a.Lat)*rad, (b.Lon-a.Lon)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthMiles * math.Asin(math.Min(1, math.Sqrt(h)))
}

// distances returns Distance by a candidate's postcode, worked out once
// for each of its postcode districts (many candidates share one).
func (in *Input) distances() func(postcode string) (int, *float64) {
	type d struct {
		steps int
		miles *float64
	}
	seen := map[string]d{}
	return func(postcode string) (int, *float64) {
		out := market.Outcode(postcode)
		if v, ok := seen[out]; ok {
			return v.steps, v.miles
		}
		steps, miles := in.Distance(out)
		seen[out] = d{steps, miles}
		return steps, miles
	}
}

func (in *Input) neighbourSet() map[int64]bool {
	neighbour := map[int64]bool{}
	for _, n := range in.Neighbours {
		if n != in.AreaID {
			neighbour[n] = true
		}
	}
	return neighbour
}

// place is the stage a candidate falls in (0: contracted, but for areas
// away from the person's, so not asked), the lot it is contracted under in
// its own area (the first of in.Lots covering the service type there that
// it is admitted on) and its quality score on that lot.
func (in *Input) place(c *Candidate, neighbour map[int64]bool) (Stage, *Lot, int) {
	var lot *Lot
	quality := 0
	for i := range in.Lots {
		l := &in.Lots[i]
		if !l.Covers(in.ServiceType, c.AreaID) {
			continue
		}
		for _, a := range c.Admissions {
			if a.LotID == l.ID {
				lot, quality = l, a.Quality
				break
			}
		}
		if lot != nil {
			break
		}
	}
	switch {
	case lot != nil && c.AreaID == in.AreaID:
		return StageLocal, lot, quality
	case lot != nil && neighbour[c.AreaID]:
		return StageNeighbours, lot, quality
	case lot != nil:
		return 0, lot, quality
	}
	return StageOffContract, nil, 0
}

// Placer tells, for one input, which stage each candidate falls in, as Run
// will: StageLocal, StageNeighbours, StageOffContract, or 0 for a
// contracted location away from the person's area (not asked).
type Placer struct {
	in        *Input
	neighbour map[int64]bool
}

// NewPlacer prepares in for Stage and Locality (in.Candidates is not read).
func NewPlacer(in *Input) *Placer { return &Placer{in: in, neighbour: in.neighbourSet()} }

// Stage is the stage c falls in.
func (p *Placer) Stage(c *Candidate) Stage {
	s, _, _ := p.in.place(c, p.neighbour)
	return s
}

// Locality is 0 in the person's area, 1 in a neighbouring one, 2 further.
func (p *Placer) Locality(area int64) int {
	switch {
	case area == p.in.AreaID:
		return 0
	case p.neighbour[area]:
		return 1
	}
	return 2
}

// Excluded is why Run would pass c over ("" when eligible).
func (in *Input) Excluded(c *Candidate) string { return exclusion(c, in) }

// CompareOffContract is the off-contract stage's order: the person's area,
// then neighbouring areas, then further; nearer first; better CQC rating;
// lower price; then location id. la and lb are the candidates' localities.
func CompareOffContract(la, lb int, a, b *Ranked) int {
	return compareOffContract(la, lb, a, b)
}

func compareOffContract(la, lb int, a, b *Ranked) int {
	return cmp.Or(cmp.Compare(la, lb), cmp.Compare(a.Distance, b.Distance),
		cmp.Compare(ratingOrder[a.Rating], ratingOrder[b.Rating]), comparePrice(a.Price, b.Price), cmp.Compare(a.LocationID, b.LocationID))
}
