package pricing

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// LineError is a line of an uploaded file that cannot be used, and why
// (the same shape as the vacancy upload's).
type LineError = market.LineError

// MaxCSVRows bounds one upload: a large group has a few hundred homes with a
// few service types and bands each.
const MaxCSVRows = 5000

// MaxReasonLen bounds a reason for a price outside the guide band.
const MaxReasonLen = 1000

// SubmissionRow is one line of a provider's price upload: its price for a
// location, service type and band.
type SubmissionRow struct {
	Line          int                `json:"line"`
	LocationID    int64              `json:"location_id,omitempty"`
	CQCLocationID string             `json:"cqc_location_id,omitempty"`
	ServiceType   market.ServiceType `json:"service_type"`
	Band          string             `json:"band"`
	Price         money.Money        `json:"price_pence"`
	Reason        string             `json:"reason,omitempty"`
}

// ParseBand reads a band code: letters, digits, -, _ and the / that joins a
// supported living accommodation band to a client-need band. Blank is the
// standard band.
func ParseBand(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return StandardBand, true
	}
	if len(s) > 81 {
		return "", false
	}
	for _, part := range strings.SplitN(s, "/", 2) {
		if !bandCodeOK(part) {
			return "", false
		}
	}
	return s, true
}

// ParseSubmissionCSV reads a provider's price file. Its first row names the
// columns (in any order): cqc_location_id or location_id, service_type (code
// or label), band (optional: blank is "standard"; supported living is
// "accommodation/client-need", like A/C2), price (pounds, like 812.50; also
// accepted as weekly_price or hourly_price) and reason (optional; needed when
// the price is outside the guide band, which the caller checks). It returns
// the rows it could read and a reason for every line it could not; the caller
// saves nothing unless there are no errors, so a provider fixes the file and
// uploads it again.
func ParseSubmissionCSV(r io.Reader) ([]SubmissionRow, []LineError) {
	t, err := market.OpenCSV(r, false)
	if err != nil {
		return nil, []LineError{{Line: 1, Reason: "the file is empty or not CSV: the first row names the columns cqc_location_id, service_type, band, price and reason"}}
	}
	idCol, hasID := t.Has("location_id")
	cqcCol, hasCQC := t.Has("cqc_location_id")
	stCol, hasST := t.Has("service_type")
	bandCol, _ := t.Has("band")
	priceCol, hasPrice := t.Has("price", "weekly_price", "hourly_price")
	reasonCol, _ := t.Has("reason")
	if !(hasID || hasCQC) || !hasST || !hasPrice {
		return nil, []LineError{{Line: 1, Reason: "the first row must name the columns cqc_location_id (or location_id), service_type and price (band and reason are optional)"}}
	}
	seen := map[string]int{}
	return market.ReadRows(t, MaxCSVRows, false, "the file has no price lines under its header", func(line int, get func(int) string) (SubmissionRow, []string) {
		s := SubmissionRow{Line: line, CQCLocationID: get(cqcCol)}
		var problems []string
		s.LocationID, problems = market.LineLocation(s.CQCLocationID, get(idCol))
		st := get(stCol)
		if s.ServiceType = market.ParseServiceType(st); s.ServiceType == "" {
			problems = append(problems, fmt.Sprintf("service_type %q is not one of caremarket's service types (like nursing or residential_high)", st))
		}
		var ok bool
		if s.Band, ok = ParseBand(get(bandCol)); !ok {
			problems = append(problems, fmt.Sprintf("band %q is not a band code (letters, digits, - or _)", get(bandCol)))
		}
		p := get(priceCol)
		if s.Price, err = money.Parse(p); err != nil || s.Price <= 0 || s.Price > money.Max {
			problems = append(problems, fmt.Sprintf("price %q is not an amount in pounds above £0 and up to £1,000,000, like 812.50", p))
		}
		s.Reason = get(reasonCol)
		if !utf8.ValidString(s.Reason) {
			problems = append(problems, "reason contains characters we cannot read")
		} else if utf8.RuneCountInString(s.Reason) > MaxReasonLen {
			problems = append(problems, fmt.Sprintf("reason must be %d characters or fewer", MaxReasonLen))
		}
		if len(problems) == 0 {
			key := s.CQCLocationID + "/" + strconv.FormatInt(s.LocationID, 10) + "/" + string(s.ServiceType) + "/" + s.Band
			if first, dup := seen[key]; dup {
				problems = append(problems, fmt.Sprintf("the same location, service type and band are on line %d", first))
			} else {
				seen[key] = line
			}
		}
		return s, problems
	})
}

// ParseLegacyCSV reads legacy placements for a migration impact: columns
// home, reference, service_type, band (optional), current_weekly and
// guide_weekly (optional: the caller may fill it from the current guide
// prices; blank is 0). Errors are per line, as for price files.
func ParseLegacyCSV(r io.Reader) ([]LegacyPlacement, []LineError) {
	t, err := market.OpenCSV(r, false)
	if err != nil {
		return nil, []LineError{{Line: 1, Reason: "the file is empty or not CSV: the first row names the columns home, reference, service_type, band, current_weekly and guide_weekly"}}
	}
	homeCol, hasHome := t.Has("home", "location")
	refCol, _ := t.Has("reference", "ref")
	stCol, hasST := t.Has("service_type")
	bandCol, _ := t.Has("band")
	curCol, hasCur := t.Has("current_weekly", "current")
	guideCol, _ := t.Has("guide_weekly", "guide")
	if !hasHome || !hasST || !hasCur {
		return nil, []LineError{{Line: 1, Reason: "the first row must name the columns home, service_type and current_weekly (reference, band and guide_weekly are optional)"}}
	}
	return market.ReadRows(t, MaxCSVRows, false, "the file has no placement lines under its header", func(line int, get func(int) string) (LegacyPlacement, []string) {
		p := LegacyPlacement{Line: line, Home: get(homeCol), Reference: get(refCol)}
		var problems []string
		if p.Home == "" || len(p.Home) > 200 || !utf8.ValidString(p.Home) {
			problems = append(problems, "give the home's name (up to 200 characters)")
		}
		if len(p.Reference) > 100 || !utf8.ValidString(p.Reference) {
			problems = append(problems, "reference must be 100 characters or fewer")
		}
		st := get(stCol)
		if p.ServiceType = market.ParseServiceType(st); p.ServiceType == "" {
			problems = append(problems, fmt.Sprintf("service_type %q is not one of caremarket's service types", st))
		}
		var ok bool
		if p.Band, ok = ParseBand(get(bandCol)); !ok {
			problems = append(problems, fmt.Sprintf("band %q is not a band code", get(bandCol)))
		}
		c := get(curCol)
		if p.Current, err = money.Parse(c); err != nil || p.Current < 0 || p.Current > money.Max {
			problems = append(problems, fmt.Sprintf("current_weekly %q is not an amount in pounds, like 1978.42", c))
		}
		if g := get(guideCol); g != "" {
			if p.Guide, err = money.Parse(g); err != nil || p.Guide < 0 || p.Guide > money.Max {
				problems = append(problems, fmt.Sprintf("guide_weekly %q is not an amount in pounds, like 1964.37", g))
			}
		}
		return p, problems
	})
}
