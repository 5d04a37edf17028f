package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Finance: budget lines, budgets, the commitment of placements, actuals,
// forecasts and scenarios. Finance and commissioners read the council's
// figures; finance and admins set budgets and import payments; admins keep
// the budget lines; a provider sees only its own payments.
var (
	canReadFinance  = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner, caremarket.RoleFinance}
	canWriteFinance = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleFinance}
)

// --- Budget lines and budgets

// ListBudgetLines lists the council's budget lines with their service types.
func (db *DB) ListBudgetLines(ctx context.Context) ([]finance.BudgetLine, error) {
	actor, err := actorRequire(ctx, append(canReadFinance, caremarket.RoleBroker)...)
	if err != nil {
		return nil, err
	}
	return db.budgetLines(ctx, db.sql, actor.CouncilID)
}

func (db *DB) budgetLines(ctx context.Context, q queryer, council int64) ([]finance.BudgetLine, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, code FROM budget_lines WHERE council_id = $1 ORDER BY name, id`, council)
	if err != nil {
		return nil, fmt.Errorf("storage: list budget lines: %w", err)
	}
	out, err := scanAll(rows, "budget line", func(r interface{ Scan(...any) error }) (*finance.BudgetLine, error) {
		var b finance.BudgetLine
		b.ServiceTypes = []market.ServiceType{}
		return &b, r.Scan(&b.ID, &b.Name, &b.Code)
	})
	if err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT budget_line_id, service_type FROM budget_line_services WHERE council_id = $1 ORDER BY service_type`, council)
	if err != nil {
		return nil, fmt.Errorf("storage: list budget line services: %w", err)
	}
	defer rows.Close()
	at := map[int64]int{}
	for i, b := range out {
		at[b.ID] = i
	}
	for rows.Next() {
		var id int64
		var st string
		if err := rows.Scan(&id, &st); err != nil {
			return nil, err
		}
		if i, ok := at[id]; ok {
			out[i].ServiceTypes = append(out[i].ServiceTypes, market.ServiceType(st))
		}
	}
	for i := range out {
		sortServices(out[i].ServiceTypes)
	}
	return out, rows.Err()
}

// SaveBudgetLine creates a budget line (ID 0) or changes one: its name,
// code and the service types that map to it. Admins.
func (db *DB) SaveBudgetLine(ctx context.Context, b *finance.BudgetLine) error {
	return db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		council := tx.actor.CouncilID
		others, err := db.budgetLines(ctx, tx, council)
		if err != nil {
			return err
		}
		var before *finance.BudgetLine
		for i := range others {
			if others[i].ID == b.ID {
				before = &others[i]
			}
		}
		if b.ID != 0 && before == nil {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Budget line not found")
		}
		if err := b.Validate(others); err != nil {
			return err
		}
		if b.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO budget_lines (council_id, name, code, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id`,
				council, b.Name, b.Code, tx.now).Scan(&b.ID); err != nil {
				return fmt.Errorf("storage: create budget line: %w", err)
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE budget_lines SET name = $1, code = $2, updated_at = $3 WHERE id = $4 AND council_id = $5`,
			b.Name, b.Code, tx.now, b.ID, council); err != nil {
			return fmt.Errorf("storage: update budget line: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM budget_line_services WHERE council_id = $1 AND budget_line_id = $2`, council, b.ID); err != nil {
			return err
		}
		for _, st := range b.ServiceTypes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO budget_line_services (council_id, service_type, budget_line_id) VALUES ($1, $2, $3)`,
				council, string(st), b.ID); err != nil {
				return fmt.Errorf("storage: map service type: %w", err)
			}
		}
		if b.ServiceTypes == nil {
			b.ServiceTypes = []market.ServiceType{}
		}
		return tx.audit(ctx, "budget_line.save", "budget_line", b.ID, before, b)
	})
}

// ListBudgets lists the council's budgets for a year (0: every year).
func (db *DB) ListBudgets(ctx context.Context, y finance.Year) ([]finance.Budget, error) {
	actor, err := actorRequire(ctx, canReadFinance...)
	if err != nil {
		return nil, err
	}
	return db.budgets(ctx, db.sql, actor.CouncilID, y)
}

func (db *DB) budgets(ctx context.Context, q queryer, council int64, y finance.Year) ([]finance.Budget, error) {
	cond, args := "", []any{council}
	if y != 0 {
		cond, args = " AND year = $2", append(args, int(y))
	}
	rows, err := q.QueryContext(ctx, `SELECT budget_line_id, year, amount_pence, set_by FROM budgets WHERE council_id = $1`+cond+` ORDER BY year, budget_line_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list budgets: %w", err)
	}
	return scanAll(rows, "budget", func(r interface{ Scan(...any) error }) (*finance.Budget, error) {
		var b finance.Budget
		var year int
		var amount int64
		err := r.Scan(&b.BudgetLineID, &year, &amount, &b.SetBy)
		b.Year, b.Amount = finance.Year(year), money.Money(amount)
		return &b, err
	})
}

// SetBudgets sets budgets (a line's budget for a year), all or none, in
// one transaction. Finance and admins.
func (db *DB) SetBudgets(ctx context.Context, bs []finance.Budget) error {
	return db.updateBy(ctx, canWriteFinance, func(tx *Tx) error {
		if len(bs) == 0 {
			return caremarket.Errorf(caremarket.EINVALID, "There are no budgets to set")
		}
		known, err := db.budgetLineIDs(ctx, tx, tx.actor.CouncilID)
		if err != nil {
			return err
		}
		for i := range bs {
			b := &bs[i]
			if err := b.Validate(); err != nil {
				return err
			}
			if !known[b.BudgetLineID] {
				return caremarket.Invalid(map[string]string{"budget_line_id": "Budget line " + strconv.FormatInt(b.BudgetLineID, 10) + " is not one of the council's"})
			}
			b.SetBy = tx.actor.Email
			if _, err := tx.ExecContext(ctx, `INSERT INTO budgets (budget_line_id, year, council_id, amount_pence, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (budget_line_id, year) DO UPDATE SET amount_pence = excluded.amount_pence, set_by = excluded.set_by, set_at = excluded.set_at`,
				b.BudgetLineID, int(b.Year), tx.actor.CouncilID, int64(b.Amount), b.SetBy, tx.now); err != nil {
				return fmt.Errorf("storage: set budget: %w", err)
			}
		}
		return tx.audit(ctx, "budget.set", "budget", bs[0].BudgetLineID, nil, bs)
	})
}

// budgetLineIDs is the set of the council's budget lines' ids, to check
// those a write names.
func (db *DB) budgetLineIDs(ctx context.Context, q queryer, council int64) (map[int64]bool, error) {
	lines, err := db.budgetLines(ctx, q, council)
	if err != nil {
		return nil, err
	}
	known := map[int64]bool{}
	for _, l := range lines {
		known[l.ID] = true
	}
	return known, nil
}

// FinanceSettings returns the council's tolerances and scale note.
func (db *DB) FinanceSettings(ctx context.Context) (*finance.Settings, error) {
	actor, err := actorRequire(ctx, append(canReadFinance, caremarket.RoleBroker)...)
	if err != nil {
		return nil, err
	}
	return db.financeSettings(ctx, db.sql, actor.CouncilID)
}

func (db *DB) financeSettings(ctx context.Context, q queryer, council int64) (*finance.Settings, error) {
	s := &finance.Settings{Tolerances: finance.DefaultTolerances, Scale: 1}
	err := q.QueryRowContext(ctx, `SELECT amber_bp, red_bp, scale, scale_note FROM finance_settings WHERE council_id = $1`, council).
		Scan(&s.AmberBP, &s.RedBP, &s.Scale, &s.ScaleNote)
	if err != nil && err != sql.ErrNoRows {
		return nil, fmt.Errorf("storage: read finance settings: %w", err)
	}
	return s, nil
}

// SetFinanceSettings sets the tolerances (and scale note). Finance and admins.
func (db *DB) SetFinanceSettings(ctx context.Context, s finance.Settings) error {
	if err := s.Tolerances.Validate(); err != nil {
		return err
	}
	if s.Scale < 1 || s.Scale > 1_000_000 {
		return caremarket.Invalid(map[string]string{"scale": "The scale must be a whole number from 1"})
	}
	return db.updateBy(ctx, canWriteFinance, func(tx *Tx) error {
		before, err := db.financeSettings(ctx, tx, tx.actor.CouncilID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO finance_settings (council_id, amber_bp, red_bp, scale, scale_note, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (council_id) DO UPDATE SET amber_bp = excluded.amber_bp, red_bp = excluded.red_bp,
			scale = excluded.scale, scale_note = excluded.scale_note, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			tx.actor.CouncilID, s.AmberBP, s.RedBP, s.Scale, strings.TrimSpace(s.ScaleNote), tx.now, tx.actor.Email); err != nil {
			return fmt.Errorf("storage: set finance settings: %w", err)
		}
		return tx.audit(ctx, "finance_settings.set", "council", tx.actor.CouncilID, before, s)
	})
}

// --- Placements as finance sees them

// financePlacements reads the council's placements with a day between
// from and to, with their price history, in two statements (placements,
// then every price of those placements). cond narrows them (it may use
// pl. columns only, and $4 onwards).
func (db *DB) financePlacements(ctx context.Context, q queryer, council int64, from, to time.Time, cond string, args ...any) ([]finance.Placement, error) {
	ps, _, err := db.readFinancePlacements(ctx, q, `pl.council_id = $1 AND pl.start_date <= $2 AND (pl.end_date IS NULL OR pl.end_date >= $3)`+cond,
		append([]any{council, ymd(to), ymd(from)}, args...))
	return ps, err
}

// readFinancePlacements reads the placements where says (pl. columns
// only; $1 is the council, and where must say pl.council_id = $1), in id order, with their price history,
// and whether each ended (ended or handed back, not moved to contract).
func (db *DB) readFinancePlacements(ctx context.Context, q queryer, where string, args []any) ([]finance.Placement, []bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT pl.id, r.case_reference, pl.service_type, pl.provider_id, COALESCE(pl.agreement_id, 0), COALESCE(pl.lot_id, 0),
		r.area_id, pl.start_date, pl.end_date, pl.top_up_pence, pl.status FROM placements pl JOIN care_requirements r ON r.id = pl.requirement_id
		WHERE `+where+` ORDER BY pl.id`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: read placements for finance: %w", err)
	}
	var out []finance.Placement
	var ended []bool
	for rows.Next() {
		var p finance.Placement
		var end time.Time
		var st, status string
		var top int64
		if err := rows.Scan(&p.ID, &p.CaseRef, &st, &p.ProviderID, &p.AgreementID, &p.LotID, &p.AreaID, scanDay{&p.Start}, scanDay{&end}, &top, &status); err != nil {
			rows.Close()
			return nil, nil, err
		}
		p.ServiceType, p.TopUp = market.ServiceType(st), money.Money(top)
		if !end.IsZero() {
			p.End = &end
		}
		out = append(out, p)
		ended = append(ended, status == "ended" || status == "handed_back")
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(out) == 0 {
		return out, ended, nil
	}
	at := make(map[int64]int, len(out))
	for i := range out {
		at[out[i].ID] = i
	}
	// The prices of the same placements; where names placements' columns
	// only, so the subquery needs no join.
	rows, err = q.QueryContext(ctx, `SELECT pp.placement_id, pp.weekly_cost_pence, pp.effective_from FROM placement_prices pp
		WHERE pp.council_id = $1 AND pp.placement_id IN (SELECT pl.id FROM placements pl WHERE `+where+`) ORDER BY pp.placement_id, pp.effective_from, pp.id`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: read placement prices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, w int64
		var from time.Time
		if err := rows.Scan(&id, &w, scanDay{&from}); err != nil {
			return nil, nil, err
		}
		if i, ok := at[id]; ok {
			out[i].Prices = append(out[i].Prices, finance.Price{Weekly: money.Money(w), From: from})
		}
	}
	return out, ended, rows.Err()
}

// lineMap maps service types to budget lines.
func (db *DB) lineMap(ctx context.Context, q queryer, council int64) (map[string]int64, []finance.BudgetLine, error) {
	lines, err := db.budgetLines(ctx, q, council)
	if err != nil {
		return nil, nil, err
	}
	return finance.LineOf(lines), lines, nil
}
