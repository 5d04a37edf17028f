package cqc

import (
	"slices"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/market"
)

func TestReadAPI(t *testing.T) {
	recs, err := ReadAPI("testdata/api")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Location{}
	for _, l := range recs.Locations {
		byID[l.LocationID] = l
	}
	tests := []struct {
		id    string
		check func(l *Location) bool
	}{
		{"1-1000000001", func(l *Location) bool {
			return l.Name == "Seaview Nursing Home" && l.Beds == 42 && l.Rating == market.Inadequate &&
				l.RatingDate.Equal(*day(2025, 4, 1)) && l.CareHome && l.PrimaryInspectionCategory == "Residential social care" &&
				l.ProviderName == "" && // no provider record: the import keeps the name it has
				l.File == "locations/1-1000000001.json" && l.Line == 1 &&
				equalServices(MapServiceTypes(l), market.Nursing, market.NursingHigh)
		}},
		{"1-1000000030", func(l *Location) bool {
			return l.ProviderName == "Priory Homecare Ltd" && l.Postcode == "CT1 1XY" && l.Line == 1 &&
				l.PrimaryInspectionCategory == "Community based adult social care services" &&
				equalServices(MapServiceTypes(l), market.Homecare, market.DisabledChildren)
		}},
		{"1-1000000004", func(l *Location) bool {
			return l.Deregistered && l.DeregisteredAt.Equal(*day(2025, 3, 31)) && l.Line == 2 &&
				equalServices(MapServiceTypes(l), market.Residential, market.ResidentialLD)
		}},
	}
	for _, tt := range tests {
		l := byID[tt.id]
		if l == nil || !tt.check(l) {
			t.Errorf("%s read wrong: %+v", tt.id, l)
		}
	}
	if len(recs.Locations) != 3 {
		t.Errorf("read %d locations, want 3", len(recs.Locations))
	}
	wantErrs := []string{
		"locations/broken.json record 1: providerId is empty",
		"locations/broken.json record 2: the record is not in the shape of CQC's API",
		`locations/broken.json record 3: currentRatings.overall: rating "Superb"`,
		"locations/broken.json record 4: the record has neither a locationId nor a providerId",
		"locations/truncated.json record 1: the record is not a JSON object",
	}
	if len(recs.Errors) != len(wantErrs) {
		t.Fatalf("errors %v, want %d", recs.Errors, len(wantErrs))
	}
	for i, want := range wantErrs {
		if got := recs.Errors[i].Error(); !strings.HasPrefix(got, want) {
			t.Errorf("error %d = %q, want %q", i, got, want)
		}
	}
	// All yields the errors, then the locations.
	n := 0
	for _, err := range recs.All() {
		if (n < len(wantErrs)) != (err != nil) {
			t.Fatalf("All: item %d error %v", n, err)
		}
		n++
	}
}

func TestReadAPIFile(t *testing.T) {
	recs, err := ReadAPI("testdata/api/locations/1-1000000001.json")
	if err != nil || len(recs.Locations) != 1 || len(recs.Errors) != 0 {
		t.Fatalf("single file: %+v %v", recs, err)
	}
	if recs.Locations[0].File != "testdata/api/locations/1-1000000001.json" {
		t.Errorf("file named %q", recs.Locations[0].File)
	}
	if _, err := ReadAPI("testdata/api/nothing-here"); err == nil {
		t.Error("a missing path is not an error")
	}
	bad := ParseAPI("x.json", []byte(`[{"locationId": "1-1", "providerId": "1-2", "registrationStatus": "Suspended"}]`))
	if len(bad.Errors) != 1 || !strings.Contains(bad.Errors[0].Reason, "registrationStatus") {
		t.Errorf("unknown status: %+v", bad.Errors)
	}
}

func equalServices(got []market.ServiceType, want ...market.ServiceType) bool {
	return slices.Equal(got, want)
}
