package market

import (
	"slices"
	"strings"
	"testing"
)

func TestParseVacancyCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		rows []VacancyRow
		errs []string
	}{
		{name: "CQC ids, codes and labels, BOM, any column order",
			in: "\ufeffvacancies,service_type,cqc_location_id\n2,nursing,1-1000000001\n0,Residential High (dementia/complex),1-1000000001\n",
			rows: []VacancyRow{
				{Line: 2, CQCLocationID: "1-1000000001", ServiceType: Nursing, Vacancies: 2},
				{Line: 3, CQCLocationID: "1-1000000001", ServiceType: ResidentialHigh, Vacancies: 0},
			}},
		{name: "caremarket ids and spaced headers",
			in:   "Location ID, Service Type, Vacancies\n17, homecare, 5\n",
			rows: []VacancyRow{{Line: 2, LocationID: 17, ServiceType: Homecare, Vacancies: 5}}},
		{name: "blank lines are skipped",
			in:   "location_id,service_type,vacancies\n\n,,\n17,nursing,1\n",
			rows: []VacancyRow{{Line: 4, LocationID: 17, ServiceType: Nursing, Vacancies: 1}}},
		{name: "every bad line is named",
			in:   "cqc_location_id,service_type,vacancies\n1-1000000001,nursing,-1\nXYZ,nursing,1\n1-1000000001,gardening,1\n,nursing,1\n1-1000000001,nursing,one\n1-1000000002,nursing,1\n1-1000000002,Nursing,2\n",
			rows: []VacancyRow{{Line: 7, CQCLocationID: "1-1000000002", ServiceType: Nursing, Vacancies: 1}},
			errs: []string{
				`line 2: vacancies "-1" is not a whole number between 0 and 1000`,
				`line 3: cqc_location_id "XYZ" does not look like 1-123456789`,
				`line 4: service_type "gardening" is not one of caremarket's service types (like nursing or residential_high)`,
				"line 5: give the location's cqc_location_id (like 1-123456789) or location_id",
				`line 6: vacancies "one" is not a whole number between 0 and 1000`,
				"line 8: the same location and service type are on line 7",
			}},
		{name: "missing columns", in: "location,beds\n1,2\n",
			errs: []string{"line 1: the first row must name the columns cqc_location_id (or location_id), service_type and vacancies"}},
		{name: "empty file", in: "",
			errs: []string{"line 1: the file is empty or not CSV: the first row names the columns cqc_location_id, service_type and vacancies"}},
		{name: "header only", in: "location_id,service_type,vacancies\n",
			errs: []string{"line 2: the file has no vacancy lines under its header"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, errs := ParseVacancyCSV(strings.NewReader(tt.in))
			if !slices.Equal(rows, tt.rows) {
				t.Errorf("rows %+v, want %+v", rows, tt.rows)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tt.errs) {
				t.Errorf("errors\n%q\nwant\n%q", got, tt.errs)
			}
		})
	}
}

func TestParseVacancyCSVLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("location_id,service_type,vacancies\n")
	for i := range MaxVacancyRows + 10 {
		b.WriteString(strings.Repeat("1", 1+i%3) + ",nursing," + "1\n")
	}
	_, errs := ParseVacancyCSV(strings.NewReader(b.String()))
	if len(errs) == 0 || !strings.Contains(errs[len(errs)-1].Reason, "more than 5000 lines") {
		t.Errorf("an oversized file is not refused: %v", errs[len(errs)-1])
	}
}

func TestParseServiceType(t *testing.T) {
	tests := map[string]ServiceType{"nursing_high": NursingHigh, "Nursing High": NursingHigh, " HOMECARE ": Homecare, "Supported Living": SupportedLiving, "beds": ""}
	for in, want := range tests {
		if got := ParseServiceType(in); got != want {
			t.Errorf("ParseServiceType(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseVacancyCSV feeds the bulk-vacancy reader arbitrary files: it must
// never panic, and every row it accepts must pass its own validation.
func FuzzParseVacancyCSV(f *testing.F) {
	f.Add("cqc_location_id,service_type,vacancies\n1-200000001,nursing,2\n")
	f.Add("\ufefflocation_id,service_type,vacancies\r\n7,residential,0\r\n8,homecare,x\n")
	f.Add("service_type,vacancies\n\"nursing,\",\"1\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		rows, errs := ParseVacancyCSV(strings.NewReader(in))
		for _, e := range errs {
			if e.Line < 0 || e.Reason == "" {
				t.Fatalf("line error without a line or message: %+v", e)
			}
		}
		for _, r := range rows {
			if r.Vacancies < 0 || !r.ServiceType.Valid() {
				t.Fatalf("accepted a bad row: %+v", r)
			}
		}
	})
}

// TestParseVacancyCSVSpareHours: home care gives spare hours a week in the
// spare_hours column; a care home may not.
func TestParseVacancyCSVSpareHours(t *testing.T) {
	rows, errs := ParseVacancyCSV(strings.NewReader("location_id,service_type,vacancies,spare_hours\n17,homecare,,120\n18,homecare,,7:30\n19,nursing,2,\n20,nursing,,10\n21,homecare,,\n22,homecare,,lots\n"))
	if len(rows) != 3 || *rows[0].SpareMinutes != 7200 || *rows[1].SpareMinutes != 450 || rows[2].SpareMinutes != nil || rows[2].Vacancies != 2 {
		t.Fatalf("rows %+v", rows)
	}
	want := []string{
		"line 5: spare_hours is for care bought by the hour; give Nursing's vacancies instead",
		"line 6: give vacancies, or spare_hours for care bought by the hour",
		`line 7: spare_hours "lots" is not a number of hours a week between 0 and 20000 (like 120 or 7.5)`,
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v", errs)
	}
	for i, e := range errs {
		if e.Error() != want[i] {
			t.Errorf("error %d: %q, want %q", i, e.Error(), want[i])
		}
	}
	if v := (Vacancy{SpareMinutes: rows[0].SpareMinutes}); v.Figure() != "120 spare hours a week" {
		t.Errorf("figure %q", v.Figure())
	}
	if m, ok := ParseHours("7.25"); !ok || m != 435 || HoursFigure(435) != "7.25" || HoursFigure(380) != "6.33" {
		t.Errorf("hours %d %v", m, ok)
	}
}
