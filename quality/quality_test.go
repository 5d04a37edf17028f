package quality

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

func framework(t *testing.T) *Framework {
	f := &Framework{Name: "Kent PAMMS-style", Domains: []Domain{
		{Name: "Safeguarding", Questions: []Question{{Text: "a"}, {Text: "b"}, {Text: "c"}}},
		{Name: "Medication", Questions: []Question{{Text: "d"}, {Text: "e"}}},
	}}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCombine(t *testing.T) {
	f := framework(t)
	ans := func(r ...Rating) []Answer {
		keys := []string{"D1Q1", "D1Q2", "D1Q3", "D2Q1", "D2Q2"}
		var out []Answer
		for i, x := range r {
			out = append(out, Answer{QuestionKey: keys[i], Rating: x})
		}
		return out
	}
	E, G, R, P, N := Excellent, Good, RequiresImprovement, Poor, NotApplicable
	for _, c := range []struct {
		name      string
		answers   []Answer
		d1, d2, o Rating
	}{
		// D1 (4+4+3)/3 = 3.67 Excellent; D2 (4+4)/2 = 4.00 Excellent; overall (4+4)/2 = 4.00 Excellent.
		{"all high", ans(E, E, G, E, E), E, E, E},
		// D1 (3+3+2)/3 = 2.67 Good; D2 (3+2)/2 = 2.50 Good (2.50 is the Good band's floor); overall (3+3)/2 = 3.00 Good.
		{"band floors", ans(G, G, R, G, R), G, G, G},
		// D1 (4+4+1)/3 = 3.00 Good, but an answer is Poor: Requires improvement;
		// D2 4.00 Excellent; overall (2+4)/2 = 3.00 Good.
		{"a poor answer caps its domain", ans(E, E, P, E, E), R, E, G},
		// D1 (1+1+2)/3 = 1.33 Poor; D2 3.00 Good; overall (1+3)/2 = 2.00 Requires improvement;
		// 1 of 2 domains Poor is half: Poor.
		{"half the domains poor", ans(P, P, R, G, G), P, G, P},
		// D1 N/A counts nothing: (3+3)/2 = 3.00 Good; D2 (4+3)/2 = 3.50 Excellent; overall (3+4)/2 = 3.50 Excellent.
		{"not applicable ignored", ans(G, G, N, E, G), G, E, E},
		// D2 all N/A: no rating and left out; overall is D1's (2+2+2)/3 = 2.00 Requires improvement.
		{"a domain with nothing counted", ans(R, R, R, N, N), R, "", R},
	} {
		ds, o, working := Combine(f, c.answers)
		if ds[0].Rating != c.d1 || ds[1].Rating != c.d2 || o != c.o {
			t.Errorf("%s: got %s, %s, overall %s; want %s, %s, %s\n%s", c.name, ds[0].Rating, ds[1].Rating, o, c.d1, c.d2, c.o, strings.Join(working, "\n"))
		}
	}
	_, o, _ := Combine(f, nil)
	if o != "" {
		t.Errorf("no answers: %q", o)
	}
}

func TestVisitValidate(t *testing.T) {
	f := framework(t)
	today := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	v := &Visit{LocationID: 1, VisitDate: today.AddDate(0, 0, 1), Officers: "", Answers: []Answer{{QuestionKey: "D1Q1", Rating: "great"}, {QuestionKey: "ZZ", Rating: Good}}}
	err := v.Validate(f, today)
	if err == nil {
		t.Fatal("accepted a bad visit")
	}
	for _, k := range []string{"visit_date", "officers", "answer-D1Q1", "answer-D1Q2", "answers"} {
		if _, ok := errFields(err)[k]; !ok {
			t.Errorf("no message for %s: %v", k, errFields(err))
		}
	}
}

func TestEffectiveStatus(t *testing.T) {
	due := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	d := func(day int) time.Time { return time.Date(2026, 3, day, 15, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		stored string
		today  time.Time
		want   string
	}{
		{ActionOpen, due.AddDate(0, 0, -1), ActionOpen},
		{ActionOpen, d(1), ActionOpen},
		{ActionOpen, d(2), ActionOverdue},
		{ActionEvidenceSubmitted, d(2), ActionOverdue},
		{ActionEvidenceSubmitted, d(1), ActionEvidenceSubmitted},
		{ActionAccepted, d(9), ActionAccepted},
	} {
		if got := EffectiveStatus(c.stored, due, c.today); got != c.want {
			t.Errorf("%s on %s: %s, want %s", c.stored, c.today, got, c.want)
		}
	}
}

func TestAssess(t *testing.T) {
	w := DefaultWeights
	for _, c := range []struct {
		name  string
		in    RiskInput
		score int
		level Level
	}{
		// Good, audited Good, nothing else: 0, Low.
		{"clean", RiskInput{CQCRating: market.Good, AuditRating: Good}, 0, RiskLow},
		// Not yet audited counts nothing: 0, Low.
		{"not yet audited", RiskInput{CQCRating: market.Outstanding}, 0, RiskLow},
		// Not rated by CQC (1 x 10) = 10, Medium (10 is Medium's floor).
		{"not rated", RiskInput{CQCRating: market.NotRated, AuditRating: Good}, 10, RiskMedium},
		// Requires improvement from Good (1x10 + trend 5), audit Poor (2x10), 1 overdue (3),
		// 2 complaints (2x2): 10+5+20+3+4 = 42, Very high (40+).
		{"the comment's example", RiskInput{CQCRating: market.RequiresImprovement, CQCPrevious: market.Good, AuditRating: Poor, Overdue: 1, Complaints: 2}, 42, RiskVeryHigh},
		// A serious concern (15) + audit Requires improvement (10) = 25: High.
		{"concern", RiskInput{CQCRating: market.Good, AuditRating: RequiresImprovement, Concerns: 1}, 25, RiskHigh},
		// Improving rating is no penalty: RI (10) + audit Good; trend up: 10, Medium.
		{"improving", RiskInput{CQCRating: market.RequiresImprovement, CQCPrevious: market.Inadequate, AuditRating: Good}, 10, RiskMedium},
		// 2 hand-backs (6) + 1 safeguarding (4) = 10, Medium.
		{"counts", RiskInput{CQCRating: market.Good, AuditRating: Excellent, HandBacks: 2, Safeguarding: 1}, 10, RiskMedium},
	} {
		r := Assess(c.in, w)
		if r.Score != c.score || r.Level != c.level {
			t.Errorf("%s: %d %s, want %d %s\n%s", c.name, r.Score, r.Level, c.score, c.level, strings.Join(r.Working, "\n"))
		}
	}
	bad := Weights{CQCRating: -1, Medium: 10, High: 5, VeryHigh: 40}
	if bad.Validate() == nil {
		t.Error("bad weights accepted")
	}
	if w.Validate() != nil {
		t.Error("default weights refused")
	}
}

func TestCompute(t *testing.T) {
	in := &PerfInput{
		Offers: []OfferRec{
			{Status: "accepted", N: 2},
			{Status: "declined", Reason: "No nurse cover", N: 2},
			{Status: "expired"},
			{Status: "pending"},
			{Status: "withdrawn"},
		},
		// The accepted and declined offers' answers.
		Responses: []ResponseRec{{Minutes: 30}, {Minutes: 10}, {Minutes: 240}, {Minutes: 60}},
		Priced:    []PricedRec{{Offers: 1, Price: 110_00, Guide: 100_00}, {Offers: 1, Price: 95_00, Guide: 100_00}},
		Invites:   []InviteRec{{Bid: true}, {Bid: false}, {Bid: true}},
		Placements: []PlacementRec{
			{Status: "active", NoticeDay: -1, EndDay: -1},
			{Status: "handed_back", NoticeDay: 28, EndDay: 42},
			{Status: "handed_back", NoticeDay: 29, EndDay: 43},
			{Status: "ended", NoticeDay: -1, EndDay: 83},
			{Status: "ended", NoticeDay: -1, EndDay: 84, OffContract: true},
		},
		// Ages at the end of the period: 1 day, 10 days, 30 days.
		Vacancies:  []VacancyRec{{AgeMinutes: 24 * 60}, {AgeMinutes: 240 * 60}, {AgeMinutes: 720 * 60}},
		Deliveries: []DeliveryRec{{Commissioned: 600, Delivered: 540}, {Commissioned: 600, Delivered: 600}},
	}
	f := Compute(in)
	// Offers: withdrawn and pending are not counted: 5 (2 accepted, 2 declined, 1 expired).
	// Acceptance 2/5 = 40.00% = 4000 bp.
	// Response minutes sorted [10 30 60 240]: median rank ceil(2.0)=2 -> 30; p90 rank ceil(3.6)=4 -> 240.
	// Price against guide: (110+95) - (100+100) = +5 on 200 = +2.50% = 250 bp.
	// Bids 2 of 3 invitations = 66.67% = 6667 bp.
	// Hand-backs within 28 days: notice on day 28 counts, day 29 not: 1.
	// Ended early (< 84 days): day 83 counts, day 84 not: 1. Off contract 1 of 5 = 2000 bp.
	// Vacancy ages 24h, 240h, 720h; stale (> 7 days): 2; median 240.
	// Delivered 1140 of 1200 minutes = 95.00% = 9500 bp.
	want := Figures{Offers: 5, Responded: 4, MedianResponseMinutes: 30, P90ResponseMinutes: 240, Accepted: 2, Declined: 2, Expired: 1, AcceptanceRateBP: 4000,
		Invitations: 3, Bids: 2, BidRateBP: 6667, Placements: 5, HandBacks28d: 1, EndedEarly: 1, OffContract: 1, OffContractShareBP: 2000,
		PricedOffers: 2, PriceVsGuideBP: 250, VacancyFigures: 3, StaleVacancies: 2, MedianVacancyAgeHours: 240, CommissionedMinutes: 1200, DeliveredMinutes: 1140, DeliveredBP: 9500}
	reasons := f.DeclineReasons
	f.DeclineReasons = nil
	if !reflect.DeepEqual(f, want) {
		t.Errorf("got  %+v\nwant %+v", f, want)
	}
	if len(reasons) != 1 || reasons[0] != (ReasonCount{"No nurse cover", 2}) {
		t.Errorf("reasons %v", reasons)
	}
	if z := Compute(&PerfInput{}); z.AcceptanceRateBP != 0 || z.MedianResponseMinutes != 0 || len(z.DeclineReasons) != 0 {
		t.Errorf("empty: %+v", z)
	}
}

func TestLeague(t *testing.T) {
	rows := []LeagueRow{
		{ProviderID: 1, ProviderName: "A", Figures: Figures{Offers: 2, AcceptanceRateBP: 5000}},
		{ProviderID: 2, ProviderName: "B", Figures: Figures{Offers: 5, AcceptanceRateBP: 8000}},
		{ProviderID: 3, ProviderName: "C", Figures: Figures{}},
		{ProviderID: 4, ProviderName: "D", Figures: Figures{Offers: 4, AcceptanceRateBP: 5000}},
	}
	// acceptance 80%, 50%, 50%, no offers -> B 1, A 2, D 2, C 0.
	SortLeague(rows, "acceptance")
	got := ""
	for _, r := range rows {
		got += r.ProviderName + string(rune('0'+r.Rank))
	}
	if got != "B1A2D2C0" {
		t.Errorf("league %s", got)
	}
	ranks := RanksOf(rows, 4)
	if ranks[3].Key != "acceptance" || ranks[3].Rank != 2 || ranks[3].Of != 3 {
		t.Errorf("own rank %+v", ranks[3])
	}
	if ranks[0].Key != "offers" || ranks[0].Rank != 2 || ranks[0].Of != 4 {
		t.Errorf("offers rank %+v", ranks[0])
	}
}

func TestReadDelivered(t *testing.T) {
	good := "\ufeffPlacement ID,Week commencing,Delivered hours\n12,2026-11-02,10.5\n12,09/11/2026,10:30\n13,2026-11-02,7\n"
	rows, lines, err := ReadDelivered(strings.NewReader(good))
	if err != nil || len(lines) != 0 || len(rows) != 3 {
		t.Fatalf("%v %v %v", rows, lines, err)
	}
	if rows[0].Minutes != 630 || rows[1].Minutes != 630 || rows[2].Minutes != 420 || rows[1].WeekStart.Day() != 9 {
		t.Errorf("rows %+v", rows)
	}
	bad := "placement_id,week_commencing,delivered_hours\nx,2026-11-02,1\n12,soon,1\n12,2026-11-02,200\n12,2026-11-02,1\n12,2026-11-02,2\n"
	_, lines, err = ReadDelivered(strings.NewReader(bad))
	if err == nil || len(lines) != 4 || lines[3].Line != 6 {
		t.Errorf("bad file: %v %v", lines, err)
	}
	if _, _, err := ReadDelivered(strings.NewReader("a,b\n1,2\n")); err == nil {
		t.Error("wrong columns accepted")
	}
}

func FuzzReadDelivered(f *testing.F) {
	f.Add([]byte("placement_id,week_commencing,delivered_hours\n12,2026-11-02,10.5\n"))
	f.Add([]byte("placement,week,hours\n1,02/11/2026,10:30\n\"unterminated\n"))
	f.Add([]byte("\ufeff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, lines, err := ReadDelivered(bytes.NewReader(b))
		if err == nil && (len(rows) == 0 || len(lines) > 0) {
			t.Fatalf("no error but rows %d lines %d", len(rows), len(lines))
		}
		for _, r := range rows {
			if r.Minutes < 0 || r.Minutes > 168*60 || r.PlacementID <= 0 {
				t.Fatalf("bad row %+v", r)
			}
		}
	})
}

func errFields(err error) map[string]string { return caremarket.ErrorFields(err) }
