package market

import (
	"bufio"
	"encoding/csv"
	"errors"
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
// like "nursing", or the label, like "Nursing High") and vacancies. It
// returns the rows it could read and, for every line it could not, the
// reason; the caller saves nothing unless there are no errors, so a provider
// fixes the file and uploads it again.
func ParseVacancyCSV(r io.Reader) ([]VacancyRow, []LineError) {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); len(b) == 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, []LineError{{Line: 1, Reason: "the file is empty or not CSV: the first row names the columns cqc_location_id, service_type and vacancies"}}
	}
	col := map[string]int{}
	for i, h := range header {
		key := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))))
		if _, dup := col[key]; !dup {
			col[key] = i
		}
	}
	idCol, hasID := col["location_id"]
	cqcCol, hasCQC := col["cqc_location_id"]
	stCol, hasST := col["service_type"]
	vacCol, hasVac := col["vacancies"]
	if !(hasID || hasCQC) || !hasST || !hasVac {
		return nil, []LineError{{Line: 1, Reason: "the first row must name the columns cqc_location_id (or location_id), service_type and vacancies"}}
	}
	var rows []VacancyRow
	var errs []LineError
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			errs = append(errs, LineError{Line: pe.StartLine, Reason: pe.Err.Error()})
			continue
		} else if err != nil {
			errs = append(errs, LineError{Line: 0, Reason: "the file could not be read: " + err.Error()})
			break
		}
		line, _ := cr.FieldPos(0)
		get := func(i int, ok bool) string {
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		if len(rows)+len(errs) >= MaxVacancyRows {
			errs = append(errs, LineError{Line: line, Reason: fmt.Sprintf("the file has more than %d lines; split it", MaxVacancyRows)})
			break
		}
		v := VacancyRow{Line: line, CQCLocationID: get(cqcCol, hasCQC)}
		var problems []string
		if s := get(idCol, hasID); s != "" && v.CQCLocationID == "" {
			if v.LocationID, err = strconv.ParseInt(s, 10, 64); err != nil || v.LocationID <= 0 {
				problems = append(problems, fmt.Sprintf("location_id %q is not a location number", s))
			}
		}
		if v.LocationID == 0 && v.CQCLocationID == "" && len(problems) == 0 {
			problems = append(problems, "give the location's cqc_location_id (like 1-123456789) or location_id")
		} else if v.CQCLocationID != "" && !cqcLocationIDRe.MatchString(v.CQCLocationID) {
			problems = append(problems, fmt.Sprintf("cqc_location_id %q does not look like 1-123456789", v.CQCLocationID))
		}
		st := get(stCol, hasST)
		if v.ServiceType = ParseServiceType(st); v.ServiceType == "" {
			problems = append(problems, fmt.Sprintf("service_type %q is not one of caremarket's service types (like nursing or residential_high)", st))
		}
		n := get(vacCol, hasVac)
		if v.Vacancies, err = strconv.Atoi(n); err != nil || v.Vacancies < 0 || v.Vacancies > 1000 {
			problems = append(problems, fmt.Sprintf("vacancies %q is not a whole number between 0 and 1000", n))
		}
		if len(problems) == 0 {
			key := v.CQCLocationID + "/" + strconv.FormatInt(v.LocationID, 10) + "/" + string(v.ServiceType)
			if first, dup := seen[key]; dup {
				problems = append(problems, fmt.Sprintf("the same location and service type are on line %d", first))
			} else {
				seen[key] = line
			}
		}
		if len(problems) > 0 {
			errs = append(errs, LineError{Line: line, Reason: strings.Join(problems, "; ")})
			continue
		}
		rows = append(rows, v)
	}
	if len(rows) == 0 && len(errs) == 0 {
		errs = append(errs, LineError{Line: 2, Reason: "the file has no vacancy lines under its header"})
	}
	return rows, errs
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
