package procurement

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
)

// Term limits, in years from the start (for an open framework: from the award
// of the first framework in the scheme).
const (
	// PA 2023 s.49(2)(a): a further framework within 3 years of the first award…
	OpenFrameworkFirstReopeningYears = 3
	// …and then within every 5 years (s.49(2)(b))…
	OpenFrameworkReopeningYears = 5
	// …and the scheme ends within 8 years of the first award (s.49(2)(c)).
	OpenFrameworkMaxYears = 8
	// PA 2023 s.49(6): a single-supplier open framework ends within 4 years.
	SingleSupplierOpenFrameworkMaxYears = 4
	// PA 2023 s.47(1): a closed framework lasts at most 4 years.
	ClosedFrameworkMaxYears = 4
	// PCR 2015 reg. 33(3): a framework agreement lasts at most 4 years.
	PCRFrameworkMaxYears = 4
)

// fmtDate writes a date as the UI does.
func fmtDate(t time.Time) string { return t.Format("2 January 2006") }

// Validate checks an agreement and its lots before it is saved, including the
// law on its term and call-off. Messages name the rule they apply.
func (a *Agreement) Validate() error {
	a.Reference = strings.ToUpper(strings.TrimSpace(a.Reference))
	a.Title = strings.TrimSpace(a.Title)
	a.Description = strings.TrimSpace(a.Description)
	a.Start, a.End = Day(a.Start), Day(a.End)
	for i := range a.Reopenings {
		a.Reopenings[i] = Day(a.Reopenings[i])
	}
	f := map[string]string{}
	if !referenceRe.MatchString(a.Reference) {
		f["reference"] = "Reference must be 2 to 40 capital letters, digits or - / _ . , like AAHC-2027"
	}
	caremarket.CheckText(f, "title", "title", a.Title, true, MaxTitleLen)
	caremarket.CheckText(f, "description", "description", a.Description, false, MaxTextLen)
	if !a.Type.Valid() {
		f["type"] = "Choose the type of agreement"
	}
	if a.Regime != PCR2015 && a.Regime != PA2023 {
		f["regime"] = "Choose the law the agreement is procured under: PCR 2015 or PA 2023"
	}
	switch {
	case a.Type == DPS && a.Regime == PA2023:
		f["regime"] = "A Dynamic Purchasing System is a PCR 2015 procedure (reg. 34); under the Procurement Act 2023 use an open framework or a dynamic market"
	case a.Type == OpenFramework && a.Regime == PCR2015:
		f["regime"] = "Open frameworks exist only under the Procurement Act 2023 (s.49)"
	}
	if a.AnnualValuePence < 0 {
		f["annual_value_pence"] = "Annual value must be zero or more"
	}
	if a.LifetimeValuePence < 0 {
		f["lifetime_value_pence"] = "Lifetime value must be zero or more"
	} else if a.LifetimeValuePence > 0 && a.LifetimeValuePence < a.AnnualValuePence {
		f["lifetime_value_pence"] = "Lifetime value must be at least the annual value"
	}
	checkValues(f, a.AnnualValuePence, a.LifetimeValuePence, 0, nil)
	if a.Start.IsZero() || a.Start.Year() < 1990 || a.Start.Year() > 2100 {
		f["start"] = "Enter the start date"
	}
	if a.End.IsZero() || a.End.Year() < 1990 || a.End.Year() > 2100 {
		f["end"] = "Enter the end date"
	} else if !a.Start.IsZero() && !a.End.After(a.Start) {
		f["end"] = "End date must be after the start date"
	}
	if a.SingleSupplier && a.Type != OpenFramework && a.Type != ClosedFramework {
		f["single_supplier"] = "Only a framework can be a single-supplier framework"
	}
	if len(a.Reopenings) > 0 && a.Type != OpenFramework {
		f["reopenings"] = "Only an open framework is reopened; a " + a.Type.Label() + " is not"
	}
	if f["start"] == "" && f["end"] == "" && f["type"] == "" {
		a.checkTerm(f)
	}
	a.checkLots(f)
	return caremarket.Invalid(f)
}

// checkTerm applies the law on how long an agreement may run.
func (a *Agreement) checkTerm(f map[string]string) {
	switch a.Type {
	case OpenFramework:
		if a.SingleSupplier {
			// PA 2023 s.49(6): a single-supplier open framework ends within 4 years.
			if max := a.Start.AddDate(SingleSupplierOpenFrameworkMaxYears, 0, 0); a.End.After(max) {
				f["end"] = fmt.Sprintf("PA 2023 s.49(6): an open framework with a single supplier must end within 4 years of the first award, by %s", fmtDate(max))
				return
			}
		}
		// PA 2023 s.49(2)(c): the scheme ends within 8 years of the first award.
		if max := a.Start.AddDate(OpenFrameworkMaxYears, 0, 0); a.End.After(max) {
			f["end"] = fmt.Sprintf("PA 2023 s.49(2): an open framework scheme must end within 8 years of the first award, by %s", fmtDate(max))
			return
		}
		// PA 2023 s.49(2)(a)-(b): a new framework in the scheme within 3 years
		// of the first award and then within every 5 years.
		deadline := a.Start.AddDate(OpenFrameworkFirstReopeningYears, 0, 0)
		prev := a.Start
		for i, r := range a.Reopenings {
			key := "reopenings." + strconv.Itoa(i)
			switch {
			case !r.After(prev):
				f[key] = fmt.Sprintf("Reopening %d must come after %s", i+1, fmtDate(prev))
				return
			case !r.Before(a.End):
				f[key] = fmt.Sprintf("Reopening %d must come before the scheme ends on %s", i+1, fmtDate(a.End))
				return
			case r.After(deadline):
				if i == 0 {
					f[key] = fmt.Sprintf("PA 2023 s.49(2): the first reopening of an open framework must award a new framework within 3 years of the first award, by %s", fmtDate(deadline))
				} else {
					f[key] = fmt.Sprintf("PA 2023 s.49(2): reopening %d must award a new framework within 5 years of the previous one, by %s", i+1, fmtDate(deadline))
				}
				return
			}
			prev = r
			deadline = r.AddDate(OpenFrameworkReopeningYears, 0, 0)
		}
		if a.End.After(deadline) {
			what := "within 3 years of the first award"
			if len(a.Reopenings) > 0 {
				what = "within 5 years of the last reopening"
			}
			f["reopenings"] = fmt.Sprintf("PA 2023 s.49(2): an open framework must award a new framework in the scheme %s, by %s; add a reopening or end the scheme by then", what, fmtDate(deadline))
		}
	case ClosedFramework:
		if a.Regime == PCR2015 {
			// PCR 2015 reg. 33(3): at most 4 years save in exceptional cases.
			if max := a.Start.AddDate(PCRFrameworkMaxYears, 0, 0); a.End.After(max) {
				f["end"] = fmt.Sprintf("PCR 2015 reg. 33(3): a framework agreement lasts at most 4 years, to %s", fmtDate(max))
			}
			return
		}
		// PA 2023 s.47(1): a closed framework lasts at most 4 years.
		if max := a.Start.AddDate(ClosedFrameworkMaxYears, 0, 0); a.End.After(max) {
			f["end"] = fmt.Sprintf("PA 2023 s.47: a closed framework lasts at most 4 years, to %s; for longer use an open framework (s.49)", fmtDate(max))
		}
	}
}

// checkLots validates the lots, including the call-off rule.
func (a *Agreement) checkLots(f map[string]string) {
	numbers := map[int]bool{}
	for i := range a.Lots {
		l := &a.Lots[i]
		p := "lots." + strconv.Itoa(i) + "."
		if l.Number <= 0 {
			l.Number = i + 1
		}
		if numbers[l.Number] {
			f[p+"number"] = fmt.Sprintf("Lot %d is numbered twice", l.Number)
		}
		numbers[l.Number] = true
		for k, msg := range l.check(a) {
			f[p+k] = msg
		}
	}
}

// Validate checks a lot on its own agreement (the call-off law depends on
// the agreement).
func (l *Lot) Validate(a *Agreement) error {
	f := map[string]string{}
	for k, msg := range l.check(a) {
		f[k] = msg
	}
	return caremarket.Invalid(f)
}

func (l *Lot) check(a *Agreement) map[string]string {
	l.Title = strings.TrimSpace(l.Title)
	l.CallOffTerms = strings.TrimSpace(l.CallOffTerms)
	l.Mechanism = strings.TrimSpace(l.Mechanism)
	f := map[string]string{}
	caremarket.CheckText(f, "title", "lot title", l.Title, true, MaxTitleLen)
	caremarket.CheckText(f, "call_off_terms", "call-off terms", l.CallOffTerms, false, MaxTextLen)
	caremarket.CheckText(f, "mechanism", "selection mechanism", l.Mechanism, false, MaxTextLen)
	if len(l.ServiceTypes) == 0 {
		f["service_types"] = "Choose at least one service type for the lot"
	}
	for _, st := range l.ServiceTypes {
		if !st.Valid() {
			f["service_types"] = "Choose service types from the list"
		}
	}
	if len(l.AreaIDs) == 0 {
		f["area_ids"] = "Choose at least one area for the lot"
	}
	if l.ProviderCap < 0 {
		f["provider_cap"] = "The cap on providers must be zero (no cap) or more"
	} else if a != nil && a.SingleSupplier && l.ProviderCap != 1 {
		f["provider_cap"] = "A single-supplier framework admits exactly one provider to each lot"
	}
	if l.CallOff == "" && a != nil && !a.Type.IsFramework() {
		l.CallOff = DirectAward
	}
	if !l.CallOff.Valid() {
		f["call_off"] = "Choose how contracts are called off: direct award, mini-competition or both"
		return f
	}
	seen := map[RankBy]bool{}
	for _, r := range l.Ranking {
		if !r.Valid() {
			f["ranking"] = "Rank by price, quality, distance or rating"
		} else if seen[r] {
			f["ranking"] = "Each ranking key may be used once"
		}
		seen[r] = true
	}
	if a != nil && a.Type.IsFramework() && l.CallOff.AllowsDirectAward() {
		// PA 2023 s.45(4): a framework may provide for award without further
		// competition only if it sets out the terms of call-off contracts and
		// an objective mechanism for choosing the supplier. (PCR 2015 reg.
		// 33(4)(a) and (8)(a) say the same for frameworks under the old law.)
		rule := "PA 2023 s.45(4)"
		if a.Regime == PCR2015 {
			rule = "PCR 2015 reg. 33(4)(a)"
		}
		if l.CallOffTerms == "" {
			f["call_off_terms"] = rule + ": direct award needs the call-off terms set in the framework"
		}
		if l.Mechanism == "" || len(l.Ranking) == 0 {
			f["mechanism"] = rule + ": direct award needs an objective mechanism for choosing the provider (a ranking such as price, then quality, then distance)"
		}
	}
	return f
}

// NextReopeningDue is the latest date by which the next framework in an open
// framework scheme must be awarded, given the reopenings already planned,
// or the zero time if the scheme ends first (PA 2023 s.49(2)).
func (a *Agreement) NextReopeningDue(now time.Time) time.Time {
	if a.Type != OpenFramework {
		return time.Time{}
	}
	deadline := a.Start.AddDate(OpenFrameworkFirstReopeningYears, 0, 0)
	for _, r := range a.Reopenings {
		if r.After(Day(now)) {
			return r
		}
		deadline = r.AddDate(OpenFrameworkReopeningYears, 0, 0)
	}
	if !deadline.Before(a.End) {
		return time.Time{}
	}
	return deadline
}

// ProviderCapReached reports whether a lot has admitted as many providers as
// its cap allows.
func (l Lot) ProviderCapReached() bool { return l.ProviderCap > 0 && l.Admitted >= l.ProviderCap }

// hasLot reports whether ids holds id.
func hasLot(ids []int64, id int64) bool { return slices.Contains(ids, id) }
