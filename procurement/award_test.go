package procurement

import (
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
)

func TestStandstill(t *testing.T) {
	pa := &Agreement{Regime: PA2023}
	lightTouch := &Agreement{Regime: PA2023, LightTouch: true}
	voluntary := &Agreement{Regime: PA2023, LightTouch: true, VoluntaryStandstill: true}
	pcr := &Agreement{Regime: PCR2015}
	tests := []struct {
		name     string
		a        *Agreement
		notice   time.Time
		ends     time.Time // zero: no standstill
		earliest time.Time
		rule     string
	}{
		// Thu 21 Aug 2025: Thu, Fri, [Sat, Sun, bank holiday Mon 25], Tue … Tue 2 Sep is the 8th working day.
		{"PA 2023 across the August bank holiday weekend", pa, Date(2025, 8, 21), Date(2025, 9, 2), Date(2025, 9, 3), "s.51"},
		// Thu 17 Apr 2025: Good Friday and Easter Monday do not count.
		{"PA 2023 across Easter", pa, Date(2025, 4, 17), Date(2025, 4, 30), Date(2025, 5, 1), "s.51"},
		{"PA 2023 notice on a Saturday", pa, Date(2025, 8, 23), Date(2025, 9, 4), Date(2025, 9, 5), "s.51"},
		{"PA 2023 notice on a Monday ends Wednesday week", pa, Date(2025, 9, 8), Date(2025, 9, 17), Date(2025, 9, 18), "s.51"},
		{"PA 2023 across the Jubilee", pa, Date(2022, 5, 31), Date(2022, 6, 13), Date(2022, 6, 14), "s.51"},
		{"light touch: none", lightTouch, Date(2025, 8, 21), time.Time{}, Date(2025, 8, 21), "exempt"},
		{"light touch, voluntary", voluntary, Date(2025, 8, 21), Date(2025, 9, 2), Date(2025, 9, 3), "Voluntary"},
		{"PCR 2015: 10 calendar days", pcr, Date(2025, 6, 2), Date(2025, 6, 12), Date(2025, 6, 13), "reg. 87"},
		// 10 days after Thu 21 Aug is Sun 31 Aug: runs to the next working day.
		{"PCR 2015 ending on a Sunday", pcr, Date(2025, 8, 21), Date(2025, 9, 1), Date(2025, 9, 2), "reg. 87"},
		// 10 days after Fri 15 Aug is the bank holiday Monday.
		{"PCR 2015 ending on a bank holiday", pcr, Date(2025, 8, 15), Date(2025, 8, 26), Date(2025, 8, 27), "reg. 87"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Notices are published during the working day, London time.
			s := StandstillFor(tt.a, tt.notice.Add(10*time.Hour), DefaultCalendar)
			if !s.Ends.Equal(tt.ends) || !s.EarliestContract.Equal(tt.earliest) || !strings.Contains(s.Rule, tt.rule) {
				t.Fatalf("got ends %s earliest %s rule %q; want ends %s earliest %s rule ~%q",
					s.Ends.Format("Mon 2006-01-02"), s.EarliestContract.Format("Mon 2006-01-02"), s.Rule,
					tt.ends.Format("Mon 2006-01-02"), tt.earliest.Format("Mon 2006-01-02"), tt.rule)
			}
			// The day before the earliest is refused; the earliest and after are not.
			for _, c := range []struct {
				on time.Time
				ok bool
			}{{tt.earliest.AddDate(0, 0, -1), false}, {tt.earliest, true}, {tt.earliest.AddDate(0, 0, 1), true}} {
				err := s.CheckEnter(c.on.Add(9 * time.Hour))
				if c.ok && err != nil {
					t.Errorf("entering on %s refused: %v", c.on.Format(time.DateOnly), err)
				}
				if !c.ok && caremarket.ErrorCode(err) != caremarket.ECONFLICT {
					t.Errorf("entering on %s inside the standstill allowed (err %v)", c.on.Format(time.DateOnly), err)
				}
			}
		})
	}
	if err := (Standstill{}).CheckEnter(Date(2025, 1, 1)); caremarket.ErrorCode(err) != caremarket.ECONFLICT {
		t.Errorf("entering a contract with no award notice allowed: %v", err)
	}
}

// TestContractHistory records Kent's Care and Support in the Home contract
// (decision 23/00003) from 8 April 2019 for four years, extended a year to 7 April 2024,
// then by the optional three years to 7 April 2027 with break clauses.
func TestContractHistory(t *testing.T) {
	c := &Contract{Reference: "CSIH-2019", Title: "Care and Support in the Home", ProviderID: 1,
		Start: Date(2019, 4, 8), InitialEnd: Date(2023, 4, 7),
		Extensions:       []Extension{{Months: 12}, {Months: 36}},
		AnnualValuePence: 11_000_000_000, LifetimeValuePence: 88_000_000_000, ValueSoFarPence: 7_600_000_000,
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.End.Equal(Date(2023, 4, 7)) || c.ExtensionMonthsRemaining() != 48 || !c.MaxEnd().Equal(Date(2027, 4, 7)) {
		t.Fatalf("before extensions: end %s remaining %d max %s", c.End, c.ExtensionMonthsRemaining(), c.MaxEnd())
	}
	if err := c.TakeExtension(Date(2022, 10, 1)); err != nil {
		t.Fatal(err)
	}
	if !c.End.Equal(Date(2024, 4, 7)) {
		t.Fatalf("after first extension end = %s, want 2024-04-07", c.End)
	}
	if err := c.TakeExtension(Date(2024, 4, 8)); caremarket.ErrorCode(err) != caremarket.ECONFLICT {
		t.Fatalf("extension taken after the end allowed: %v", err)
	}
	if err := c.TakeExtension(Date(2024, 2, 1)); err != nil {
		t.Fatal(err)
	}
	c.BreakClauses = []BreakClause{{From: Date(2025, 4, 1), NoticeMonths: 3, Description: "Council may terminate on 3 months' notice to fit the new service's mobilisation"}}
	c.Variations = []Variation{{Date: Date(2024, 4, 8), Description: "Extension to 7 April 2027", ValueChangePence: 33_000_000_000}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.End.Equal(Date(2027, 4, 7)) || c.ExtensionMonthsRemaining() != 0 || c.VariedLifetimeValuePence() != 121_000_000_000 {
		t.Fatalf("after both: end %s remaining %d lifetime %d", c.End, c.ExtensionMonthsRemaining(), c.VariedLifetimeValuePence())
	}
	if err := c.TakeExtension(Date(2025, 1, 1)); caremarket.ErrorCode(err) != caremarket.ECONFLICT {
		t.Fatalf("a third extension allowed: %v", err)
	}
	if got := c.Status(Date(2026, 1, 1)); got != "active" {
		t.Errorf("status = %s", got)
	}
	bad := *c
	bad.Extensions = []Extension{{Months: 12}, {Months: 36, Taken: true}}
	if err := bad.Validate(); caremarket.ErrorCode(err) != caremarket.EINVALID {
		t.Errorf("extension taken out of order accepted")
	}
}

func TestCheckAward(t *testing.T) {
	lot := &Lot{ID: 7, Number: 1, ProviderCap: 2}
	passed := &Result{ProviderName: "A", LotIDs: []int64{7}, Selection: Pass, Quality: Pass}
	tests := []struct {
		name string
		lot  Lot
		r    Result
		ok   bool
	}{
		{"passed", *lot, *passed, true},
		{"failed quality", *lot, Result{LotIDs: []int64{7}, Selection: Pass, Quality: Fail}, false},
		{"other lot", *lot, Result{LotIDs: []int64{8}, Selection: Pass, Quality: Pass}, false},
		{"cap reached", Lot{ID: 7, ProviderCap: 2, Admitted: 2}, *passed, false},
		{"cap not reached", Lot{ID: 7, ProviderCap: 2, Admitted: 1}, *passed, true},
	}
	for _, tt := range tests {
		err := CheckAward(&tt.lot, &tt.r)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}
