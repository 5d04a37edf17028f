package cqc

import (
	"slices"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/market"
)

func TestMapServiceTypes(t *testing.T) {
	type st = []market.ServiceType
	tests := []struct {
		name string
		loc  Location
		want st
	}{
		{"nursing home", Location{ServiceTypes: []string{"Care home service with nursing"}}, st{market.Nursing}},
		{"nursing home with dementia band", Location{ServiceTypes: []string{"Care home service with nursing"}, UserBands: []string{"Dementia", "Older People"}},
			st{market.Nursing, market.NursingHigh}},
		{"residential home with dementia", Location{ServiceTypes: []string{"Care home service without nursing"}, UserBands: []string{"Dementia"}},
			st{market.Residential, market.ResidentialHigh}},
		{"specialist residential by user band", Location{ServiceTypes: []string{"Care home service without nursing"},
			UserBands: []string{"Learning disabilities or autistic spectrum disorder", "Physical Disability", "Mental Health"}},
			st{market.Residential, market.ResidentialLD, market.ResidentialPD, market.ResidentialMH}},
		{"both kinds of care home", Location{ServiceTypes: []string{"Care home service without nursing", "Care home service with nursing"}},
			st{market.Residential, market.Nursing}},
		{"domiciliary", Location{ServiceTypes: []string{"Domiciliary care service"}}, st{market.Homecare}},
		{"domiciliary for disabled children", Location{ServiceTypes: []string{"Domiciliary care service"},
			UserBands: []string{"Children 0-18 years", "Physical Disability"}}, st{market.Homecare, market.DisabledChildren}},
		{"extra care and supported living", Location{ServiceTypes: []string{"Extra Care housing services", "Supported living service"}},
			st{market.SupportedLiving, market.ExtraCare}},
		{"API short names and specialisms", Location{ServiceTypes: []string{"Nursing homes"}, Specialisms: []string{"Dementia"}},
			st{market.Nursing, market.NursingHigh}},
		{"case and spacing do not matter", Location{ServiceTypes: []string{"  care HOME service   without nursing "}}, st{market.Residential}},
		{"care home flag alone", Location{CareHome: true}, st{market.Residential}},
		{"care home flag with nursing care", Location{CareHome: true, RegulatedActivities: []string{"Nursing care"}}, st{market.Nursing}},
		{"GP surgery", Location{ServiceTypes: []string{"Doctors consultation service"}}, nil},
		{"nothing", Location{}, nil},
	}
	for _, tt := range tests {
		got := MapServiceTypes(&tt.loc)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseRating(t *testing.T) {
	tests := []struct {
		in   string
		want market.Rating
		bad  bool
	}{
		{"Outstanding", market.Outstanding, false},
		{"Good", market.Good, false},
		{"Requires improvement", market.RequiresImprovement, false},
		{"Requires Improvement", market.RequiresImprovement, false},
		{"Inadequate", market.Inadequate, false},
		{"Not Rated", market.NotRated, false},
		{"", market.NotRated, false},
		{"Insufficient evidence to rate", market.NotRated, false},
		{"Excellent", "", true},
	}
	for _, tt := range tests {
		got, err := ParseRating(tt.in)
		if got != tt.want || (err != nil) != tt.bad {
			t.Errorf("ParseRating(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
		bad  bool
	}{
		{"12/03/2024", "2024-03-12", false},
		{"2/3/2024", "2024-03-02", false},
		{"2024-03-12", "2024-03-12", false},
		{"12-Mar-2024", "2024-03-12", false},
		{"45413", "2024-05-01", false},
		{"", "", false},
		{"31/31/2024", "", true},
		{"12", "", true},
		{"01/01/1066", "", true},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		s := ""
		if got != nil {
			s = got.Format("2006-01-02")
		}
		if s != tt.want || (err != nil) != tt.bad {
			t.Errorf("ParseDate(%q) = %q, %v", tt.in, s, err)
		}
	}
}

func TestLocalAuthority(t *testing.T) {
	tests := []struct{ council, want string }{
		{"Kent County Council", "Kent"},
		{"Medway Council", "Medway"},
		{"Brighton and Hove City Council", "Brighton and Hove"},
		{"Royal Borough of Greenwich", "Royal Borough of Greenwich"},
		{"Kent", "Kent"},
	}
	for _, tt := range tests {
		if got := LocalAuthorityName(tt.council); got != tt.want {
			t.Errorf("LocalAuthorityName(%q) = %q, want %q", tt.council, got, tt.want)
		}
	}
	if !SameAuthority("Brighton & Hove", "brighton  and hove") || SameAuthority("Kent", "Medway") {
		t.Error("SameAuthority compares wrongly")
	}
}

func TestCheck(t *testing.T) {
	good := Location{LocationID: "1-1000000001", ProviderID: "1-200000001", Name: "Home", Postcode: "CT9 1AA"}
	tests := []struct {
		name   string
		change func(l *Location)
		want   string
	}{
		{"good", func(l *Location) {}, ""},
		{"NHS-style id", func(l *Location) { l.LocationID = "RXH01" }, "does not look like a CQC location ID"},
		{"bad postcode", func(l *Location) { l.Postcode = "NOT A CODE" }, "is not a UK postcode"},
		{"no postcode", func(l *Location) { l.Postcode = "" }, "Postal Code is empty"},
		{"too many beds", func(l *Location) { l.Beds = 5000 }, "not between 0 and 1000"},
	}
	for _, tt := range tests {
		l := good
		tt.change(&l)
		got := l.Check()
		if (tt.want == "") != (got == "") || (tt.want != "" && !contains(got, tt.want)) {
			t.Errorf("%s: Check() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestPlacementBlock(t *testing.T) {
	tests := []struct {
		name string
		reg  Registration
		want string
	}{
		{"registered and good", Registration{Status: Registered, Rating: market.Good}, ""},
		{"inadequate", Registration{Status: Registered, Rating: market.Inadequate, RatingDate: day(2025, 4, 1)}, "CQC rated it Inadequate on 1 April 2025"},
		{"deregistered", Registration{Status: Deregistered, Rating: market.Good, DeregisteredAt: day(2025, 3, 31)}, "no longer registered with CQC (since 31 March 2025)"},
		{"dormant", Registration{Status: Registered, Rating: market.Good, Dormant: true}, "dormant"},
	}
	for _, tt := range tests {
		got := tt.reg.PlacementBlock()
		if (tt.want == "") != (got == "") || !contains(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
