package pricing

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Supported living: a package is banded by its
// accommodation (how many tenants share the setting and how many shared hours
// of support the setting has) and by the person's need (individual, one-to-one
// hours and sleep-in nights). The council pays sleep-ins as an hourly amount
// at the National Living Wage rather than a fixed payment.

// AccommodationBand describes a setting: its shared support hours a week,
// split equally among its tenants.
type AccommodationBand struct {
	Code               string `json:"code"`
	Label              string `json:"label"`
	SharedHoursPerWeek Dec    `json:"shared_hours_per_week"`
	Tenants            int    `json:"tenants"`
}

// ClientNeedBand describes a person's own support: one-to-one hours a week
// and sleep-in nights a week.
type ClientNeedBand struct {
	Code                   string `json:"code"`
	Label                  string `json:"label"`
	IndividualHoursPerWeek Dec    `json:"individual_hours_per_week"`
	SleepInNightsPerWeek   int    `json:"sleep_in_nights_per_week"`
}

// SupportedLivingBands is the banding grid of a supported living cost model.
type SupportedLivingBands struct {
	// SleepInHoursPerNight is how many hours a sleep-in night is paid for
	// at the NLW (a typical sleep-in runs 10pm to 7am: 9 hours).
	SleepInHoursPerNight Dec                 `json:"sleep_in_hours_per_night"`
	Accommodation        []AccommodationBand `json:"accommodation"`
	ClientNeed           []ClientNeedBand    `json:"client_need"`
}

func (b *SupportedLivingBands) validate() string {
	if b.SleepInHoursPerNight < 0 || b.SleepInHoursPerNight > D(24) {
		return "Sleep-in hours a night must be between 0 and 24"
	}
	if len(b.Accommodation) == 0 || len(b.ClientNeed) == 0 {
		return "Add at least one accommodation band and one client-need band"
	}
	seen := map[string]bool{}
	for i := range b.Accommodation {
		a := &b.Accommodation[i]
		if !claimCode(seen, "a", &a.Code, &a.Label) {
			return fmt.Sprintf("Accommodation band %d needs a code of its own (letters, digits, - or _)", i+1)
		}
		if a.Tenants < 1 || a.Tenants > 100 || a.SharedHoursPerWeek < 0 || a.SharedHoursPerWeek > maxCareHours*4 {
			return fmt.Sprintf("Accommodation band %q: tenants must be 1 to 100 and shared hours 0 to 672 a week", a.Code)
		}
		if a.Label == "" {
			a.Label = a.Code
		}
	}
	for i := range b.ClientNeed {
		c := &b.ClientNeed[i]
		if !claimCode(seen, "c", &c.Code, &c.Label) {
			return fmt.Sprintf("Client-need band %d needs a code of its own (letters, digits, - or _)", i+1)
		}
		if c.IndividualHoursPerWeek < 0 || c.IndividualHoursPerWeek > maxCareHours || c.SleepInNightsPerWeek < 0 || c.SleepInNightsPerWeek > 7 {
			return fmt.Sprintf("Client-need band %q: individual hours must be 0 to 168 and sleep-in nights 0 to 7 a week", c.Code)
		}
		if c.Label == "" {
			c.Label = c.Code
		}
	}
	return ""
}

// claimCode trims a band's code and label and takes the code for its kind
// of band ("a" accommodation, "c" client need): false when the code is
// badly formed or another band of that kind already has it.
func claimCode(seen map[string]bool, kind string, code, label *string) bool {
	*code, *label = strings.TrimSpace(*code), strings.TrimSpace(*label)
	if !bandCodeOK(*code) || seen[kind+*code] {
		return false
	}
	seen[kind+*code] = true
	return true
}

// SLBand is the band code of a supported living package: accommodation band
// and client-need band, "A/C2".
func SLBand(accommodation, clientNeed string) string { return accommodation + "/" + clientNeed }

// SupportedLivingPackage is one person's weekly support.
type SupportedLivingPackage struct {
	IndividualHours Dec `json:"individual_hours"`
	// SharedHours are the setting's shared hours a week, split equally
	// among Tenants.
	SharedHours   Dec `json:"shared_hours"`
	Tenants       int `json:"tenants"`
	SleepInNights int `json:"sleep_in_nights"`
	SleepInHours  Dec `json:"sleep_in_hours_per_night"`
}

// WeeklyCost prices a package: hourlyRate (the guide hourly rate for support,
// a price already in pence) for its individual hours and its share of the
// shared hours, and the NLW for each sleep-in hour. The exact total is
// rounded to the penny once.
func (p SupportedLivingPackage) WeeklyCost(hourlyRate, nlw money.Money) (money.Money, []Line) {
	w := &working{}
	tenants := int64(max(p.Tenants, 1))
	w.add("Support hourly rate", "guide hourly rate", hourlyRate.Rat(), false)
	ind := w.add("Individual support", p.IndividualHours.String()+" hours x "+hourlyRate.String(), mul(p.IndividualHours.Rat(), hourlyRate.Rat()), false)
	shareHours := new(big.Rat).Quo(p.SharedHours.Rat(), big.NewRat(tenants, 1))
	shared := w.add("Share of shared support", fmt.Sprintf("%s shared hours / %d tenants = %s hours x %s", p.SharedHours, tenants, shareHours.FloatString(4), hourlyRate),
		mul(shareHours, hourlyRate.Rat()), false)
	sleepHours := mul(big.NewRat(int64(p.SleepInNights), 1), p.SleepInHours.Rat())
	sleep := w.add("Sleep-ins at the National Living Wage", fmt.Sprintf("%d nights x %s hours x %s", p.SleepInNights, p.SleepInHours, nlw),
		mul(sleepHours, nlw.Rat()), false)
	exact := sum(ind, shared, sleep)
	price := money.RoundRat(exact)
	w.lines = append(w.lines, Line{Label: "Weekly cost", Detail: "exact total " + exact.FloatString(4) + "p, rounded half-up to the penny once", Amount: price, Total: true})
	return price, w.lines
}

// supportedLivingPrices gives the hourly support rate of the setting (as an
// hourly service with no travel: support is in the person's own home) and
// the weekly guide price of every accommodation x client-need band.
func (m *CostModel) supportedLivingPrices(s market.Setting) []GuidePrice {
	hourly := m.hourlyPrice(s)
	out := []GuidePrice{hourly}
	if m.SupportedLiving == nil {
		return out
	}
	nlw := m.HourlyNLW()
	for _, a := range m.SupportedLiving.Accommodation {
		for _, c := range m.SupportedLiving.ClientNeed {
			p := SupportedLivingPackage{IndividualHours: c.IndividualHoursPerWeek, SharedHours: a.SharedHoursPerWeek, Tenants: a.Tenants,
				SleepInNights: c.SleepInNightsPerWeek, SleepInHours: m.SupportedLiving.SleepInHoursPerNight}
			price, lines := p.WeeklyCost(hourly.Price, nlw)
			out = append(out, GuidePrice{ServiceType: m.ServiceType, Band: SLBand(a.Code, c.Code), BandLabel: a.Label + " / " + c.Label,
				Setting: s, Basis: PerBedWeek, Price: price, EffectiveFrom: m.EffectiveFrom, CostModelID: m.ID, Source: "cost_model", Working: lines})
		}
	}
	return out
}
