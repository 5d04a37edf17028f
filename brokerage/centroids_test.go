package brokerage

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/market"
)

func TestReadCentroids(t *testing.T) {
	f, err := os.Open("testdata/kent_outcode_centroids.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, bad, err := ReadCentroids(f)
	if err != nil || len(bad) != 0 || len(got) != 67 {
		t.Fatalf("Kent fixture: %d centroids, bad %v, err %v", len(got), bad, err)
	}
	for _, tc := range []struct {
		name, in string
		ok       int
		bad      []string
		err      string
	}{
		{"columns by name, any order", "Longitude,Outcode,Latitude,extra\n1.385,ct9,51.385,x\n", 1, nil, ""},
		{"bad rows named", "outcode,latitude,longitude\nCT9,51.3,1.3\nCT9,51.3,1.3\n12,51,1\nCT10,1.3,51.3\nCT11,abc,1\n", 1,
			[]string{"line 3: CT9 is already given on line 2", `line 4: "12" is not a postcode district`, `line 5: the latitude "1.3"`, `line 6: the latitude "abc"`}, ""},
		{"no header column", "outcode,lat\nCT9,51\n", 0, nil, `no "longitude" column`},
		{"empty", "", 0, nil, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, bad, err := ReadCentroids(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != tc.ok || len(bad) != len(tc.bad) {
				t.Fatalf("got %v, bad %v, err %v", got, bad, err)
			}
			for i, want := range tc.bad {
				if !strings.HasPrefix(bad[i].Error(), want) {
					t.Errorf("bad[%d] = %q, want prefix %q", i, bad[i].Error(), want)
				}
			}
		})
	}
}

func TestDistanceInMiles(t *testing.T) {
	margate, ramsgate := Centroid{51.385, 1.385}, Centroid{51.335, 1.415}
	if m := Miles(margate, ramsgate); math.Abs(m-3.6) > 0.3 {
		t.Fatalf("Margate to Ramsgate %.2f miles, want about 3.6", m)
	}
	one := 1
	in := Input{ServiceType: market.Nursing, Outcode: "CT9", AreaID: 1,
		Centroids: map[string]Centroid{"CT9": margate, "CT11": ramsgate, "CT1": {51.278, 1.085}}}
	in.Candidates = []Candidate{
		{LocationID: 1, AreaID: 2, Postcode: "CT1 1AA", Rating: market.Good, Vacancies: &one},  // Canterbury, about 15 miles
		{LocationID: 2, AreaID: 2, Postcode: "CT11 9AA", Rating: market.Good, Vacancies: &one}, // Ramsgate, about 3.6 miles
		{LocationID: 3, AreaID: 2, Postcode: "ZZ1 1AA", Rating: market.Good, Vacancies: &one},  // no centroid: last
	}
	res := Run(in)
	st := res.Stage(StageOffContract)
	if len(st.Eligible) != 3 || st.Eligible[0].LocationID != 2 || st.Eligible[1].LocationID != 1 || st.Eligible[2].LocationID != 3 {
		t.Fatalf("order %+v", st.Eligible)
	}
	if st.Eligible[0].Miles == nil || st.Eligible[2].Miles != nil || st.Eligible[0].Distance != int(math.Round(*st.Eligible[0].Miles*10)) {
		t.Fatalf("miles %+v", st.Eligible)
	}
	// Without centroids, district steps as before.
	in.Centroids = nil
	res = Run(in)
	if d := res.Stage(StageOffContract).Eligible[0]; d.Miles != nil || d.LocationID != 2 || d.Distance != 3 {
		t.Fatalf("steps %+v", d)
	}
}

func FuzzReadCentroids(f *testing.F) {
	f.Add("outcode,latitude,longitude\nCT9,51.385,1.385\n")
	f.Add("Longitude,Outcode,Latitude\n1,ME14,51\n\"x\ny\",1,2\n")
	f.Fuzz(func(t *testing.T, s string) {
		got, bad, err := ReadCentroids(strings.NewReader(s))
		if err != nil && (got != nil || bad != nil) {
			t.Fatal("an error with results")
		}
		for _, c := range got {
			if !validOutcode(c.Outcode) || c.Lat < minLat || c.Lat > maxLat || c.Lon < minLon || c.Lon > maxLon {
				t.Fatalf("accepted %+v", c)
			}
		}
	})
}
