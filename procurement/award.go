package procurement

import (
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
)

// Standstill periods.
const (
	// PA 2023 s.51(2): eight working days beginning with the day the contract
	// award notice is published.
	PAStandstillWorkingDays = 8
	// PCR 2015 reg. 87(2): ten days after the day the award decision is sent
	// (electronically).
	PCRStandstillDays = 10
)

// Standstill is the pause between the contract award notice and the contract.
type Standstill struct {
	// Rule names the law (or the council's choice) that sets the period.
	Rule string `json:"rule"`
	// Applies is false when no standstill is held.
	Applies bool `json:"applies"`
	// Notice is the day the contract award notice was published.
	Notice time.Time `json:"notice"`
	// Ends is the last day of the standstill (ends at midnight); zero when
	// none applies.
	Ends time.Time `json:"ends"`
	// EarliestContract is the first day the contract may be entered into.
	EarliestContract time.Time `json:"earliest_contract"`
}

// StandstillFor computes the standstill after a contract award notice
// published on notice:
//   - PA 2023 s.51: 8 working days beginning with the day of publication, for
//     contracts where it is mandatory;
//   - light touch contracts are exempt (s.51(3)), but the council may hold
//     the same period voluntarily;
//   - PCR 2015 reg. 87(2): 10 calendar days after the day of sending, and if
//     the last day is not a working day the period runs to the end of the
//     next working day (reg. 87(4)).
//
// Working days exclude weekends and England and Wales bank holidays.
func StandstillFor(a *Agreement, notice time.Time, cal *Calendar) Standstill {
	n := Day(notice.In(London))
	s := Standstill{Notice: n}
	switch {
	case a.Regime == PCR2015:
		s.Rule = "PCR 2015 reg. 87: 10 calendar days"
		s.Applies = true
		s.Ends = cal.NextWorkingDay(n.AddDate(0, 0, PCRStandstillDays))
	case a.LightTouch && !a.VoluntaryStandstill:
		s.Rule = "None: light touch contracts are exempt from the PA 2023 s.51 standstill"
		s.EarliestContract = n
		return s
	case a.LightTouch:
		s.Rule = "Voluntary standstill of 8 working days (light touch: PA 2023 s.51 does not require one)"
		s.Applies = true
		s.Ends = cal.NthWorkingDayFrom(n, PAStandstillWorkingDays)
	default:
		s.Rule = "PA 2023 s.51: mandatory standstill of 8 working days"
		s.Applies = true
		s.Ends = cal.NthWorkingDayFrom(n, PAStandstillWorkingDays)
	}
	s.EarliestContract = s.Ends.AddDate(0, 0, 1)
	return s
}

// CheckEnter refuses to enter a contract before the award notice, or inside
// the standstill.
func (s Standstill) CheckEnter(on time.Time) error {
	d := Day(on.In(London))
	if s.Notice.IsZero() {
		return caremarket.Errorf(caremarket.ECONFLICT, "Publish the contract award notice before entering the contract (PA 2023 s.50)")
	}
	if d.Before(s.EarliestContract) {
		if !s.Applies {
			return caremarket.Errorf(caremarket.ECONFLICT, "The contract cannot be entered before the contract award notice is published on %s", fmtDate(s.Notice))
		}
		return caremarket.Errorf(caremarket.ECONFLICT, "%s: the standstill ends at midnight on %s, so the contract cannot be entered before %s",
			s.Rule, fmtDate(s.Ends), fmtDate(s.EarliestContract))
	}
	return nil
}

// Award admits an application's provider to a lot.
type Award struct {
	ID            int64     `json:"id"`
	CouncilID     int64     `json:"-"`
	AgreementID   int64     `json:"agreement_id"`
	WindowID      int64     `json:"window_id"`
	LotID         int64     `json:"lot_id"`
	ApplicationID int64     `json:"application_id"`
	ProviderID    int64     `json:"provider_id"`
	ProviderName  string    `json:"provider_name"`
	Score         int       `json:"score"`
	DecidedAt     time.Time `json:"decided_at"`
	// NoticeAt is when the contract award notice was published (nil before).
	NoticeAt   *time.Time  `json:"notice_at,omitempty"`
	Standstill *Standstill `json:"standstill,omitempty"`
	ContractID int64       `json:"contract_id,omitempty"`
}

// CheckAward refuses to award an application that did not pass every stage,
// did not apply for the lot, or would take a capped lot over its cap.
func CheckAward(l *Lot, r *Result) error {
	if !r.Passed() {
		return caremarket.Errorf(caremarket.ECONFLICT, "%s did not pass selection and quality, so it cannot be awarded a place", r.ProviderName)
	}
	if !hasLot(r.LotIDs, l.ID) {
		return caremarket.Errorf(caremarket.ECONFLICT, "%s did not apply for lot %d", r.ProviderName, l.Number)
	}
	if l.ProviderCapReached() {
		return caremarket.Errorf(caremarket.ECONFLICT, "Lot %d is capped at %d providers and is full", l.Number, l.ProviderCap)
	}
	return nil
}

// Extension is an option to extend a contract.
type Extension struct {
	Months  int        `json:"months"`
	Taken   bool       `json:"taken"`
	TakenOn *time.Time `json:"taken_on,omitempty"`
}

// BreakClause lets the council end a contract early.
type BreakClause struct {
	From         time.Time `json:"from"`
	NoticeMonths int       `json:"notice_months"`
	Description  string    `json:"description"`
}

// Variation is a change to a contract during its term (PA 2023 s.74; PCR
// 2015 reg. 72).
type Variation struct {
	Date             time.Time `json:"date"`
	Description      string    `json:"description"`
	ValueChangePence int64     `json:"value_change_pence"`
}

// Contract is a contract entered with a provider, under an agreement or not.
type Contract struct {
	ID           int64  `json:"id"`
	CouncilID    int64  `json:"-"`
	AgreementID  int64  `json:"agreement_id,omitempty"`
	AwardID      int64  `json:"award_id,omitempty"`
	ProviderID   int64  `json:"provider_id"`
	ProviderName string `json:"provider_name"`
	Reference    string `json:"reference"`
	Title        string `json:"title"`
	// Start and InitialEnd are the original term; End is the current end,
	// moved by each extension taken.
	Start        time.Time     `json:"start"`
	InitialEnd   time.Time     `json:"initial_end"`
	End          time.Time     `json:"end"`
	Extensions   []Extension   `json:"extensions"`
	BreakClauses []BreakClause `json:"break_clauses"`
	Variations   []Variation   `json:"variations"`
	// AnnualValuePence is the advertised yearly value; LifetimeValuePence
	// the estimate over the whole term with every option; ValueSoFarPence
	// what has been spent under it.
	AnnualValuePence   int64     `json:"annual_value_pence"`
	LifetimeValuePence int64     `json:"lifetime_value_pence"`
	ValueSoFarPence    int64     `json:"value_so_far_pence"`
	EnteredOn          time.Time `json:"entered_on"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// Validate checks a contract, and recomputes End from the extensions taken.
func (c *Contract) Validate() error {
	c.Reference = strings.ToUpper(strings.TrimSpace(c.Reference))
	c.Title = strings.TrimSpace(c.Title)
	c.Start, c.InitialEnd = Day(c.Start), Day(c.InitialEnd)
	f := map[string]string{}
	if !referenceRe.MatchString(c.Reference) {
		f["reference"] = "Reference must be 2 to 40 capital letters, digits or - / _ ."
	}
	caremarket.CheckText(f, "title", "title", c.Title, true, MaxTitleLen)
	if c.ProviderID <= 0 {
		f["provider_id"] = "Choose the provider"
	}
	if c.Start.IsZero() {
		f["start"] = "Enter the start date"
	}
	if c.InitialEnd.IsZero() || !c.InitialEnd.After(c.Start) {
		f["initial_end"] = "The initial end date must be after the start date"
	}
	if c.AnnualValuePence < 0 || c.LifetimeValuePence < 0 || c.ValueSoFarPence < 0 {
		f["lifetime_value_pence"] = "Values must be zero or more"
	}
	checkValues(f, c.AnnualValuePence, c.LifetimeValuePence, c.ValueSoFarPence, c.Variations)
	taking := true
	for i, e := range c.Extensions {
		if e.Months < 1 || e.Months > 120 {
			f["extensions."+strconv.Itoa(i)] = "An extension is from 1 to 120 months"
		}
		if e.Taken && !taking {
			f["extensions."+strconv.Itoa(i)] = "Extensions are taken in order: take the earlier option first"
		}
		taking = e.Taken
	}
	for i := range c.BreakClauses {
		b := &c.BreakClauses[i]
		b.Description = strings.TrimSpace(b.Description)
		b.From = Day(b.From)
		if b.NoticeMonths < 0 || b.NoticeMonths > 24 {
			f["break_clauses."+strconv.Itoa(i)] = "Notice is from 0 to 24 months"
		}
		caremarket.CheckText(f, "break_clauses."+strconv.Itoa(i), "break clause", b.Description, true, MaxTextLen)
	}
	for i := range c.Variations {
		v := &c.Variations[i]
		v.Description = strings.TrimSpace(v.Description)
		v.Date = Day(v.Date)
		caremarket.CheckText(f, "variations."+strconv.Itoa(i), "variation", v.Description, true, MaxTextLen)
	}
	c.End = c.currentEnd()
	return caremarket.Invalid(f)
}

func (c *Contract) currentEnd() time.Time {
	end := c.InitialEnd
	for _, e := range c.Extensions {
		if e.Taken {
			end = end.AddDate(0, e.Months, 0)
		}
	}
	return end
}

// TakeExtension exercises the next extension option, on the date given; it
// must be taken before the contract ends.
func (c *Contract) TakeExtension(on time.Time) error {
	on = Day(on)
	for i := range c.Extensions {
		e := &c.Extensions[i]
		if e.Taken {
			continue
		}
		if on.After(c.End) {
			return caremarket.Errorf(caremarket.ECONFLICT, "The contract ended on %s: an extension must be taken before it ends", fmtDate(c.End))
		}
		e.Taken, e.TakenOn = true, &on
		c.End = c.currentEnd()
		return nil
	}
	return caremarket.Errorf(caremarket.ECONFLICT, "The contract has no extension options left")
}

// ExtensionMonthsRemaining is the total of options not yet taken.
func (c *Contract) ExtensionMonthsRemaining() int {
	n := 0
	for _, e := range c.Extensions {
		if !e.Taken {
			n += e.Months
		}
	}
	return n
}

// MaxEnd is the end if every remaining option were taken.
func (c *Contract) MaxEnd() time.Time {
	return c.End.AddDate(0, c.ExtensionMonthsRemaining(), 0)
}

// VariedLifetimeValuePence is the lifetime value with every variation.
func (c *Contract) VariedLifetimeValuePence() int64 {
	v := c.LifetimeValuePence
	for _, x := range c.Variations {
		v += x.ValueChangePence
	}
	return v
}

// Status is where the contract is at now.
func (c *Contract) Status(now time.Time) string {
	d := Day(now)
	switch {
	case d.Before(c.Start):
		return "pending"
	case d.After(c.End):
		return "ended"
	}
	return "active"
}
