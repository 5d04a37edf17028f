package procurement

import (
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// aahc is the All Age Home Care open framework: 8 years from
// 1 April 2027, reopened at the end of year 3 and of year 6.
func aahc() *Agreement {
	return &Agreement{
		Reference: "AAHC-2027", Title: "All Age Home Care Service", Type: OpenFramework, Regime: PA2023, LightTouch: true,
		AnnualValuePence: 8_970_000_000, LifetimeValuePence: 80_700_000_000,
		Start: Date(2027, 4, 1), End: Date(2035, 3, 31),
		Reopenings: []time.Time{Date(2030, 3, 31), Date(2033, 3, 31)},
		Lots: []Lot{
			{Number: 1, Title: "Homecare for adults", ServiceTypes: []market.ServiceType{market.Homecare}, AreaIDs: []int64{1}, CallOff: DirectAward,
				Ranking: []RankBy{RankPrice, RankQuality, RankDistance}, CallOffTerms: "Care Service terms and conditions", Mechanism: "Lowest price, then quality score, then distance"},
			{Number: 2, Title: "Care and support in prisons", ServiceTypes: []market.ServiceType{market.Prisons}, AreaIDs: []int64{1}, CallOff: Either,
				Ranking: []RankBy{RankQuality, RankPrice}, CallOffTerms: "Prisons call-off terms", Mechanism: "Highest quality score, then lowest price"},
		},
	}
}

func fieldsOf(err error) string {
	var parts []string
	for k, v := range caremarket.ErrorFields(err) {
		parts = append(parts, k+": "+v)
	}
	return strings.Join(parts, "; ")
}

func TestAgreementLaw(t *testing.T) {
	tests := []struct {
		name   string
		change func(a *Agreement)
		// want is "" when the agreement must be accepted, else a fragment of
		// the message (naming the rule) that must refuse it.
		want string
	}{
		{"AAHC as the seed describes it", func(a *Agreement) {}, ""},
		// PA 2023 s.49(2): the scheme ends within 8 years of the first award.
		{"8 years less a day", func(a *Agreement) { a.End = Date(2035, 3, 31) }, ""},
		{"exactly 8 years", func(a *Agreement) { a.End = Date(2035, 4, 1) }, ""},
		{"8 years and a day", func(a *Agreement) { a.End = Date(2035, 4, 2) }, "s.49(2): an open framework scheme must end within 8 years"},
		{"9-year scheme", func(a *Agreement) { a.End = Date(2036, 3, 31) }, "s.49(2): an open framework scheme must end within 8 years"},
		// s.49(2): the first new framework within 3 years of the first award.
		{"first reopening day before 3 years", func(a *Agreement) { a.Reopenings[0] = Date(2030, 3, 31) }, ""},
		{"first reopening on 3 years", func(a *Agreement) { a.Reopenings[0] = Date(2030, 4, 1) }, ""},
		{"first reopening day after 3 years", func(a *Agreement) { a.Reopenings[0] = Date(2030, 4, 2) }, "s.49(2): the first reopening of an open framework must award a new framework within 3 years"},
		{"first reopening in year 4", func(a *Agreement) { a.Reopenings[0] = Date(2031, 3, 31) }, "s.49(2): the first reopening"},
		// s.49(2): then within every 5 years.
		{"second reopening day before 5 years", func(a *Agreement) {
			a.Reopenings = []time.Time{Date(2029, 1, 1), Date(2033, 12, 31)}
		}, ""},
		{"second reopening on 5 years", func(a *Agreement) {
			a.Reopenings = []time.Time{Date(2029, 1, 1), Date(2034, 1, 1)}
		}, ""},
		{"second reopening day after 5 years", func(a *Agreement) {
			a.Reopenings = []time.Time{Date(2029, 1, 1), Date(2034, 1, 2)}
		}, "s.49(2): reopening 2 must award a new framework within 5 years"},
		{"no reopening before the scheme outlives 5 years", func(a *Agreement) {
			a.Reopenings = []time.Time{Date(2030, 3, 31)}
			a.End = Date(2035, 4, 1)
		}, "within 5 years of the last reopening"},
		{"one reopening covers to 5 years after it", func(a *Agreement) {
			a.Reopenings = []time.Time{Date(2030, 3, 31)}
		}, ""},
		{"no reopening, ends on 3 years", func(a *Agreement) { a.Reopenings = nil; a.End = Date(2030, 4, 1) }, ""},
		{"no reopening, ends a day after 3 years", func(a *Agreement) { a.Reopenings = nil; a.End = Date(2030, 4, 2) }, "within 3 years of the first award"},
		{"reopenings out of order", func(a *Agreement) { a.Reopenings = []time.Time{Date(2030, 3, 31), Date(2029, 3, 31)} }, "must come after"},
		// s.49(6): a single-supplier open framework ends within 4 years.
		{"single supplier on 4 years", func(a *Agreement) {
			single(a)
			a.End = Date(2031, 4, 1)
			a.Reopenings = []time.Time{Date(2030, 3, 31)}
		}, ""},
		{"single supplier 4 years and a day", func(a *Agreement) {
			single(a)
			a.End = Date(2031, 4, 2)
			a.Reopenings = []time.Time{Date(2030, 3, 31)}
		}, "s.49(6)"},
		{"single supplier with 2 providers a lot", func(a *Agreement) {
			single(a)
			a.End = Date(2030, 1, 1)
			a.Reopenings = nil
			a.Lots[0].ProviderCap = 2
		}, "single-supplier framework admits exactly one"},
		// s.47: a closed framework lasts at most 4 years.
		{"closed framework day before 4 years", func(a *Agreement) { closed(a); a.End = Date(2031, 3, 31) }, ""},
		{"closed framework on 4 years", func(a *Agreement) { closed(a); a.End = Date(2031, 4, 1) }, ""},
		{"closed framework day after 4 years", func(a *Agreement) { closed(a); a.End = Date(2031, 4, 2) }, "s.47: a closed framework lasts at most 4 years"},
		{"PCR framework day after 4 years", func(a *Agreement) { closed(a); a.Regime = PCR2015; a.End = Date(2031, 4, 2) }, "PCR 2015 reg. 33(3)"},
		{"closed framework reopened", func(a *Agreement) { closed(a); a.Reopenings = []time.Time{Date(2029, 1, 1)} }, "Only an open framework is reopened"},
		// s.45(4): direct award needs call-off terms and an objective mechanism.
		{"direct award without terms", func(a *Agreement) { a.Lots[0].CallOffTerms = "" }, "s.45(4): direct award needs the call-off terms"},
		{"direct award without mechanism", func(a *Agreement) { a.Lots[0].Mechanism = "" }, "s.45(4): direct award needs an objective mechanism"},
		{"direct award without ranking", func(a *Agreement) { a.Lots[0].Ranking = nil }, "s.45(4): direct award needs an objective mechanism"},
		{"both, without terms", func(a *Agreement) { a.Lots[1].CallOffTerms = "" }, "s.45(4)"},
		{"mini-competition needs neither", func(a *Agreement) {
			a.Lots[0].CallOff, a.Lots[0].CallOffTerms, a.Lots[0].Mechanism, a.Lots[0].Ranking = MiniCompetition, "", "", nil
		}, ""},
		{"PCR DPS direct award without terms", func(a *Agreement) {
			a.Type, a.Regime, a.Reopenings, a.End = DPS, PCR2015, nil, Date(2031, 1, 1)
			a.Lots[0].CallOffTerms = ""
		}, "PCR 2015 reg. 33(4)(a)"},
		// Regimes.
		{"DPS under PA 2023", func(a *Agreement) { a.Type, a.Reopenings = DPS, nil }, "PCR 2015 procedure (reg. 34)"},
		{"open framework under PCR 2015", func(a *Agreement) { a.Regime = PCR2015 }, "only under the Procurement Act 2023"},
		{"block contract any length", func(a *Agreement) {
			a.Type, a.Reopenings, a.End, a.Lots = BlockContract, nil, Date(2040, 1, 1), a.Lots[:1]
		}, ""},
		// Plain checks.
		{"bad reference", func(a *Agreement) { a.Reference = "a" }, "Reference must be"},
		{"no title", func(a *Agreement) { a.Title = " " }, "Enter the title"},
		{"end before start", func(a *Agreement) { a.End = Date(2027, 3, 1) }, "End date must be after"},
		{"lifetime below annual", func(a *Agreement) { a.LifetimeValuePence = 1 }, "Lifetime value must be at least"},
		{"lot without service", func(a *Agreement) { a.Lots[0].ServiceTypes = nil }, "at least one service type"},
		{"lot without area", func(a *Agreement) { a.Lots[0].AreaIDs = nil }, "at least one area"},
		{"lot numbered twice", func(a *Agreement) { a.Lots[1].Number = 1 }, "numbered twice"},
		{"ranking twice", func(a *Agreement) { a.Lots[0].Ranking = []RankBy{RankPrice, RankPrice} }, "used once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := aahc()
			tt.change(a)
			err := a.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v (%s)", err, fieldsOf(err))
				}
				return
			}
			if caremarket.ErrorCode(err) != caremarket.EINVALID {
				t.Fatalf("accepted (err %v), want refusal containing %q", err, tt.want)
			}
			if got := fieldsOf(err); !strings.Contains(got, tt.want) {
				t.Fatalf("refused with %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func single(a *Agreement) {
	a.SingleSupplier = true
	for i := range a.Lots {
		a.Lots[i].ProviderCap = 1
	}
}

func closed(a *Agreement) { a.Type, a.Reopenings = ClosedFramework, nil }

func TestNextReopeningDue(t *testing.T) {
	a := aahc()
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now  time.Time
		want time.Time
	}{
		{Date(2028, 1, 1), Date(2030, 3, 31)},
		{Date(2031, 1, 1), Date(2033, 3, 31)},
		{Date(2034, 1, 1), time.Time{}}, // the scheme ends before another is due
	}
	for _, tt := range tests {
		if got := a.NextReopeningDue(tt.now); !got.Equal(tt.want) {
			t.Errorf("NextReopeningDue(%s) = %s, want %s", tt.now.Format(time.DateOnly), got, tt.want)
		}
	}
}
