package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// Pricing storage: cost models and guide prices; price rounds,
// submissions and contracted prices are in pricing_rounds.go; uplifts and
// variation observations in pricing_uplifts.go.
//
// Dates (effective_from, opens_on, ...) are written and compared as
// "2006-01-02" text: PostgreSQL reads that as a DATE and SQLite keeps it as
// text whose order is the calendar's, so "in force on a day" is the same
// comparison on both.

var (
	// canSetPrices change cost models, rounds, decisions and uplifts.
	canSetPrices = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner}
	// canSeePricing read cost models and market price statistics: council
	// staff. Providers see guide prices, and their own rounds and prices.
	canSeePricing = caremarket.CouncilStaff
	// canPreviewUplift may see what an uplift would cost.
	canPreviewUplift = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner, caremarket.RoleFinance}
)

// ymd is a calendar date as stored.
func ymd(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// today is the actor's calendar day (UTC; England is at most an hour off,
// and rounds open and close on whole days).
func (db *DB) today() time.Time {
	n := db.now()
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}

// scanDay reads a DATE column from either database as a UTC calendar date.
type scanDay struct{ t *time.Time }

func (d scanDay) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		*d.t = time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC)
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	case nil:
		*d.t = time.Time{}
	default:
		return fmt.Errorf("storage: date of type %T", v)
	}
	return nil
}

func (d scanDay) parse(s string) error {
	if len(s) < 10 {
		return fmt.Errorf("storage: bad date %q", s)
	}
	t, err := time.Parse(time.DateOnly, s[:10])
	*d.t = t
	return err
}

// --- Cost models

const costModelColumns = `id, council_id, name, service_type, effective_from, status, params, created_at, created_by, adopted_at`

func scanCostModel(row interface{ Scan(...any) error }) (*pricing.CostModel, error) {
	var m pricing.CostModel
	var params string
	var id, council int64
	var name, status, createdBy string
	var st market.ServiceType
	var eff time.Time
	var created time.Time
	var adopted sql.NullTime
	if err := row.Scan(&id, &council, &name, &st, scanDay{&eff}, &status, &params, &created, &createdBy, &adopted); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &m); err != nil {
		return nil, fmt.Errorf("storage: cost model %d params: %w", id, err)
	}
	m.ID, m.CouncilID, m.Name, m.ServiceType, m.EffectiveFrom, m.Status, m.CreatedAt, m.CreatedBy = id, council, name, st, eff, status, created, createdBy
	m.AdoptedAt = timeOf(adopted)
	return &m, nil
}

// ListCostModels lists the council's cost models, newest first. Staff.
func (db *DB) ListCostModels(ctx context.Context, st market.ServiceType) ([]pricing.CostModel, error) {
	actor, err := actorRequire(ctx, canSeePricing...)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + costModelColumns + ` FROM cost_models WHERE council_id = $1`
	args := []any{actor.CouncilID}
	if st != "" {
		q += ` AND service_type = $2`
		args = append(args, string(st))
	}
	rows, err := db.sql.QueryContext(ctx, q+` ORDER BY effective_from DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list cost models: %w", err)
	}
	return scanAll(rows, "", scanCostModel)
}

// CostModel returns one cost model. Staff.
func (db *DB) CostModel(ctx context.Context, id int64) (*pricing.CostModel, error) {
	actor, err := actorRequire(ctx, canSeePricing...)
	if err != nil {
		return nil, err
	}
	return db.costModel(ctx, db.sql, actor.CouncilID, id, "")
}

func (db *DB) costModel(ctx context.Context, q queryer, council, id int64, lock string) (*pricing.CostModel, error) {
	m, err := scanCostModel(q.QueryRowContext(ctx, `SELECT `+costModelColumns+` FROM cost_models WHERE id = $1 AND council_id = $2`+lock, id, council))
	if err != nil {
		return nil, notFound(err, "Cost model")
	}
	return m, nil
}

// costModelParams is what is kept as JSON: the inputs, not the row's own
// columns (which the JSON would otherwise duplicate).
func costModelParams(m *pricing.CostModel) string {
	c := *m
	c.ID, c.CouncilID, c.Name, c.Status, c.CreatedBy, c.CreatedAt, c.AdoptedAt = 0, 0, "", "", "", time.Time{}, nil
	return toJSONText(c)
}

func toJSONText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// CreateCostModel saves a draft cost model. Commissioners and admins.
func (db *DB) CreateCostModel(ctx context.Context, m *pricing.CostModel) error {
	m.Status = pricing.ModelDraft
	if err := m.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canSetPrices, func(tx *Tx) error {
		m.CouncilID, m.CreatedAt, m.CreatedBy, m.AdoptedAt = tx.actor.CouncilID, tx.now, tx.actor.Email, nil
		err := tx.QueryRowContext(ctx, `INSERT INTO cost_models (council_id, name, service_type, effective_from, status, params, created_at, created_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) RETURNING id`,
			m.CouncilID, m.Name, string(m.ServiceType), ymd(m.EffectiveFrom), m.Status, costModelParams(m), tx.now, m.CreatedBy).Scan(&m.ID)
		if err != nil {
			return fmt.Errorf("storage: create cost model: %w", err)
		}
		return tx.audit(ctx, "cost_model.create", "cost_model", m.ID, nil, m)
	})
}

// UpdateCostModel changes a draft; an adopted model is history and cannot
// change (copy it into a new draft instead). Commissioners and admins.
func (db *DB) UpdateCostModel(ctx context.Context, m *pricing.CostModel) error {
	m.Status = pricing.ModelDraft
	if err := m.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canSetPrices, func(tx *Tx) error {
		before, err := db.costModel(ctx, tx, tx.actor.CouncilID, m.ID, db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if before.Status != pricing.ModelDraft {
			return caremarket.Errorf(caremarket.ECONFLICT, "This cost model has been adopted and cannot change: start a new one")
		}
		m.CouncilID, m.CreatedAt, m.CreatedBy = before.CouncilID, before.CreatedAt, before.CreatedBy
		if _, err := tx.ExecContext(ctx, `UPDATE cost_models SET name = $1, service_type = $2, effective_from = $3, params = $4, updated_at = $5
			WHERE id = $6 AND council_id = $7`, m.Name, string(m.ServiceType), ymd(m.EffectiveFrom), costModelParams(m), tx.now, m.ID, m.CouncilID); err != nil {
			return fmt.Errorf("storage: update cost model: %w", err)
		}
		return tx.audit(ctx, "cost_model.update", "cost_model", m.ID, before, m)
	})
}

// AdoptCostModel adopts a draft: its guide prices, with their working, take
// effect from its effective date. Commissioners and admins.
func (db *DB) AdoptCostModel(ctx context.Context, id int64) ([]pricing.GuidePrice, error) {
	return retryDeadlock(func() ([]pricing.GuidePrice, error) { return db.adoptCostModel(ctx, id) })
}

func (db *DB) adoptCostModel(ctx context.Context, id int64) ([]pricing.GuidePrice, error) {
	var out []pricing.GuidePrice
	err := db.updateBy(ctx, canSetPrices, func(tx *Tx) error {
		if err := tx.lockGuidePrices(ctx); err != nil {
			return err
		}
		m, err := db.costModel(ctx, tx, tx.actor.CouncilID, id, db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if m.Status != pricing.ModelDraft {
			return caremarket.Errorf(caremarket.ECONFLICT, "This cost model has already been adopted")
		}
		if err := m.Validate(); err != nil {
			return err
		}
		out = m.GuidePrices()
		for i := range out {
			if err := tx.insertGuidePrice(ctx, &out[i], 0); err != nil {
				return err
			}
		}
		if err := tx.perfCount(ctx, perfGuidePrices, m.EffectiveFrom); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cost_models SET status = $1, adopted_at = $2, updated_at = $2 WHERE id = $3 AND council_id = $4`,
			pricing.ModelAdopted, tx.now, id, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: adopt cost model: %w", err)
		}
		summary := map[string]any{"cost_model": m.Name, "effective_from": ymd(m.EffectiveFrom), "guide_prices": len(out)}
		return tx.audit(ctx, "cost_model.adopt", "cost_model", id, nil, summary)
	})
	return out, err
}

// lockGuidePrices waits for any other change of the council's prices in
// bulk (an uplift, an adoption) to end, and holds off the next until this
// transaction ends. SQLite's one write lock does so already.
func (tx *Tx) lockGuidePrices(ctx context.Context) error {
	if tx.db.dialect.lockGuidePrices == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, tx.db.dialect.lockGuidePrices, tx.actor.CouncilID); err != nil {
		return fmt.Errorf("storage: wait for other price changes: %w", err)
	}
	return nil
}

func (tx *Tx) insertGuidePrice(ctx context.Context, g *pricing.GuidePrice, upliftID int64) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO guide_prices (council_id, service_type, band, band_label, setting, basis, price_pence, effective_from,
		cost_model_id, uplift_id, source, working, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		tx.actor.CouncilID, string(g.ServiceType), g.Band, g.BandLabel, string(g.Setting), string(g.Basis), int64(g.Price), ymd(g.EffectiveFrom),
		nullInt64(g.CostModelID), nullInt64(upliftID), g.Source, toJSONText(g.Working), tx.now).Scan(&g.ID)
	if err != nil {
		return fmt.Errorf("storage: add guide price: %w", err)
	}
	return nil
}

const guideColumns = `g.id, g.service_type, g.band, g.band_label, g.setting, g.basis, g.price_pence, g.effective_from, COALESCE(g.cost_model_id, 0), g.source, g.working`

// inForce is the condition that g is the latest price for its key that
// started on or before the day in parameter $day (ties: the later row).
func guideInForce(day string) string {
	return `g.effective_from <= ` + day + ` AND NOT EXISTS (SELECT 1 FROM guide_prices h WHERE h.council_id = g.council_id
		AND h.service_type = g.service_type AND h.band = g.band AND h.setting = g.setting AND h.effective_from <= ` + day + `
		AND (h.effective_from > g.effective_from OR (h.effective_from = g.effective_from AND h.id > g.id)))`
}

func scanGuide(row interface{ Scan(...any) error }) (*pricing.GuidePrice, error) {
	var g pricing.GuidePrice
	var working string
	var price int64
	if err := row.Scan(&g.ID, &g.ServiceType, &g.Band, &g.BandLabel, &g.Setting, &g.Basis, &price, scanDay{&g.EffectiveFrom}, &g.CostModelID, &g.Source, &working); err != nil {
		return nil, err
	}
	g.Price = money.Money(price)
	if err := json.Unmarshal([]byte(working), &g.Working); err != nil {
		return nil, fmt.Errorf("storage: guide price %d working: %w", g.ID, err)
	}
	return &g, nil
}

// GuidePrices lists the guide prices in force on a day (or all of them).
// Everyone in the council, providers included: providers price against them.
func (db *DB) GuidePrices(ctx context.Context, f pricing.GuideFilter) ([]pricing.GuidePrice, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.guidePrices(ctx, db.sql, actor.CouncilID, f)
}

func (db *DB) guidePrices(ctx context.Context, q queryer, council int64, f pricing.GuideFilter) ([]pricing.GuidePrice, error) {
	on := f.On
	if on.IsZero() {
		on = db.today()
	}
	where := []string{"g.council_id = $1"}
	args := []any{council}
	add := addWhere(&where, &args)
	if !f.History {
		args = append(args, ymd(on))
		where = append(where, guideInForce("$2"))
	}
	if f.ServiceType != "" {
		add("g.service_type = ?", string(f.ServiceType))
	}
	rows, err := q.QueryContext(ctx, `SELECT `+guideColumns+` FROM guide_prices g WHERE `+strings.Join(where, " AND ")+
		` ORDER BY g.service_type, g.setting, g.band, g.effective_from DESC, g.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: guide prices: %w", err)
	}
	return scanAll(rows, "", scanGuide)
}

// guideFor is the guide price for a key on a day, or 0.
func guideFor(ctx context.Context, q queryer, council int64, st market.ServiceType, band string, setting market.Setting, day time.Time) (money.Money, error) {
	var p int64
	err := q.QueryRowContext(ctx, `SELECT g.price_pence FROM guide_prices g WHERE g.council_id = $1 AND g.service_type = $2 AND g.band = $3
		AND g.setting = $4 AND `+guideInForce("$5"), council, string(st), band, string(setting), ymd(day)).Scan(&p)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return money.Money(p), err
}
