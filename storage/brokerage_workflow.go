package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/procurement"
)

// The broker's daily work around the cascade: the choice of who is offered
// the care (with the reason logged when higher-ranked homes are passed
// over), urgency, withdrawing, extending and re-sending offers, notes on a
// requirement, and the search of the board.

// offerChosen makes the offer the broker chose, in tx: an urgent
// requirement's offer is shorter; passing over eligible locations ranked
// higher needs a reason, logged as one step per location passed over
// (which commissioning sees in SkipReports).
func (tx *Tx) offerChosen(ctx context.Context, r *brokerage.Requirement, q brokerage.OfferRequest) (*brokerage.Offer, error) {
	u, err := tx.db.urgency(ctx, tx, tx.actor.CouncilID, r.ID)
	if err != nil {
		return nil, err
	}
	if q.ExpiresIn, err = brokerage.OfferExpiry(q.ExpiresIn, u.Urgent); err != nil {
		return nil, err
	}
	var skipped []brokerage.Skipped
	if q.LocationID != 0 {
		res, _, err := tx.db.runCascade(ctx, tx, tx.actor.CouncilID, r, cascadeWant{eligible: 1, location: q.LocationID, held: q.Held, heldMinutes: q.HeldMinutes, resend: q.Resend})
		if err != nil {
			return nil, err
		}
		if pick := res.Find(q.LocationID); pick != nil {
			if skipped, err = brokerage.CheckChoice(res, pick, q.SkipReason); err != nil {
				return nil, err
			}
		}
	}
	o, err := tx.offerNext(ctx, r, q)
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(q.SkipReason)
	for _, s := range skipped {
		if err := tx.step(ctx, r.ID, o.Stage, "skipped", s.LocationID, s.ProviderID, fmt.Sprintf("%s (rank %d) passed over for %s (rank %d): %s",
			s.LocationName, s.Rank, o.LocationName, o.Rank, reason)); err != nil {
			return nil, err
		}
	}
	if len(skipped) > 0 {
		if err := tx.audit(ctx, "offer.skip", "offer", o.ID, nil, map[string]any{"skipped": skipped, "reason": reason}); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// urgency reads a requirement's urgency.
func (db *DB) urgency(ctx context.Context, q queryer, council, requirementID int64) (brokerage.Urgency, error) {
	u := brokerage.Urgency{RequirementID: requirementID}
	var needed sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT urgent, needed_by, urgent_reason FROM care_requirements WHERE id = $1 AND council_id = $2`,
		requirementID, council).Scan(&u.Urgent, &needed, &u.Reason)
	if err != nil {
		return u, notFound(err, "Requirement")
	}
	u.NeededBy = timeOf(needed)
	return u, nil
}

// SetUrgency marks a requirement urgent (or not), with why and when the
// care is needed by. Brokers.
func (db *DB) SetUrgency(ctx context.Context, u *brokerage.Urgency) error {
	if err := u.Validate(db.now()); err != nil {
		return err
	}
	return db.updateBy(ctx, canBroker, func(tx *Tx) error {
		r, err := tx.lockRequirement(ctx, u.RequirementID)
		if err != nil {
			return err
		}
		if r.Status != brokerage.StatusOpen {
			return caremarket.Errorf(caremarket.ECONFLICT, "This requirement is %s: it is not being sourced", r.Status)
		}
		before, err := tx.db.urgency(ctx, tx, tx.actor.CouncilID, r.ID)
		if err != nil {
			return err
		}
		var needed any
		if u.NeededBy != nil {
			needed = u.NeededBy.UTC()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE care_requirements SET urgent = $1, needed_by = $2, urgent_reason = $3, updated_at = $4
			WHERE id = $5 AND council_id = $6`, u.Urgent, needed, u.Reason, tx.now, r.ID, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: set urgency: %w", err)
		}
		detail := "No longer urgent"
		if u.Urgent {
			detail = "Marked urgent: " + u.Reason
			if u.NeededBy != nil {
				detail += "; needed by " + u.NeededBy.In(procurement.London).Format("15:04 on 2 January 2006")
			}
		}
		if err := tx.step(ctx, r.ID, brokerage.Stage(r.Stage), "urgency", 0, 0, detail); err != nil {
			return err
		}
		return tx.audit(ctx, "requirement.urgency", "requirement", r.ID, before, u)
	})
}

// Urgencies returns the urgency of the requirements named, by id: the
// council's to staff; to a provider user only those of requirements
// offered to it, or it was invited to bid for, and without the broker's
// reason (which may describe the person).
func (db *DB) Urgencies(ctx context.Context, requirementIDs []int64) (map[int64]brokerage.Urgency, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64]brokerage.Urgency{}
	if len(requirementIDs) == 0 {
		return out, nil
	}
	args := []any{actor.CouncilID}
	var in []string
	for _, id := range requirementIDs {
		args = append(args, id)
		in = append(in, fmt.Sprintf("$%d", len(args)))
	}
	cond := ``
	if actor.Role == caremarket.RoleProvider {
		args = append(args, actor.ProviderID)
		n := len(args)
		cond = fmt.Sprintf(` AND (EXISTS (SELECT 1 FROM offers o WHERE o.requirement_id = r.id AND o.provider_id = $%d)
			OR EXISTS (SELECT 1 FROM competitions c JOIN competition_invites ci ON ci.competition_id = c.id
				WHERE c.requirement_id = r.id AND ci.provider_id = $%d))`, n, n)
	} else if err := actor.Require(canSeeBrokerage...); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT r.id, r.urgent, r.needed_by, r.urgent_reason FROM care_requirements r
		WHERE r.council_id = $1 AND r.id IN (`+strings.Join(in, ", ")+`)`+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: read urgency: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u brokerage.Urgency
		var needed sql.NullTime
		if err := rows.Scan(&u.RequirementID, &u.Urgent, &needed, &u.Reason); err != nil {
			return nil, err
		}
		u.NeededBy = timeOf(needed)
		if actor.Role == caremarket.RoleProvider {
			u.Reason = ""
		}
		out[u.RequirementID] = u
	}
	return out, rows.Err()
}

// brokerOffer reads an offer for a broker's action on it, in tx.
func (tx *Tx) brokerOffer(ctx context.Context, id int64) (*brokerage.Offer, error) {
	if err := tx.actor.Require(canBroker...); err != nil {
		return nil, err
	}
	return tx.db.offer(ctx, tx, tx.actor, id)
}

// lockBeforeRequirement locks the rows of table (offers or competitions)
// whose column is id and whose status is status, in id order, before the
// caller locks their requirement: an acceptance, a decline and an expiry
// change the offer and then its requirement, an award the competition and
// then the requirement, so a writer taking the requirement first and then
// those rows could wait for one while holding the other (PostgreSQL ends
// that deadlock by failing one side). SQLite's one writer needs no lock.
func (tx *Tx) lockBeforeRequirement(ctx context.Context, table, column string, id int64, status string) error {
	return tx.lockInOrder(ctx, table, column+` = $1 AND council_id = $2 AND status = $3`, "id", id, tx.actor.CouncilID, status)
}

// WithdrawOffer takes back an offer still waiting for an answer, with a
// reason; the broker then chooses who is offered next. Brokers.
func (db *DB) WithdrawOffer(ctx context.Context, id int64, reason string) (*brokerage.Offer, error) {
	reason = strings.TrimSpace(reason)
	var o *brokerage.Offer
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if o, err = tx.brokerOffer(ctx, id); err != nil {
			return err
		}
		if err := tx.lockBeforeRequirement(ctx, "offers", "id", id, "pending"); err != nil {
			return err
		}
		if _, err := tx.lockRequirement(ctx, o.RequirementID); err != nil {
			return err
		}
		if err := o.CheckWithdraw(reason); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE offers SET status = 'withdrawn', responded_at = $1, reason = $2
			WHERE id = $3 AND council_id = $4 AND status = 'pending'`, tx.now, reason, id, tx.actor.CouncilID)
		if err != nil {
			return fmt.Errorf("storage: withdraw offer: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return caremarket.Errorf(caremarket.ECONFLICT, "This offer has just been answered: it can no longer be withdrawn")
		}
		t := tx.now
		o.Status, o.Reason, o.RespondedAt = brokerage.OfferWithdrawn, reason, &t
		if err := tx.step(ctx, o.RequirementID, o.Stage, "withdrawn", o.LocationID, o.ProviderID, "Offer to "+o.LocationName+" withdrawn: "+reason); err != nil {
			return err
		}
		return tx.audit(ctx, "offer.withdraw", "offer", id, nil, map[string]string{"reason": reason})
	})
	return o, err
}

// ExtendOffer gives a pending offer more time to be answered. Brokers.
func (db *DB) ExtendOffer(ctx context.Context, id int64, by time.Duration) (*brokerage.Offer, error) {
	var o *brokerage.Offer
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if o, err = tx.brokerOffer(ctx, id); err != nil {
			return err
		}
		u, err := tx.db.urgency(ctx, tx, tx.actor.CouncilID, o.RequirementID)
		if err != nil {
			return err
		}
		next, err := o.Extended(tx.now, by, u.Urgent)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE offers SET expires_at = $1 WHERE id = $2 AND council_id = $3 AND status = 'pending' AND expires_at > $4`,
			next, id, tx.actor.CouncilID, tx.now)
		if err != nil {
			return fmt.Errorf("storage: extend offer: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return caremarket.Errorf(caremarket.ECONFLICT, "This offer has just been answered or lapsed: it can no longer be extended")
		}
		before := o.ExpiresAt
		o.ExpiresAt = next
		if err := tx.step(ctx, o.RequirementID, o.Stage, "extended", o.LocationID, o.ProviderID, fmt.Sprintf("Offer to %s extended until %s",
			o.LocationName, next.In(procurement.London).Format("15:04 on 2 January 2006"))); err != nil {
			return err
		}
		return tx.audit(ctx, "offer.extend", "offer", id, map[string]time.Time{"expires_at": before}, map[string]time.Time{"expires_at": next})
	})
	return o, err
}

// ResendOffer offers the requirement again to the location of an offer
// that was declined, lapsed or withdrawn, if it is still eligible at the
// cascade's current stage; passing over higher-ranked locations needs
// q.SkipReason as any choice does. Brokers.
func (db *DB) ResendOffer(ctx context.Context, id int64, q brokerage.OfferRequest) (*brokerage.Offer, error) {
	var o *brokerage.Offer
	err := db.update(ctx, func(tx *Tx) error {
		old, err := tx.brokerOffer(ctx, id)
		if err != nil {
			return err
		}
		if !old.CanResend() {
			return caremarket.Errorf(caremarket.ECONFLICT, "This offer was %s: only a declined, lapsed or withdrawn offer can be sent again", old.Status)
		}
		r, err := tx.lockToSource(ctx, old.RequirementID)
		if err != nil {
			return err
		}
		q.LocationID, q.Resend = old.LocationID, true
		if old.Stage == brokerage.StageOffContract {
			if q.WeeklyCost == 0 {
				q.WeeklyCost = old.WeeklyCost
			}
			if strings.TrimSpace(q.OffContractReason) == "" {
				q.OffContractReason = old.OffContractReason
			}
		}
		if q.ExpiresIn == 0 {
			q.ExpiresIn = old.ExpiresAt.Sub(old.OfferedAt)
			if u, err := tx.db.urgency(ctx, tx, tx.actor.CouncilID, r.ID); err == nil && u.Urgent && q.ExpiresIn > brokerage.MaxUrgentOfferExpiry {
				q.ExpiresIn = brokerage.UrgentOfferExpiry
			}
		}
		if o, err = tx.offerChosen(ctx, r, q); err != nil {
			return err
		}
		return tx.step(ctx, r.ID, o.Stage, "resent", o.LocationID, o.ProviderID, fmt.Sprintf("Offer sent again to %s (it was %s)", o.LocationName, old.Status))
	})
	return o, err
}

// AddNote adds a note to a requirement. Council staff who source care.
func (db *DB) AddNote(ctx context.Context, requirementID int64, body string) (*brokerage.Note, error) {
	body = strings.TrimSpace(body)
	if err := brokerage.CheckNote(body); err != nil {
		return nil, err
	}
	n := &brokerage.Note{RequirementID: requirementID, Body: body}
	err := db.updateBy(ctx, canSeePerson, func(tx *Tx) error {
		if _, err := tx.db.requirement(ctx, tx, tx.actor.CouncilID, requirementID); err != nil {
			return err
		}
		n.CreatedBy, n.CreatedAt = tx.actor.Email, tx.now
		if err := tx.QueryRowContext(ctx, `INSERT INTO requirement_notes (council_id, requirement_id, body, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, tx.actor.CouncilID, requirementID, body, n.CreatedBy, n.CreatedAt).Scan(&n.ID); err != nil {
			return fmt.Errorf("storage: add note: %w", err)
		}
		return tx.audit(ctx, "requirement.note", "requirement", requirementID, nil, n)
	})
	return n, err
}

// Notes lists a requirement's notes, oldest first. Council staff; a
// provider never sees them (not found).
func (db *DB) Notes(ctx context.Context, requirementID int64) ([]brokerage.Note, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	if _, err := db.requirement(ctx, db.sql, actor.CouncilID, requirementID); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, requirement_id, body, created_by, created_at FROM requirement_notes
		WHERE council_id = $1 AND requirement_id = $2 ORDER BY id`, actor.CouncilID, requirementID)
	if err != nil {
		return nil, fmt.Errorf("storage: list notes: %w", err)
	}
	return scanAll(rows, "note", func(row interface{ Scan(...any) error }) (*brokerage.Note, error) {
		var n brokerage.Note
		err := row.Scan(&n.ID, &n.RequirementID, &n.Body, &n.CreatedBy, &n.CreatedAt)
		return &n, err
	})
}

// SkipReports lists, newest first, every eligible location a broker passed
// over for a lower-ranked one, with the reason: what commissioning is told.
// Council staff.
func (db *DB) SkipReports(ctx context.Context, limit int) ([]brokerage.SkipReport, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT s.at, s.requirement_id, r.case_reference, r.service_type, a.name, COALESCE(s.location_id, 0),
		COALESCE(l.name, ''), COALESCE(p.name, ''), s.detail, s.actor
		FROM cascade_steps s JOIN care_requirements r ON r.id = s.requirement_id JOIN areas a ON a.id = r.area_id
		LEFT JOIN locations l ON l.id = s.location_id LEFT JOIN providers p ON p.id = s.provider_id
		WHERE s.council_id = $1 AND s.kind = 'skipped' ORDER BY s.id DESC LIMIT $2`, actor.CouncilID, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: list skips: %w", err)
	}
	return scanAll(rows, "skip", func(row interface{ Scan(...any) error }) (*brokerage.SkipReport, error) {
		var s brokerage.SkipReport
		err := row.Scan(&s.At, &s.RequirementID, &s.CaseReference, &s.ServiceType, &s.AreaName, &s.LocationID, &s.LocationName,
			&s.ProviderName, &s.Detail, &s.By)
		return &s, err
	})
}

// SearchRequirements finds requirements on the board by status, district,
// service type, urgency and the start of the case reference, a page at a
// time: urgent ones first (soonest needed first), then newest. Council staff.
func (db *DB) SearchRequirements(ctx context.Context, q brokerage.RequirementQuery) (*brokerage.RequirementPage, error) {
	if err := q.Normalise(); err != nil {
		return nil, err
	}
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	s := scopeFor(actor, "r", councilWide).filter("r.status = ?", q.Status).filter("r.area_id = ?", q.AreaID).
		filter("r.service_type = ?", string(q.ServiceType)).filter("r.urgent = ?", q.Urgent)
	if q.CaseReference != "" {
		s.and(`UPPER(r.case_reference) LIKE ? ESCAPE '\'`, strings.ToUpper(likePrefix(q.CaseReference)))
	}
	cond, args := s.where(), s.args
	page := &brokerage.RequirementPage{Requirements: []brokerage.Requirement{}, Urgency: []brokerage.Urgency{}, Page: q.Page, PerPage: q.PerPage}
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM care_requirements r WHERE `+cond, args...).Scan(&page.Total); err != nil {
		return nil, fmt.Errorf("storage: count requirements: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT r.id FROM care_requirements r WHERE `+cond+`
		ORDER BY CASE WHEN r.urgent AND r.status = 'open' THEN 0 ELSE 1 END, CASE WHEN r.needed_by IS NULL THEN 1 ELSE 0 END, r.needed_by, r.id DESC
		LIMIT `+fmt.Sprint(q.PerPage)+` OFFSET `+fmt.Sprint((q.Page-1)*q.PerPage), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: search requirements: %w", err)
	}
	ids, err := scanAll(rows, "", scanID)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return page, nil
	}
	byReq, err := db.pendingOffers(ctx)
	if err != nil {
		return nil, err
	}
	urg, err := db.Urgencies(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		r, err := db.requirement(ctx, db.sql, actor.CouncilID, id)
		if err != nil {
			return nil, err
		}
		r.PendingOffer = byReq[id]
		page.Requirements = append(page.Requirements, *r)
		page.Urgency = append(page.Urgency, urg[id])
	}
	return page, nil
}

// likePrefix is a LIKE pattern (escape character \) matching text that
// starts with s, LIKE's wildcards in s taken literally.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}
