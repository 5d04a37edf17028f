package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
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
	actor, err := actorRequire(ctx, canReadFinance...)
	if err != nil {
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
	return db.updateBy(ctx, canWriteFinance, func(tx *Tx) error {
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
	actor, err := actorRequire(ctx, canReadFinance...)
	if err != nil {
		return nil, nil, err
	}
	return db.forecasts(ctx, actor, assumptionsID, 0)
}

// forecasts forecasts every budget line for at least minYears ahead.
func (db *DB) forecasts(ctx context.Context, actor *caremarket.Actor, assumptionsID int64, minYears int) ([]finance.LineForecast, *finance.Assumptions, error) {
	a, err := db.assumptions(ctx, db.sql, actor.CouncilID, assumptionsID)
	if err != nil {
		return nil, nil, err
	}
	a.Years = max(a.Years, minYears)
	ins, drift, err := db.forecastInputs(ctx, actor, nil)
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
// and the market's price drift measured from the price rounds. None of it
// reads every placement (finance_commit.go keeps what it reads): the cost
// to date is the stored commitment of this year's months before this one
// plus this month's days of the running weekly total; the open-ended
// placements already live are the running totals less the few with an end
// date; stays come from the running totals; the median from an index.
func (db *DB) forecastInputs(ctx context.Context, actor *caremarket.Actor, only map[int64]bool) ([]finance.LineInput, int64, error) {
	council := actor.CouncilID
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
		ins[l.ID] = &finance.LineInput{BudgetLineID: l.ID, Name: l.Name, Stays: map[string]finance.Stay{}, Budgets: map[finance.Year]finance.Money{},
			Open: map[string]finance.OpenLive{}}
		order = append(order, l.ID)
	}
	// The cost to date: this year's months before this one, stored.
	groups, err := db.rollup(ctx, actor, cur, finance.ByBudgetLine, lineOf)
	if err != nil {
		return nil, 0, err
	}
	month := (int(today.Month()) + 8) % 12 // April = 0
	for _, g := range groups {
		if in := ins[g.Key]; in != nil {
			for _, m := range g.Months[:month] {
				in.ToDate += m
			}
		}
	}
	run, err := db.dayRunning(ctx, council, today)
	if err != nil {
		return nil, 0, err
	}
	partial := map[int64]int64{}
	for st, r := range run {
		in := ins[lineOf[st]]
		if in == nil {
			continue
		}
		partial[in.BudgetLineID] += r.monthWeeklyDays
		in.Starts += r.starts
		if r.ended > 0 {
			in.Stays[st] = finance.LearnStay(r.ended, r.exposure)
		}
		in.Open[st] = finance.OpenLive{Count: int(r.liveTomorrow), Weekly: finance.Money(r.weeklyTomorrow)}
	}
	for id, n := range partial {
		ins[id].ToDate += finance.DaysCost(n)
	}
	if err := db.datedLive(ctx, council, today, ins, lineOf); err != nil {
		return nil, 0, err
	}
	// The median weekly cost of each line's starts in the last twelve
	// months, and the guide prices in force today (weekly), averaged per
	// service type and weighted by the line's starts.
	guides, err := db.weeklyGuides(ctx, council, today)
	if err != nil {
		return nil, 0, err
	}
	for _, l := range lines {
		in := ins[l.ID]
		if in == nil || in.Starts == 0 {
			continue
		}
		if in.NewWeekly, err = db.medianStart(ctx, council, l.ServiceTypes, today, in.Starts); err != nil {
			return nil, 0, err
		}
		var sum, n int64
		for _, st := range l.ServiceTypes {
			if g, ok := guides[string(st)]; ok && run[string(st)] != nil {
				c := int64(run[string(st)].starts)
				sum += int64(g) * c
				n += c
			}
		}
		if n > 0 {
			in.GuideWeekly = money.Money(sum / n)
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

// datedLive adds to each line's forecast inputs the placements with dates
// of their own: an end date after today, or open-ended and starting after
// tomorrow. Those live tomorrow come out of the open-ended totals.
func (db *DB) datedLive(ctx context.Context, council int64, today time.Time, ins map[int64]*finance.LineInput, lineOf map[string]int64) error {
	tomorrow := today.AddDate(0, 0, 1)
	dated, _, err := db.readFinancePlacements(ctx, db.sql, `pl.council_id = $1 AND pl.end_date > $2`, []any{council, ymd(today)})
	if err != nil {
		return err
	}
	// (The CASE keeps SQLite from reading every open-ended placement through
	// the end-date index: the start date's index finds the few later ones.)
	later, _, err := db.readFinancePlacements(ctx, db.sql, `pl.council_id = $1 AND pl.start_date > $2 AND CASE WHEN pl.end_date IS NULL THEN 1 ELSE 0 END = 1`,
		[]any{council, ymd(tomorrow)})
	if err != nil {
		return err
	}
	own := append(dated, later...)
	slices.SortFunc(own, func(a, b finance.Placement) int { return cmp.Compare(a.ID, b.ID) })
	for _, p := range own {
		in := ins[lineOf[string(p.ServiceType)]]
		if in == nil {
			continue
		}
		in.Live = append(in.Live, p)
		if p.End != nil && !p.Start.After(tomorrow) {
			o := in.Open[string(p.ServiceType)]
			o.Count--
			o.Weekly -= p.WeeklyOn(tomorrow)
			in.Open[string(p.ServiceType)] = o
		}
	}
	for _, in := range ins {
		for st, o := range in.Open {
			if o == (finance.OpenLive{}) {
				delete(in.Open, st)
			}
		}
	}
	return nil
}

// running is a service type's running totals by day as the forecast needs
// them.
type running struct {
	// monthWeeklyDays is the weekly cost in force summed over this month's
	// days to today (the part of the month not yet in a stored month).
	monthWeeklyDays int64
	// liveTomorrow and weeklyTomorrow: the placements live tomorrow and
	// their weekly cost that day.
	liveTomorrow, weeklyTomorrow int64
	// starts in the twelve months to today; ended (ended or handed back) in
	// the three years to yesterday; exposure, the days placements were live
	// in the three years to today (finance.LearnStay).
	starts, ended int
	exposure      int64
}

// dayRunning reads the running totals by day: each service type's sums
// before the three-year stay window, then each day's change in it to
// tomorrow (a few rows a day, whatever the number of placements).
func (db *DB) dayRunning(ctx context.Context, council int64, today time.Time) (map[string]*running, error) {
	ws := today.AddDate(-finance.StayWindowYears, 0, 0)
	tomorrow, yearAgo := today.AddDate(0, 0, 1), today.AddDate(-1, 0, 0)
	monthStart := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := map[string]*running{}
	// level is the weekly cost in force on the month's first day.
	level := map[string]int64{}
	rows, err := db.sql.QueryContext(ctx, `SELECT service_type, SUM(live), SUM(weekly_pence) FROM finance_day_totals WHERE council_id = $1 AND day < $2
		GROUP BY service_type`, council, ymd(ws))
	if err != nil {
		return nil, fmt.Errorf("storage: read day totals: %w", err)
	}
	for rows.Next() {
		var st string
		var live, weekly int64
		if err := rows.Scan(&st, &live, &weekly); err != nil {
			rows.Close()
			return nil, err
		}
		// A placement live before the window was live every day of it.
		out[st] = &running{exposure: live * dayCount(ws, today), liveTomorrow: live, weeklyTomorrow: weekly}
		level[st] = weekly
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.sql.QueryContext(ctx, `SELECT day, service_type, live, ended, starts, weekly_pence FROM finance_day_totals
		WHERE council_id = $1 AND day >= $2 AND day <= $3 ORDER BY day`, council, ymd(ws), ymd(tomorrow))
	if err != nil {
		return nil, fmt.Errorf("storage: read day totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day time.Time
		var st string
		var live, ended, starts, weekly int64
		if err := rows.Scan(scanDay{&day}, &st, &live, &ended, &starts, &weekly); err != nil {
			return nil, err
		}
		r := out[st]
		if r == nil {
			r = &running{}
			out[st] = r
		}
		// A change on a day counts from it to today.
		r.exposure += live * dayCount(day, today)
		if day.Before(monthStart) {
			level[st] += weekly
		} else {
			r.monthWeeklyDays += weekly * dayCount(day, today)
		}
		if day.Before(today) {
			r.ended += int(ended)
		}
		if day.After(yearAgo) && !day.After(today) {
			r.starts += int(starts)
		}
		r.liveTomorrow += live
		r.weeklyTomorrow += weekly
	}
	for st, w := range level {
		out[st].monthWeeklyDays += w * dayCount(monthStart, today)
	}
	return out, rows.Err()
}

// dayCount counts the days from a to b, both included (0 when b is before a).
func dayCount(a, b time.Time) int64 {
	if b.Before(a) {
		return 0
	}
	return int64(b.Sub(a).Hours()/24+0.5) + 1
}

// medianStart is the median weekly cost on their first day of the n
// placements of service types sts that started in the twelve months to
// today (the n/2-th from the lowest, counting from 0). It reads counts, not
// placements: the start-price buckets of the whole months inside the
// twelve (finance_start_buckets), the prices of the part months at either
// end, which bucket holds the median, and then only that bucket's prices.
func (db *DB) medianStart(ctx context.Context, council int64, sts []market.ServiceType, today time.Time, n int) (money.Money, error) {
	from := today.AddDate(-1, 0, 0) // exclusive
	first := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
	last := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC) // whole months are [first, last)
	args := []any{council}
	in := make([]string, len(sts))
	for i, st := range sts {
		args = append(args, string(st))
		in[i] = "$" + strconv.Itoa(len(args))
	}
	of := `council_id = $1 AND service_type IN (` + strings.Join(in, ", ") + `)`
	at := "$" + strconv.Itoa(len(args)+1)
	to := "$" + strconv.Itoa(len(args)+2)
	counts := map[int64]int{}
	rows, err := db.sql.QueryContext(ctx, `SELECT bucket, SUM(starts) FROM finance_start_buckets WHERE `+of+` AND month >= `+at+` AND month < `+to+` GROUP BY bucket`,
		append(args, ymd(first), ymd(last))...)
	if err != nil {
		return 0, fmt.Errorf("storage: read start buckets: %w", err)
	}
	for rows.Next() {
		var b int64
		var c int
		if err := rows.Scan(&b, &c); err != nil {
			rows.Close()
			return 0, err
		}
		counts[b] += c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	// The part months: after a year ago to the end of its month, and this
	// month to today.
	edge := map[int64][]int64{}
	prices := func(q string, extra ...any) error {
		rows, err := db.sql.QueryContext(ctx, `SELECT start_weekly_pence FROM finance_placements WHERE `+of+q, append(slices.Clone(args), extra...)...)
		if err != nil {
			return fmt.Errorf("storage: read start prices: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var w int64
			if err := rows.Scan(&w); err != nil {
				return err
			}
			edge[w/bucketPence] = append(edge[w/bucketPence], w)
		}
		return rows.Err()
	}
	if err := prices(` AND start_date > `+at+` AND start_date < `+to, ymd(from), ymd(first)); err != nil {
		return 0, err
	}
	if err := prices(` AND start_date >= `+at+` AND start_date <= `+to, ymd(last), ymd(today)); err != nil {
		return 0, err
	}
	total := 0
	for b, ws := range edge {
		counts[b] += len(ws)
	}
	for _, c := range counts {
		total += c
	}
	if total != n || n == 0 {
		return db.medianScan(ctx, of, args, from, today, n)
	}
	k := n / 2
	for _, b := range slices.Sorted(maps.Keys(counts)) {
		if k >= counts[b] {
			k -= counts[b]
			continue
		}
		// The median is the k-th price (from 0) in bucket b.
		// (The CASE keeps the dates from choosing the start-date index:
		// the price index finds the bucket's few prices.)
		ws := slices.Clone(edge[b])
		rows, err := db.sql.QueryContext(ctx, `SELECT start_weekly_pence FROM finance_placements WHERE `+of+` AND start_weekly_pence >= `+at+
			` AND start_weekly_pence < `+to+` AND CASE WHEN start_date >= $`+strconv.Itoa(len(args)+3)+` AND start_date < $`+strconv.Itoa(len(args)+4)+
			` THEN 1 ELSE 0 END = 1`, append(args, b*bucketPence, (b+1)*bucketPence, ymd(first), ymd(last))...)
		if err != nil {
			return 0, fmt.Errorf("storage: read start prices: %w", err)
		}
		for rows.Next() {
			var w int64
			if err := rows.Scan(&w); err != nil {
				rows.Close()
				return 0, err
			}
			ws = append(ws, w)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		slices.Sort(ws)
		if k >= len(ws) {
			break
		}
		return money.Money(ws[k]), nil
	}
	return db.medianScan(ctx, of, args, from, today, n)
}

// medianScan is medianStart read straight from the starts (the buckets
// should never disagree with the running totals; if they did, this is
// still right).
func (db *DB) medianScan(ctx context.Context, of string, args []any, from, today time.Time, n int) (money.Money, error) {
	var w int64
	err := db.sql.QueryRowContext(ctx, `SELECT start_weekly_pence FROM finance_placements WHERE `+of+` AND start_date > $`+strconv.Itoa(len(args)+1)+
		` AND start_date <= $`+strconv.Itoa(len(args)+2)+` ORDER BY start_weekly_pence LIMIT 1 OFFSET `+strconv.Itoa(n/2), append(args, ymd(from), ymd(today))...).Scan(&w)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return money.Money(w), err
}

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
	actor, err := actorRequire(ctx, canReadFinance...)
	if err != nil {
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
	return db.updateBy(ctx, canWriteFinance, func(tx *Tx) error {
		for _, id := range []int64{s.AID, s.BID} {
			if _, err := db.assumptions(ctx, tx, tx.actor.CouncilID, id); err != nil {
				return err
			}
		}
		known, err := db.budgetLineIDs(ctx, tx, tx.actor.CouncilID)
		if err != nil {
			return err
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
	actor, err := actorRequire(ctx, canReadFinance...)
	if err != nil {
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
	ins, drift, err := db.forecastInputs(ctx, actor, only)
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
