package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// AcceptOffer accepts an offer for the provider it was made to (or a broker
// recording the provider's acceptance) and, in the same transaction,
// reserves the vacancy and creates the placement. See the top of
// brokerage.go: each step is a conditional change that checks a row
// changed, so the last bed goes to exactly one acceptance.
//
// It is the busiest write, so it is eight statements: the offer and the
// requirement each change state and return what the placement needs in
// the same statement (RETURNING), then the placement, its price history
// and its log line, and last the two rows every acceptance of a home and
// council shares (the vacancy, then the audit chain's head), so those are
// held for as short a time as possible before commit. A requirement being
// moved off contract (rare) takes the general path, place.
//
// Acceptances that arrive together share one transaction and one durable
// commit (group commit, group_commit.go): this function is each one's own
// part, run inside its own savepoint, so a conflict rolls back only its
// own changes, and nobody is answered before the commit.
func (db *DB) AcceptOffer(ctx context.Context, id int64) (*brokerage.Placement, error) {
	var p *brokerage.Placement
	err := db.updateGrouped(ctx, func(ctx context.Context, tx *Tx) error {
		if tx.actor.Role != caremarket.RoleProvider {
			if err := tx.actor.Require(canBroker...); err != nil {
				return err
			}
		}
		cond, args := ``, []any{tx.now, id, tx.actor.CouncilID}
		if tx.actor.Role == caremarket.RoleProvider {
			cond, args = ` AND provider_id = $4`, append(args, tx.actor.ProviderID)
		}
		// 1. The offer: pending → accepted.
		var o brokerage.Offer
		var weekly int64
		err := tx.QueryRowContext(ctx, `UPDATE offers SET status = 'accepted', responded_at = $1
			WHERE id = $2 AND council_id = $3 AND status = 'pending' AND expires_at > $1`+cond+`
			RETURNING id, requirement_id, provider_id, location_id, stage, COALESCE(lot_id, 0), COALESCE(agreement_id, 0), weekly_cost_pence, off_contract_reason,
			(SELECT name FROM locations WHERE id = offers.location_id), (SELECT name FROM providers WHERE id = offers.provider_id),
			COALESCE((SELECT title FROM lots WHERE id = offers.lot_id), '')`, args...).Scan(
			&o.ID, &o.RequirementID, &o.ProviderID, &o.LocationID, &o.Stage, &o.LotID, &o.AgreementID, &weekly, &o.OffContractReason,
			&o.LocationName, &o.ProviderName, &o.LotTitle)
		if errors.Is(err, sql.ErrNoRows) {
			// Not found (or another provider's: 404), answered, or lapsed.
			o, err := db.offer(ctx, tx, tx.actor, id)
			if err != nil {
				return err
			}
			if err := o.CheckRespond(tx.now); err != nil {
				return err
			}
			return caremarket.Errorf(caremarket.ECONFLICT, "This offer can no longer be accepted")
		}
		if err != nil {
			return fmt.Errorf("storage: accept offer: %w", err)
		}
		if err := tx.perfCount(ctx, perfOfferAnswered, o.ID); err != nil {
			return err
		}
		o.WeeklyCost = money.Money(weekly)
		// 2. The requirement: open → placed (a move to contract goes the
		// general way, below).
		r := &brokerage.Requirement{ID: o.RequirementID}
		err = tx.QueryRowContext(ctx, `UPDATE care_requirements SET status = 'placed', updated_at = $1
			WHERE id = $2 AND council_id = $3 AND status = 'open' AND move_from_placement_id IS NULL
			RETURNING service_type, area_id, outcode, start_date, minutes_per_week, (SELECT name FROM areas WHERE id = care_requirements.area_id)`,
			tx.now, r.ID, tx.actor.CouncilID).Scan(&r.ServiceType, &r.AreaID, &r.Outcode, scanDay{&r.StartDate}, &r.MinutesPerWeek, &r.AreaName)
		general := errors.Is(err, sql.ErrNoRows)
		if general {
			if r, err = db.requirement(ctx, tx, tx.actor.CouncilID, o.RequirementID); err != nil {
				return err
			}
		} else if err != nil {
			return fmt.Errorf("storage: place requirement: %w", err)
		}
		p = &brokerage.Placement{RequirementID: r.ID, ProviderID: o.ProviderID, ProviderName: o.ProviderName, LocationID: o.LocationID,
			LocationName: o.LocationName, ServiceType: r.ServiceType, AreaID: r.AreaID, AreaName: r.AreaName, Outcode: r.Outcode,
			WeeklyCost: o.WeeklyCost, StartDate: r.StartDate, AgreementID: o.AgreementID, LotID: o.LotID, LotTitle: o.LotTitle, Stage: o.Stage,
			OffContract: o.Stage == brokerage.StageOffContract, OffContractReason: o.OffContractReason}
		if general {
			if err := tx.place(ctx, r, p, o.ID, 0); err != nil {
				return err
			}
			return tx.step(ctx, r.ID, o.Stage, "accepted", o.LocationID, o.ProviderID, acceptedDetail(&o, p))
		}
		// 3. The placement, then its price history, stored commitment and
		// log line together.
		w, err := tx.insertPlacement(ctx, r, p, o.ID, 0)
		if err != nil {
			return err
		}
		tx.stepTo(w, r.ID, o.Stage, "accepted", o.LocationID, o.ProviderID, acceptedDetail(&o, p))
		if err := w.run(ctx, tx); err != nil {
			return fmt.Errorf("storage: store the new placement: %w", err)
		}
		// 4. The vacancy, then 5. the audit record.
		if err := tx.reserve(ctx, r, p); err != nil {
			return err
		}
		return tx.audit(ctx, "placement.create", "placement", p.ID, nil, p)
	})
	return p, err
}

func acceptedDetail(o *brokerage.Offer, p *brokerage.Placement) string {
	return fmt.Sprintf("%s accepted: placement %d from %s at %s a week", o.LocationName, p.ID, p.StartDate.Format("2 January 2006"), p.WeeklyCost)
}

// reserve takes one vacancy of the location for the service type, never
// below zero. A care home bed must have one; hourly care reserves one when
// the provider keeps a capacity figure, or, where the branch keeps its
// spare hours (spare_minutes), takes the package's hours a week from them,
// never below zero: one conditional UPDATE either way, so two acceptances
// cannot take more hours than are spare.
func (tx *Tx) reserve(ctx context.Context, r *brokerage.Requirement, p *brokerage.Placement) error {
	st, need := r.ServiceType, max(r.MinutesPerWeek, 1)
	res, err := tx.ExecContext(ctx, `UPDATE vacancies SET vacancies = CASE WHEN spare_minutes IS NULL THEN vacancies - 1 ELSE vacancies END,
		spare_minutes = spare_minutes - $6, updated_at = $1, updated_by = $2
		WHERE location_id = $3 AND council_id = $4 AND service_type = $5 AND (spare_minutes IS NULL AND vacancies > 0 OR spare_minutes >= $6)`,
		tx.now, "placement: "+tx.actor.Email, p.LocationID, tx.actor.CouncilID, string(st), need)
	if err != nil {
		return fmt.Errorf("storage: reserve vacancy: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		var spare sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT spare_minutes FROM vacancies WHERE location_id = $1 AND service_type = $2`,
			p.LocationID, string(st)).Scan(&spare)
		switch {
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		case spare.Valid:
			return caremarket.Errorf(caremarket.ECONFLICT, "%s has not enough spare hours left for %s: %s left, needs %s", p.LocationName, st.Label(),
				market.HoursFigure(int(spare.Int64)), market.HoursFigure(need))
		case err == nil || st.IsBedBased():
			return caremarket.Errorf(caremarket.ECONFLICT, "%s has no vacancy left for %s: the place has been taken", p.LocationName, st.Label())
		}
	}
	return nil
}

// insertPlacement writes a new active placement, and returns its first
// price and stored commitment as writes not yet run: the caller adds its
// own (a log line) and runs them together (see writeSet).
func (tx *Tx) insertPlacement(ctx context.Context, r *brokerage.Requirement, p *brokerage.Placement, offerID, bidID int64) (*writeSet, error) {
	p.Status, p.CreatedAt, p.Prices = brokerage.PlacementActive, tx.now, nil
	var review any
	if p.OffContract {
		d := p.StartDate.Add(brokerage.DefaultReviewAfter)
		p.ReviewDate = &d
		review = ymd(d)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO placements (council_id, requirement_id, provider_id, location_id, service_type, weekly_cost_pence,
		start_date, stage, agreement_id, lot_id, off_contract, off_contract_reason, review_date, status, offer_id, bid_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'active', $14, $15, $16, $16) RETURNING id`,
		tx.actor.CouncilID, r.ID, p.ProviderID, p.LocationID, string(r.ServiceType), int64(p.WeeklyCost), ymd(p.StartDate), int(p.Stage),
		nullInt64(p.AgreementID), nullInt64(p.LotID), p.OffContract, p.OffContractReason, review, nullInt64(offerID), nullInt64(bidID), tx.now).Scan(&p.ID); err != nil {
		if isUniqueViolation(err) {
			return nil, caremarket.Errorf(caremarket.ECONFLICT, "This requirement already has an active placement")
		}
		return nil, fmt.Errorf("storage: create placement: %w", err)
	}
	if err := tx.perfCount(ctx, perfPlacementsMade, p.ID); err != nil {
		return nil, err
	}
	w := &writeSet{}
	w.add(`INSERT INTO placement_prices (council_id, placement_id, weekly_cost_pence, effective_from, reason, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, tx.actor.CouncilID, p.ID, int64(p.WeeklyCost), ymd(p.StartDate), "Placement made", tx.actor.Email, tx.now)
	p.Prices = []brokerage.PriceChange{{WeeklyCost: p.WeeklyCost, EffectiveFrom: p.StartDate, Reason: "Placement made", By: tx.actor.Email, At: tx.now}}
	// The start as the database keeps it (ymd): a day, in UTC.
	day := p.StartDate.UTC()
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	return w, tx.commitNew(ctx, w, finance.Placement{ID: p.ID, CaseRef: r.CaseReference, ServiceType: r.ServiceType, ProviderID: p.ProviderID,
		AgreementID: p.AgreementID, LotID: p.LotID, AreaID: r.AreaID, Start: start, Prices: []finance.Price{{Weekly: p.WeeklyCost, From: start}}})
}
