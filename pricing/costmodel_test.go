package pricing

import (
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

var april2025 = time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)

// workedOnCosts are the on-costs of the worked examples: 28.57% of pay in all.
var workedOnCosts = OnCosts{EmployerNI: 1000, Pension: 300, Holiday: 1207, Training: 200, Sickness: 150}

// The worked example, by hand (all amounts in pence):
//
//	NLW from 1 April 2025                         1221
//	pay premium                                  +  50
//	hourly pay                                    1271
//	on-costs 10% + 3% + 12.07% + 2% + 1.5% = 28.57%
//	  1271 x 0.2857                             363.1247
//	hourly staff cost                          1634.1247
//
// Residential, band "standard", 24.5 care hours a week:
//
//	care staff   24.5 x 1634.1247 = 39218.9928 + 817.06235 = 40036.05515
//	non-staff per bed, urban                               + 25000
//	direct                                                  65036.05515
//	overheads 10%                                          +  6503.605515
//	cost                                                    71539.660665
//	return 5%                                              +  3576.98303325
//	exact                                                   75116.64369825
//	guide price (rounded once)                              75117 = £751.17
//
// Rural: non-staff 23000, so direct 63036.05515, cost 69339.660665, return
// 3466.98303325, exact 72806.64369825 -> 72807 = £728.07.
//
// Rounding at every step instead would give a different price: hourly cost
// 1634 -> staff 40033 -> direct 65033 -> overheads 6503 -> 71536 -> return
// 3577 -> £751.13. That is why the price is rounded once, at the end.
//
// Homecare, urban: 15 minutes' travel per contact hour, 3 miles at 45p,
// non-staff 100 per contact hour:
//
//	staff    1.25 x 1634.1247 = 2042.655875
//	mileage  3 x 45           =  135
//	non-staff                 =  100
//	direct                       2277.655875
//	x 1.10 overheads             2505.4214625
//	x 1.05 return                2630.692535625 -> 2631 = £26.31 an hour
//
// Rural: 20 minutes (4/3 paid hours), 6 miles:
//
//	staff    1634.1247 x 4 / 3 = 2178.8329333...
//	mileage  6 x 45            =  270
//	non-staff                  =  100
//	direct                        2548.8329333...
//	x 1.10                        2803.7162266...
//	x 1.05                        2943.9020380 -> 2944 = £29.44 an hour
func TestCostModelWorkedExample(t *testing.T) {
	home := &CostModel{Name: "Residential 2025", ServiceType: market.Residential, EffectiveFrom: april2025,
		PayPremium: 50, OnCosts: workedOnCosts, Overheads: 1000, Return: 500,
		Bands: []NeedBand{{Code: "standard", CareHoursPerWeek: 245000}},
		Urban: SettingCosts{NonStaffPerWeek: 25000}, Rural: SettingCosts{NonStaffPerWeek: 23000}}
	care := &CostModel{Name: "Homecare 2025", ServiceType: market.Homecare, EffectiveFrom: april2025,
		PayPremium: 50, OnCosts: workedOnCosts, Overheads: 1000, Return: 500, MileageRate: 45,
		Urban: SettingCosts{NonStaffPerHour: 100, TravelMinutesPerHour: D(15), MilesPerHour: D(3)},
		Rural: SettingCosts{NonStaffPerHour: 100, TravelMinutesPerHour: D(20), MilesPerHour: D(6)}}
	tests := []struct {
		name    string
		model   *CostModel
		setting market.Setting
		basis   Basis
		want    money.Money
	}{
		{"residential urban", home, market.Urban, PerBedWeek, 75117},
		{"residential rural", home, market.Rural, PerBedWeek, 72807},
		{"homecare urban", care, market.Urban, PerHour, 2631},
		{"homecare rural", care, market.Rural, PerHour, 2944},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.model.Validate(); err != nil {
				t.Fatal(err)
			}
			var got *GuidePrice
			for _, g := range tt.model.GuidePrices() {
				if g.Setting == tt.setting {
					got = &g
					break
				}
			}
			if got == nil {
				t.Fatal("no guide price for setting")
			}
			if got.Price != tt.want || got.Basis != tt.basis {
				t.Errorf("price = %s %s, want %s %s", got.Price, got.Basis, tt.want, tt.basis)
			}
			last := got.Working[len(got.Working)-1]
			if last.Amount != tt.want || !last.Total {
				t.Errorf("last working line = %+v, want the price", last)
			}
		})
	}
	// The working shows each step; spot-check the lines a reader relies on.
	lines := map[string]money.Money{}
	for _, l := range home.GuidePrices()[0].Working {
		lines[l.Label] = l.Amount
	}
	for label, want := range map[string]money.Money{
		"National Living Wage an hour": 1221, "Hourly pay": 1271, "Employer National Insurance an hour": 12710 / 100,
		"Holiday pay an hour": 153, "Hourly staff cost with on-costs": 1634, "Care staff a week": 40036,
		"Direct cost a week": 65036, "Overheads": 6504, "Cost before return": 71540, "Return on operations": 3577,
	} {
		if lines[label] != want {
			t.Errorf("working %q = %d, want %d", label, lines[label], want)
		}
	}
}

// Supported living (banded; sleep-ins paid hourly at the NLW), by hand:
//
//	A: 10 individual hours + 30 shared hours / 3 tenants = 20 hours x 2000
//	   = 40000; 2 sleep-in nights x 9 hours x 1221 (NLW) = 21978;
//	   total 61978 = £619.78.
//	B: 5.5 x 2000 = 11000; 20 / 3 = 6.6667 hours x 2000 = 13333.33...;
//	   1 x 9.5 x 1221 = 11599.5; total 35932.8333... -> 35933 = £359.33.
//	   The thirds and the half penny stay exact until the total is rounded.
func TestSupportedLivingWeeklyCost(t *testing.T) {
	tests := []struct {
		name string
		p    SupportedLivingPackage
		want money.Money
	}{
		{"A", SupportedLivingPackage{IndividualHours: D(10), SharedHours: D(30), Tenants: 3, SleepInNights: 2, SleepInHours: D(9)}, 61978},
		{"B", SupportedLivingPackage{IndividualHours: 55000, SharedHours: D(20), Tenants: 3, SleepInNights: 1, SleepInHours: 95000}, 35933},
		{"no sleep-ins, one tenant", SupportedLivingPackage{IndividualHours: D(1), SharedHours: D(1), Tenants: 1}, 4000},
	}
	for _, tt := range tests {
		got, lines := tt.p.WeeklyCost(2000, 1221)
		if got != tt.want {
			t.Errorf("%s: weekly cost %s, want %s", tt.name, got, tt.want)
		}
		if len(lines) != 5 {
			t.Errorf("%s: %d working lines", tt.name, len(lines))
		}
	}
}

func TestSupportedLivingGuidePrices(t *testing.T) {
	m := &CostModel{Name: "SL", ServiceType: market.SupportedLiving, EffectiveFrom: april2025, PayPremium: 50, OnCosts: workedOnCosts,
		Overheads: 1000, Return: 500, Urban: SettingCosts{NonStaffPerHour: 100}, Rural: SettingCosts{NonStaffPerHour: 100},
		SupportedLiving: &SupportedLivingBands{SleepInHoursPerNight: D(9),
			Accommodation: []AccommodationBand{{Code: "A", SharedHoursPerWeek: D(30), Tenants: 3}, {Code: "B", SharedHoursPerWeek: D(60), Tenants: 5}},
			ClientNeed:    []ClientNeedBand{{Code: "C1", IndividualHoursPerWeek: D(5)}, {Code: "C2", IndividualHoursPerWeek: D(15), SleepInNightsPerWeek: 7}}}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	gs := m.GuidePrices()
	// Per setting: the hourly support rate, then 2 x 2 bands.
	if len(gs) != 10 {
		t.Fatalf("%d guide prices, want 10", len(gs))
	}
	// Hourly support rate, urban, by hand: 1634.1247 + 100 = 1734.1247;
	// x 1.1 = 1907.53717; x 1.05 = 2002.9140285 -> 2003.
	if gs[0].Basis != PerHour || gs[0].Price != 2003 {
		t.Errorf("support hourly rate = %+v", gs[0])
	}
	// A/C1: (5 + 10) x 2003 = 30045.
	if gs[1].Band != "A/C1" || gs[1].Price != 30045 {
		t.Errorf("A/C1 = %s %s", gs[1].Band, gs[1].Price)
	}
	// B/C2: (15 + 12) x 2003 + 7 x 9 x 1221 = 54081 + 76923 = 131004.
	if gs[4].Band != "B/C2" || gs[4].Price != 131004 {
		t.Errorf("B/C2 = %s %s", gs[4].Band, gs[4].Price)
	}
}

func TestCostModelValidate(t *testing.T) {
	ok := func() *CostModel {
		return &CostModel{Name: "x", ServiceType: market.Nursing, EffectiveFrom: april2025, OnCosts: workedOnCosts,
			Bands: []NeedBand{{Code: "standard", CareHoursPerWeek: D(30)}}}
	}
	tests := []struct {
		name  string
		edit  func(m *CostModel)
		field string
	}{
		{"valid", func(m *CostModel) {}, ""},
		{"no name", func(m *CostModel) { m.Name = " " }, "name"},
		{"bad service", func(m *CostModel) { m.ServiceType = "spa" }, "service_type"},
		{"before NLW", func(m *CostModel) { m.EffectiveFrom = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC) }, "effective_from"},
		{"negative premium", func(m *CostModel) { m.PayPremium = -1 }, "pay_premium"},
		{"on-cost over 100%", func(m *CostModel) { m.OnCosts.Pension = 10001 }, "on_costs"},
		{"no bands", func(m *CostModel) { m.Bands = nil }, "bands"},
		{"duplicate band", func(m *CostModel) { m.Bands = append(m.Bands, m.Bands[0]) }, "bands"},
		{"too many hours", func(m *CostModel) { m.Bands[0].CareHoursPerWeek = D(169) }, "bands"},
		{"band code", func(m *CostModel) { m.Bands[0].Code = "a b" }, "bands"},
		{"supported living without bands", func(m *CostModel) { m.ServiceType = market.SupportedLiving }, "supported_living"},
	}
	for _, tt := range tests {
		m := ok()
		tt.edit(m)
		err := m.Validate()
		fields := map[string]string{}
		if err != nil {
			fields = errFields(err)
		}
		if tt.field == "" && err != nil || tt.field != "" && fields[tt.field] == "" {
			t.Errorf("%s: Validate() = %v (%v), want field %q", tt.name, err, fields, tt.field)
		}
	}
	m := ok()
	m.Validate()
	if m.Status != ModelDraft {
		t.Errorf("status defaults to %q", m.Status)
	}
	if !strings.Contains(m.GuidePrices()[0].Working[0].Detail, "1 April 2025") {
		t.Errorf("NLW line should say which rate: %+v", m.GuidePrices()[0].Working[0])
	}
}
