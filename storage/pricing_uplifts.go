package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// upliftItems are the prices an uplift changes: the guide and/or contracted
// prices in force on its effective date, and/or the weekly cost in force
// then of each placement live on it. starts holds the placements' start
// dates. lock (in the applying transaction) locks those placements first.
func (db *DB) upliftItems(ctx context.Context, q queryer, council int64, u *pricing.Uplift, lock bool) (items []pricing.UpliftItem, starts map[int64]time.Time, err error) {
	if u.Guide {
		gs, err := db.guidePrices(ctx, q, council, pricing.GuideFilter{On: u.EffectiveFrom})
		if err != nil {
			return nil, nil, err
		}
		for _, g := range gs {
			items = append(items, pricing.UpliftItem{Kind: pricing.UpliftGuide, ID: g.ID, ServiceType: g.ServiceType, Basis: g.Basis, Price: g.Price,
				Label: fmt.Sprintf("Guide: %s, band %s, %s", g.ServiceType.Label(), g.Band, g.Setting)})
		}
	}
	if u.Contracted {
		cs, err := db.contractedPrices(ctx, q, council, pricing.ContractedFilter{On: u.EffectiveFrom})
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cs {
			items = append(items, pricing.UpliftItem{Kind: pricing.UpliftContracted, ID: c.ID, ServiceType: c.ServiceType, Basis: c.Basis, Price: c.Price,
				Label: fmt.Sprintf("%s: %s, band %s", c.LocationName, c.ServiceType.Label(), c.Band)})
		}
	}
	starts = map[int64]time.Time{}
	if u.Placements {
		ps, err := db.livePlacements(ctx, q, council, u.EffectiveFrom, lock)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			items = append(items, pricing.UpliftItem{Kind: pricing.UpliftPlacement, ID: p.ID, ServiceType: p.ServiceType, Basis: pricing.PerBedWeek,
				Price: p.WeeklyCost, Label: fmt.Sprintf("Placement %d: %s, %s (%s)", p.ID, p.LocationName, p.ServiceType.Label(), p.AreaName)})
			starts[p.ID] = p.StartDate
		}
	}
	return items, starts, nil
}

// livePlacement is a placement live on a day with the weekly cost to the
// council in force on it.
type livePlacement struct {
	ID           int64
	ServiceType  market.ServiceType
	LocationName string
	AreaName     string
	AreaID       int64
	Band         string
	Setting      market.Setting
	StartDate    time.Time
	WeeklyCost   money.Money
	Minutes      int
}

// livePlacements are the council's placements live on day, oldest first: started
// on or before it and not ended by it (a placement ending on day, like an
// off-contract one moved to contract that day, has no week from it). Each
// has the weekly cost in force on day from its price history; a top-up is
// not the council's cost and is not in it.
func (db *DB) livePlacements(ctx context.Context, q queryer, council int64, day time.Time, lock bool) ([]livePlacement, error) {
	const live = `pl.council_id = $1 AND pl.start_date <= $2 AND (pl.end_date IS NULL OR pl.end_date > $2)`
	if lock && db.dialect.forUpdate != "" {
		rows, err := q.QueryContext(ctx, `SELECT pl.id FROM placements pl WHERE `+live+db.dialect.forUpdate, council, ymd(day))
		if err != nil {
			return nil, fmt.Errorf("storage: lock placements: %w", err)
		}
		rows.Close()
	}
	rows, err := q.QueryContext(ctx, `SELECT pl.id, pl.service_type, l.name, a.name, a.id, r.need_band, c.setting, pl.start_date, r.minutes_per_week,
		(SELECT pp.weekly_cost_pence FROM placement_prices pp WHERE pp.placement_id = pl.id AND pp.effective_from <= $2
			ORDER BY pp.effective_from DESC, pp.id DESC LIMIT 1)
		FROM placements pl JOIN locations l ON l.id = pl.location_id JOIN care_requirements r ON r.id = pl.requirement_id
		JOIN areas a ON a.id = r.area_id JOIN clusters c ON c.id = a.cluster_id
		WHERE `+live+` ORDER BY pl.id`, council, ymd(day))
	if err != nil {
		return nil, fmt.Errorf("storage: live placements: %w", err)
	}
	defer rows.Close()
	var out []livePlacement
	for rows.Next() {
		var p livePlacement
		var weekly sql.NullInt64
		if err := rows.Scan(&p.ID, &p.ServiceType, &p.LocationName, &p.AreaName, &p.AreaID, &p.Band, &p.Setting, scanDay{&p.StartDate}, &p.Minutes, &weekly); err != nil {
			return nil, err
		}
		if !weekly.Valid {
			continue // no price in force yet: nothing to uplift
		}
		p.WeeklyCost = money.Money(weekly.Int64)
		out = append(out, p)
	}
	return out, rows.Err()
}

// LegacyFromPlacements is the legacy migration impact's input from the
// brokerage data: each placement live today at its current weekly cost
// against the guide price in force today for its service type, need band
// and area setting (an hourly guide price x the placement's hours a week).
// Placements with no such guide price are left out and counted in missing.
// Council staff.
func (db *DB) LegacyFromPlacements(ctx context.Context) (ps []pricing.LegacyPlacement, missing int, err error) {
	actor, err := actorRequire(ctx, canSeePricing...)
	if err != nil {
		return nil, 0, err
	}
	today := db.today()
	gs, err := db.guidePrices(ctx, db.sql, actor.CouncilID, pricing.GuideFilter{On: today})
	if err != nil {
		return nil, 0, err
	}
	guide := map[pricing.PriceKey]pricing.GuidePrice{}
	for _, g := range gs {
		guide[g.Key()] = g
	}
	live, err := db.livePlacements(ctx, db.sql, actor.CouncilID, today, false)
	if err != nil {
		return nil, 0, err
	}
	ps = []pricing.LegacyPlacement{}
	for _, p := range live {
		g, ok := guide[pricing.PriceKey{ServiceType: p.ServiceType, Band: p.Band, Setting: p.Setting}]
		if !ok {
			missing++
			continue
		}
		ps = append(ps, pricing.LegacyPlacement{Home: p.LocationName, Reference: fmt.Sprintf("Placement %d", p.ID), ServiceType: p.ServiceType,
			Band: p.Band, Current: p.WeeklyCost, Guide: brokerage.WeeklyCost(p.ServiceType, g.Price, p.Minutes)})
	}
	return ps, missing, nil
}

// PreviewUplift shows what an uplift would do, changing nothing.
// Commissioners, admins and finance.
func (db *DB) PreviewUplift(ctx context.Context, u *pricing.Uplift) (*pricing.UpliftPreview, error) {
	actor, err := actorRequire(ctx, canPreviewUplift...)
	if err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	items, _, err := db.upliftItems(ctx, db.sql, actor.CouncilID, u, false)
	if err != nil {
		return nil, err
	}
	p, err := u.Rule.CheckedPreview(items)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// ApplyUplift applies an uplift in one audited transaction: every price it
// covers gets a new row from the effective date at exactly the price its
// preview showed (pricing.UpliftRule.Preview works out both). An uplift
// already applied from the same date is refused, so a double submit cannot
// apply it twice. Commissioners and admins.
func (db *DB) ApplyUplift(ctx context.Context, u *pricing.Uplift) (*pricing.UpliftPreview, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return retryDeadlock(func() (*pricing.UpliftPreview, error) { return db.applyUplift(ctx, u) })
}

func (db *DB) applyUplift(ctx context.Context, u *pricing.Uplift) (*pricing.UpliftPreview, error) {
	var out *pricing.UpliftPreview
	err := db.updateBy(ctx, canSetPrices, func(tx *Tx) error {
		council := tx.actor.CouncilID
		// Two commissioners applying at once must not both pass the check.
		if err := tx.lockGuidePrices(ctx); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM uplifts WHERE council_id = $1 AND effective_from = $2`, council, ymd(u.EffectiveFrom)).Scan(&n); err != nil {
			return fmt.Errorf("storage: check uplifts: %w", err)
		} else if n > 0 {
			return caremarket.Errorf(caremarket.ECONFLICT, "An uplift from %s has already been applied", u.EffectiveFrom.Format("2 January 2006"))
		}
		items, starts, err := db.upliftItems(ctx, tx, council, u, true)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return caremarket.Errorf(caremarket.ECONFLICT, "There are no prices in force on %s to uplift", u.EffectiveFrom.Format("2 January 2006"))
		}
		p, err := u.Rule.CheckedPreview(items)
		if err != nil {
			return err
		}
		u.Items, u.TotalAnnualChange, u.AppliedBy = len(p.Items), p.TotalAnnualChange, tx.actor.Email
		now := tx.now
		u.AppliedAt = &now
		if err := tx.QueryRowContext(ctx, `INSERT INTO uplifts (council_id, name, kind, percent_bp, staff_share_bp, nlw_from_pence, nlw_to_pence,
			effective_from, apply_guide, apply_contracted, apply_placements, items, annual_change_pence, applied_at, applied_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			council, u.Name, u.Rule.Kind, int64(u.Rule.Percent), int64(u.Rule.StaffShare), int64(u.Rule.NLWFrom), int64(u.Rule.NLWTo),
			ymd(u.EffectiveFrom), u.Guide, u.Contracted, u.Placements, u.Items, int64(u.TotalAnnualChange), now, u.AppliedBy).Scan(&u.ID); err != nil {
			return fmt.Errorf("storage: add uplift: %w", err)
		}
		reasons := map[int64]string{} // each uplifted placement's, for its audit record
		for _, e := range p.Items {
			switch e.Kind {
			case pricing.UpliftGuide:
				if _, err := tx.ExecContext(ctx, `INSERT INTO guide_prices (council_id, service_type, band, band_label, setting, basis, price_pence,
					effective_from, uplift_id, source, working, created_at)
					SELECT council_id, service_type, band, band_label, setting, basis, $1, $2, $3, 'uplift', $4, $5 FROM guide_prices WHERE id = $6 AND council_id = $7`,
					int64(e.New), ymd(u.EffectiveFrom), u.ID, toJSONText([]pricing.Line{
						{Label: "Guide price before the uplift", Amount: e.Price},
						{Label: u.Name, Detail: "x (1 + " + p.RateBP.String() + "), rounded once", Amount: e.Change},
						{Label: "Guide price", Amount: e.New, Total: true}}), now, e.ID, council); err != nil {
					return fmt.Errorf("storage: uplift guide price: %w", err)
				}
			case pricing.UpliftContracted:
				if _, err := tx.ExecContext(ctx, `INSERT INTO contracted_prices (council_id, provider_id, location_id, service_type, band, basis, price_pence,
					effective_from, source, uplift_id, created_at)
					SELECT council_id, provider_id, location_id, service_type, band, basis, $1, $2, 'uplift', $3, $4 FROM contracted_prices WHERE id = $5 AND council_id = $6`,
					int64(e.New), ymd(u.EffectiveFrom), u.ID, now, e.ID, council); err != nil {
					return fmt.Errorf("storage: uplift contracted price: %w", err)
				}
			case pricing.UpliftPlacement:
				// The brokerage lifecycle of a price change, audited as one.
				pl := &brokerage.Placement{ID: e.ID, StartDate: starts[e.ID]}
				c := brokerage.PriceChange{WeeklyCost: e.New, EffectiveFrom: u.EffectiveFrom,
					Reason: fmt.Sprintf("Uplift %d, %s: x (1 + %s) from %s", u.ID, u.Name, p.RateBP, u.EffectiveFrom.Format("2 January 2006"))}
				if err := tx.addPlacementPrice(ctx, pl, c, u.ID); err != nil {
					return fmt.Errorf("storage: uplift placement %d: %w", e.ID, err)
				}
				reasons[e.ID] = c.Reason
			}
		}
		if u.Guide {
			if err := tx.perfCount(ctx, perfGuidePrices, u.EffectiveFrom); err != nil {
				return err
			}
		}
		// The placements' stored commitment, all together.
		uplifted := make([]int64, 0, len(starts))
		for _, e := range p.Items {
			if e.Kind == pricing.UpliftPlacement {
				uplifted = append(uplifted, e.ID)
			}
		}
		if err := tx.recommit(ctx, uplifted...); err != nil {
			return err
		}
		if err := tx.auditUplifted(ctx, u, p.Items, reasons); err != nil {
			return err
		}
		out = &p
		return tx.audit(ctx, "uplift.apply", "uplift", u.ID, nil, map[string]any{"name": u.Name, "rule": u.Rule, "effective_from": ymd(u.EffectiveFrom),
			"items": u.Items, "annual_change_pence": int64(u.TotalAnnualChange), "placements": len(starts),
			"placements_annual_change_pence": int64(p.PlacementsAnnualChange)})
	})
	return out, err
}

// auditUplifted writes each uplifted placement's price change to the audit
// log, after every other write of the uplift: the audit head comes after
// every other shared row (lock_order.go).
func (tx *Tx) auditUplifted(ctx context.Context, u *pricing.Uplift, items []pricing.UpliftEffect, reasons map[int64]string) error {
	for _, e := range items {
		if e.Kind != pricing.UpliftPlacement {
			continue
		}
		if err := tx.audit(ctx, "placement.price", "placement", e.ID,
			map[string]any{"weekly_cost_pence": int64(e.Price), "effective_from": ymd(u.EffectiveFrom)},
			map[string]any{"weekly_cost_pence": int64(e.New), "effective_from": ymd(u.EffectiveFrom), "reason": reasons[e.ID], "uplift_id": u.ID}); err != nil {
			return err
		}
	}
	return nil
}

// ListUplifts lists applied uplifts, newest first. Staff.
func (db *DB) ListUplifts(ctx context.Context) ([]pricing.Uplift, error) {
	actor, err := actorRequire(ctx, canSeePricing...)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, name, kind, percent_bp, staff_share_bp, nlw_from_pence, nlw_to_pence, effective_from,
		apply_guide, apply_contracted, apply_placements, items, annual_change_pence, applied_at, applied_by FROM uplifts WHERE council_id = $1 ORDER BY effective_from DESC, id DESC`, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list uplifts: %w", err)
	}
	defer rows.Close()
	out := []pricing.Uplift{}
	for rows.Next() {
		var u pricing.Uplift
		var pct, share, from, to, total int64
		var at time.Time
		if err := rows.Scan(&u.ID, &u.Name, &u.Rule.Kind, &pct, &share, &from, &to, scanDay{&u.EffectiveFrom}, &u.Guide, &u.Contracted, &u.Placements,
			&u.Items, &total, &at, &u.AppliedBy); err != nil {
			return nil, err
		}
		u.Rule.Percent, u.Rule.StaffShare, u.Rule.NLWFrom, u.Rule.NLWTo = pricing.BP(pct), pricing.BP(share), money.Money(from), money.Money(to)
		u.TotalAnnualChange, u.AppliedAt = money.Money(total), &at
		out = append(out, u)
	}
	return out, rows.Err()
}

// PriceObservations returns the prices the variation statistics describe:
// a round's live submissions, every round's (oldest round first, for the
// trend), or the contracted prices in force on a day. Council staff only:
// other providers' prices are commercially confidential.
func (db *DB) PriceObservations(ctx context.Context, f pricing.ObservationFilter) ([]pricing.Observation, error) {
	actor, err := actorRequire(ctx, canSeePricing...)
	if err != nil {
		return nil, err
	}
	where := []string{"x.council_id = $1"}
	args := []any{actor.CouncilID}
	add := addWhere(&where, &args)
	var q string
	if f.RoundID != 0 || f.AllRounds {
		q = `SELECT x.service_type, x.band, l.area_id, a.name, c.setting, x.location_id, x.round_id, r.name, x.price_pence
			FROM price_submissions x JOIN price_rounds r ON r.id = x.round_id`
		where = append(where, "x.status IN ('submitted', 'approved')")
		if f.RoundID != 0 {
			add("x.round_id = ?", f.RoundID)
		}
	} else {
		on := f.On
		if on.IsZero() {
			on = db.today()
		}
		args = append(args, ymd(on))
		where = append(where, strings.ReplaceAll(contractedInForce("$"+strconv.Itoa(len(args))), "cp.", "x."))
		q = `SELECT x.service_type, x.band, l.area_id, a.name, c.setting, x.location_id, 0, '', x.price_pence FROM contracted_prices x`
	}
	q += ` JOIN locations l ON l.id = x.location_id JOIN areas a ON a.id = l.area_id JOIN clusters c ON c.id = a.cluster_id`
	if f.ServiceType != "" {
		add("x.service_type = ?", string(f.ServiceType))
	}
	if f.AreaID != 0 {
		add("l.area_id = ?", f.AreaID)
	}
	order := ` ORDER BY x.id`
	if f.RoundID != 0 || f.AllRounds {
		order = ` ORDER BY r.opens_on, r.id, x.id`
	}
	rows, err := db.sql.QueryContext(ctx, q+` WHERE `+strings.Join(where, " AND ")+order, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: price observations: %w", err)
	}
	defer rows.Close()
	out := []pricing.Observation{}
	for rows.Next() {
		var o pricing.Observation
		var price int64
		var st market.ServiceType
		if err := rows.Scan(&st, &o.Band, &o.AreaID, &o.AreaName, &o.Setting, &o.LocationID, &o.RoundID, &o.RoundName, &price); err != nil {
			return nil, err
		}
		o.ServiceType, o.Price = st, money.Money(price)
		out = append(out, o)
	}
	return out, rows.Err()
}
