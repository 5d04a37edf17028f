package finance

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Actuals are what the council paid, from its payments system (ContrOCC,
// Abacus ...): one line per payment for a placement over a period.

// ActualLine is one payment line of a remittance file.
type ActualLine struct {
	Line        int       `json:"line"`
	ProviderRef string    `json:"provider_reference"`
	PlacementID int64     `json:"placement_id,omitempty"`
	CaseRef     string    `json:"case_reference,omitempty"`
	From        time.Time `json:"period_from"`
	To          time.Time `json:"period_to"`
	Amount      Money     `json:"amount_pence"`
	PaidOn      time.Time `json:"payment_date"`
	// Fingerprint identifies the line across imports: the same payment in
	// the same file again is the same fingerprint, so a re-import adds
	// nothing; a line repeated within a file is told apart by its
	// occurrence (and reported as a period paid twice).
	Fingerprint string `json:"-"`
}

// LineError is a line that cannot be used, with its number and reason.
type LineError = market.LineError

// MaxActualLines bounds one import (a year of a large council's payments).
const MaxActualLines = 2_000_000

// columns names each field's headers as payments systems write them,
// compared without case, spaces or punctuation.
var columns = map[string][]string{
	"provider":  {"cqcproviderid", "providerid", "provider", "supplierreference", "supplierref", "suppliercode", "supplierid", "supplier", "creditorreference", "creditorref", "creditor", "vendorid", "vendor"},
	"placement": {"placementid", "placement", "serviceid", "packageid", "packagereference", "servicereference", "caremarketplacementid"},
	"case":      {"casereference", "caseref", "caseid", "clientid", "clientreference", "personid", "personreference", "serviceuserid", "serviceuserreference"},
	"from":      {"periodfrom", "periodstart", "fromdate", "datefrom", "startdate", "servicefrom", "from"},
	"to":        {"periodto", "periodend", "todate", "dateto", "enddate", "serviceto", "to"},
	"amount":    {"amount", "netamount", "paymentamount", "amountpaid", "grossamount", "value", "paid"},
	"paid":      {"paymentdate", "paiddate", "datepaid", "remittancedate", "paymentrundate", "paidon"},
}

func normHeader(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// findColumns maps each field to its column; the provider, either the
// placement id or the case reference, the period, the amount and the
// payment date are required.
func findColumns(header []string) (map[string]int, []int, error) {
	at := map[string]int{}
	// A file may carry both a CQC provider id and a supplier reference
	// column: each line uses the first of them it fills.
	var provs []int
	for _, name := range columns["provider"] {
		for i, h := range header {
			if normHeader(h) == name {
				provs = append(provs, i)
			}
		}
	}
	for field, names := range columns {
		best := len(names)
		for i, h := range header {
			n := normHeader(h)
			for rank, name := range names {
				if n == name && rank < best {
					at[field], best = i, rank
				}
			}
		}
	}
	var missing []string
	for _, f := range []struct{ key, label string }{{"provider", "provider (CQC provider id or supplier reference)"},
		{"from", "period from"}, {"to", "period to"}, {"amount", "amount"}, {"paid", "payment date"}} {
		if _, ok := at[f.key]; !ok {
			missing = append(missing, f.label)
		}
	}
	_, p := at["placement"]
	_, c := at["case"]
	if !p && !c {
		missing = append(missing, "placement id or case reference")
	}
	if len(missing) > 0 {
		return nil, nil, caremarket.Errorf(caremarket.EINVALID, "The file has no column for: %s. Its first line must name the columns", strings.Join(missing, ", "))
	}
	return at, provs, nil
}

// ParseDay reads a date as payments systems write it: 2026-04-06,
// 06/04/2026 (day first, as in England), 6/4/26, 06-Apr-2026, 6 April 2026.
func ParseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006", "02/01/06", "2/1/06", "02-Jan-2006", "2-Jan-2006", "2 January 2006", "2 Jan 2006", "2006-01-02T15:04:05", "02/01/2006 15:04:05", "02/01/2006 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Day(t), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date like 2026-04-06 or 06/04/2026", s)
}

// ReadActuals reads a remittance CSV. Columns are found by name in the
// first line; each line that cannot be read is reported with its number
// and reason, and the rest are returned. A file without the columns, or
// longer than MaxActualLines, is an error.
func ReadActuals(r io.Reader) ([]ActualLine, []LineError, error) {
	cr := csv.NewReader(market.LimitCSVLines(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, caremarket.Errorf(caremarket.EINVALID, "The file is empty")
	}
	if err != nil {
		return nil, nil, caremarket.Errorf(caremarket.EINVALID, "The file is not a CSV file: %v", err)
	}
	at, provs, err := findColumns(append([]string(nil), header...))
	if err != nil {
		return nil, nil, err
	}
	var out []ActualLine
	var bad []LineError
	seen := map[string]int{}
	line := 1
	for {
		rec, err := cr.Read()
		line++
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				bad = append(bad, LineError{Line: line, Reason: "wrong number of fields"})
				continue
			}
			return nil, nil, caremarket.Errorf(caremarket.EINVALID, "Line %d cannot be read as CSV: %v", line, err)
		}
		if len(out)+len(bad) >= MaxActualLines {
			return nil, nil, caremarket.Errorf(caremarket.EINVALID, "The file has more than %d lines: split it", MaxActualLines)
		}
		l, reason := readActual(rec, at, provs)
		if reason != "" {
			if reason != "blank" {
				bad = append(bad, LineError{Line: line, Reason: reason})
			}
			continue
		}
		l.Line = line
		key := l.key()
		seen[key]++
		sum := sha256.Sum256([]byte(key + "|" + strconv.Itoa(seen[key])))
		l.Fingerprint = hex.EncodeToString(sum[:16])
		out = append(out, l)
	}
	return out, bad, nil
}

func (l *ActualLine) key() string {
	return strings.Join([]string{strings.ToLower(l.ProviderRef), strconv.FormatInt(l.PlacementID, 10), strings.ToLower(l.CaseRef),
		l.From.Format(time.DateOnly), l.To.Format(time.DateOnly), strconv.FormatInt(int64(l.Amount), 10), l.PaidOn.Format(time.DateOnly)}, "|")
}

func readActual(rec []string, at map[string]int, provs []int) (ActualLine, string) {
	get := func(f string) string {
		i, ok := at[f]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	blank := true
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			blank = false
		}
	}
	if blank {
		return ActualLine{}, "blank"
	}
	var l ActualLine
	var why []string
	for _, i := range provs {
		if i < len(rec) && l.ProviderRef == "" {
			l.ProviderRef = strings.TrimSpace(rec[i])
		}
	}
	if l.ProviderRef == "" || len(l.ProviderRef) > 60 {
		why = append(why, "no provider (CQC provider id or supplier reference)")
	}
	if s := get("placement"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			why = append(why, fmt.Sprintf("placement id %q is not a number", s))
		}
		l.PlacementID = id
	}
	l.CaseRef = get("case")
	if len(l.CaseRef) > 60 {
		why = append(why, "case reference is over 60 characters")
	}
	if l.PlacementID == 0 && l.CaseRef == "" {
		why = append(why, "no placement id or case reference")
	}
	var err error
	if l.From, err = ParseDay(get("from")); err != nil {
		why = append(why, "period from: "+err.Error())
	}
	if l.To, err = ParseDay(get("to")); err != nil {
		why = append(why, "period to: "+err.Error())
	}
	if !l.From.IsZero() && !l.To.IsZero() && l.To.Before(l.From) {
		why = append(why, "the period ends before it starts")
	}
	if l.PaidOn, err = ParseDay(get("paid")); err != nil {
		why = append(why, "payment date: "+err.Error())
	}
	if l.Amount, err = money.Parse(get("amount")); err != nil {
		why = append(why, "amount: "+caremarket.ErrorMessage(err))
	} else if l.Amount > MaxPayment || l.Amount < -MaxPayment {
		why = append(why, "amount is over £10,000,000")
	}
	return l, strings.Join(why, "; ")
}

// MaxPayment bounds one payment line (£10m).
const MaxPayment = Money(1_000_000_000)

// Provider is what matching needs of a provider: its id, and the
// references a payments system may name it by.
type Provider struct {
	ID           int64
	Name         string
	CQCID        string
	SupplierRefs []string
}

// Period is a paid period of a placement.
type Period struct{ From, To time.Time }

// MatchIndex is what a council's payment lines are matched against.
type MatchIndex struct {
	Placements map[int64]*Placement
	ByCase     map[string][]int64 // lower-case case reference -> placements
	Providers  map[string]int64   // lower-case CQC provider id or supplier reference -> provider
	Known      map[string]bool    // fingerprints already imported
	Paid       map[int64][]Period // periods already paid, by placement
}

// LineStatus says what became of a payment line.
type LineStatus string

const (
	LineMatched   LineStatus = "matched"
	LineUnmatched LineStatus = "unmatched"
	LineKnown     LineStatus = "already_imported"
)

// Match is one payment line matched (or not) to its placement, with what
// is wrong with it: a period paid before (PaidTwice) or more paid than the
// placement commits over the period (Over).
type Match struct {
	ActualLine
	Status      LineStatus `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	ProviderID  int64      `json:"provider_id,omitempty"`
	Committed   Money      `json:"committed_pence"`
	Over        Money      `json:"overpaid_pence"`
	PaidTwice   bool       `json:"paid_twice"`
	ServiceType string     `json:"service_type,omitempty"`
}

// MatchLines matches each line to its placement: by placement id, or by
// case reference (the placement of that person whose days cover the
// period). The provider named must be the placement's; the period must
// fall within the placement. A line already imported (same fingerprint)
// is passed over. Lines are taken in order, so of two lines paying the
// same days the second is the period paid twice.
func MatchLines(lines []ActualLine, ix *MatchIndex) []Match {
	out := make([]Match, len(lines))
	paid := map[int64][]Period{}
	for i, l := range lines {
		m := Match{ActualLine: l, Status: LineMatched}
		out[i] = m
		if ix.Known[l.Fingerprint] {
			out[i].Status = LineKnown
			continue
		}
		provID, ok := ix.Providers[strings.ToLower(l.ProviderRef)]
		if !ok {
			out[i].Status, out[i].Reason = LineUnmatched, fmt.Sprintf("no provider has the CQC provider id or supplier reference %q", l.ProviderRef)
			continue
		}
		p, reason := ix.find(l, provID)
		if p == nil {
			out[i].Status, out[i].Reason = LineUnmatched, reason
			continue
		}
		m.ProviderID, m.PlacementID, m.ServiceType = provID, p.ID, string(p.ServiceType)
		m.Committed = p.Cost(l.From, l.To)
		if l.Amount > m.Committed {
			m.Over = l.Amount - m.Committed
		}
		for _, pp := range [][]Period{ix.Paid[p.ID], paid[p.ID]} {
			for _, q := range pp {
				if !l.From.After(q.To) && !q.From.After(l.To) {
					m.PaidTwice = true
				}
			}
		}
		paid[p.ID] = append(paid[p.ID], Period{l.From, l.To})
		out[i] = m
	}
	return out
}

func (ix *MatchIndex) find(l ActualLine, provID int64) (*Placement, string) {
	overlaps := func(p *Placement) bool {
		return !l.To.Before(p.Start) && (p.End == nil || !l.From.After(*p.End))
	}
	if l.PlacementID != 0 {
		p := ix.Placements[l.PlacementID]
		switch {
		case p == nil:
			return nil, fmt.Sprintf("no placement %d", l.PlacementID)
		case p.ProviderID != provID:
			return nil, fmt.Sprintf("placement %d is not with provider %s", l.PlacementID, l.ProviderRef)
		case !overlaps(p):
			return nil, fmt.Sprintf("the period %s to %s is outside placement %d", l.From.Format("2 January 2006"), l.To.Format("2 January 2006"), p.ID)
		}
		return p, ""
	}
	ids := ix.ByCase[strings.ToLower(l.CaseRef)]
	if len(ids) == 0 {
		return nil, fmt.Sprintf("no placement has the case reference %q", l.CaseRef)
	}
	var found *Placement
	for _, id := range ids {
		if p := ix.Placements[id]; p != nil && p.ProviderID == provID && overlaps(p) {
			if found == nil || p.Start.After(found.Start) {
				found = p
			}
		}
	}
	if found == nil {
		return nil, fmt.Sprintf("case %s has no placement with provider %s in the period %s to %s", l.CaseRef, l.ProviderRef,
			l.From.Format("2 January 2006"), l.To.Format("2 January 2006"))
	}
	return found, ""
}

// ImportReport is what an import found: counts, the lines it could not
// match (with line number and reason), overpayments, periods paid twice,
// and actual against commitment per placement and per provider.
type ImportReport struct {
	ID          int64            `json:"id,omitempty"`
	Lines       int              `json:"lines"`
	Added       int              `json:"added"`
	Known       int              `json:"already_imported"`
	Rejected    []LineError      `json:"rejected"`
	Unmatched   []LineError      `json:"unmatched"`
	Overpaid    []Match          `json:"overpayments"`
	PaidTwice   []Match          `json:"paid_twice"`
	Amount      Money            `json:"amount_pence"`
	ByPlacement []ActualVsCommit `json:"by_placement"`
	ByProvider  []ActualVsCommit `json:"by_provider"`
	LinesPerSec int              `json:"lines_per_second,omitempty"`
}

// ActualVsCommit compares what was paid with what was committed over the
// periods paid.
type ActualVsCommit struct {
	ID        int64  `json:"id"`
	Name      string `json:"name,omitempty"`
	Actual    Money  `json:"actual_pence"`
	Committed Money  `json:"committed_pence"`
	Lines     int    `json:"lines"`
}

// Report sums the matches. Only newly matched lines count toward the
// totals; lines already imported are counted apart.
func Report(ms []Match, rejected []LineError, names map[int64]string) *ImportReport {
	r := &ImportReport{Lines: len(ms) + len(rejected), Rejected: rejected, Unmatched: []LineError{}, Overpaid: []Match{}, PaidTwice: []Match{}}
	if r.Rejected == nil {
		r.Rejected = []LineError{}
	}
	byPl, byPr := map[int64]*ActualVsCommit{}, map[int64]*ActualVsCommit{}
	for _, m := range ms {
		switch m.Status {
		case LineKnown:
			r.Known++
			continue
		case LineUnmatched:
			r.Unmatched = append(r.Unmatched, LineError{Line: m.Line, Reason: m.Reason})
			continue
		}
		r.Added++
		r.Amount += m.Amount
		if m.Over > 0 {
			r.Overpaid = append(r.Overpaid, m)
		}
		if m.PaidTwice {
			r.PaidTwice = append(r.PaidTwice, m)
		}
		for _, g := range []struct {
			m  map[int64]*ActualVsCommit
			id int64
		}{{byPl, m.PlacementID}, {byPr, m.ProviderID}} {
			a := g.m[g.id]
			if a == nil {
				a = &ActualVsCommit{ID: g.id}
				g.m[g.id] = a
			}
			a.Actual += m.Amount
			a.Committed += m.Committed
			a.Lines++
		}
	}
	flat := func(m map[int64]*ActualVsCommit, named bool) []ActualVsCommit {
		out := make([]ActualVsCommit, 0, len(m))
		for _, a := range m {
			if named {
				a.Name = names[a.ID]
			}
			out = append(out, *a)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out
	}
	r.ByPlacement, r.ByProvider = flat(byPl, false), flat(byPr, true)
	sort.Slice(r.Unmatched, func(i, j int) bool { return r.Unmatched[i].Line < r.Unmatched[j].Line })
	return r
}
