package brokerage

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
)

// Stage is a step of the sourcing cascade (area, neighbours, then off-contract).
type Stage int

const (
	// StageLocal: "Provision is initially sought through contracted
	// providers within the geographical location" (5.4, 1).
	StageLocal Stage = 1
	// StageNeighbours: "offer to contracted providers in neighbouring
	// locations within Kent" (5.4, 2).
	StageNeighbours Stage = 2
	// StageOffContract: "Should no contracted provider be able to accept the
	// package of care then a temporary placement may be made with a non
	// contracted provider" (5.4, 3; 5.2: only after this procedure).
	StageOffContract Stage = 3
)

// Label names the stage in the UI.
func (s Stage) Label() string {
	switch s {
	case StageLocal:
		return "1. Contracted providers in the person's area"
	case StageNeighbours:
		return "2. Contracted providers in neighbouring areas"
	case StageOffContract:
		return "3. Off-contract providers (temporary)"
	}
	return "Not started"
}

// Lot is a lot of an agreement in force on the requirement's start date, as
// the cascade needs it.
type Lot struct {
	ID           int64                `json:"id"`
	AgreementID  int64                `json:"agreement_id"`
	AgreementRef string               `json:"agreement_reference"`
	Number       int                  `json:"number"`
	Title        string               `json:"title"`
	ServiceTypes []market.ServiceType `json:"service_types"`
	AreaIDs      []int64              `json:"area_ids"`
	CallOff      procurement.CallOff  `json:"call_off"`
	Ranking      []procurement.RankBy `json:"ranking"`
}

// Covers reports whether the lot buys st in area.
func (l *Lot) Covers(st market.ServiceType, area int64) bool {
	return slices.Contains(l.ServiceTypes, st) && slices.Contains(l.AreaIDs, area)
}

// Admission is a provider's place on a lot (a procurement award) and the
// quality score it was admitted with, in hundredths of a per cent.
type Admission struct {
	LotID   int64 `json:"lot_id"`
	Quality int   `json:"quality"`
}

// Candidate is a location that offers the service type, with what the
// cascade needs to know of it.
type Candidate struct {
	LocationID   int64         `json:"location_id"`
	LocationName string        `json:"location_name"`
	ProviderID   int64         `json:"provider_id"`
	ProviderName string        `json:"provider_name"`
	AreaID       int64         `json:"area_id"`
	AreaName     string        `json:"area_name"`
	Postcode     string        `json:"postcode"`
	Rating       market.Rating `json:"rating"`
	// Blocked is why CQC's register says it may take no new placements
	// (deregistered, dormant); Inadequate is checked from Rating.
	Blocked string `json:"blocked,omitempty"`
	// Concern is the council's serious-concerns or suspension reason, if any.
	Concern string `json:"concern,omitempty"`
	// Vacancies is the provider's last figure for the service type; nil when
	// it never gave one.
	Vacancies *int `json:"vacancies,omitempty"`
	// SpareMinutes is, for hourly care (home care), the hours a week of new
	// care the location says it can take on, in minutes; nil when it gave
	// none. When set it is the location's capacity for the service type: a
	// package takes its hours a week from it, and Vacancies is not used.
	SpareMinutes *int `json:"spare_minutes_per_week,omitempty"`
	// Price is the contracted price in force on the start date for the
	// service type and need band (0: none agreed).
	Price      money.Money `json:"price_pence"`
	Admissions []Admission `json:"admissions,omitempty"`
}

// Input is everything the cascade looks at.
type Input struct {
	ServiceType market.ServiceType
	NeedBand    string
	Outcode     string
	AreaID      int64
	Neighbours  []int64
	// Lots are the lots of agreements in force on the start date, most
	// recent agreement first: the first lot covering a stage rules its order.
	Lots       []Lot
	Candidates []Candidate
	// Tried are locations already offered the requirement that declined or
	// let the offer expire, with why: the cascade moves past them.
	Tried map[int64]string
	// MaxStage stops the cascade early: 2 while an off-contract placement is
	// being moved to contract. 0 means 3.
	MaxStage Stage
	// Held are places, by location, promised to other people of the same
	// batch allocation: the cascade counts them as taken.
	Held map[int64]int
	// MinutesPerWeek is the hours a week of hourly care the person needs,
	// in minutes: a location that keeps its capacity in hours must have
	// that many spare. HeldMinutes are, by location, the hours promised to
	// other people of the same batch allocation.
	MinutesPerWeek int
	HeldMinutes    map[int64]int
	// Centroids are postcode district centroids (ONS Postcode Directory),
	// by upper-case outcode: with the person's and a candidate's both
	// known, distance is in miles. Without them (nil), district steps.
	Centroids map[string]Centroid
}

// Ranked is an eligible candidate in its place.
type Ranked struct {
	Candidate
	Stage   Stage `json:"stage"`
	Rank    int   `json:"rank"`
	LotID   int64 `json:"lot_id,omitempty"`
	Quality int   `json:"quality"`
	// Distance orders candidates by nearness: district steps (see
	// OutcodeDistance), or, with centroids for both outcodes, tenths of a
	// mile (Miles is then set).
	Distance int      `json:"distance"`
	Miles    *float64 `json:"distance_miles,omitempty"`
}

// Exclusion is a candidate the cascade passed over, and why.
type Exclusion struct {
	Candidate
	Stage  Stage  `json:"stage"`
	Reason string `json:"reason"`
}

// StageResult is one stage of the cascade.
type StageResult struct {
	Stage Stage `json:"stage"`
	// Lot rules the order of the stage (nil for off-contract).
	Lot      *Lot        `json:"lot,omitempty"`
	Ranking  []string    `json:"ranking"`
	Eligible []Ranked    `json:"eligible"`
	Excluded []Exclusion `json:"excluded"`
	// Set by a reader that pages the lists (Run leaves them zero): the
	// lists start at Offset of EligibleTotal and ExcludedTotal; More says
	// more are eligible further on (stage 3 is read nearest first, so its
	// totals count only what was read).
	Offset        int  `json:"offset,omitempty"`
	EligibleTotal int  `json:"eligible_total,omitempty"`
	ExcludedTotal int  `json:"excluded_total,omitempty"`
	More          bool `json:"more,omitempty"`
}

// Result is the cascade for a requirement: its stages in order, the stage
// now reached (the first with anyone eligible; 0 when nobody is), and the
// steps it took, in words, for the record.
type Result struct {
	Stages  []StageResult `json:"stages"`
	Current Stage         `json:"current"`
	Steps   []string      `json:"steps"`
	// DistanceBasis says how distance was measured, for the page: "miles"
	// (postcode district centroids) or "district steps" (set by storage).
	DistanceBasis string `json:"distance_basis,omitempty"`
}

// Stage returns stage s of the result.
func (r *Result) Stage(s Stage) *StageResult {
	for i := range r.Stages {
		if r.Stages[i].Stage == s {
			return &r.Stages[i]
		}
	}
	return nil
}

// Top returns the first eligible candidate of the current stage, or nil.
func (r *Result) Top() *Ranked {
	if st := r.Stage(r.Current); st != nil && len(st.Eligible) > 0 {
		return &st.Eligible[0]
	}
	return nil
}

// Find returns the eligible candidate at location id in the current stage.
func (r *Result) Find(locationID int64) *Ranked {
	if st := r.Stage(r.Current); st != nil {
		for i := range st.Eligible {
			if st.Eligible[i].LocationID == locationID {
				return &st.Eligible[i]
			}
		}
	}
	return nil
}

// Exclusion reasons, checked in this order.
func exclusion(c *Candidate, in *Input) string {
	switch {
	case c.Blocked != "":
		return c.Blocked
	case !c.Rating.TakesNewPlacements():
		return "Rated Inadequate by CQC: takes no new placements while that rating holds"
	case c.Concern != "":
		return "Under the council's serious concerns process: " + c.Concern
	}
	if why := capacityReason(c, in); why != "" {
		return why
	}
	if why, ok := in.Tried[c.LocationID]; ok {
		return "Already offered: " + why
	}
	return ""
}

// capacityReason is why c cannot take the person for want of capacity
// ("" when it can). A location that keeps its home care capacity in hours
// must have the person's hours a week spare (acceptance takes them, never
// below zero), so offering a package it cannot take would only fail at
// acceptance; other figures count places.
func capacityReason(c *Candidate, in *Input) string {
	if ByHours(c, in.ServiceType) {
		held := in.HeldMinutes[c.LocationID]
		left := *c.SpareMinutes - held
		if left > 0 && left >= in.MinutesPerWeek {
			return ""
		}
		if held > 0 {
			return fmt.Sprintf("Not enough spare hours left: %s of its %s spare hours a week are being offered to other people planned in the same batch; %s left, needs %s",
				HoursFigure(held), HoursFigure(*c.SpareMinutes), HoursFigure(max(left, 0)), HoursFigure(in.MinutesPerWeek))
		}
		return fmt.Sprintf("Not enough spare hours: %s left, needs %s", HoursFigure(max(left, 0)), HoursFigure(in.MinutesPerWeek))
	}
	switch {
	case !hasCapacity(c, in.ServiceType):
		return "No capacity: the provider's vacancy figure is 0"
	case c.Vacancies != nil && in.Held[c.LocationID] >= *c.Vacancies:
		return "No capacity left: its places are being offered to other people planned in the same batch"
	}
	return ""
}

// ByHours reports whether c keeps its capacity for st in hours: hourly
// care (not a care home bed) with a spare hours figure.
func ByHours(c *Candidate, st market.ServiceType) bool {
	return c.SpareMinutes != nil && !st.IsBedBased()
}

// HoursFigure writes minutes as a number of hours (market.HoursFigure).
func HoursFigure(minutes int) string { return market.HoursFigure(minutes) }

// hasCapacity: a care home bed needs a vacancy figure above 0 (acceptance
// reserves one); hourly care is taken unless the provider said it has no
// capacity (it confirms by accepting).
func hasCapacity(c *Candidate, st market.ServiceType) bool {
	if c.Vacancies == nil {
		return !st.IsBedBased()
	}
	return *c.Vacancies > 0
}

// Run works out the cascade. It is a pure function of its input: the same
// candidates give the same order (ties fall to the location id).
func Run(in Input) Result {
	maxStage := in.MaxStage
	if maxStage == 0 {
		maxStage = StageOffContract
	}
	neighbour := in.neighbourSet()
	firstLot := func(area func(int64) bool) *Lot {
		for i := range in.Lots {
			for _, a := range in.Lots[i].AreaIDs {
				if area(a) && slices.Contains(in.Lots[i].ServiceTypes, in.ServiceType) {
					return &in.Lots[i]
				}
			}
		}
		return nil
	}
	res := Result{Stages: []StageResult{
		{Stage: StageLocal, Lot: firstLot(func(a int64) bool { return a == in.AreaID })},
		{Stage: StageNeighbours, Lot: firstLot(func(a int64) bool { return neighbour[a] })},
		{Stage: StageOffContract},
	}}
	// Place every candidate first, then fill each stage's lists at their
	// final size: growing them by appending copied each (large) candidate
	// several times over, and that garbage was most of a ranking's.
	type placing struct {
		stage   Stage
		lot     *Lot
		quality int
		why     string
	}
	placed := make([]placing, len(in.Candidates))
	var eligible, excluded [3]int
	for i := range in.Candidates {
		c := &in.Candidates[i]
		p := &placed[i]
		if p.stage, p.lot, p.quality = in.place(c, neighbour); p.stage == 0 {
			continue // contracted, but for areas away from the person's
		}
		if p.why = exclusion(c, &in); p.why != "" {
			excluded[p.stage-1]++
		} else {
			eligible[p.stage-1]++
		}
	}
	for i := range res.Stages {
		res.Stages[i].Ranking = rankingKeys(res.Stages[i].Lot)
		res.Stages[i].Eligible, res.Stages[i].Excluded = make([]Ranked, 0, eligible[i]), make([]Exclusion, 0, excluded[i])
	}
	distance := in.distances()
	for i := range in.Candidates {
		c, p := &in.Candidates[i], &placed[i]
		if p.stage == 0 {
			continue
		}
		sr := &res.Stages[p.stage-1]
		if p.why != "" {
			sr.Excluded = append(sr.Excluded, Exclusion{Candidate: *c, Stage: p.stage, Reason: p.why})
			continue
		}
		r := Ranked{Candidate: *c, Stage: p.stage, Quality: p.quality}
		r.Distance, r.Miles = distance(c.Postcode)
		if p.lot != nil {
			r.LotID = p.lot.ID
		}
		sr.Eligible = append(sr.Eligible, r)
	}
	for i := range res.Stages {
		sr := &res.Stages[i]
		sortStage(sr, in.AreaID, neighbour)
		for j := range sr.Eligible {
			sr.Eligible[j].Rank = j + 1
		}
		slices.SortStableFunc(sr.Excluded, func(a, b Exclusion) int { return cmp.Compare(a.LocationID, b.LocationID) })
	}
	// Stage by stage: a later stage is reached only when every earlier one
	// has nobody eligible (5.4: off-contract only after both).
	for i := range res.Stages {
		sr := &res.Stages[i]
		if sr.Stage > maxStage {
			res.Steps = append(res.Steps, fmt.Sprintf("Stage %d not used: the placement is being moved to contract, so only contracted providers are asked", sr.Stage))
			break
		}
		res.Steps = append(res.Steps, describe(sr))
		if len(sr.Eligible) > 0 {
			res.Current = sr.Stage
			break
		}
	}
	return res
}

func describe(sr *StageResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Stage %d: %d eligible, %d excluded", sr.Stage, len(sr.Eligible), len(sr.Excluded))
	if sr.Lot != nil {
		fmt.Fprintf(&b, "; ranked by lot %d of %s (%s)", sr.Lot.Number, sr.Lot.AgreementRef, strings.Join(sr.Ranking, ", "))
	} else if sr.Stage == StageOffContract {
		b.WriteString("; ranked by area, distance, CQC rating, price")
	}
	if len(sr.Excluded) > 0 {
		reasons := map[string]int{}
		var keys []string
		for _, e := range sr.Excluded {
			k := e.Reason
			if i := strings.Index(k, ":"); i > 0 {
				k = k[:i]
			}
			if reasons[k] == 0 {
				keys = append(keys, k)
			}
			reasons[k]++
		}
		b.WriteString(" (")
		for i, k := range keys {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(strconv.Itoa(reasons[k]) + " " + k)
		}
		b.WriteString(")")
	}
	return b.String()
}

// rankingKeys is the stage's order in words. A lot with no ranking set
// falls back to price, quality, distance (the Kent DPS rule).
func rankingKeys(l *Lot) []string {
	if l == nil {
		return []string{"area", "distance", "rating", "price"}
	}
	keys := l.Ranking
	if len(keys) == 0 {
		keys = defaultRanking
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = string(k)
	}
	return out
}

var defaultRanking = []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance}

var ratingOrder = map[market.Rating]int{market.Outstanding: 0, market.Good: 1, market.RequiresImprovement: 2, market.NotRated: 3, market.Inadequate: 4}

// comparePrice puts the lowest price first and "no price" last.
func comparePrice(a, b money.Money) int {
	switch {
	case a == b:
		return 0
	case a == 0:
		return 1
	case b == 0:
		return -1
	}
	return cmp.Compare(a, b)
}

func sortStage(sr *StageResult, area int64, neighbour map[int64]bool) {
	var keys []string
	if sr.Lot != nil || sr.Stage != StageOffContract {
		keys = sr.Ranking
	}
	locality := func(r *Ranked) int {
		switch {
		case r.AreaID == area:
			return 0
		case neighbour[r.AreaID]:
			return 1
		}
		return 2
	}
	compareRanked := rankedComparer(sr, keys, locality)
	// A stable sort of indices, then one permutation: the same order as
	// sorting the (large) structs themselves, without moving them about.
	order := make([]int, len(sr.Eligible))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return compareRanked(&sr.Eligible[i], &sr.Eligible[j]) })
	permute(sr.Eligible, order)
}

// permute moves s[order[i]] to s[i] for every i, in place, following each
// cycle of the permutation with one spare element (order is used up).
func permute(s []Ranked, order []int) {
	for i := range order {
		if order[i] < 0 {
			continue
		}
		spare := s[i]
		j := i
		for {
			k := order[j]
			order[j] = -1
			if k == i {
				s[j] = spare
				break
			}
			s[j] = s[k]
			j = k
		}
	}
}

func rankedComparer(sr *StageResult, keys []string, locality func(r *Ranked) int) func(a, b *Ranked) int {
	return func(a, b *Ranked) int {
		if sr.Stage == StageOffContract {
			return compareOffContract(locality(a), locality(b), a, b)
		}
		for _, k := range keys {
			var c int
			switch procurement.RankBy(k) {
			case procurement.RankPrice:
				c = comparePrice(a.Price, b.Price)
			case procurement.RankQuality:
				c = cmp.Compare(b.Quality, a.Quality)
			case procurement.RankDistance:
				c = cmp.Compare(a.Distance, b.Distance)
			case procurement.RankRating:
				c = cmp.Compare(ratingOrder[a.Rating], ratingOrder[b.Rating])
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(a.LocationID, b.LocationID)
	}
}

// OutcodeDistance approximates how far apart two postcode districts are, in
// "district steps", without a gazetteer:
//   - the same district (CT9 and CT9) is 0;
//   - districts of the same postcode area (CT9 and CT11) are 1 plus the
//     difference of their numbers, capped at 49: Royal Mail numbered most
//     districts outward from the post town, so nearby numbers are mostly
//     nearby places (CT9 Margate, CT10 Broadstairs, CT11 Ramsgate);
//   - districts of different postcode areas (CT and ME) are 50;
//   - an unreadable district is 99.
//
// It is only the last key of the Kent ranking (price, then quality, then
// distance), so it decides between otherwise equal providers. A council that
// loads postcode centroids (ONS Postcode Directory) can replace it with
// great-circle distance without changing the cascade.
func OutcodeDistance(a, b string) int {
	al, an, aok := splitOutcode(a)
	bl, bn, bok := splitOutcode(b)
	switch {
	case !aok || !bok:
		return 99
	case strings.EqualFold(a, b):
		return 0
	case al != bl:
		return 50
	}
	d := an - bn
	if d < 0 {
		d = -d
	}
	return min(1+d, 49)
}

func splitOutcode(s string) (letters string, number int, ok bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if i == 0 || i > 2 || j == i {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[i:j])
	return s[:i], n, err == nil
}
