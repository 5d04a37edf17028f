package brokerage

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
)

// Areas: 1 Thanet (the person's), 2 Canterbury and 3 Dover border it, 4
// Maidstone does not.
const thanet, canterbury, dover, maidstone = 1, 2, 3, 4

func vac(n int) *int { return &n }

// cand builds a nursing location in area with a vacancy, a price, admitted
// on lot 10 with quality q (admitted=false: off contract).
func cand(id int64, area int64, price money.Money, q int, admitted bool) Candidate {
	c := Candidate{LocationID: id, LocationName: "Home " + itoa(int(id)), ProviderID: 100 + id, ProviderName: "Provider " + itoa(int(id)),
		AreaID: area, Postcode: map[int64]string{thanet: "CT9 2AA", canterbury: "CT1 1AA", dover: "CT16 1AA", maidstone: "ME14 1AA"}[area],
		Rating: market.Good, Vacancies: vac(2), Price: price}
	if admitted {
		c.Admissions = []Admission{{LotID: 10, Quality: q}}
	}
	return c
}

func kentInput(cs ...Candidate) Input {
	return Input{ServiceType: market.Nursing, NeedBand: "standard", Outcode: "CT9", AreaID: thanet, Neighbours: []int64{canterbury, dover},
		Lots: []Lot{{ID: 10, AgreementID: 1, AgreementRef: "OPRN", Number: 1, Title: "Nursing", ServiceTypes: []market.ServiceType{market.Nursing},
			AreaIDs: []int64{thanet, canterbury, dover, maidstone}, CallOff: procurement.Either,
			Ranking: []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance}}},
		Candidates: cs}
}

func ids(rs []Ranked) []int64 {
	out := []int64{}
	for _, r := range rs {
		out = append(out, r.LocationID)
	}
	return out
}

func TestCascade(t *testing.T) {
	inadequate := cand(5, thanet, 900_00, 9000, true)
	inadequate.Rating = market.Inadequate
	full := cand(6, thanet, 800_00, 9000, true)
	full.Vacancies = vac(0)
	noFigure := cand(7, thanet, 800_00, 9000, true)
	noFigure.Vacancies = nil
	concern := cand(8, thanet, 800_00, 9000, true)
	concern.Concern = "safeguarding enquiry"
	dereg := cand(9, thanet, 800_00, 9000, true)
	dereg.Blocked = "It is no longer registered with CQC."

	tests := []struct {
		name        string
		in          Input
		current     Stage
		eligible    []int64 // of the current stage, in order
		excluded    map[int64]string
		offContract []int64
	}{
		{
			name: "price, then quality, then distance",
			in: kentInput(cand(1, thanet, 1000_00, 7000, true), cand(2, thanet, 900_00, 6000, true), cand(3, thanet, 900_00, 8000, true),
				cand(4, canterbury, 500_00, 9000, true)),
			current: StageLocal, eligible: []int64{3, 2, 1},
		},
		{
			name:    "no price ranks last",
			in:      kentInput(cand(1, thanet, 0, 9000, true), cand(2, thanet, 1200_00, 1000, true)),
			current: StageLocal, eligible: []int64{2, 1},
		},
		{
			name:    "exclusions: inadequate, no capacity, no vacancy figure for a bed, serious concerns, deregistered",
			in:      kentInput(cand(1, thanet, 1000_00, 7000, true), inadequate, full, noFigure, concern, dereg),
			current: StageLocal, eligible: []int64{1},
			excluded: map[int64]string{5: "Inadequate", 6: "No capacity", 7: "No capacity", 8: "serious concerns", 9: "no longer registered"},
		},
		{
			name:    "neighbour fallback when the area has nobody eligible",
			in:      kentInput(inadequate, full, cand(2, dover, 700_00, 5000, true), cand(3, canterbury, 700_00, 6000, true), cand(4, maidstone, 100_00, 9000, true)),
			current: StageNeighbours, eligible: []int64{3, 2},
		},
		{
			name:    "off contract only after both stages are exhausted",
			in:      kentInput(cand(1, thanet, 0, 0, false), cand(2, canterbury, 700_00, 5000, true)),
			current: StageNeighbours, eligible: []int64{2}, offContract: []int64{1},
		},
		{
			name:    "off contract when nobody contracted is eligible, nearest area first",
			in:      kentInput(full, cand(2, maidstone, 100_00, 0, false), cand(3, thanet, 900_00, 0, false), cand(4, dover, 500_00, 0, false)),
			current: StageOffContract, eligible: []int64{3, 4, 2},
		},
		{
			name: "tried locations are passed over",
			in: func() Input {
				in := kentInput(cand(1, thanet, 800_00, 7000, true), cand(2, thanet, 900_00, 7000, true))
				in.Tried = map[int64]string{1: "declined (no nurse cover)"}
				return in
			}(),
			current: StageLocal, eligible: []int64{2}, excluded: map[int64]string{1: "Already offered"},
		},
		{
			name: "moving to contract stops before stage 3",
			in: func() Input {
				in := kentInput(cand(1, thanet, 0, 0, false))
				in.MaxStage = StageNeighbours
				return in
			}(),
			current: 0,
		},
		{
			name: "quality-first lot (prisons)",
			in: func() Input {
				in := kentInput(cand(1, thanet, 800_00, 6000, true), cand(2, thanet, 900_00, 8000, true))
				in.Lots[0].Ranking = []procurement.RankBy{procurement.RankQuality, procurement.RankPrice}
				return in
			}(),
			current: StageLocal, eligible: []int64{2, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Run(tt.in)
			if res.Current != tt.current {
				t.Fatalf("current stage = %d, want %d; steps %q", res.Current, tt.current, res.Steps)
			}
			if tt.current != 0 {
				if got := ids(res.Stage(tt.current).Eligible); !slices.Equal(got, tt.eligible) {
					t.Errorf("eligible = %v, want %v", got, tt.eligible)
				}
				if top := res.Top(); top == nil || top.LocationID != tt.eligible[0] || top.Rank != 1 {
					t.Errorf("top = %+v", top)
				}
			}
			for id, want := range tt.excluded {
				found := false
				for _, st := range res.Stages {
					for _, e := range st.Excluded {
						if e.LocationID == id {
							found = true
							if !strings.Contains(e.Reason, want) {
								t.Errorf("location %d excluded for %q, want %q", id, e.Reason, want)
							}
						}
					}
				}
				if !found {
					t.Errorf("location %d not excluded", id)
				}
			}
			if tt.offContract != nil {
				if got := ids(res.Stage(StageOffContract).Eligible); !slices.Equal(got, tt.offContract) {
					t.Errorf("off contract = %v, want %v", got, tt.offContract)
				}
			}
			if len(res.Steps) == 0 {
				t.Error("no steps recorded")
			}
		})
	}
}

func TestCascadeHourlyCapacity(t *testing.T) {
	c := cand(1, thanet, 25_00, 7000, true)
	c.Vacancies = nil
	in := kentInput(c)
	in.ServiceType = market.Homecare
	in.Lots[0].ServiceTypes = []market.ServiceType{market.Homecare}
	if res := Run(in); res.Current != StageLocal {
		t.Fatalf("home care with no capacity figure should be offered, got stage %d", res.Current)
	}
	in.Candidates[0].Vacancies = vac(0)
	if res := Run(in); res.Current != StageOffContract && res.Current != 0 {
		t.Fatalf("home care with capacity 0 should not be offered, got stage %d", res.Current)
	}
}

func TestOutcodeDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"CT9", "CT9", 0}, {"CT9", "CT11", 3}, {"CT11", "CT9", 3}, {"CT1", "ME14", 50}, {"ct9", "CT9", 0}, {"", "CT9", 99}, {"9CT", "CT9", 99},
		{"E1W", "E1", 1},
	} {
		if got := OutcodeDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("OutcodeDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestOfferExpiry(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	o := &Offer{Status: OfferPending, OfferedAt: at, ExpiresAt: at.Add(DefaultOfferExpiry)}
	for _, tt := range []struct {
		name string
		now  time.Time
		o    Offer
		ok   bool
	}{
		{"before expiry", at.Add(23 * time.Hour), *o, true},
		{"at expiry", at.Add(24 * time.Hour), *o, false},
		{"after expiry", at.Add(25 * time.Hour), *o, false},
		{"declined", at.Add(time.Hour), Offer{Status: OfferDeclined, ExpiresAt: o.ExpiresAt}, false},
	} {
		err := tt.o.CheckRespond(tt.now)
		if (err == nil) != tt.ok {
			t.Errorf("%s: CheckRespond = %v", tt.name, err)
		}
		if err != nil && caremarket.ErrorCode(err) != caremarket.ECONFLICT {
			t.Errorf("%s: code %s", tt.name, caremarket.ErrorCode(err))
		}
	}
	if CheckDecline("  ") == nil {
		t.Error("a decline needs a reason")
	}
}

func TestOfferRequest(t *testing.T) {
	for _, tt := range []struct {
		name       string
		q          OfferRequest
		stage      Stage
		contracted money.Money
		field      string
	}{
		{"contracted price", OfferRequest{}, StageLocal, 900_00, ""},
		{"no contracted price needs a cost", OfferRequest{}, StageLocal, 0, "weekly_cost_pence"},
		{"off contract needs a reason", OfferRequest{WeeklyCost: 1200_00}, StageOffContract, 0, "off_contract_reason"},
		{"off contract needs a cost", OfferRequest{OffContractReason: "no contracted capacity"}, StageOffContract, 0, "weekly_cost_pence"},
		{"expiry too long", OfferRequest{ExpiresIn: 8 * 24 * time.Hour}, StageLocal, 900_00, "expires_in_hours"},
	} {
		err := tt.q.Validate(tt.stage, tt.contracted)
		if tt.field == "" && err != nil || tt.field != "" && caremarket.ErrorFields(err)[tt.field] == "" {
			t.Errorf("%s: %v (%v)", tt.name, err, caremarket.ErrorFields(err))
		}
	}
}

func TestCompetition(t *testing.T) {
	deadline := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	c := &Competition{Status: CompetitionOpen, Deadline: deadline, PriceWeight: 60,
		Invited: []Invite{{LocationID: 1}, {LocationID: 2}, {LocationID: 3}}}
	bid := func(loc int64, price money.Money) *Bid {
		return &Bid{LocationID: loc, Price: price, WeeklyCost: price, StartDate: deadline}
	}
	for _, tt := range []struct {
		name string
		b    *Bid
		now  time.Time
		code string
	}{
		{"in time", bid(1, 900_00), deadline.Add(-time.Second), ""},
		{"at the deadline", bid(1, 900_00), deadline, caremarket.ECONFLICT},
		{"after the deadline", bid(1, 900_00), deadline.Add(time.Hour), caremarket.ECONFLICT},
		{"not invited", bid(9, 900_00), deadline.Add(-time.Hour), caremarket.ENOTFOUND},
		{"no price", bid(1, 0), deadline.Add(-time.Hour), caremarket.EINVALID},
	} {
		if got := caremarket.ErrorCode(c.CheckBid(tt.b, tt.now)); got != tt.code {
			t.Errorf("%s: CheckBid code %q, want %q", tt.name, got, tt.code)
		}
	}
	bids := []Bid{{ID: 1, LocationID: 1, WeeklyCost: 1000_00}, {ID: 2, LocationID: 2, WeeklyCost: 800_00}, {ID: 3, LocationID: 3, WeeklyCost: 900_00}}
	scored := ScoreBids(bids, 60, map[int64]int{1: 10000, 2: 5000, 3: 9000})
	// 1: 0.8*60 + 100*0.4 = 48+40 = 88; 2: 60 + 20 = 80; 3: 53.33 + 36 = 89.33
	wantOrder := []int64{3, 1, 2}
	for i, b := range scored {
		if b.ID != wantOrder[i] || b.Rank != i+1 {
			t.Errorf("rank %d: bid %d (score %d), want bid %d", i+1, b.ID, b.Score, wantOrder[i])
		}
	}
	if scored[0].Score != 8933 || scored[1].Score != 8800 || scored[2].Score != 8000 {
		t.Errorf("scores = %d %d %d", scored[0].Score, scored[1].Score, scored[2].Score)
	}
	c.Bids = scored
	if caremarket.ErrorCode(c.CheckAward(3, deadline.Add(-time.Minute))) != caremarket.ECONFLICT {
		t.Error("award before the deadline should be refused")
	}
	if err := c.CheckAward(3, deadline); err != nil {
		t.Errorf("award after the deadline: %v", err)
	}
	if LotPriceWeight(&Lot{Ranking: []procurement.RankBy{procurement.RankQuality}}) != 40 {
		t.Error("quality-first lot should weight price at 40")
	}
}

func TestRequirementValidateAndAnonymise(t *testing.T) {
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	r := &Requirement{CaseReference: "MOS-123456", ServiceType: market.Homecare, MinutesPerWeek: 14 * 60, VisitPattern: "4 calls a day",
		StartDate: start, AreaID: 1}
	p := &Person{FullName: "Ada Lovelace", Address: "1 High Street, Margate", Postcode: "ct9 1aa"}
	if err := r.Validate(p); err != nil {
		t.Fatal(err, caremarket.ErrorFields(err))
	}
	if r.Outcode != "CT9" || r.NeedBand != "standard" || r.Method != ByDirectAward || p.Postcode != "CT9 1AA" {
		t.Errorf("normalised: %+v %+v", r, p)
	}
	a := r.Anonymise()
	if a.Outcode != "CT9" {
		t.Errorf("anonymised outcode %q", a.Outcode)
	}
	// Nothing of the person's reaches the anonymised view.
	s := strings.ToLower(strings.Join([]string{a.VisitPattern, a.SpecialistNeeds, a.Outcode, a.AreaName}, " "))
	for _, secret := range []string{"ada", "high street", "1aa", "mos-123456"} {
		if strings.Contains(s, secret) {
			t.Errorf("anonymised view holds %q", secret)
		}
	}
	bad := &Requirement{ServiceType: market.Homecare, StartDate: start, AreaID: 1}
	err := bad.Validate(&Person{Postcode: "nowhere"})
	for _, f := range []string{"case_reference", "hours_per_week", "visit_pattern", "full_name", "address", "postcode"} {
		if caremarket.ErrorFields(err)[f] == "" {
			t.Errorf("no message for %s: %v", f, caremarket.ErrorFields(err))
		}
	}
	if got := WeeklyCost(market.Homecare, 25_50, 14*60+30); got != 369_75 {
		t.Errorf("weekly cost of 14.5 hours at £25.50 = %d", got)
	}
	if got := WeeklyCost(market.Nursing, 1100_00, 0); got != 1100_00 {
		t.Errorf("weekly cost of a bed = %d", got)
	}
}

func TestPlacementRulesAndReport(t *testing.T) {
	start := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	p := &Placement{Status: PlacementActive, StartDate: start, OffContract: true}
	if p.CheckEnd(start.AddDate(0, 0, -1), "died") == nil || p.CheckEnd(start, "") == nil || p.CheckEnd(start.AddDate(0, 1, 0), "returned home") != nil {
		t.Error("CheckEnd")
	}
	if (&PriceChange{WeeklyCost: 1000_00, EffectiveFrom: start, Reason: "NLW uplift April 2026"}).Validate(p) != nil {
		t.Error("price change should be valid")
	}
	if TopUpCheck(50_00, "") == nil || TopUpCheck(50_00, "Daughter") != nil || TopUpCheck(0, "") != nil {
		t.Error("TopUpCheck")
	}
	review := start.AddDate(0, 0, 28)
	p.ReviewDate = &review
	if !p.ReviewOverdue(review.AddDate(0, 0, 1)) || p.AgeDays(start.AddDate(0, 0, 40)) != 40 {
		t.Error("review and age")
	}
	ps := []Placement{
		{OffContract: true, Status: PlacementActive, StartDate: start, AreaName: "Thanet", ServiceType: market.Homecare, ProviderName: "Agency A", WeeklyCost: 400_00},
		{OffContract: true, Status: PlacementActive, StartDate: start.AddDate(0, 0, 3), AreaName: "Thanet", ServiceType: market.Homecare, ProviderName: "Agency A", WeeklyCost: 300_00},
		{OffContract: true, Status: PlacementMoved, StartDate: start.AddDate(0, 1, 0), AreaName: "Dover", ServiceType: market.Nursing, ProviderName: "Home B", WeeklyCost: 1500_00},
		{OffContract: false, Status: PlacementActive, StartDate: start, AreaName: "Dover", ServiceType: market.Nursing, ProviderName: "Home C", WeeklyCost: 900_00},
	}
	rep := BuildReport(ps)
	if len(rep.Rows) != 2 || rep.Providers != 2 {
		t.Fatalf("report rows %+v", rep.Rows)
	}
	if r := rep.Rows[1]; r.Month != "2026-01" || r.Placements != 2 || r.Active != 2 || r.WeeklyCost != 700_00 {
		t.Errorf("January Thanet row %+v", r)
	}
	if rep.ByArea[0].Key != "Thanet" || rep.ByArea[0].Placements != 2 || rep.ByMonth[0].Key != "2026-02" {
		t.Errorf("totals %+v %+v", rep.ByArea, rep.ByMonth)
	}
}
