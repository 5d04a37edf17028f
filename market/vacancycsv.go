package market

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// VacancyRow is one line of a provider's bulk vacancy upload: how many
// places a location has free for a service type.
type VacancyRow struct {
	Line          int         `json:"line"`
	LocationID    int64       `json:"location_id,omitempty"`     // caremarket's id, or
	CQCLocationID string      `json:"cqc_location_id,omitempty"` // the CQC id
	ServiceType   ServiceType `json:"service_type"`
	Vacancies     int         `json:"vacancies"`
	// SpareMinutes is a home care branch's spare hours a week, in minutes
	// (the spare_hours column), when given instead of vacancies.
	SpareMinutes *int `json:"spare_minutes_per_week,omitempty"`
}

// LineError is a line of an uploaded file that cannot be used, and why.
type LineError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// MaxVacancyRows bounds one upload: a large group has a few hundred homes
// with a few service types each.
const MaxVacancyRows = 5000

// ParseVacancyCSV reads a bulk vacancy file. Its first row names the columns
// (in any order): cqc_location_id or location_id, service_type (the code,
// like "nursing", or the label, like "Nursing High") and vacancies, or
// spare_hours for care bought by the hour (hours a week, like 120 or 7.5;
// a line gives one or the other, and a care home always vacancies). It
// returns the rows it could read and, for every line it could not, the
// reason; the caller saves nothing unless there are no errors, so a provider
// fixes the file and uploads it again.
func ParseVacancyCSV(r io.Reader) ([]VacancyRow, []LineError) {
	t, err := OpenCSV(r, true)
	if err != nil {
		return nil, []LineError{{Line: 1, Reason: "the file is empty or not CSV: the first row names the columns cqc_location_id, service_type and vacancies"}}
	}
	idCol, hasID := t.Has("location_id")
	cqcCol, hasCQC := t.Has("cqc_location_id")
	stCol, hasST := t.Has("service_type")
	vacCol, hasVac := t.Has("vacancies")
	hoursCol, hasHours := t.Has("spare_hours")
	if !(hasID || hasCQC) || !hasST || !hasVac && !hasHours {
		return nil, []LineError{{Line: 1, Reason: "the first row must name the columns cqc_location_id (or location_id), service_type and vacancies"}}
	}
	seen := map[string]int{}
	// Unreadable lines count towards the limit, as every line reported does.
	return ReadRows(t, MaxVacancyRows, true, "the file has no vacancy lines under its header", func(line int, get func(int) string) (VacancyRow, []string) {
		v := VacancyRow{Line: line, CQCLocationID: get(cqcCol)}
		var problems []string
		v.LocationID, problems = LineLocation(v.CQCLocationID, get(idCol))
		st := get(stCol)
		if v.ServiceType = ParseServiceType(st); v.ServiceType == "" {
			problems = append(problems, fmt.Sprintf("service_type %q is not one of caremarket's service types (like nursing or residential_high)", st))
		}
		problems = append(problems, v.readFigure(get(vacCol), get(hoursCol), hasVac, hasHours)...)
		if len(problems) == 0 {
			key := v.CQCLocationID + "/" + strconv.FormatInt(v.LocationID, 10) + "/" + string(v.ServiceType)
			if first, dup := seen[key]; dup {
				problems = append(problems, fmt.Sprintf("the same location and service type are on line %d", first))
			} else {
				seen[key] = line
			}
		}
		return v, problems
	})
}

// LineLocation reads the location a line of an upload names: by its CQC
// location id, or else by caremarket's location_id (not read when the CQC
// id is given). It returns the location_id and the line's problems with
// them.
func LineLocation(cqcID, id string) (int64, []string) {
	var locationID int64
	var problems []string
	if id != "" && cqcID == "" {
		var err error
		if locationID, err = strconv.ParseInt(id, 10, 64); err != nil || locationID <= 0 {
			problems = append(problems, fmt.Sprintf("location_id %q is not a location number", id))
		}
	}
	if locationID == 0 && cqcID == "" && len(problems) == 0 {
		problems = append(problems, "give the location's cqc_location_id (like 1-123456789) or location_id")
	} else if cqcID != "" && !cqcLocationIDRe.MatchString(cqcID) {
		problems = append(problems, fmt.Sprintf("cqc_location_id %q does not look like 1-123456789", cqcID))
	}
	return locationID, problems
}

// ParseServiceType reads a service type by its code ("nursing_high") or the
// label the UI shows ("Nursing High"), ignoring case; "" when unknown.
func ParseServiceType(s string) ServiceType {
	s = strings.TrimSpace(s)
	for _, st := range ServiceTypes {
		if strings.EqualFold(s, string(st)) || strings.EqualFold(s, st.Label()) {
			return st
		}
	}
	return ""
}

// readFigure reads a line's vacancies or spare hours (vac and hours are the
// cells, "" when the column is absent).
func (v *VacancyRow) readFigure(vac, hours string, hasVac, hasHours bool) []string {
	if hasHours && hours != "" {
		m, ok := ParseHours(hours)
		switch {
		case v.ServiceType.IsBedBased():
			return []string{fmt.Sprintf("spare_hours is for care bought by the hour; give %s's vacancies instead", v.ServiceType.Label())}
		case !ok || m > MaxSpareMinutes:
			return []string{fmt.Sprintf("spare_hours %q is not a number of hours a week between 0 and 20000 (like 120 or 7.5)", hours)}
		}
		v.SpareMinutes = &m
		return nil
	}
	if !hasVac || vac == "" && hasHours {
		return []string{"give vacancies, or spare_hours for care bought by the hour"}
	}
	n, err := strconv.Atoi(vac)
	if err != nil || n < 0 || n > 1000 {
		return []string{fmt.Sprintf("vacancies %q is not a whole number between 0 and 1000", vac)}
	}
	v.Vacancies = n
	return nil
}
