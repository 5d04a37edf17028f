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
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// --- Mini-competitions

const competitionColumns = `c.id, c.requirement_id, c.stage, COALESCE(c.lot_id, 0), COALESCE(c.agreement_id, 0), COALESCE(lt.title, ''),
	c.deadline, c.price_weight, c.status, c.created_by, c.created_at`

const competitionFrom = ` FROM competitions c LEFT JOIN lots lt ON lt.id = c.lot_id`

func scanCompetition(row interface{ Scan(...any) error }) (*brokerage.Competition, error) {
	var c brokerage.Competition
	err := row.Scan(&c.ID, &c.RequirementID, &c.Stage, &c.LotID, &c.AgreementID, &c.LotTitle, &c.Deadline, &c.PriceWeight, &c.Status, &c.CreatedBy, &c.CreatedAt)
	return &c, err
}

// StartCompetition invites every eligible location of the cascade's current
// stage (1 or 2: a mini-competition is among contracted providers) to bid
// by the deadline. priceWeight is price's per cent of the score; -1 takes
// the lot's (brokerage.LotPriceWeight). Brokers.
func (db *DB) StartCompetition(ctx context.Context, requirementID int64, deadline time.Time, priceWeight int) (*brokerage.Competition, error) {
	var c *brokerage.Competition
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canBroker...); err != nil {
			return err
		}
		r, err := tx.lockRequirement(ctx, requirementID)
		if err != nil {
			return err
		}
		if err := tx.checkSourcing(ctx, r); err != nil {
			return err
		}
		f := map[string]string{}
		if !deadline.After(tx.now) {
			f["deadline"] = "The deadline must be in the future"
		}
		if priceWeight < -1 || priceWeight > 100 {
			f["price_weight"] = "The price weight must be a whole per cent from 0 to 100"
		}
		if err := caremarket.Invalid(f); err != nil {
			return err
		}
		res, _, err := db.runCascade(ctx, tx, tx.actor.CouncilID, r, cascadeWant{eligible: 1})
		if err != nil {
			return err
		}
		switch res.Current {
		case 0:
			return caremarket.Errorf(caremarket.ECONFLICT, "Nobody is eligible to bid")
		case brokerage.StageOffContract:
			return caremarket.Errorf(caremarket.ECONFLICT, "No contracted provider is eligible: a mini-competition is among contracted providers, so offer off contract instead")
		}
		st := res.Stage(res.Current)
		if priceWeight == -1 {
			priceWeight = brokerage.LotPriceWeight(st.Lot)
		}
		c = &brokerage.Competition{RequirementID: r.ID, Stage: res.Current, Deadline: deadline.UTC(), PriceWeight: priceWeight,
			Status: brokerage.CompetitionOpen, CreatedBy: tx.actor.Email, CreatedAt: tx.now}
		if st.Lot != nil {
			c.LotID, c.AgreementID, c.LotTitle = st.Lot.ID, st.Lot.AgreementID, st.Lot.Title
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO competitions (council_id, requirement_id, stage, lot_id, agreement_id, deadline, price_weight, status, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9) RETURNING id`, tx.actor.CouncilID, r.ID, int(c.Stage), nullInt64(c.LotID),
			nullInt64(c.AgreementID), c.Deadline, c.PriceWeight, c.CreatedBy, tx.now).Scan(&c.ID); err != nil {
			return fmt.Errorf("storage: create competition: %w", err)
		}
		for _, e := range st.Eligible {
			if _, err := tx.ExecContext(ctx, `INSERT INTO competition_invites (competition_id, location_id, council_id, provider_id, quality) VALUES ($1, $2, $3, $4, $5)`,
				c.ID, e.LocationID, tx.actor.CouncilID, e.ProviderID, e.Quality); err != nil {
				return fmt.Errorf("storage: invite: %w", err)
			}
			c.Invited = append(c.Invited, brokerage.Invite{LocationID: e.LocationID, LocationName: e.LocationName, ProviderID: e.ProviderID,
				ProviderName: e.ProviderName, Quality: e.Quality})
		}
		if err := tx.perfCount(ctx, perfCompetition, c.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE care_requirements SET stage = $1, method = 'mini_competition', updated_at = $2 WHERE id = $3`,
			int(res.Current), tx.now, r.ID); err != nil {
			return err
		}
		if err := tx.step(ctx, r.ID, res.Current, "cascade", 0, 0, strings.Join(res.Steps, ". ")); err != nil {
			return err
		}
		if err := tx.step(ctx, r.ID, res.Current, "competition", 0, 0, fmt.Sprintf("Mini-competition %d: %d locations invited to bid by %s; price %d%%, quality %d%%",
			c.ID, len(c.Invited), c.Deadline.Format("15:04 on 2 January 2006 (UTC)"), c.PriceWeight, 100-c.PriceWeight)); err != nil {
			return err
		}
		c.Bids = []brokerage.Bid{}
		return tx.audit(ctx, "competition.create", "competition", c.ID, nil, c)
	})
	return c, err
}

// competitionWhere is the actor's scope: staff see the council's, a
// provider only those it is invited to.
func competitionWhere(actor *caremarket.Actor, args []any) (string, []any) {
	args = append(args, actor.CouncilID)
	cond := "c.council_id = $" + strconv.Itoa(len(args))
	if actor.Role == caremarket.RoleProvider {
		args = append(args, actor.ProviderID)
		cond += " AND EXISTS (SELECT 1 FROM competition_invites ci WHERE ci.competition_id = c.id AND ci.provider_id = $" + strconv.Itoa(len(args)) + ")"
	}
	return cond, args
}

// ListCompetitions lists mini-competitions, newest first; a provider sees
// only those it is invited to, with only its own invites and bids.
func (db *DB) ListCompetitions(ctx context.Context, openOnly bool) ([]brokerage.Competition, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if actor.Role != caremarket.RoleProvider {
		if err := actor.Require(canSeeBrokerage...); err != nil {
			return nil, err
		}
	}
	cond, args := competitionWhere(actor, nil)
	if openOnly {
		cond += " AND c.status = 'open'"
	}
	return db.competitions(ctx, db.sql, actor, `SELECT `+competitionColumns+competitionFrom+` WHERE `+cond+` ORDER BY c.id DESC LIMIT 500`, args...)
}

func (db *DB) competitionsOf(ctx context.Context, actor *caremarket.Actor, requirementID int64) ([]brokerage.Competition, error) {
	cond, args := competitionWhere(actor, []any{requirementID})
	return db.competitions(ctx, db.sql, actor, `SELECT `+competitionColumns+competitionFrom+` WHERE c.requirement_id = $1 AND `+cond+` ORDER BY c.id`, args...)
}

func (db *DB) competitions(ctx context.Context, q queryer, actor *caremarket.Actor, query string, args ...any) ([]brokerage.Competition, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list competitions: %w", err)
	}
	out, err := scanAll(rows, "", scanCompetition)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := db.fillCompetition(ctx, q, actor, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fillCompetition adds invites, bids (a provider: only its own; staff: all,
// scored once the deadline has passed) and the anonymised requirement.
func (db *DB) fillCompetition(ctx context.Context, q queryer, actor *caremarket.Actor, c *brokerage.Competition) error {
	own := ""
	args := []any{c.ID}
	if actor.Role == caremarket.RoleProvider {
		own = " AND ci.provider_id = $2"
		args = append(args, actor.ProviderID)
	}
	rows, err := q.QueryContext(ctx, `SELECT ci.location_id, l.name, ci.provider_id, p.name, ci.quality FROM competition_invites ci
		JOIN locations l ON l.id = ci.location_id JOIN providers p ON p.id = ci.provider_id WHERE ci.competition_id = $1`+own+` ORDER BY l.name, ci.location_id`, args...)
	if err != nil {
		return fmt.Errorf("storage: read invites: %w", err)
	}
	c.Invited = []brokerage.Invite{}
	quality := map[int64]int{}
	for rows.Next() {
		var i brokerage.Invite
		if err := rows.Scan(&i.LocationID, &i.LocationName, &i.ProviderID, &i.ProviderName, &i.Quality); err != nil {
			rows.Close()
			return err
		}
		quality[i.LocationID] = i.Quality
		c.Invited = append(c.Invited, i)
	}
	rows.Close()
	if c.Bids, err = db.bids(ctx, q, actor, "b.competition_id = $1", c.ID); err != nil {
		return err
	}
	if actor.Role != caremarket.RoleProvider && c.Closed(db.now()) {
		c.Bids = brokerage.ScoreBids(c.Bids, c.PriceWeight, quality)
	}
	r, err := db.requirement(ctx, q, actor.CouncilID, c.RequirementID)
	if err != nil {
		return err
	}
	a := r.Anonymise()
	c.Requirement = &a
	return nil
}

// Competition returns a mini-competition to staff or to a provider invited
// to it (with only its own bids); anyone else's is not found.
func (db *DB) Competition(ctx context.Context, id int64) (*brokerage.Competition, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.competition(ctx, db.sql, actor, id, "")
}

func (db *DB) competition(ctx context.Context, q queryer, actor *caremarket.Actor, id int64, lock string) (*brokerage.Competition, error) {
	if actor.Role != caremarket.RoleProvider {
		if err := actor.Require(canSeeBrokerage...); err != nil {
			return nil, err
		}
	}
	cond, args := competitionWhere(actor, []any{id})
	if lock != "" {
		// Lock the competition row alone (PostgreSQL cannot lock the outer side of a join).
		var got int64
		if err := q.QueryRowContext(ctx, `SELECT c.id FROM competitions c WHERE c.id = $1 AND `+cond+lock, args...).Scan(&got); err != nil {
			return nil, notFound(err, "Mini-competition")
		}
	}
	c, err := scanCompetition(q.QueryRowContext(ctx, `SELECT `+competitionColumns+competitionFrom+` WHERE c.id = $1 AND `+cond, args...))
	if err != nil {
		return nil, notFound(err, "Mini-competition")
	}
	return c, db.fillCompetition(ctx, q, actor, c)
}

const bidColumns = `b.id, b.competition_id, b.requirement_id, b.provider_id, p.name, b.location_id, l.name, b.basis, b.price_pence,
	b.weekly_cost_pence, b.start_date, b.notes, b.submitted_at`

func (db *DB) bids(ctx context.Context, q queryer, actor *caremarket.Actor, cond string, args ...any) ([]brokerage.Bid, error) {
	args = append(args, actor.CouncilID)
	cond += " AND b.council_id = $" + strconv.Itoa(len(args))
	if actor.Role == caremarket.RoleProvider {
		args = append(args, actor.ProviderID)
		cond += " AND b.provider_id = $" + strconv.Itoa(len(args))
	}
	rows, err := q.QueryContext(ctx, `SELECT `+bidColumns+` FROM bids b JOIN providers p ON p.id = b.provider_id JOIN locations l ON l.id = b.location_id
		WHERE `+cond+` ORDER BY b.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list bids: %w", err)
	}
	defer rows.Close()
	out := []brokerage.Bid{}
	for rows.Next() {
		var b brokerage.Bid
		var price, weekly int64
		if err := rows.Scan(&b.ID, &b.CompetitionID, &b.RequirementID, &b.ProviderID, &b.ProviderName, &b.LocationID, &b.LocationName, &b.Basis,
			&price, &weekly, scanDay{&b.StartDate}, &b.Notes, &b.SubmittedAt); err != nil {
			return nil, err
		}
		b.Price, b.WeeklyCost = money.Money(price), money.Money(weekly)
		out = append(out, b)
	}
	return out, rows.Err()
}

// ListBids lists a competition's bids: all of them to staff, its own to a
// provider (never another provider's).
func (db *DB) ListBids(ctx context.Context, competitionID int64) ([]brokerage.Bid, error) {
	c, err := db.Competition(ctx, competitionID)
	if err != nil {
		return nil, err
	}
	return c.Bids, nil
}

// Bid returns one bid: to staff, or to the provider that made it.
func (db *DB) Bid(ctx context.Context, id int64) (*brokerage.Bid, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if actor.Role != caremarket.RoleProvider {
		if err := actor.Require(canSeeBrokerage...); err != nil {
			return nil, err
		}
	}
	bs, err := db.bids(ctx, db.sql, actor, "b.id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Bid not found")
	}
	return &bs[0], nil
}

// SubmitBid records (or, before the deadline, replaces) a provider's bid
// for one of its invited locations. After the deadline it is refused; the
// deadline is judged by the server's clock inside the transaction.
func (db *DB) SubmitBid(ctx context.Context, b *brokerage.Bid) error {
	return db.update(ctx, func(tx *Tx) error {
		if tx.actor.Role != caremarket.RoleProvider {
			return caremarket.Errorf(caremarket.EFORBIDDEN, "Only a provider bids in a mini-competition")
		}
		c, err := db.competition(ctx, tx, tx.actor, b.CompetitionID, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if err := c.CheckBid(b, tx.now); err != nil {
			return err
		}
		r, err := db.requirement(ctx, tx, tx.actor.CouncilID, c.RequirementID)
		if err != nil {
			return err
		}
		b.RequirementID, b.ProviderID, b.SubmittedAt = r.ID, tx.actor.ProviderID, tx.now
		b.Basis = pricing.BasisFor(r.ServiceType)
		b.WeeklyCost = brokerage.WeeklyCost(r.ServiceType, b.Price, r.MinutesPerWeek)
		if err := brokerage.CheckBidCost(b); err != nil {
			return err
		}
		if err := tx.perfCount(ctx, perfBid, c.ID, b.LocationID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO bids (council_id, competition_id, requirement_id, provider_id, location_id, basis, price_pence,
			weekly_cost_pence, start_date, notes, submitted_at, submitted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (competition_id, location_id) DO UPDATE SET price_pence = excluded.price_pence, weekly_cost_pence = excluded.weekly_cost_pence,
			start_date = excluded.start_date, notes = excluded.notes, submitted_at = excluded.submitted_at, submitted_by = excluded.submitted_by
			RETURNING id`, tx.actor.CouncilID, c.ID, r.ID, b.ProviderID, b.LocationID, string(b.Basis), int64(b.Price), int64(b.WeeklyCost),
			ymd(b.StartDate), b.Notes, tx.now, tx.actor.Email).Scan(&b.ID); err != nil {
			return fmt.Errorf("storage: save bid: %w", err)
		}
		for _, i := range c.Invited {
			if i.LocationID == b.LocationID {
				b.LocationName, b.ProviderName = i.LocationName, i.ProviderName
			}
		}
		if err := tx.step(ctx, r.ID, c.Stage, "bid", b.LocationID, b.ProviderID, fmt.Sprintf("Bid received from %s", b.LocationName)); err != nil {
			return err
		}
		return tx.audit(ctx, "bid.submit", "bid", b.ID, nil, b)
	})
}

// AwardBid awards a mini-competition, after its deadline, to a bid: the
// placement is made in the same transaction that reserves the vacancy.
// Brokers.
func (db *DB) AwardBid(ctx context.Context, competitionID, bidID int64) (*brokerage.Placement, error) {
	var p *brokerage.Placement
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canBroker...); err != nil {
			return err
		}
		c, err := db.competition(ctx, tx, tx.actor, competitionID, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if err := c.CheckAward(bidID, tx.now); err != nil {
			return err
		}
		var b brokerage.Bid
		for _, x := range c.Bids {
			if x.ID == bidID {
				b = x
			}
		}
		r, err := db.requirement(ctx, tx, tx.actor.CouncilID, c.RequirementID)
		if err != nil {
			return err
		}
		start := b.StartDate
		if start.Before(r.StartDate) {
			start = r.StartDate
		}
		p = &brokerage.Placement{RequirementID: r.ID, ProviderID: b.ProviderID, ProviderName: b.ProviderName, LocationID: b.LocationID,
			LocationName: b.LocationName, ServiceType: r.ServiceType, AreaID: r.AreaID, AreaName: r.AreaName, Outcode: r.Outcode,
			WeeklyCost: b.WeeklyCost, StartDate: start, AgreementID: c.AgreementID, LotID: c.LotID, LotTitle: c.LotTitle, Stage: c.Stage}
		if err := tx.place(ctx, r, p, 0, b.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE competitions SET status = 'awarded' WHERE id = $1`, c.ID); err != nil {
			return err
		}
		var ranking []string
		for _, x := range c.Bids {
			ranking = append(ranking, fmt.Sprintf("%d. %s %s a week, score %d.%02d%%", x.Rank, x.LocationName, x.WeeklyCost, x.Score/100, x.Score%100))
		}
		return tx.step(ctx, r.ID, c.Stage, "awarded", b.LocationID, b.ProviderID, fmt.Sprintf("Mini-competition %d awarded to %s: placement %d. Scores: %s",
			c.ID, b.LocationName, p.ID, strings.Join(ranking, "; ")))
	})
	return p, err
}

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
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	where := []string{"pl.council_id = $1"}
	args := []any{actor.CouncilID}
	add := addWhere(&where, &args)
	if actor.Role == caremarket.RoleProvider {
		add("pl.provider_id = ?", actor.ProviderID)
	} else if err := actor.Require(canSeeBrokerage...); err != nil {
		return nil, err
	} else if f.ProviderID != 0 {
		add("pl.provider_id = ?", f.ProviderID)
	}
	if f.RequirementID != 0 {
		add("pl.requirement_id = ?", f.RequirementID)
	}
	if f.Status != "" {
		add("pl.status = ?", f.Status)
	}
	if f.OffContract {
		where = append(where, "pl.off_contract")
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+placementColumns+placementFrom+` WHERE `+strings.Join(where, " AND ")+` ORDER BY pl.id DESC LIMIT 2000`, args...)
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
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canBroker...); err != nil {
			return err
		}
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
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canRaiseConcern...); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT name FROM providers WHERE id = $1 AND council_id = $2`, c.ProviderID, tx.actor.CouncilID).Scan(&c.ProviderName); err != nil {
			return notFound(err, "Provider")
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
	if ended.Valid {
		t := ended.Time
		c.EndedAt = &t
	}
	return &c, err
}

// EndConcern closes a serious concern: the provider may be offered new
// placements again. Commissioners and admins.
func (db *DB) EndConcern(ctx context.Context, id int64) (*brokerage.Concern, error) {
	var c *brokerage.Concern
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canRaiseConcern...); err != nil {
			return err
		}
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
