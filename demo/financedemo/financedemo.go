// Package financedemo is the demo council's money: budget lines and
// budgets, placement history, a year of payments from the payments system
// and the status-quo-versus-framework scenario. Kent's placements are held
// at one tenth of their real number (Scale), so every committed, paid and
// forecast figure is a tenth of Kent's; budgets are set at the same scale.
// The history is sized so the care home commitment is in proportion to the
// £222m a year of care home spend, the £89.7m of home care, and the £76m
// spent under the home care contract in 2022/23.
package financedemo

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
)

// Scale is how many of Kent's placements each demo placement stands for.
const Scale = 10

// ScaleNote is shown on the finance pages beside every figure.
const ScaleNote = "Demo data: Kent's placements are held at one tenth of their real number (scale factor 10), so every committed, paid and forecast figure here is a tenth of Kent's, and budgets are set at the same scale: £22.2m of care home budget here stands for Kent's £222m."

// Lines are the demo's budget lines.
var Lines = []finance.BudgetLine{
	{Name: "Older people residential", Code: "OPR", ServiceTypes: []market.ServiceType{market.Residential, market.ResidentialHigh}},
	{Name: "Older people nursing", Code: "OPN", ServiceTypes: []market.ServiceType{market.Nursing, market.NursingHigh}},
	{Name: "Home care", Code: "HC", ServiceTypes: []market.ServiceType{market.Homecare, market.SIS, market.ExtraCare}},
	{Name: "Disability and mental health", Code: "DMH", ServiceTypes: []market.ServiceType{market.ResidentialLD, market.ResidentialPD, market.ResidentialMH, market.SupportedLiving}},
}

// Budgets a year at demo scale: the care home lines add up to £22.2m
// (Kent's £222m; "no anticipated reduction in the overall budget"), home
// care £8.97m (Kent's £89.7m).
var Budgets = []finance.Money{1_150_000_000, 1_070_000_000, 897_000_000, 150_000_000}

// CSIHAdvertised is the home care contract's advertised yearly value, £110m.
const CSIHAdvertised = 11_000_000_000

// Result says what LoadDemo made.
type Result struct {
	Placements int
	Report     *finance.ImportReport
	ScenarioID int64
}

// LoadDemo loads the demo council's finance. It needs the procurement and
// pricing demos (agreements OPRN-2026 and CSIH-2020, guide prices) and the
// market's locations.
func LoadDemo(ctx context.Context, db *storage.DB, now time.Time) (*Result, error) {
	now = now.UTC()
	today := finance.Day(now)
	res := &Result{}
	var lineIDs []int64
	for i := range Lines {
		l := Lines[i]
		if err := db.SaveBudgetLine(ctx, &l); err != nil {
			return nil, fmt.Errorf("financedemo: budget line %s: %w", l.Name, err)
		}
		lineIDs = append(lineIDs, l.ID)
	}
	cur := finance.YearOf(today)
	var bs []finance.Budget
	for y := cur - 1; y <= cur+4; y++ {
		for i, id := range lineIDs {
			bs = append(bs, finance.Budget{BudgetLineID: id, Year: y, Amount: Budgets[i]})
		}
	}
	if err := db.SetBudgets(ctx, bs); err != nil {
		return nil, fmt.Errorf("financedemo: budgets: %w", err)
	}
	if err := db.SetFinanceSettings(ctx, finance.Settings{Tolerances: finance.DefaultTolerances, Scale: Scale, ScaleNote: ScaleNote}); err != nil {
		return nil, err
	}
	// The home care contract was advertised at £110m a year; the history
	// below puts its placements' spend in 2022/23 near £76m (at scale).
	if ag, err := db.AgreementByReference(ctx, homeCare.agreement); err != nil {
		return nil, err
	} else if ag.AnnualValuePence != CSIHAdvertised {
		ag.AnnualValuePence, ag.LifetimeValuePence = CSIHAdvertised, 4*CSIHAdvertised
		if err := db.UpdateAgreement(ctx, ag); err != nil {
			return nil, fmt.Errorf("financedemo: %s advertised value: %w", ag.Reference, err)
		}
	}
	hs, err := history(ctx, db, today)
	if err != nil {
		return nil, err
	}
	if res.Placements, err = storage.LoadPlacementHistory(ctx, db, hs); err != nil {
		return nil, fmt.Errorf("financedemo: placement history: %w", err)
	}
	file, err := actualsFile(ctx, db, today)
	if err != nil {
		return nil, err
	}
	if res.Report, err = db.ImportActuals(ctx, "remittance-last-12-months.csv", "demo", bytes.NewReader(file)); err != nil {
		return nil, fmt.Errorf("financedemo: actuals: %w", err)
	}
	if res.ScenarioID, err = scenario(ctx, db, lineIDs[:2]); err != nil {
		return nil, err
	}
	return res, nil
}

// The market the history is drawn from, at demo scale.
type stream struct {
	services   []market.ServiceType
	weights    []float64
	startsYear float64 // new placements a year today
	stayDays   float64 // mean length of stay
	weekly     map[market.ServiceType]float64
	hourly     float64 // home care: £ an hour today; weekly = hours x rate
	drift      float64 // the market median's yearly rise for new placements
	agreement  string
}

var careHomes = stream{
	services: []market.ServiceType{market.Residential, market.ResidentialHigh, market.Nursing, market.NursingHigh},
	weights:  []float64{0.35, 0.2, 0.3, 0.15}, startsYear: 215, stayDays: 760,
	weekly:    map[market.ServiceType]float64{market.Residential: 960, market.ResidentialHigh: 1090, market.Nursing: 1150, market.NursingHigh: 1320},
	drift:     0.07,
	agreement: "OPRN-2026",
}

var homeCare = stream{
	services: []market.ServiceType{market.Homecare}, weights: []float64{1}, startsYear: 520, stayDays: 365,
	hourly: 27.5, drift: 0.02, agreement: "CSIH-2020",
}

// upliftOn is the yearly uplift applied to live placements each April.
var upliftOn = map[int]float64{2020: 0.03, 2021: 0.04, 2022: 0.065, 2023: 0.08, 2024: 0.06, 2025: 0.045, 2026: 0.04}

// location is where a placement can be made.
type location struct {
	id, provider, area int64
	outcode            string
}

func locationsFor(ctx context.Context, db *storage.DB, sts []market.ServiceType) (map[market.ServiceType][]location, error) {
	out := map[market.ServiceType][]location{}
	for _, st := range sts {
		rows, err := db.SQL().QueryContext(ctx, `SELECT l.id, l.provider_id, l.area_id, l.postcode FROM locations l
			JOIN location_services ls ON ls.location_id = l.id WHERE ls.service_type = $1 AND l.status = 'registered' AND l.council_id = $2
			ORDER BY l.id`, string(st), caremarket.ActorFrom(ctx).CouncilID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var l location
			var pc string
			if err := rows.Scan(&l.id, &l.provider, &l.area, &pc); err != nil {
				rows.Close()
				return nil, err
			}
			l.outcode = market.Outcode(pc)
			out[st] = append(out[st], l)
		}
		rows.Close()
		if len(out[st]) == 0 {
			return nil, fmt.Errorf("financedemo: no location offers %s", st)
		}
	}
	return out, nil
}

// history draws the placements: starts as a steady stream since 2019
// (growing 1% a year), stays of an exponential length around the mean,
// prices at the market median of the day (drifting up each year) with
// some spread, and the yearly uplifts each April on live placements. Only
// placements with a day since April 2022 are kept.
func history(ctx context.Context, db *storage.DB, today time.Time) ([]storage.HistoryPlacement, error) {
	rng := rand.New(rand.NewPCG(2026, 12))
	var out []storage.HistoryPlacement
	keepFrom := time.Date(2022, 4, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for _, s := range []stream{careHomes, homeCare} {
		locs, err := locationsFor(ctx, db, s.services)
		if err != nil {
			return nil, err
		}
		ag, err := db.AgreementByReference(ctx, s.agreement)
		if err != nil {
			return nil, fmt.Errorf("financedemo: agreement %s: %w", s.agreement, err)
		}
		origin := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
		span := today.Sub(origin).Hours() / 24
		for t := 0.0; ; {
			yearsAgo := (span - t) / 365.25
			t += rng.ExpFloat64() / (s.startsYear * math.Pow(1.01, -yearsAgo) / 365.25)
			if t > span {
				break
			}
			start := origin.AddDate(0, 0, int(t))
			stay := int(rng.ExpFloat64()*s.stayDays) + 7
			end := start.AddDate(0, 0, stay-1)
			if end.Before(keepFrom) {
				continue
			}
			st := pick(rng, s.services, s.weights)
			l := locs[st][rng.IntN(len(locs[st]))]
			median := s.hourly
			minutes := 0
			if s.hourly == 0 {
				median = s.weekly[st]
			}
			price := median * math.Pow(1+s.drift, -yearsAgo) * (0.9 + 0.2*rng.Float64())
			weekly := price
			if s.hourly > 0 {
				minutes = 60 * (5 + rng.IntN(16))
				weekly = price * float64(minutes) / 60
			}
			n++
			h := storage.HistoryPlacement{CaseRef: fmt.Sprintf("KCC-%06d", n), ServiceType: st, ProviderID: l.provider, LocationID: l.id, AreaID: l.area,
				Outcode: l.outcode, AgreementID: ag.ID, Start: start, MinutesWeek: minutes,
				Prices: []finance.Price{{Weekly: finance.Money(math.Round(weekly * 100)), From: start}}}
			for y := start.Year(); y <= today.Year(); y++ {
				april := time.Date(y, 4, 1, 0, 0, 0, 0, time.UTC)
				if !april.After(start) || april.After(today) || april.After(end) {
					continue
				}
				weekly *= 1 + upliftOn[y]
				h.Prices = append(h.Prices, finance.Price{Weekly: finance.Money(math.Round(weekly * 100)), From: april})
			}
			if !end.After(today) {
				e := end
				h.End = &e
			}
			out = append(out, h)
		}
	}
	return out, nil
}

func pick(rng *rand.Rand, sts []market.ServiceType, w []float64) market.ServiceType {
	x := rng.Float64()
	for i, p := range w {
		if x < p {
			return sts[i]
		}
		x -= p
	}
	return sts[len(sts)-1]
}
