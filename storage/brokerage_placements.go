package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/money"
)

// --- Placements

const placementColumns = `pl.id, pl.requirement_id, pl.provider_id, p.name, pl.location_id, l.name, pl.service_type, r.area_id, a.name, r.outcode,
	pl.weekly_cost_pence, pl.top_up_pence, pl.top_up_payer, pl.start_date, pl.end_date, COALESCE(pl.agreement_id, 0), COALESCE(pl.lot_id, 0),
	COALESCE(lt.title, ''), pl.stage, pl.off_contract, pl.off_contract_reason, pl.review_date, pl.status, pl.end_reason, pl.notice_given_on,
	COALESCE(pl.moved_to_placement_id, 0), (r.move_from_placement_id = pl.id AND r.status = 'open'), pl.created_at`

const placementFrom = ` FROM placements pl JOIN providers p ON p.id = pl.provider_id JOIN locations l ON l.id = pl.location_id
	JOIN care_requirements r ON r.id = pl.requirement_id JOIN areas a ON a.id = r.area_id LEFT JOIN lots lt ON lt.id = pl.lot_id`

func scanPlacement(row interface{ Scan(...any) error }) (*brokerage.Placement, error) {
	var p brokerage.Placement
	var weekly, topUp int64
	var end, review, notice time.Time
	var moving sql.NullBool
	err := row.Scan(&p.ID, &p.RequirementID, &p.ProviderID, &p.ProviderName, &p.LocationID, &p.LocationName, &p.ServiceType, &p.AreaID, &p.AreaName,
		&p.Outcode, &weekly, &topUp, &p.TopUpPayer, scanDay{&p.StartDate}, scanDay{&end}, &p.AgreementID, &p.LotID, &p.LotTitle, &p.Stage,
		&p.OffContract, &p.OffContractReason, scanDay{&review}, &p.Status, &p.EndReason, scanDay{&notice}, &p.MovedTo, &moving, &p.CreatedAt)
	p.WeeklyCost, p.TopUp, p.Moving = money.Money(weekly), money.Money(topUp), moving.Valid && moving.Bool
	day := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	p.EndDate, p.ReviewDate, p.NoticeGivenOn = day(end), day(review), day(notice)
	p.Prices = []brokerage.PriceChange{}
	return &p, err
}

// ListPlacements lists placements, newest first: the council's to staff,
// its own to a provider user.
func (db *DB) ListPlacements(ctx context.Context, f brokerage.PlacementFilter) ([]brokerage.Placement, error) {
	s, err := scopeOf(ctx, "pl", byProvider)
	if err != nil {
		return nil, err
	}
	if err := s.staffNeed(canSeeBrokerage...); err != nil {
		return nil, err
	}
	if !s.provider() {
		s.filter("pl.provider_id = ?", f.ProviderID) // staff may ask for one provider's
	}
	s.filter("pl.requirement_id = ?", f.RequirementID).filter("pl.status = ?", f.Status)
	if f.OffContract {
		s.also("pl.off_contract")
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+placementColumns+placementFrom+` WHERE `+s.where()+` ORDER BY pl.id DESC LIMIT 2000`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list placements: %w", err)
	}
	return scanAll(rows, "placement", scanPlacement)
}

// Placement returns a placement with its price history: to staff, or to
// its provider (another provider's is not found).
func (db *DB) Placement(ctx context.Context, id int64) (*brokerage.Placement, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.placement(ctx, db.sql, actor, id, "")
}

func (db *DB) placement(ctx context.Context, q queryer, actor *caremarket.Actor, id int64, lock string) (*brokerage.Placement, error) {
	cond, args := ` WHERE pl.id = $1 AND pl.council_id = $2`, []any{id, actor.CouncilID}
	if actor.Role == caremarket.RoleProvider {
		cond += ` AND pl.provider_id = $3`
		args = append(args, actor.ProviderID)
	} else if err := actor.Require(canSeeBrokerage...); err != nil {
		return nil, err
	}
	if lock != "" {
		// Lock the placement row alone (PostgreSQL cannot lock the outer side of a join).
		var got int64
		if err := q.QueryRowContext(ctx, `SELECT id FROM placements pl`+cond+lock, args...).Scan(&got); err != nil {
			return nil, notFound(err, "Placement")
		}
	}
	p, err := scanPlacement(q.QueryRowContext(ctx, `SELECT `+placementColumns+placementFrom+cond, args...))
	if err != nil {
		return nil, notFound(err, "Placement")
	}
	rows, err := q.QueryContext(ctx, `SELECT weekly_cost_pence, effective_from, reason, created_by, created_at FROM placement_prices
		WHERE placement_id = $1 ORDER BY effective_from, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c brokerage.PriceChange
		var w int64
		if err := rows.Scan(&w, scanDay{&c.EffectiveFrom}, &c.Reason, &c.By, &c.At); err != nil {
			return nil, err
		}
		c.WeeklyCost = money.Money(w)
		p.Prices = append(p.Prices, c)
	}
	return p, rows.Err()
}

// changePlacement runs fn on a locked placement for roles, then audits it.
func (db *DB) changePlacement(ctx context.Context, id int64, action string, roles []caremarket.Role,
	fn func(tx *Tx, p *brokerage.Placement) error) (*brokerage.Placement, error) {
	var out *brokerage.Placement
	err := db.update(ctx, func(tx *Tx) error {
		if tx.actor.Role != caremarket.RoleProvider || roles != nil {
			if err := tx.actor.Require(roles...); err != nil {
				return err
			}
		}
		before, err := db.placement(ctx, tx, tx.actor, id, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if err := fn(tx, before); err != nil {
			return err
		}
		if out, err = db.placement(ctx, tx, tx.actor, id, ""); err != nil {
			return err
		}
		return tx.audit(ctx, action, "placement", id, before, out)
	})
	return out, err
}

// ChangePlacementPrice changes the weekly cost from a date (an uplift, a
// renegotiation), keeping the history. Brokers.
func (db *DB) ChangePlacementPrice(ctx context.Context, id int64, c brokerage.PriceChange) (*brokerage.Placement, error) {
	return db.changePlacement(ctx, id, "placement.price", canBroker, func(tx *Tx, p *brokerage.Placement) error {
		if p.Status != brokerage.PlacementActive {
			return caremarket.Errorf(caremarket.ECONFLICT, "This placement has ended")
		}
		return tx.addPlacementPrice(ctx, p, c, 0)
	})
}

// addPlacementPrice is the lifecycle of every change to a placement's
// weekly cost, a broker's or an uplift's (upliftID): it checks the change,
// adds it to the price history, sets the placement's weekly cost to the
// price in force today (or on its first day, before it starts) and stores
// its commitment again (an uplift does that for all its placements at
// once). A top-up is the third party's and never changes with it.
func (tx *Tx) addPlacementPrice(ctx context.Context, p *brokerage.Placement, c brokerage.PriceChange, upliftID int64) error {
	if err := c.Validate(p); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO placement_prices (council_id, placement_id, weekly_cost_pence, effective_from, reason, created_by, created_at, uplift_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tx.actor.CouncilID, p.ID, int64(c.WeeklyCost), ymd(c.EffectiveFrom), c.Reason, tx.actor.Email, tx.now,
		nullInt64(upliftID)); err != nil {
		return fmt.Errorf("storage: record placement price: %w", err)
	}
	day := tx.db.today()
	if day.Before(p.StartDate) {
		day = p.StartDate
	}
	if _, err := tx.ExecContext(ctx, `UPDATE placements SET weekly_cost_pence = (SELECT pp.weekly_cost_pence FROM placement_prices pp
		WHERE pp.placement_id = $1 AND pp.effective_from <= $2 ORDER BY pp.effective_from DESC, pp.id DESC LIMIT 1), updated_at = $3 WHERE id = $1`,
		p.ID, ymd(day), tx.now); err != nil {
		return fmt.Errorf("storage: set placement weekly cost: %w", err)
	}
	if upliftID != 0 {
		return nil // an uplift recommits its placements together (ApplyUplift)
	}
	return tx.recommit(ctx, p.ID)
}

// SetTopUp records a third-party top-up (Choice of Accommodation
// Regulations 2014): the amount and who pays it, apart from the council's
// weekly cost, which it does not change. Brokers.
func (db *DB) SetTopUp(ctx context.Context, id int64, amount money.Money, payer string) (*brokerage.Placement, error) {
	payer = strings.TrimSpace(payer)
	if err := brokerage.TopUpCheck(amount, payer); err != nil {
		return nil, err
	}
	if amount == 0 {
		payer = ""
	}
	return db.changePlacement(ctx, id, "placement.top_up", canBroker, func(tx *Tx, p *brokerage.Placement) error {
		if !p.ServiceType.IsBedBased() {
			return caremarket.Errorf(caremarket.ECONFLICT, "A top-up is for a care home chosen by the person")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE placements SET top_up_pence = $1, top_up_payer = $2, updated_at = $3 WHERE id = $4`, int64(amount), payer, tx.now, id); err != nil {
			return err
		}
		return tx.recommit(ctx, id)
	})
}

// EndPlacement ends a placement on a day, with a reason. Brokers.
func (db *DB) EndPlacement(ctx context.Context, id int64, end time.Time, reason string) (*brokerage.Placement, error) {
	reason = strings.TrimSpace(reason)
	return db.changePlacement(ctx, id, "placement.end", canBroker, func(tx *Tx, p *brokerage.Placement) error {
		if err := p.CheckEnd(end, reason); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE placements SET status = 'ended', end_date = $1, end_reason = $2, updated_at = $3 WHERE id = $4`,
			ymd(end), reason, tx.now, id); err != nil {
			return err
		}
		if err := tx.perfCount(ctx, perfPlacementClosed, id); err != nil {
			return err
		}
		if err := tx.recommit(ctx, id); err != nil {
			return err
		}
		return tx.step(ctx, p.RequirementID, p.Stage, "ended", p.LocationID, p.ProviderID, fmt.Sprintf("Placement %d ends %s: %s", id, end.Format("2 January 2006"), reason))
	})
}

// HandBackPlacement is the provider giving notice that it will no longer
// provide the care: the placement ends after noticeDays and the requirement
// is open again for the broker to source. The placement's provider.
func (db *DB) HandBackPlacement(ctx context.Context, id int64, noticeDays int, reason string) (*brokerage.Placement, error) {
	reason = strings.TrimSpace(reason)
	if noticeDays == 0 {
		noticeDays = brokerage.DefaultHandBackNotice
	}
	f := map[string]string{}
	if noticeDays < 1 || noticeDays > 365 {
		f["notice_days"] = "Notice must be between 1 and 365 days"
	}
	if reason == "" || len(reason) > brokerage.MaxReasonLen {
		f["reason"] = "Enter why you are handing the placement back"
	}
	if err := caremarket.Invalid(f); err != nil {
		return nil, err
	}
	return db.changePlacement(ctx, id, "placement.hand_back", nil, func(tx *Tx, p *brokerage.Placement) error {
		if tx.actor.Role != caremarket.RoleProvider {
			return caremarket.Errorf(caremarket.EFORBIDDEN, "Only the provider hands a placement back; a broker ends it")
		}
		if p.Status != brokerage.PlacementActive {
			return caremarket.Errorf(caremarket.ECONFLICT, "This placement has already ended")
		}
		today := db.today()
		end := today.AddDate(0, 0, noticeDays)
		if _, err := tx.ExecContext(ctx, `UPDATE placements SET status = 'handed_back', notice_given_on = $1, end_date = $2, end_reason = $3, updated_at = $4 WHERE id = $5`,
			ymd(today), ymd(end), "Handed back by the provider: "+reason, tx.now, id); err != nil {
			return err
		}
		if err := tx.perfCount(ctx, perfPlacementClosed, id); err != nil {
			return err
		}
		if err := tx.recommit(ctx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE care_requirements SET status = 'open', stage = 0, move_from_placement_id = NULL, updated_at = $1 WHERE id = $2`,
			tx.now, p.RequirementID); err != nil {
			return err
		}
		return tx.step(ctx, p.RequirementID, p.Stage, "handed_back", p.LocationID, p.ProviderID,
			fmt.Sprintf("%s handed placement %d back with %d days' notice (ends %s): %s. The requirement is open again.", p.LocationName, id, noticeDays,
				end.Format("2 January 2006"), reason))
	})
}

// MoveToContract re-runs the cascade (stages 1 and 2 only) for an
// off-contract placement: off-contract placements are temporary pending a
// contracted placement (off-contract use is temporary). The requirement is open again and,
// under direct award, offered to the top-ranked contracted location; when
// that is accepted the off-contract placement ends as the new one starts.
// Brokers.
func (db *DB) MoveToContract(ctx context.Context, placementID int64) (*brokerage.Requirement, error) {
	var r *brokerage.Requirement
	err := db.updateBy(ctx, canBroker, func(tx *Tx) error {
		p, err := db.placement(ctx, tx, tx.actor, placementID, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if !p.OffContract || p.Status != brokerage.PlacementActive {
			return caremarket.Errorf(caremarket.ECONFLICT, "Only an active off-contract placement can be moved to contract")
		}
		if r, err = tx.lockRequirement(ctx, p.RequirementID); err != nil {
			return err
		}
		if r.Status == brokerage.StatusOpen {
			return caremarket.Errorf(caremarket.ECONFLICT, "This placement is already being moved to contract")
		}
		r.MoveFromPlacementID = p.ID
		res, _, err := db.runCascade(ctx, tx, tx.actor.CouncilID, r, cascadeWant{})
		if err != nil {
			return err
		}
		// A contracted placement starts from today or the original start.
		if res.Current == 0 {
			return caremarket.Errorf(caremarket.ECONFLICT, "No contracted provider in %s or its neighbours can take this now: keep it under review", r.AreaName)
		}
		start := r.StartDate
		if t := db.today(); t.After(start) {
			start = t
		}
		if _, err := tx.ExecContext(ctx, `UPDATE care_requirements SET status = 'open', stage = 0, move_from_placement_id = $1, start_date = $2, updated_at = $3 WHERE id = $4`,
			p.ID, ymd(start), tx.now, r.ID); err != nil {
			return err
		}
		if err := tx.step(ctx, r.ID, 0, "move", p.LocationID, p.ProviderID, fmt.Sprintf("Moving off-contract placement %d (%s) to contract: the cascade runs again, contracted providers only", p.ID, p.LocationName)); err != nil {
			return err
		}
		if err := tx.audit(ctx, "placement.move_start", "placement", p.ID, nil, map[string]any{"requirement_id": r.ID}); err != nil {
			return err
		}
		if r.Method == brokerage.ByDirectAward {
			if err := tx.advance(ctx, r.ID, brokerage.DefaultOfferExpiry); err != nil {
				return err
			}
		}
		r, err = db.requirement(ctx, tx, tx.actor.CouncilID, r.ID)
		return err
	})
	return r, err
}

// OffContractReport groups off-contract placements by month, area, service
// type and provider for commissioners. Council staff.
func (db *DB) OffContractReport(ctx context.Context) (*brokerage.Report, error) {
	if _, err := actorRequire(ctx, canSeeBrokerage...); err != nil {
		return nil, err
	}
	ps, err := db.ListPlacements(ctx, brokerage.PlacementFilter{OffContract: true})
	if err != nil {
		return nil, err
	}
	rep := brokerage.BuildReport(ps)
	return &rep, nil
}

// --- Serious concerns

// RaiseConcern opens the serious-concerns process (or a suspension) on a
// provider or one of its locations. Commissioners and admins.
func (db *DB) RaiseConcern(ctx context.Context, c *brokerage.Concern) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canRaiseConcern, func(tx *Tx) error {
		var err error
		if c.ProviderName, err = providerName(ctx, tx, tx.actor.CouncilID, c.ProviderID); err != nil {
			return err
		}
		if c.LocationID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM locations WHERE id = $1 AND provider_id = $2`, c.LocationID, c.ProviderID).Scan(&n); err != nil || n == 0 {
				return caremarket.Invalid(map[string]string{"location_id": "Choose a location of this provider"})
			}
		}
		c.RaisedAt, c.RaisedBy = tx.now, tx.actor.Email
		if err := tx.QueryRowContext(ctx, `INSERT INTO serious_concerns (council_id, provider_id, location_id, kind, reason, raised_at, raised_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, tx.actor.CouncilID, c.ProviderID, nullInt64(c.LocationID), c.Kind, c.Reason, tx.now, c.RaisedBy).Scan(&c.ID); err != nil {
			return fmt.Errorf("storage: raise concern: %w", err)
		}
		return tx.audit(ctx, "concern.raise", "provider", c.ProviderID, nil, c)
	})
}

// ListConcerns lists serious concerns, newest first. Council staff.
func (db *DB) ListConcerns(ctx context.Context, openOnly bool) ([]brokerage.Concern, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	cond := ""
	if openOnly {
		cond = " AND c.ended_at IS NULL"
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+concernColumns+concernFrom+` WHERE c.council_id = $1`+cond+` ORDER BY c.id DESC`, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list concerns: %w", err)
	}
	return scanAll(rows, "concern", scanConcern)
}

const (
	concernColumns = `c.id, c.provider_id, p.name, COALESCE(c.location_id, 0), c.kind, c.reason, c.raised_at, c.raised_by, c.ended_at`
	concernFrom    = ` FROM serious_concerns c JOIN providers p ON p.id = c.provider_id`
)

func scanConcern(row interface{ Scan(...any) error }) (*brokerage.Concern, error) {
	var c brokerage.Concern
	var ended sql.NullTime
	err := row.Scan(&c.ID, &c.ProviderID, &c.ProviderName, &c.LocationID, &c.Kind, &c.Reason, &c.RaisedAt, &c.RaisedBy, &ended)
	c.EndedAt = timeOf(ended)
	return &c, err
}

// EndConcern closes a serious concern: the provider may be offered new
// placements again. Commissioners and admins.
func (db *DB) EndConcern(ctx context.Context, id int64) (*brokerage.Concern, error) {
	var c *brokerage.Concern
	err := db.updateBy(ctx, canRaiseConcern, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE serious_concerns SET ended_at = $1 WHERE id = $2 AND council_id = $3 AND ended_at IS NULL`, tx.now, id, tx.actor.CouncilID)
		if err != nil {
			return fmt.Errorf("storage: end concern: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Open concern not found")
		}
		if c, err = scanConcern(tx.QueryRowContext(ctx, `SELECT `+concernColumns+concernFrom+` WHERE c.id = $1`, id)); err != nil {
			return fmt.Errorf("storage: read concern: %w", err)
		}
		return tx.audit(ctx, "concern.end", "serious_concern", id, nil, map[string]string{"status": "ended"})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

var _ brokerage.Store = (*DB)(nil)
