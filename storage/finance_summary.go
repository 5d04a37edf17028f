package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/money"
)

// FinanceSummary is the council's year by budget line: budget, committed,
// actual, forecast outturn and variance with red/amber/green, and the
// month-by-month committed and actual spend. A past year's forecast is its
// commitment; this year's and later years' come from the forecast with the
// council's latest assumptions (or the defaults).
func (db *DB) FinanceSummary(ctx context.Context, y finance.Year) (*finance.Summary, error) {
	actor, err := actorRequire(ctx, canReadFinance...)
	if err != nil {
		return nil, err
	}
	council := actor.CouncilID
	settings, err := db.financeSettings(ctx, db.sql, council)
	if err != nil {
		return nil, err
	}
	lineOf, lines, err := db.lineMap(ctx, db.sql, council)
	if err != nil {
		return nil, err
	}
	budgets, err := db.budgets(ctx, db.sql, council, y)
	if err != nil {
		return nil, err
	}
	cur := finance.YearOf(db.today())
	// The year's commitment from the stored totals: one GROUP BY.
	groups, err := db.rollup(ctx, actor, y, finance.ByBudgetLine, lineOf)
	if err != nil {
		return nil, err
	}
	s := &finance.Summary{Year: y, Tolerances: settings.Tolerances}
	at := map[int64]int{}
	for _, l := range lines {
		at[l.ID] = len(s.Items)
		s.Items = append(s.Items, finance.SummaryItem{BudgetLineID: l.ID, Name: l.Name})
	}
	item := func(line int64) *finance.SummaryItem {
		i, ok := at[line]
		if !ok {
			at[line] = len(s.Items)
			s.Items = append(s.Items, finance.SummaryItem{Name: "No budget line"})
			i = at[line]
		}
		return &s.Items[i]
	}
	for _, b := range budgets {
		item(b.BudgetLineID).Budget = b.Amount
	}
	for _, g := range groups {
		it := item(g.Key)
		it.Committed, it.TopUp, it.Placements = g.Total, g.TopUp, g.Placements
		for m, v := range g.Months {
			s.Months[m] += v
		}
	}
	actuals, err := db.actualsByLineMonth(ctx, council, y, lineOf)
	if err != nil {
		return nil, err
	}
	for line, months := range actuals {
		for m, v := range months {
			item(line).Actual += v
			s.Actuals[m] += v
		}
	}
	switch {
	case y < cur:
		for i := range s.Items {
			s.Items[i].Forecast = s.Items[i].Committed
		}
	default:
		fs, _, err := db.forecasts(ctx, actor, 0, int(y-cur))
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if k := int(y - cur); k < len(f.Years) {
				item(f.BudgetLineID).Forecast = f.Years[k].Forecast
			}
		}
	}
	s.Finish()
	return s, nil
}

// actualsByLineMonth adds up payments by budget line and month of the
// period paid (a payment counts in the month its period starts).
func (db *DB) actualsByLineMonth(ctx context.Context, council int64, y finance.Year, lineOf map[string]int64) (map[int64][12]money.Money, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT service_type, period_from, SUM(amount_pence) FROM actual_payments
		WHERE council_id = $1 AND period_from >= $2 AND period_from <= $3 GROUP BY service_type, period_from`, council, ymd(y.Start()), ymd(y.End()))
	if err != nil {
		return nil, fmt.Errorf("storage: sum actuals: %w", err)
	}
	defer rows.Close()
	out := map[int64][12]money.Money{}
	for rows.Next() {
		var st string
		var from time.Time
		var sum int64
		if err := rows.Scan(&st, scanDay{&from}, &sum); err != nil {
			return nil, err
		}
		m := (int(from.Month()) - 4 + 12) % 12
		v := out[lineOf[st]]
		v[m] += money.Money(sum)
		out[lineOf[st]] = v
	}
	return out, rows.Err()
}

// CommitmentRollup rolls the year's commitment up by a dimension, with the
// names of the groups.
func (db *DB) CommitmentRollup(ctx context.Context, y finance.Year, d finance.Dimension) ([]finance.Group, map[int64]string, error) {
	actor, err := actorRequire(ctx, canReadFinance...)
	if err != nil {
		return nil, nil, err
	}
	if !d.Valid() {
		return nil, nil, caremarket.Invalid(map[string]string{"by": "Roll up by budget line, service type, provider, agreement, lot or area"})
	}
	lineOf, lines, err := db.lineMap(ctx, db.sql, actor.CouncilID)
	if err != nil {
		return nil, nil, err
	}
	gs, err := db.rollup(ctx, actor, y, d, lineOf)
	if err != nil {
		return nil, nil, err
	}
	names := map[int64]string{0: "None"}
	var q string
	switch d {
	case finance.ByBudgetLine:
		names[0] = "No budget line"
		for _, l := range lines {
			names[l.ID] = l.Name
		}
	case finance.ByServiceType:
		for _, g := range gs {
			names[g.Key] = finance.ServiceAt(g.Key).Label()
		}
	case finance.ByProvider:
		q = `SELECT id, name FROM providers WHERE council_id = $1`
	case finance.ByAgreement:
		names[0] = "Off contract"
		q = `SELECT id, reference || ': ' || title FROM agreements WHERE council_id = $1`
	case finance.ByLot:
		names[0] = "No lot"
		q = `SELECT lt.id, ag.reference || ' lot ' || CAST(lt.number AS TEXT) || ': ' || lt.title FROM lots lt JOIN agreements ag ON ag.id = lt.agreement_id WHERE ag.council_id = $1`
	case finance.ByArea:
		q = `SELECT id, name FROM areas WHERE council_id = $1`
	}
	if q != "" {
		rows, err := db.sql.QueryContext(ctx, q, actor.CouncilID)
		if err != nil {
			return nil, nil, fmt.Errorf("storage: names for roll-up: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var n string
			if err := rows.Scan(&id, &n); err != nil {
				return nil, nil, err
			}
			names[id] = n
		}
	}
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].Total > gs[j].Total })
	return gs, names, nil
}

// drillPerPage is how many placements a drill-down page lists.
const drillPerPage = 50

// DrillDown lists the placements behind a figure: those of a budget line,
// provider or agreement in a year or one of its months, largest first,
// each with its cost in the period and the working.
func (db *DB) DrillDown(ctx context.Context, f finance.DrillFilter) (*finance.Drill, error) {
	actor, err := actorRequire(ctx, canReadFinance...)
	if err != nil {
		return nil, err
	}
	if f.Month < 0 || f.Month > 12 {
		return nil, caremarket.Invalid(map[string]string{"month": "The month must be 1 (April) to 12 (March)"})
	}
	from, to := f.Year.Start(), f.Year.End()
	if f.Month > 0 {
		from, to = f.Year.Month(f.Month - 1)
	}
	var conds []string
	var args []any
	add := func(c string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(c, "?", fmt.Sprintf("$%d", len(args)+3)))
	}
	if f.BudgetLineID > 0 {
		add(`pl.service_type IN (SELECT service_type FROM budget_line_services WHERE council_id = pl.council_id AND budget_line_id = ?)`, f.BudgetLineID)
	} else if f.BudgetLineID == -1 {
		conds = append(conds, `pl.service_type NOT IN (SELECT service_type FROM budget_line_services WHERE council_id = pl.council_id)`)
	}
	if f.ProviderID > 0 {
		add(`pl.provider_id = ?`, f.ProviderID)
	}
	if f.AgreementID > 0 {
		add(`pl.agreement_id = ?`, f.AgreementID)
	}
	cond := ""
	if len(conds) > 0 {
		cond = " AND " + strings.Join(conds, " AND ")
	}
	ps, err := db.financePlacements(ctx, db.sql, actor.CouncilID, from, to, cond, args...)
	if err != nil {
		return nil, err
	}
	d := &finance.Drill{From: from, To: to, Rows: []finance.DrillRow{}}
	rows := make([]finance.DrillRow, 0, len(ps))
	for _, p := range ps {
		w := p.Working(from, to)
		r := finance.DrillRow{Placement: p, Cost: finance.CostOf(w), TopUpIn: p.TopUpCost(from, to), Working: w}
		d.Total += r.Cost
		rows = append(rows, r)
	}
	d.Count = len(rows)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Cost > rows[j].Cost })
	if f.Page < 0 {
		d.Rows = rows // every row, for an export
	} else {
		page := max(f.Page, 1)
		lo := min((page-1)*drillPerPage, len(rows))
		d.Rows = rows[lo:min(lo+drillPerPage, len(rows))]
	}
	if err := db.nameProviders(ctx, actor.CouncilID, d.Rows); err != nil {
		return nil, err
	}
	return d, nil
}

func (db *DB) nameProviders(ctx context.Context, council int64, rows []finance.DrillRow) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, fmt.Sprint(r.ProviderID))
	}
	q, err := db.sql.QueryContext(ctx, `SELECT id, name FROM providers WHERE council_id = $1 AND id IN (`+strings.Join(ids, ",")+`)`, council)
	if err != nil {
		return err
	}
	defer q.Close()
	names := map[int64]string{}
	for q.Next() {
		var id int64
		var n string
		if err := q.Scan(&id, &n); err != nil {
			return err
		}
		names[id] = n
	}
	for i := range rows {
		rows[i].ProviderName = names[rows[i].ProviderID]
	}
	return q.Err()
}

// PlacementCommitment is one placement's commitment in a year, with the
// working: what a broker sees of the placement being made, and finance of
// any placement. Council staff who see placements.
func (db *DB) PlacementCommitment(ctx context.Context, placementID int64, y finance.Year) (*finance.DrillRow, error) {
	actor, err := actorRequire(ctx, append(canReadFinance, caremarket.RoleBroker)...)
	if err != nil {
		return nil, err
	}
	ps, err := db.financePlacements(ctx, db.sql, actor.CouncilID, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
		" AND pl.id = $4", placementID)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Placement not found")
	}
	p := ps[0]
	w := p.Working(y.Start(), y.End())
	r := &finance.DrillRow{Placement: p, Cost: finance.CostOf(w), TopUpIn: p.TopUpCost(y.Start(), y.End()), Working: w}
	if r.Working == nil {
		r.Working = []finance.Segment{}
	}
	return r, nil
}
