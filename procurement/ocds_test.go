package procurement

import (
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement/ocdstest"
)

func noticeSet() NoticeSet {
	a := aahc()
	a.ID, a.CreatedAt = 1, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a.Lots[0].ID, a.Lots[1].ID = 11, 12
	a.Lots = append(a.Lots, Lot{ID: 13, Number: 3, Title: "Residential for older people", ServiceTypes: []market.ServiceType{market.Residential},
		AreaIDs: []int64{1}, CallOff: MiniCompetition})
	notice := time.Date(2026, 9, 10, 10, 0, 0, 0, time.UTC)
	ss := StandstillFor(a, notice, DefaultCalendar)
	taken := Date(2030, 1, 1)
	return NoticeSet{
		CouncilSlug: "kent", CouncilName: "Kent County Council", Agreement: *a,
		Windows: []Window{
			{ID: 1, Kind: Tender, Title: "First framework", Opens: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), Deadline: time.Date(2026, 5, 1, 11, 0, 0, 0, time.UTC), LotIDs: []int64{11, 12, 13}},
			{ID: 2, Kind: Reopening, Title: "Reopening 1", Opens: time.Date(2029, 9, 1, 9, 0, 0, 0, time.UTC), Deadline: time.Date(2029, 10, 1, 11, 0, 0, 0, time.UTC), LotIDs: []int64{11}},
		},
		Tenderers: map[int64]int{1: 3},
		Awards: []Award{
			{ID: 1, WindowID: 1, LotID: 11, ProviderID: 5, ProviderName: "Seaview Care", NoticeAt: &notice, Standstill: &ss},
			{ID: 2, WindowID: 1, LotID: 12, ProviderID: 5, ProviderName: "Seaview Care", NoticeAt: &notice, Standstill: &ss},
			{ID: 3, WindowID: 1, LotID: 13, ProviderID: 6, ProviderName: "Harbour Homes", NoticeAt: &notice, Standstill: &ss},
			{ID: 4, WindowID: 2, LotID: 11, ProviderID: 7, ProviderName: "Not yet published"},
		},
		Contracts: []Contract{
			{ID: 1, AwardID: 1, ProviderID: 5, ProviderName: "Seaview Care", Reference: "AAHC-2027-1", Title: "Homecare", Start: Date(2027, 4, 1),
				InitialEnd: Date(2030, 3, 31), End: Date(2032, 3, 31), Extensions: []Extension{{Months: 24, Taken: true, TakenOn: &taken}, {Months: 12}},
				BreakClauses:       []BreakClause{{From: Date(2028, 4, 1), NoticeMonths: 3, Description: "For convenience"}},
				Variations:         []Variation{{Date: Date(2028, 4, 1), Description: "NLW uplift", ValueChangePence: 12_345_67}},
				LifetimeValuePence: 100_000_000_00, EnteredOn: ss.EarliestContract},
			{ID: 2, ProviderID: 8, ProviderName: "Legacy Care", Reference: "CSIH-2019", Title: "Care and Support in the Home (recorded)",
				Start: Date(2019, 4, 8), InitialEnd: Date(2023, 4, 7), End: Date(2027, 4, 7), LifetimeValuePence: 1},
		},
	}
}

func TestOCDSPackagesValidate(t *testing.T) {
	now := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	full := noticeSet()
	empty := noticeSet()
	empty.Windows, empty.Awards, empty.Contracts = nil, nil, nil
	pcr := noticeSet()
	pcr.Agreement.Type, pcr.Agreement.Regime, pcr.Agreement.Reference = DPS, PCR2015, "OPRN-DPS-2016"
	spot := noticeSet()
	spot.Agreement.Type, spot.Windows, spot.Awards = Spot, nil, nil
	tests := []struct {
		name     string
		n        NoticeSet
		releases int
		tags     string
	}{
		{"open framework: tenders, awards, contracts", full, 5, "tender tender award contract contract"},
		{"nothing published yet", empty, 1, "planning"},
		{"PCR DPS", pcr, 5, "tender tender award contract contract"},
		{"spot contracts only", spot, 2, "contract contract"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkg := ReleasePackage(tt.n, OCDSOptions{OCIDPrefix: "ocds-caremarket-", BaseURI: "https://caremarket.example/ocds", Published: now}, now)
			ocdstest.Validate(t, pkg)
			var tags []string
			for _, r := range pkg.Releases {
				tags = append(tags, r.Tag...)
				if !strings.HasPrefix(r.OCID, "ocds-caremarket-kent-") {
					t.Errorf("ocid %q lacks the prefix", r.OCID)
				}
			}
			if len(pkg.Releases) != tt.releases || strings.Join(tags, " ") != tt.tags {
				t.Errorf("releases %d tags %q; want %d %q", len(pkg.Releases), strings.Join(tags, " "), tt.releases, tt.tags)
			}
		})
	}
}

func TestOCDSContent(t *testing.T) {
	now := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	pkg := ReleasePackage(noticeSet(), OCDSOptions{OCIDPrefix: "ocds-abc123-"}, now)
	if pkg.Releases[0].OCID != "ocds-abc123-kent-AAHC-2027" || pkg.Version != "1.1" {
		t.Errorf("ocid %q version %q", pkg.Releases[0].OCID, pkg.Version)
	}
	tender := pkg.Releases[0].Tender
	cpv := []string{}
	for _, it := range tender.Items {
		cpv = append(cpv, it.Classification.ID+"/"+it.AdditionalClassifications[0].ID)
	}
	if strings.Join(cpv, " ") != "85312000/85000000 85312000/85000000 85311000/85000000" {
		t.Errorf("CPV codes = %v: homecare is without accommodation, residential with", cpv)
	}
	if tender.Value.Amount != 807_000_000 || tender.Value.Currency != "GBP" || *tender.NumberOfTenderers != 3 || tender.Status != "complete" {
		t.Errorf("tender = %+v", tender)
	}
	if pkg.Releases[1].Tender.Status != "planned" {
		t.Errorf("a window not yet open is planned, got %q", pkg.Releases[1].Tender.Status)
	}
	award := pkg.Releases[2]
	if len(award.Awards) != 3 || len(award.Parties) != 3 {
		t.Errorf("award notice: %d awards, %d parties (unpublished awards must be left out)", len(award.Awards), len(award.Parties))
	}
	c := pkg.Releases[3].Contracts[0]
	if c.AwardID != "award-1" || len(c.Amendments) != 2 || c.Period.MaxExtentDate != "2033-03-31T00:00:00Z" || c.Value.Amount != 100_012_345.67 {
		t.Errorf("contract = %+v", c)
	}
	legacy := pkg.Releases[4]
	if legacy.Contracts[0].AwardID != legacy.Awards[0].ID {
		t.Errorf("a contract without an award must carry its own award block")
	}
}

// TestOCDSValidatorCatchesErrors proves the validator is live: a broken
// package must fail.
func TestOCDSValidatorCatchesErrors(t *testing.T) {
	now := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	for name, breakIt := range map[string]func(p *OCDSPackage){
		"bad tag":      func(p *OCDSPackage) { p.Releases[0].Tag = []string{"notice"} },
		"bad date":     func(p *OCDSPackage) { p.Releases[0].Date = "1 April 2027" },
		"no ocid":      func(p *OCDSPackage) { p.Releases[0].OCID = "" },
		"bad status":   func(p *OCDSPackage) { p.Releases[0].Tender.Status = "open" },
		"bad version":  func(p *OCDSPackage) { p.Version = "1.1.5" },
		"relative uri": func(p *OCDSPackage) { p.URI = "not a uri" },
	} {
		pkg := ReleasePackage(noticeSet(), OCDSOptions{}, now)
		breakIt(pkg)
		if err := ocdstest.Check(pkg); err == nil {
			t.Errorf("%s: validated, want an error", name)
		}
	}
}
