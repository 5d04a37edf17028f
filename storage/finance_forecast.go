package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/money"
)

// --- Assumption sets

func scanAssumptions(r interface{ Scan(...any) error }) (*finance.Assumptions, error) {
	var a finance.Assumptions
	var id int64
	var name, author, params string
	var at time.Time
	if err := r.Scan(&id, &name, &author, &params, &at); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &a); err != nil {
		return nil, fmt.Errorf("storage: assumptions %d: %w", id, err)
	}
	a.ID, a.Name, a.Author, a.CreatedAt = id, name, author, at
	return &a, nil
}

// ListAssumptions lists the council's saved assumption sets, newest first.
func (db *DB) ListAssumptions(ctx context.Context) ([]finance.Assumptions, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(canReadFinance...); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, name, author, params, created_at FROM assumption_sets WHERE council_id = $1 ORDER BY id DESC`, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list assumptions: %w", err)
	}
	return scanAll(rows, "assumptions", scanAssumptions)
}

func (db *DB) assumptions(ctx context.Context, q queryer, council, id int64) (*finance.Assumptions, error) {
	if id == 0 {
		a, err := scanAssumptions(q.QueryRowContext(ctx, `SELECT id, name, author, params, created_at FROM assumption_sets WHERE council_id = $1 ORDER BY id DESC LIMIT 1`, council))
		if err == sql.ErrNoRows {
			d := finance.DefaultAssumptions()
			return &d, nil
		}
		return a, err
	}
	a, err := scanAssumptions(q.QueryRowContext(ctx, `SELECT id, name, author, params, created_at FROM assumption_sets WHERE council_id = $1 AND id = $2`, council, id))
	return a, notFound(err, "Assumption set")
}

// SaveAssumptions saves a new assumption set under its name, with the
// actor as its author: a set is never changed, so a result can always be
// shown beside the assumptions it came from. Finance and admins.
func (db *DB) SaveAssumptions(ctx context.Context, a *finance.Assumptions) error {
	if err := a.Validate(); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canWriteFinance...); err != nil {
			return err
		}
		a.Author, a.CreatedAt = tx.actor.Email, tx.now
		params, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO assumption_sets (council_id, name, author, params, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			tx.actor.CouncilID, a.Name, a.Author, string(params), tx.now).Scan(&a.ID); err != nil {
			return fmt.Errorf("storage: save assumptions: %w", err)
		}
		return tx.audit(ctx, "assumptions.save", "assumption_set", a.ID, nil, a)
	})
}

// --- Forecast

// Forecasts forecasts each budget line with an assumption set (0: the
// latest saved, or the defaults).
func (db *DB) Forecasts(ctx context.Context, assumptionsID int64) ([]finance.LineForecast, *finance.Assumptions, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := actor.Require(canReadFinance...); err != nil {
		return nil, nil, err
	}
	return db.forecasts(ctx, actor.CouncilID, assumptionsID, 0)
}

func (db *DB) forecasts(ctx context.Context, council, assumptionsID int64, minYears int) ([]finance.LineForecast, *finance.Assumptions, error) {
	return db.forecastsWith(ctx, council, assumptionsID, minYears, nil)
}

// forecastsWith forecasts from placements already read (ps: those with a
// day from a year ago or this year's start, whichever is earlier, on), or
// reads them when ps is nil.
func (db *DB) forecastsWith(ctx context.Context, council, assumptionsID int64, minYears int, ps []finance.Placement) ([]finance.LineForecast, *finance.Assumptions, error) {
	a, err := db.assumptions(ctx, db.sql, council, assumptionsID)
	if err != nil {
		return nil, nil, err
	}
	a.Years = max(a.Years, minYears)
	ins, drift, err := db.forecastInputs(ctx, council, nil, ps)
	if err != nil {
		return nil, nil, err
	}
	today := db.today()
	out := make([]finance.LineForecast, 0, len(ins))
	for _, in := range ins {
		out = append(out, finance.Forecast(in, *a, today, drift))
	}
	return out, a, nil
}

// forecastInputs gathers what the forecast learns from, per budget line
// (only lines in `only`, when given): live placements, ended placements'
// stays by service type, the last twelve months' starts and their median
// weekly cost, guide prices, the cost to date this year and the budgets;
// and the market's price drift measured from the price rounds.
func (db *DB) forecastInputs(ctx context.Context, council int64, only map[int64]bool, ps []finance.Placement) ([]finance.LineInput, int64, error) {
	lineOf, lines, err := db.lineMap(ctx, db.sql, council)
	if err != nil {
		return nil, 0, err
	}
	today := db.today()
	cur := finance.YearOf(today)
	ins := map[int64]*finance.LineInput{}
	var order []int64
	for _, l := range lines {
		if only != nil && !only[l.ID] {
			continue
		}
		ins[l.ID] = &finance.LineInput{BudgetLineID: l.ID, Name: l.Name, Stays: map[string]finance.Stay{}, Budgets: map[finance.Year]finance.Money{}}
		order = append(order, l.ID)
	}
	// This year's placements: the cost to date, those live from today on,
	// and those started in the last twelve months.
	if ps == nil {
		if ps, err = db.financePlacements(ctx, db.sql, council, minTime(cur.Start(), today.AddDate(-1, 0, 0)), farFuture, ""); err != nil {
			return nil, 0, err
		}
	}
	newWeekly := map[int64][]int64{}
	guideStarts := map[int64]map[string]int{}
	for i := range ps {
		p := &ps[i]
		in := ins[lineOf[string(p.ServiceType)]]
		if in == nil {
			continue
		}
		in.ToDate += p.Cost(cur.Start(), today)
		if p.End == nil || p.End.After(today) {
			in.Live = append(in.Live, *p)
		}
		if p.Start.After(today.AddDate(-1, 0, 0)) && !p.Start.After(today) {
			in.Starts++
			newWeekly[in.BudgetLineID] = append(newWeekly[in.BudgetLineID], int64(p.WeeklyOn(p.Start)))
			if guideStarts[in.BudgetLineID] == nil {
				guideStarts[in.BudgetLineID] = map[string]int{}
			}
			guideStarts[in.BudgetLineID][string(p.ServiceType)]++
		}
	}
	for id, ws := range newWeekly {
		sort.Slice(ws, func(i, j int) bool { return ws[i] < ws[j] })
		ins[id].NewWeekly = money.Money(ws[len(ws)/2])
	}
	// Stays learned from the last three years: placements that ended in
	// them (ended or handed back; a move to contract is not the end of the
	// person's care) and the days every placement was live in them.
	ws := today.AddDate(-finance.StayWindowYears, 0, 0)
	rows, err := db.sql.QueryContext(ctx, `SELECT service_type, start_date, end_date, status FROM placements
		WHERE council_id = $1 AND start_date <= $2 AND (end_date IS NULL OR end_date >= $3)`, council, ymd(today), ymd(ws))
	if err != nil {
		return nil, 0, fmt.Errorf("storage: read stays: %w", err)
	}
	ended, exposure := map[string]int{}, map[string]int64{}
	for rows.Next() {
		var st, status string
		var a, b time.Time
		if err := rows.Scan(&st, scanDay{&a}, scanDay{&b}, &status); err != nil {
			rows.Close()
			return nil, 0, err
		}
		from, to := maxTime(a, ws), today
		if !b.IsZero() && b.Before(today) {
			to = b
			if status == "ended" || status == "handed_back" {
				ended[st]++
			}
		}
		if !to.Before(from) {
			exposure[st] += int64(to.Sub(from).Hours()/24) + 1
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for st, n := range ended {
		if in := ins[lineOf[st]]; in != nil {
			in.Stays[st] = finance.LearnStay(n, exposure[st])
		}
	}
	// Guide prices in force today (weekly), averaged per service type and
	// weighted by the line's starts.
	guides, err := db.weeklyGuides(ctx, council, today)
	if err != nil {
		return nil, 0, err
	}
	for id, counts := range guideStarts {
		var sum, n int64
		for st, c := range counts {
			if g, ok := guides[st]; ok {
				sum += int64(g) * int64(c)
				n += int64(c)
			}
		}
		if n > 0 {
			ins[id].GuideWeekly = money.Money(sum / n)
		}
	}
	bs, err := db.budgets(ctx, db.sql, council, 0)
	if err != nil {
		return nil, 0, err
	}
	for _, b := range bs {
		if in := ins[b.BudgetLineID]; in != nil {
			in.Budgets[b.Year] = b.Amount
		}
	}
	drift, err := db.measuredDrift(ctx, council)
	if err != nil {
		return nil, 0, err
	}
	out := make([]finance.LineInput, 0, len(order))
	for _, id := range order {
		out = append(out, *ins[id])
	}
	return out, drift, nil
}

// farFuture bounds "from now on" in date ranges.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// weeklyGuides is the mean weekly guide price in force per service type.
func (db *DB) weeklyGuides(ctx context.Context, council int64, day time.Time) (map[string]money.Money, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT g.service_type, AVG(g.price_pence) FROM guide_prices g
		WHERE g.council_id = $1 AND g.basis = 'week' AND `+guideInForce("$2")+` GROUP BY g.service_type`, council, ymd(day))
	if err != nil {
		return nil, fmt.Errorf("storage: read guide prices: %w", err)
	}
	defer rows.Close()
	out := map[string]money.Money{}
	for rows.Next() {
		var st string
		var avg float64
		if err := rows.Scan(&st, &avg); err != nil {
			return nil, err
		}
		out[st] = money.Money(avg + 0.5)
	}
	return out, rows.Err()
}

// measuredDrift is the market's drift a year measured from the medians of
// the weekly prices approved in each price round.
func (db *DB) measuredDrift(ctx context.Context, council int64) (int64, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT r.id, r.effective_from, s.price_pence FROM price_submissions s JOIN price_rounds r ON r.id = s.round_id
		WHERE s.council_id = $1 AND s.status = 'approved' AND s.basis = 'week' ORDER BY r.id, s.price_pence`, council)
	if err != nil {
		return 0, fmt.Errorf("storage: read price rounds: %w", err)
	}
	defer rows.Close()
	var medians []finance.RoundMedian
	var prices []int64
	var lastID int64
	var lastFrom time.Time
	flush := func() {
		if len(prices) > 0 {
			medians = append(medians, finance.RoundMedian{From: lastFrom, Median: money.Money(prices[len(prices)/2])})
		}
		prices = prices[:0]
	}
	for rows.Next() {
		var id, p int64
		var from time.Time
		if err := rows.Scan(&id, scanDay{&from}, &p); err != nil {
			return 0, err
		}
		if id != lastID {
			flush()
			lastID, lastFrom = id, from
		}
		prices = append(prices, p)
	}
	flush()
	return finance.Drift(medians), rows.Err()
}

// --- Scenarios

// ListScenarios lists the council's scenarios, newest first.
func (db *DB) ListScenarios(ctx context.Context) ([]finance.Scenario, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(canReadFinance...); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, name, author, a_id, b_id, budget_line_ids, created_at FROM scenarios WHERE council_id = $1 ORDER BY id DESC`, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list scenarios: %w", err)
	}
	return scanAll(rows, "scenario", scanScenario)
}

func scanScenario(r interface{ Scan(...any) error }) (*finance.Scenario, error) {
	var s finance.Scenario
	var lines string
	if err := r.Scan(&s.ID, &s.Name, &s.Author, &s.AID, &s.BID, &lines, &s.CreatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(lines), &s.BudgetLineIDs); err != nil {
		return nil, err
	}
	if s.BudgetLineIDs == nil {
		s.BudgetLineIDs = []int64{}
	}
	return &s, nil
}

// SaveScenario saves a scenario pairing two of the council's assumption
// sets over budget lines (none: every line). Finance and admins.
func (db *DB) SaveScenario(ctx context.Context, s *finance.Scenario) error {
	f := map[string]string{}
	caremarket.CheckText(f, "name", "name of the scenario", s.Name, true, finance.MaxNameLen)
	if s.AID <= 0 {
		f["a_id"] = "Choose the first assumption set"
	}
	if s.BID <= 0 {
		f["b_id"] = "Choose the second assumption set"
	}
	if err := caremarket.Invalid(f); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canWriteFinance...); err != nil {
			return err
		}
		for _, id := range []int64{s.AID, s.BID} {
			if _, err := db.assumptions(ctx, tx, tx.actor.CouncilID, id); err != nil {
				return err
			}
		}
		lines, err := db.budgetLines(ctx, tx, tx.actor.CouncilID)
		if err != nil {
			return err
		}
		known := map[int64]bool{}
		for _, l := range lines {
			known[l.ID] = true
		}
		if s.BudgetLineIDs == nil {
			s.BudgetLineIDs = []int64{}
		}
		for _, id := range s.BudgetLineIDs {
			if !known[id] {
				return caremarket.Invalid(map[string]string{"budget_line_ids": "Choose the council's budget lines"})
			}
		}
		ids, _ := json.Marshal(s.BudgetLineIDs)
		s.Author, s.CreatedAt = tx.actor.Email, tx.now
		if err := tx.QueryRowContext(ctx, `INSERT INTO scenarios (council_id, name, author, a_id, b_id, budget_line_ids, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, tx.actor.CouncilID, s.Name, s.Author, s.AID, s.BID, string(ids), tx.now).Scan(&s.ID); err != nil {
			return fmt.Errorf("storage: save scenario: %w", err)
		}
		return tx.audit(ctx, "scenario.save", "scenario", s.ID, nil, s)
	})
}

// ScenarioResult works a scenario out: both assumption sets over its
// budget lines, year by year.
func (db *DB) ScenarioResult(ctx context.Context, id int64) (*finance.ScenarioResult, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(canReadFinance...); err != nil {
		return nil, err
	}
	s, err := scanScenario(db.sql.QueryRowContext(ctx, `SELECT id, name, author, a_id, b_id, budget_line_ids, created_at FROM scenarios WHERE council_id = $1 AND id = $2`,
		actor.CouncilID, id))
	if err != nil {
		return nil, notFound(err, "Scenario")
	}
	a, err := db.assumptions(ctx, db.sql, actor.CouncilID, s.AID)
	if err != nil {
		return nil, err
	}
	b, err := db.assumptions(ctx, db.sql, actor.CouncilID, s.BID)
	if err != nil {
		return nil, err
	}
	var only map[int64]bool
	if len(s.BudgetLineIDs) > 0 {
		only = map[int64]bool{}
		for _, id := range s.BudgetLineIDs {
			only[id] = true
		}
	}
	ins, drift, err := db.forecastInputs(ctx, actor.CouncilID, only, nil)
	if err != nil {
		return nil, err
	}
	settings, err := db.financeSettings(ctx, db.sql, actor.CouncilID)
	if err != nil {
		return nil, err
	}
	r := &finance.ScenarioResult{Scenario: *s, A: *a, B: *b, Scale: settings.Scale}
	today := db.today()
	r.Years, _, _ = finance.Compare(ins, *a, *b, today, drift)
	bb := *b
	bb.Years = a.Years
	for _, in := range ins {
		r.LinesA = append(r.LinesA, finance.Forecast(in, *a, today, drift))
		r.LinesB = append(r.LinesB, finance.Forecast(in, bb, today, drift))
	}
	if r.Years == nil {
		r.Years = []finance.ScenarioYear{}
	}
	return r, nil
}
