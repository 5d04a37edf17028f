package pricing

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Basis is what a guide price buys: a bed for a week (care homes) or an hour
// of care delivered in a person's home (home care, SIS and the other hourly
// services). Guide prices for Residential, Residential High and
// Nursing are weekly; home care and supported living by the hour.
type Basis string

const (
	PerBedWeek Basis = "week"
	PerHour    Basis = "hour"
)

// Label is how the UI says the unit: "a week" / "an hour".
func (b Basis) Label() string {
	if b == PerHour {
		return "per hour"
	}
	return "per week"
}

// BasisFor says how a service type is priced.
func BasisFor(st market.ServiceType) Basis {
	if st.IsBedBased() || st == market.SupportedLiving {
		return PerBedWeek
	}
	return PerHour
}

// OnCosts are the employer's costs on top of pay, each a share of pay. They
// are modelled as effective rates (employer NI above its threshold averaged
// over a care worker's pay) because that is how councils' cost models state
// them (the cost model review behind the guide prices).
type OnCosts struct {
	EmployerNI BP `json:"employer_ni_bp"`
	Pension    BP `json:"pension_bp"`
	Holiday    BP `json:"holiday_bp"`
	Training   BP `json:"training_bp"`
	Sickness   BP `json:"sickness_bp"`
}

func (o OnCosts) lines() []struct {
	label string
	rate  BP
} {
	return []struct {
		label string
		rate  BP
	}{
		{"Employer National Insurance", o.EmployerNI},
		{"Employer pension", o.Pension},
		{"Holiday pay", o.Holiday},
		{"Training", o.Training},
		{"Sickness cover", o.Sickness},
	}
}

// NeedBand is a level of need within a bed-based service: how many hours of
// care a resident receives in a week.
type NeedBand struct {
	Code             string `json:"code"`
	Label            string `json:"label"`
	CareHoursPerWeek Dec    `json:"care_hours_per_week"`
}

// SettingCosts are the costs that differ between urban and rural clusters
// (home care lots by urban and rural cluster).
type SettingCosts struct {
	// NonStaffPerWeek is a care home's non-staff cost per bed per week:
	// food, utilities, property, maintenance, insurance.
	NonStaffPerWeek money.Money `json:"non_staff_per_week_pence"`
	// NonStaffPerHour is an hourly service's non-staff cost per contact
	// hour: PPE, phones, rostering systems.
	NonStaffPerHour money.Money `json:"non_staff_per_hour_pence"`
	// TravelMinutesPerHour is paid travel time per hour of contact (home
	// care): longer in rural clusters.
	TravelMinutesPerHour Dec `json:"travel_minutes_per_hour"`
	// MilesPerHour is mileage driven per hour of contact.
	MilesPerHour Dec `json:"miles_per_hour"`
}

// CostModel is the council's model of what a service type costs to deliver,
// from which its guide prices follow (DOMAIN.md "Cost model / guide price").
type CostModel struct {
	ID            int64              `json:"id"`
	CouncilID     int64              `json:"-"`
	Name          string             `json:"name"`
	ServiceType   market.ServiceType `json:"service_type"`
	EffectiveFrom time.Time          `json:"effective_from"`
	// NLW overrides the National Living Wage in force on EffectiveFrom
	// (zero: use the rate from NLWRates), for modelling next year's rate.
	NLW        money.Money `json:"nlw_pence,omitempty"`
	PayPremium money.Money `json:"pay_premium_pence"`
	OnCosts    OnCosts     `json:"on_costs"`
	// Bands are the need bands of a bed-based service. Hourly services have
	// one implicit band, "standard".
	Bands       []NeedBand   `json:"bands"`
	Urban       SettingCosts `json:"urban"`
	Rural       SettingCosts `json:"rural"`
	MileageRate money.Money  `json:"mileage_rate_pence"`
	Overheads   BP           `json:"overheads_bp"`
	Return      BP           `json:"return_bp"`
	// Supported living banding (accommodation and client need); only for SupportedLiving.
	SupportedLiving *SupportedLivingBands `json:"supported_living,omitempty"`

	Status    string     `json:"status"` // draft or adopted
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	AdoptedAt *time.Time `json:"adopted_at,omitempty"`
}

// Model statuses: a draft can be changed and previewed; adopting it writes
// its guide prices from its effective date.
const (
	ModelDraft   = "draft"
	ModelAdopted = "adopted"
)

// StandardBand is the band of a service with no need bands (hourly care).
const StandardBand = "standard"

// Limits that catch typing mistakes rather than model reality.
const (
	maxCareHours = 168 * DecScale // hours in a week
	maxRate      = BP(10000)      // 100%
)

// Validate checks a cost model before it is saved or previewed.
func (m *CostModel) Validate() error {
	m.Name = strings.TrimSpace(m.Name)
	f := map[string]string{}
	if m.Name == "" {
		f["name"] = "Enter a name for the cost model"
	} else if len(m.Name) > 200 {
		f["name"] = "Name must be 200 characters or fewer"
	}
	if !m.ServiceType.Valid() {
		f["service_type"] = "Choose a service type from the list"
	}
	if m.EffectiveFrom.IsZero() {
		f["effective_from"] = "Enter the date the guide prices take effect"
	} else if _, ok := NLWOn(m.EffectiveFrom); !ok && m.NLW == 0 {
		f["effective_from"] = "There is no National Living Wage before 1 April 2016: enter the hourly rate to use"
	}
	if m.NLW < 0 || m.NLW > money.Pounds(100) {
		f["nlw"] = "National Living Wage must be between £0 and £100 an hour"
	}
	if m.PayPremium < 0 || m.PayPremium > money.Pounds(100) {
		f["pay_premium"] = "Pay premium must be between £0 and £100 an hour"
	}
	for _, l := range m.OnCosts.lines() {
		if l.rate < 0 || l.rate > maxRate {
			f["on_costs"] = l.label + " must be between 0% and 100%"
		}
	}
	if m.Overheads < 0 || m.Overheads > maxRate {
		f["overheads"] = "Overheads must be between 0% and 100%"
	}
	if m.Return < 0 || m.Return > maxRate {
		f["return"] = "Return on operations must be between 0% and 100%"
	}
	if m.MileageRate < 0 || m.MileageRate > money.Pounds(10) {
		f["mileage_rate"] = "Mileage rate must be between £0 and £10 a mile"
	}
	for _, sc := range []SettingCosts{m.Urban, m.Rural} {
		if sc.NonStaffPerWeek < 0 || sc.NonStaffPerWeek > money.Pounds(10000) || sc.NonStaffPerHour < 0 || sc.NonStaffPerHour > money.Pounds(100) {
			f["non_staff"] = "Non-staff costs must be between £0 and £10,000 a week (£100 an hour)"
		}
		if sc.TravelMinutesPerHour < 0 || sc.TravelMinutesPerHour > D(120) || sc.MilesPerHour < 0 || sc.MilesPerHour > D(200) {
			f["travel"] = "Travel must be between 0 and 120 minutes and 0 and 200 miles per hour of care"
		}
	}
	if BasisFor(m.ServiceType) == PerBedWeek && m.ServiceType != market.SupportedLiving {
		if len(m.Bands) == 0 {
			f["bands"] = "Add at least one need band with its care hours a week"
		}
		seen := map[string]bool{}
		for i := range m.Bands {
			b := &m.Bands[i]
			b.Code, b.Label = strings.TrimSpace(b.Code), strings.TrimSpace(b.Label)
			switch {
			case !bandCodeOK(b.Code):
				f["bands"] = fmt.Sprintf("Band %d: the code must be 1 to 40 letters, digits, - or _", i+1)
			case seen[b.Code]:
				f["bands"] = fmt.Sprintf("Band %q appears twice", b.Code)
			case b.CareHoursPerWeek <= 0 || b.CareHoursPerWeek > maxCareHours:
				f["bands"] = fmt.Sprintf("Band %q: care hours a week must be more than 0 and at most 168", b.Code)
			}
			seen[b.Code] = true
			if b.Label == "" {
				b.Label = b.Code
			}
		}
	}
	if m.ServiceType == market.SupportedLiving {
		if m.SupportedLiving == nil {
			f["supported_living"] = "Add the accommodation and client-need bands"
		} else if err := m.SupportedLiving.validate(); err != "" {
			f["supported_living"] = err
		}
	}
	if m.Status == "" {
		m.Status = ModelDraft
	}
	return caremarket.Invalid(f)
}

func bandCodeOK(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Line is one step of a guide price's working, as the UI shows it: what it
// is, how it was worked out, and the amount (to the penny for display; the
// arithmetic behind it is exact, see GuidePrice).
type Line struct {
	Label  string      `json:"label"`
	Detail string      `json:"detail,omitempty"`
	Amount money.Money `json:"amount_pence"`
	// Total marks a subtotal line, which the UI shows in bold.
	Total bool `json:"total,omitempty"`
}

// GuidePrice is the council's guide price for a service type, band and
// setting from a date, with its working.
//
// Rounding: every intermediate amount is kept exact (a rational number of
// pence) and Price is rounded to the penny once, half-up, from the exact
// total. The working lines show each exact amount rounded to the penny for
// reading only, so a column of them can differ from the price by a penny;
// the price is never built from rounded lines.
type GuidePrice struct {
	ID            int64              `json:"id,omitempty"`
	ServiceType   market.ServiceType `json:"service_type"`
	Band          string             `json:"band"`
	BandLabel     string             `json:"band_label"`
	Setting       market.Setting     `json:"setting"`
	Basis         Basis              `json:"basis"`
	Price         money.Money        `json:"price_pence"`
	EffectiveFrom time.Time          `json:"effective_from"`
	CostModelID   int64              `json:"cost_model_id,omitempty"`
	Source        string             `json:"source"` // cost_model, uplift
	Working       []Line             `json:"working,omitempty"`
}

// Key identifies what a guide price prices (one per key per date).
func (g GuidePrice) Key() PriceKey { return PriceKey{g.ServiceType, g.Band, g.Setting} }

// PriceKey is a service type, band and setting.
type PriceKey struct {
	ServiceType market.ServiceType
	Band        string
	Setting     market.Setting
}

// Settings are the area settings a guide price is given for.
var Settings = []market.Setting{market.Urban, market.Rural}

// working accumulates exact amounts and their display lines.
type working struct{ lines []Line }

func (w *working) add(label, detail string, v *big.Rat, total bool) *big.Rat {
	w.lines = append(w.lines, Line{Label: label, Detail: detail, Amount: money.RoundRat(v), Total: total})
	return v
}

func mul(a, b *big.Rat) *big.Rat { return new(big.Rat).Mul(a, b) }
func sum(xs ...*big.Rat) *big.Rat {
	s := new(big.Rat)
	for _, x := range xs {
		s.Add(s, x)
	}
	return s
}

// HourlyNLW is the National Living Wage the model uses.
func (m *CostModel) HourlyNLW() money.Money {
	if m.NLW > 0 {
		return m.NLW
	}
	r, _ := NLWOn(m.EffectiveFrom)
	return r.Hourly
}

func (m *CostModel) setting(s market.Setting) SettingCosts {
	if s == market.Rural {
		return m.Rural
	}
	return m.Urban
}

// hourlyStaffCost works out the cost to employ a care worker for one paid
// hour: NLW + premium, plus on-costs as shares of that pay.
func (m *CostModel) hourlyStaffCost(w *working) *big.Rat {
	nlw := m.HourlyNLW()
	detail := "set in the model"
	if m.NLW == 0 {
		r, _ := NLWOn(m.EffectiveFrom)
		detail = fmt.Sprintf("rate from %s (age %d and over)", r.EffectiveFrom.Format("2 January 2006"), r.MinAge)
	}
	w.add("National Living Wage an hour", detail, nlw.Rat(), false)
	w.add("Pay premium above the NLW an hour", "", m.PayPremium.Rat(), false)
	pay := w.add("Hourly pay", nlw.String()+" + "+m.PayPremium.String(), sum(nlw.Rat(), m.PayPremium.Rat()), true)
	parts := []*big.Rat{pay}
	for _, l := range m.OnCosts.lines() {
		parts = append(parts, w.add(l.label+" an hour", l.rate.String()+" of hourly pay", mul(pay, l.rate.Rat()), false))
	}
	return w.add("Hourly staff cost with on-costs", "", sum(parts...), true)
}

// finish adds overheads and return to the direct cost and rounds once.
func (m *CostModel) finish(w *working, direct *big.Rat, unit string) money.Money {
	over := w.add("Overheads", m.Overheads.String()+" of direct costs", mul(direct, m.Overheads.Rat()), false)
	cost := w.add("Cost before return", "", sum(direct, over), true)
	ret := w.add("Return on operations", m.Return.String()+" of cost", mul(cost, m.Return.Rat()), false)
	exact := sum(cost, ret)
	price := money.RoundRat(exact)
	w.lines = append(w.lines, Line{Label: "Guide price " + unit, Detail: "exact total " + exact.FloatString(4) + "p, rounded half-up to the penny once", Amount: price, Total: true})
	return price
}

// GuidePrices works out the model's guide prices: each band in each setting,
// with its working. The model must be valid.
func (m *CostModel) GuidePrices() []GuidePrice {
	var out []GuidePrice
	for _, s := range Settings {
		switch {
		case m.ServiceType == market.SupportedLiving:
			out = append(out, m.supportedLivingPrices(s)...)
		case BasisFor(m.ServiceType) == PerBedWeek:
			for _, b := range m.Bands {
				out = append(out, m.bedPrice(b, s))
			}
		default:
			out = append(out, m.hourlyPrice(s))
		}
	}
	return out
}

// bedPrice is a care home's weekly price per bed for a band:
//
//	staff = care hours a week x hourly staff cost
//	direct = staff + non-staff cost per bed
//	price = (direct + overheads% of direct) x (1 + return%)
func (m *CostModel) bedPrice(b NeedBand, s market.Setting) GuidePrice {
	w := &working{}
	hourly := m.hourlyStaffCost(w)
	sc := m.setting(s)
	staff := w.add("Care staff a week", b.CareHoursPerWeek.String()+" hours x hourly staff cost", mul(b.CareHoursPerWeek.Rat(), hourly), false)
	non := w.add("Non-staff costs per bed a week", string(s)+" setting", sc.NonStaffPerWeek.Rat(), false)
	direct := w.add("Direct cost a week", "", sum(staff, non), true)
	price := m.finish(w, direct, "a week")
	return GuidePrice{ServiceType: m.ServiceType, Band: b.Code, BandLabel: b.Label, Setting: s, Basis: PerBedWeek, Price: price,
		EffectiveFrom: m.EffectiveFrom, CostModelID: m.ID, Source: "cost_model", Working: w.lines}
}

// hourlyPrice is an hourly service's price per contact hour:
//
//	paid hours = 1 + travel minutes / 60 (travel time is paid time)
//	direct = paid hours x hourly staff cost + miles x mileage rate + non-staff
//	price = (direct + overheads% of direct) x (1 + return%)
func (m *CostModel) hourlyPrice(s market.Setting) GuidePrice {
	w := &working{}
	hourly := m.hourlyStaffCost(w)
	sc := m.setting(s)
	paid := sum(big.NewRat(1, 1), new(big.Rat).Quo(sc.TravelMinutesPerHour.Rat(), big.NewRat(60, 1)))
	staff := w.add("Staff cost per contact hour", "1 hour + "+sc.TravelMinutesPerHour.String()+" minutes' travel ("+paid.FloatString(4)+" paid hours) x hourly staff cost", mul(paid, hourly), false)
	miles := w.add("Mileage per contact hour", sc.MilesPerHour.String()+" miles x "+m.MileageRate.String(), mul(sc.MilesPerHour.Rat(), m.MileageRate.Rat()), false)
	non := w.add("Non-staff costs per contact hour", string(s)+" setting", sc.NonStaffPerHour.Rat(), false)
	direct := w.add("Direct cost per contact hour", "", sum(staff, miles, non), true)
	price := m.finish(w, direct, "an hour")
	return GuidePrice{ServiceType: m.ServiceType, Band: StandardBand, BandLabel: "Standard", Setting: s, Basis: PerHour, Price: price,
		EffectiveFrom: m.EffectiveFrom, CostModelID: m.ID, Source: "cost_model", Working: w.lines}
}
