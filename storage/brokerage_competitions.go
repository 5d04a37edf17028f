package storage

import (
	"context"
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
	err := db.updateBy(ctx, canBroker, func(tx *Tx) error {
		r, err := tx.lockToSource(ctx, requirementID)
		if err != nil {
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

// brokerageReader is the actor in ctx when it may read competitions and
// bids: a provider user (who sees only its own) or staff who see brokerage.
func brokerageReader(ctx context.Context) (*caremarket.Actor, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if actor.Role != caremarket.RoleProvider {
		if err := actor.Require(canSeeBrokerage...); err != nil {
			return nil, err
		}
	}
	return actor, nil
}

// ListCompetitions lists mini-competitions, newest first; a provider sees
// only those it is invited to, with only its own invites and bids.
func (db *DB) ListCompetitions(ctx context.Context, openOnly bool) ([]brokerage.Competition, error) {
	actor, err := brokerageReader(ctx)
	if err != nil {
		return nil, err
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
	actor, err := brokerageReader(ctx)
	if err != nil {
		return nil, err
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
	err := db.updateBy(ctx, canBroker, func(tx *Tx) error {
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
