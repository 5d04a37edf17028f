package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
)

// Brokerage storage: requirements, the cascade and direct-award
// offers here; competitions, bids, placements, serious concerns and the
// off-contract report in brokerage_placements.go.
//
// Acceptance is the one place two people race for the same thing (the last
// bed). It is one transaction that (1) moves the offer from pending to
// accepted with a conditional UPDATE, (2) takes a vacancy with
// `UPDATE vacancies SET vacancies = vacancies - 1 WHERE ... AND vacancies > 0`
// and checks a row changed, (3) moves the requirement from open to placed,
// and (4) inserts the placement. Each step checks rows affected, so on
// PostgreSQL (READ COMMITTED: a second UPDATE of the same row waits, then
// re-checks its WHERE against the committed row) and on SQLite (BEGIN
// IMMEDIATE: writers queue) the last vacancy goes to exactly one acceptance;
// the CHECK (vacancies >= 0) is the backstop. TestAcceptanceRace proves it.

var (
	// canBroker source care: make offers, run competitions, award, end.
	canBroker = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleBroker}
	// canSeeBrokerage read the board, placements and reports: council staff.
	canSeeBrokerage = caremarket.CouncilStaff
	// canSeePerson read a person's identity: the brokers who place them.
	canSeePerson = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleBroker, caremarket.RoleCommissioner}
	// canRaiseConcern open and close the serious-concerns process.
	canRaiseConcern = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner}
)

const requirementColumns = `r.id, r.council_id, r.case_reference, r.service_type, r.need_band, r.beds, r.minutes_per_week, r.visit_pattern,
	r.start_date, r.outcode, r.area_id, a.name, r.specialist_needs, r.method, r.status, r.stage, COALESCE(r.move_from_placement_id, 0),
	r.created_by, r.created_at, r.updated_at,
	COALESCE((SELECT MAX(c.id) FROM competitions c WHERE c.requirement_id = r.id AND c.status = 'open'), 0),
	COALESCE((SELECT MAX(pl.id) FROM placements pl WHERE pl.requirement_id = r.id AND pl.status = 'active'), 0)`

const requirementFrom = ` FROM care_requirements r JOIN areas a ON a.id = r.area_id`

func scanRequirement(row interface{ Scan(...any) error }) (*brokerage.Requirement, error) {
	var r brokerage.Requirement
	err := row.Scan(&r.ID, &r.CouncilID, &r.CaseReference, &r.ServiceType, &r.NeedBand, &r.Beds, &r.MinutesPerWeek, &r.VisitPattern,
		scanDay{&r.StartDate}, &r.Outcode, &r.AreaID, &r.AreaName, &r.SpecialistNeeds, &r.Method, &r.Status, &r.Stage, &r.MoveFromPlacementID,
		&r.CreatedBy, &r.CreatedAt, &r.UpdatedAt, &r.OpenCompetitionID, &r.PlacementID)
	return &r, err
}

func (db *DB) requirement(ctx context.Context, q queryer, council, id int64) (*brokerage.Requirement, error) {
	r, err := scanRequirement(q.QueryRowContext(ctx, `SELECT `+requirementColumns+requirementFrom+` WHERE r.id = $1 AND r.council_id = $2`, id, council))
	if err != nil {
		return nil, notFound(err, "Requirement")
	}
	return r, nil
}

// lockRequirement takes the requirement's row lock (PostgreSQL; SQLite's
// write lock already serialises) and reads it.
func (tx *Tx) lockRequirement(ctx context.Context, id int64) (*brokerage.Requirement, error) {
	if err := tx.lockRequirementRow(ctx, id); err != nil {
		return nil, err
	}
	return tx.db.requirement(ctx, tx, tx.actor.CouncilID, id)
}

// lockRequirementRow takes the requirement's row lock without reading it.
func (tx *Tx) lockRequirementRow(ctx context.Context, id int64) error {
	var got int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM care_requirements WHERE id = $1 AND council_id = $2`+tx.db.dialect.forUpdate,
		id, tx.actor.CouncilID).Scan(&got); err != nil {
		return notFound(err, "Requirement")
	}
	return nil
}

// step appends to the requirement's cascade log.
func (tx *Tx) step(ctx context.Context, requirementID int64, stage brokerage.Stage, kind string, locationID, providerID int64, detail string) error {
	var w writeSet
	tx.stepTo(&w, requirementID, stage, kind, locationID, providerID, detail)
	if err := w.run(ctx, tx); err != nil {
		return fmt.Errorf("storage: log cascade step: %w", err)
	}
	return nil
}

// stepTo is step, its write added to w.
func (tx *Tx) stepTo(w *writeSet, requirementID int64, stage brokerage.Stage, kind string, locationID, providerID int64, detail string) {
	w.add(`INSERT INTO cascade_steps (council_id, requirement_id, at, stage, kind, location_id, provider_id, detail, actor)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, tx.actor.CouncilID, requirementID, tx.now, int(stage), kind,
		nullInt64(locationID), nullInt64(providerID), detail, tx.actor.Email)
}

// CreateRequirement records a requirement and, in its own table, the person.
// Brokers and admins.
func (db *DB) CreateRequirement(ctx context.Context, r *brokerage.Requirement, p *brokerage.Person) error {
	if err := r.Validate(p); err != nil {
		return err
	}
	return db.updateBy(ctx, canBroker, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT name FROM areas WHERE id = $1 AND council_id = $2`, r.AreaID, tx.actor.CouncilID).Scan(&r.AreaName); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return caremarket.Invalid(map[string]string{"area_id": "Choose the district the person lives in"})
			}
			return err
		}
		r.CouncilID, r.Status, r.Stage, r.CreatedBy, r.CreatedAt, r.UpdatedAt = tx.actor.CouncilID, brokerage.StatusOpen, 0, tx.actor.Email, tx.now, tx.now
		if err := tx.QueryRowContext(ctx, `INSERT INTO care_requirements (council_id, case_reference, service_type, need_band, beds, minutes_per_week,
			visit_pattern, start_date, outcode, area_id, specialist_needs, method, status, stage, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $15, $15) RETURNING id`,
			r.CouncilID, r.CaseReference, string(r.ServiceType), r.NeedBand, r.Beds, r.MinutesPerWeek, r.VisitPattern, ymd(r.StartDate),
			r.Outcode, r.AreaID, r.SpecialistNeeds, string(r.Method), r.Status, r.CreatedBy, tx.now).Scan(&r.ID); err != nil {
			return fmt.Errorf("storage: create requirement: %w", err)
		}
		p.RequirementID = r.ID
		var dob any
		if p.DateOfBirth != nil {
			dob = ymd(*p.DateOfBirth)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO requirement_people (requirement_id, council_id, full_name, date_of_birth, address, postcode, phone)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, r.CouncilID, p.FullName, dob, p.Address, p.Postcode, p.Phone); err != nil {
			return fmt.Errorf("storage: record person: %w", err)
		}
		if err := tx.step(ctx, r.ID, 0, "created", 0, 0, fmt.Sprintf("Requirement recorded: %s, %s, starting %s, %s (%s)",
			r.ServiceType.Label(), r.Method.Label(), r.StartDate.Format("2 January 2006"), r.AreaName, r.Outcode)); err != nil {
			return err
		}
		// The audit record names the case, never the person.
		return tx.audit(ctx, "requirement.create", "requirement", r.ID, nil, r)
	})
}

// ListRequirements lists the council's requirements, newest first, with
// where each is in the cascade. Council staff.
func (db *DB) ListRequirements(ctx context.Context, f brokerage.RequirementFilter) ([]brokerage.Requirement, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	s := scopeFor(actor, "r", councilWide).filter("r.status = ?", f.Status).filter("r.area_id = ?", f.AreaID)
	rows, err := db.sql.QueryContext(ctx, `SELECT `+requirementColumns+requirementFrom+` WHERE `+s.where()+` ORDER BY r.id DESC LIMIT 1000`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list requirements: %w", err)
	}
	out, err := scanAll(rows, "requirement", scanRequirement)
	if err != nil {
		return nil, err
	}
	byReq, err := db.pendingOffers(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].PendingOffer = byReq[out[i].ID]
	}
	return out, nil
}

// pendingOffers maps each requirement with an offer waiting for an answer
// to that offer.
func (db *DB) pendingOffers(ctx context.Context) (map[int64]*brokerage.Offer, error) {
	pending, err := db.ListOffers(ctx, brokerage.OfferFilter{Status: brokerage.OfferPending})
	if err != nil {
		return nil, err
	}
	byReq := map[int64]*brokerage.Offer{}
	for i := range pending {
		byReq[pending[i].RequirementID] = &pending[i]
	}
	return byReq, nil
}

// Requirement returns a requirement, without the person. Council staff.
func (db *DB) Requirement(ctx context.Context, id int64) (*brokerage.Requirement, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if actor.Role == caremarket.RoleProvider {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Requirement not found")
	}
	if err := actor.Require(canSeeBrokerage...); err != nil {
		return nil, err
	}
	return db.requirement(ctx, db.sql, actor.CouncilID, id)
}

// providerSees is the condition (on care_requirements r) that the provider
// in $2 was offered the requirement or invited to bid for it.
const providerSees = `(EXISTS (SELECT 1 FROM offers o WHERE o.requirement_id = r.id AND o.provider_id = $2)
	OR EXISTS (SELECT 1 FROM competition_invites ci JOIN competitions c ON c.id = ci.competition_id WHERE c.requirement_id = r.id AND ci.provider_id = $2))`

// AnonymisedRequirement is a requirement as a provider sees it: only when
// offered it or invited to bid, and never with the person (or the case
// reference). Staff see it too.
func (db *DB) AnonymisedRequirement(ctx context.Context, id int64) (*brokerage.Anonymised, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if actor.Role == caremarket.RoleProvider {
		var ok bool
		if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM care_requirements r WHERE r.id = $1 AND r.council_id = $3 AND `+providerSees,
			id, actor.ProviderID, actor.CouncilID).Scan(&ok); err != nil {
			return nil, err
		}
		if !ok {
			return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Requirement not found")
		}
	} else if err := actor.Require(canSeeBrokerage...); err != nil {
		return nil, err
	}
	r, err := db.requirement(ctx, db.sql, actor.CouncilID, id)
	if err != nil {
		return nil, err
	}
	a := r.Anonymise()
	return &a, nil
}

// Person returns who a requirement is for: to brokers, and to a provider
// only once a placement for it has been awarded to that provider (before
// that, and for anyone else's, it is not found).
func (db *DB) Person(ctx context.Context, requirementID int64) (*brokerage.Person, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	cond := ""
	args := []any{requirementID, actor.CouncilID}
	if actor.Role == caremarket.RoleProvider {
		args = append(args, actor.ProviderID)
		cond = ` AND EXISTS (SELECT 1 FROM placements pl WHERE pl.requirement_id = rp.requirement_id AND pl.provider_id = $3)`
	} else if err := actor.Require(canSeePerson...); err != nil {
		return nil, err
	}
	var p brokerage.Person
	var dob time.Time
	err = db.sql.QueryRowContext(ctx, `SELECT requirement_id, full_name, date_of_birth, address, postcode, phone FROM requirement_people rp
		WHERE requirement_id = $1 AND council_id = $2`+cond, args...).Scan(&p.RequirementID, &p.FullName, scanDay{&dob}, &p.Address, &p.Postcode, &p.Phone)
	if err != nil {
		return nil, notFound(err, "Person")
	}
	if !dob.IsZero() {
		p.DateOfBirth = &dob
	}
	return &p, nil
}

// CancelRequirement closes a requirement no longer needed. Brokers.
func (db *DB) CancelRequirement(ctx context.Context, id int64, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > brokerage.MaxReasonLen {
		return caremarket.Invalid(map[string]string{"reason": "Enter why the requirement is no longer needed"})
	}
	return db.updateBy(ctx, canBroker, func(tx *Tx) error {
		if err := tx.lockBeforeRequirement(ctx, "offers", "requirement_id", id, "pending"); err != nil {
			return err
		}
		if err := tx.lockBeforeRequirement(ctx, "competitions", "requirement_id", id, "open"); err != nil {
			return err
		}
		r, err := tx.lockRequirement(ctx, id)
		if err != nil {
			return err
		}
		if r.Status != brokerage.StatusOpen {
			return caremarket.Errorf(caremarket.ECONFLICT, "Only an open requirement can be cancelled; this one is %s", r.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE offers SET status = 'withdrawn', responded_at = $1, reason = $2 WHERE requirement_id = $3 AND status = 'pending'`,
			tx.now, "Requirement cancelled", id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE competitions SET status = 'cancelled' WHERE requirement_id = $1 AND status = 'open'`, id); err != nil {
			return err
		}
		status := brokerage.StatusCancelled
		if r.MoveFromPlacementID != 0 {
			status = brokerage.StatusPlaced // the off-contract placement carries on
		}
		if _, err := tx.ExecContext(ctx, `UPDATE care_requirements SET status = $1, move_from_placement_id = NULL, updated_at = $2 WHERE id = $3`,
			status, tx.now, id); err != nil {
			return err
		}
		if err := tx.step(ctx, id, brokerage.Stage(r.Stage), "cancelled", 0, 0, "Cancelled: "+reason); err != nil {
			return err
		}
		return tx.audit(ctx, "requirement.cancel", "requirement", id, r, map[string]string{"status": status, "reason": reason})
	})
}

// --- Offers (direct award)

const offerColumns = `o.id, o.requirement_id, o.provider_id, p.name, o.location_id, l.name, o.stage, o.rank, COALESCE(o.lot_id, 0),
	COALESCE(o.agreement_id, 0), COALESCE(lt.title, ''), o.price_pence, o.weekly_cost_pence, o.off_contract_reason, o.status, o.offered_at,
	o.expires_at, o.responded_at, o.reason, COALESCE((SELECT MAX(pl.id) FROM placements pl WHERE pl.offer_id = o.id), 0)`

const offerFrom = ` FROM offers o JOIN providers p ON p.id = o.provider_id JOIN locations l ON l.id = o.location_id LEFT JOIN lots lt ON lt.id = o.lot_id`

func scanOffer(row interface{ Scan(...any) error }) (*brokerage.Offer, error) {
	var o brokerage.Offer
	var price, weekly int64
	var responded sql.NullTime
	err := row.Scan(&o.ID, &o.RequirementID, &o.ProviderID, &o.ProviderName, &o.LocationID, &o.LocationName, &o.Stage, &o.Rank, &o.LotID,
		&o.AgreementID, &o.LotTitle, &price, &weekly, &o.OffContractReason, &o.Status, &o.OfferedAt, &o.ExpiresAt, &responded, &o.Reason, &o.PlacementID)
	o.Price, o.WeeklyCost = money.Money(price), money.Money(weekly)
	o.RespondedAt = timeOf(responded)
	return &o, err
}

// ListOffers lists offers, newest first: all the council's to staff, its
// own to a provider user, each with the anonymised requirement.
func (db *DB) ListOffers(ctx context.Context, f brokerage.OfferFilter) ([]brokerage.Offer, error) {
	s, err := scopeOf(ctx, "o", byProvider)
	if err != nil {
		return nil, err
	}
	if err := s.staffNeed(canSeeBrokerage...); err != nil {
		return nil, err
	}
	s.filter("o.requirement_id = ?", f.RequirementID).filter("o.status = ?", f.Status)
	rows, err := db.sql.QueryContext(ctx, `SELECT `+offerColumns+offerFrom+` WHERE `+s.where()+` ORDER BY o.id DESC LIMIT 1000`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list offers: %w", err)
	}
	out, err := scanAll(rows, "offer", scanOffer)
	if err != nil {
		return nil, err
	}
	reqs := map[int64]*brokerage.Anonymised{}
	for i := range out {
		a, ok := reqs[out[i].RequirementID]
		if !ok {
			r, err := db.requirement(ctx, db.sql, s.actor.CouncilID, out[i].RequirementID)
			if err != nil {
				return nil, err
			}
			an := r.Anonymise()
			a, reqs[out[i].RequirementID] = &an, &an
		}
		out[i].Requirement = a
	}
	return out, nil
}

// Offer returns an offer: to staff, or to the provider it was made to
// (another provider's is not found).
func (db *DB) Offer(ctx context.Context, id int64) (*brokerage.Offer, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.offer(ctx, db.sql, actor, id)
}

func (db *DB) offer(ctx context.Context, q queryer, actor *caremarket.Actor, id int64) (*brokerage.Offer, error) {
	cond, args := ` WHERE o.id = $1 AND o.council_id = $2`, []any{id, actor.CouncilID}
	if actor.Role == caremarket.RoleProvider {
		cond += ` AND o.provider_id = $3`
		args = append(args, actor.ProviderID)
	} else if err := actor.Require(canSeeBrokerage...); err != nil {
		return nil, err
	}
	o, err := scanOffer(q.QueryRowContext(ctx, `SELECT `+offerColumns+offerFrom+cond, args...))
	if err != nil {
		return nil, notFound(err, "Offer")
	}
	r, err := db.requirement(ctx, q, actor.CouncilID, o.RequirementID)
	if err != nil {
		return nil, err
	}
	a := r.Anonymise()
	o.Requirement = &a
	return o, nil
}

// MakeOffer offers a requirement to the top-ranked eligible location of the
// cascade's current stage (or to q.LocationID, if eligible there). Stage 3
// (off contract) is reached only when stages 1 and 2 have nobody eligible,
// and needs a reason and the agreed cost: "off-contract purchasing will
// only take place" after contracted providers in the area, then in
// neighbouring areas, could not take it, and "all use of non contracted
// provision should be discussed with commissioning". Brokers.
func (db *DB) MakeOffer(ctx context.Context, requirementID int64, q brokerage.OfferRequest) (*brokerage.Offer, error) {
	var o *brokerage.Offer
	err := db.updateBy(ctx, canBroker, func(tx *Tx) error {
		r, err := tx.lockToSource(ctx, requirementID)
		if err != nil {
			return err
		}
		o, err = tx.offerChosen(ctx, r, q)
		return err
	})
	return o, err
}

// lockToSource locks a requirement about to be offered or put to
// competition, refused as checkSourcing says.
func (tx *Tx) lockToSource(ctx context.Context, id int64) (*brokerage.Requirement, error) {
	r, err := tx.lockRequirement(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := tx.checkSourcing(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// checkSourcing refuses a new offer or competition while one is running.
func (tx *Tx) checkSourcing(ctx context.Context, r *brokerage.Requirement) error {
	if r.Status != brokerage.StatusOpen {
		return caremarket.Errorf(caremarket.ECONFLICT, "This requirement is %s: it is not being sourced", r.Status)
	}
	var pending, open int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM offers WHERE requirement_id = $1 AND status = 'pending'),
		(SELECT COUNT(*) FROM competitions WHERE requirement_id = $1 AND status = 'open')`, r.ID).Scan(&pending, &open); err != nil {
		return err
	}
	if pending > 0 {
		return caremarket.Errorf(caremarket.ECONFLICT, "An offer is waiting for an answer: wait for it, or for it to expire")
	}
	if open > 0 {
		return caremarket.Errorf(caremarket.ECONFLICT, "A mini-competition is running for this requirement")
	}
	return nil
}

// offerNext runs the cascade in the transaction and makes the offer.
func (tx *Tx) offerNext(ctx context.Context, r *brokerage.Requirement, q brokerage.OfferRequest) (*brokerage.Offer, error) {
	resp, read, err := tx.db.runCascade(ctx, tx, tx.actor.CouncilID, r, cascadeWant{eligible: 1, location: q.LocationID, held: q.Held, heldMinutes: q.HeldMinutes, resend: q.Resend})
	if err != nil {
		return nil, err
	}
	res, in := *resp, read.in
	if res.Current == 0 {
		msg := "Nobody is eligible at any stage of the cascade"
		if in.MaxStage == brokerage.StageNeighbours {
			msg = "No contracted provider in the person's area or its neighbours can take this now"
		}
		return nil, caremarket.Errorf(caremarket.ECONFLICT, "%s", msg)
	}
	pick := res.Top()
	if q.LocationID != 0 {
		if pick = res.Find(q.LocationID); pick == nil {
			return nil, caremarket.Invalid(map[string]string{"location_id": "Choose a location eligible at the current stage of the cascade"})
		}
	}
	var contracted money.Money
	if pick.Price > 0 && res.Current != brokerage.StageOffContract {
		contracted = brokerage.WeeklyCost(r.ServiceType, pick.Price, r.MinutesPerWeek)
	}
	if err := q.Validate(res.Current, contracted); err != nil {
		return nil, err
	}
	weekly := q.WeeklyCost
	if weekly == 0 {
		weekly = contracted
	}
	o := &brokerage.Offer{RequirementID: r.ID, ProviderID: pick.ProviderID, ProviderName: pick.ProviderName, LocationID: pick.LocationID,
		LocationName: pick.LocationName, Stage: res.Current, Rank: pick.Rank, LotID: pick.LotID, Price: pick.Price, WeeklyCost: weekly,
		OffContractReason: q.OffContractReason, Status: brokerage.OfferPending, OfferedAt: tx.now, ExpiresAt: tx.now.Add(q.ExpiresIn)}
	if res.Current == brokerage.StageOffContract {
		o.Price = 0
	}
	for _, l := range in.Lots {
		if l.ID == pick.LotID {
			o.AgreementID, o.LotTitle = l.AgreementID, l.Title
		}
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO offers (council_id, requirement_id, provider_id, location_id, stage, rank, lot_id, agreement_id,
		price_pence, weekly_cost_pence, off_contract_reason, status, offered_at, offered_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12, $13, $14) RETURNING id`,
		tx.actor.CouncilID, r.ID, o.ProviderID, o.LocationID, int(o.Stage), o.Rank, nullInt64(o.LotID), nullInt64(o.AgreementID),
		int64(o.Price), int64(o.WeeklyCost), o.OffContractReason, tx.now, tx.actor.Email, o.ExpiresAt).Scan(&o.ID); err != nil {
		if isUniqueViolation(err) {
			return nil, caremarket.Errorf(caremarket.ECONFLICT, "An offer is already waiting for an answer")
		}
		return nil, fmt.Errorf("storage: create offer: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE care_requirements SET stage = $1, updated_at = $2 WHERE id = $3`, int(res.Current), tx.now, r.ID); err != nil {
		return nil, err
	}
	if err := tx.step(ctx, r.ID, res.Current, "cascade", 0, 0, strings.Join(res.Steps, ". ")); err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("Offered to %s (%s), rank %d at stage %d, %s a week, until %s", o.LocationName, o.ProviderName, o.Rank, o.Stage,
		o.WeeklyCost, o.ExpiresAt.In(procurement.London).Format("15:04 on 2 January 2006"))
	if o.Stage == brokerage.StageOffContract {
		detail += ". Off contract because: " + o.OffContractReason
	}
	if err := tx.step(ctx, r.ID, o.Stage, "offered", o.LocationID, o.ProviderID, detail); err != nil {
		return nil, err
	}
	a := r.Anonymise()
	o.Requirement = &a
	return o, tx.audit(ctx, "offer.create", "offer", o.ID, nil, o)
}

// advance makes the next offer after a decline or an expiry, when the
// cascade can go on by itself (a contracted price to offer at); otherwise
// it records that the broker must act (stage 3 needs a reason and a cost).
func (tx *Tx) advance(ctx context.Context, requirementID int64, expiresIn time.Duration) error {
	r, err := tx.lockRequirement(ctx, requirementID)
	if err != nil {
		return err
	}
	if r.Status != brokerage.StatusOpen || r.Method != brokerage.ByDirectAward {
		return nil
	}
	_, err = tx.offerNext(ctx, r, brokerage.OfferRequest{ExpiresIn: expiresIn})
	switch caremarket.ErrorCode(err) {
	case "":
		return nil
	case caremarket.EINVALID, caremarket.ECONFLICT:
		return tx.step(ctx, r.ID, brokerage.Stage(r.Stage), "waiting", 0, 0, "Waiting for the broker: "+refusal(err))
	}
	return err
}

// refusal says why an offer could not be made: the refusal's field
// messages in order, or its message when it names no field.
func refusal(err error) string {
	if f := caremarket.ErrorFields(err); len(f) > 0 {
		return strings.Join(slices.Sorted(maps.Values(f)), "; ")
	}
	return caremarket.ErrorMessage(err)
}

// place reserves capacity and creates the placement, in tx. It is called
// by the award of a mini-competition and by an acceptance that moves an
// off-contract placement to contract.
func (tx *Tx) place(ctx context.Context, r *brokerage.Requirement, p *brokerage.Placement, offerID, bidID int64) error {
	// 0. The off-contract placement this replaces is locked before the
	// requirement: handing it back locks it and then opens the requirement
	// again, so taking them the other way round could deadlock.
	if r.MoveFromPlacementID != 0 && tx.db.dialect.forUpdate != "" {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM placements WHERE id = $1 AND council_id = $2`+tx.db.dialect.forUpdate,
			r.MoveFromPlacementID, tx.actor.CouncilID).Scan(&id); err != nil {
			return fmt.Errorf("storage: lock off-contract placement: %w", err)
		}
	}
	// 1. Reserve a vacancy.
	if err := tx.reserve(ctx, r, p); err != nil {
		return err
	}
	// 2. The requirement is placed once.
	res, err := tx.ExecContext(ctx, `UPDATE care_requirements SET status = 'placed', move_from_placement_id = NULL, updated_at = $1
		WHERE id = $2 AND council_id = $3 AND status = 'open'`, tx.now, r.ID, tx.actor.CouncilID)
	if err != nil {
		return fmt.Errorf("storage: place requirement: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return caremarket.Errorf(caremarket.ECONFLICT, "This requirement has already been placed")
	}
	// 3. Moving an off-contract placement to contract ends it as this starts.
	if r.MoveFromPlacementID != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE placements SET status = 'moved', end_date = $1, end_reason = $2, updated_at = $3
			WHERE id = $4 AND council_id = $5 AND status = 'active'`, ymd(p.StartDate), "Moved to contract: "+p.LocationName, tx.now,
			r.MoveFromPlacementID, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: end off-contract placement: %w", err)
		}
	}
	// 4. The placement and its first price.
	w, err := tx.insertPlacement(ctx, r, p, offerID, bidID)
	if err != nil {
		return err
	}
	if err := w.run(ctx, tx); err != nil {
		return fmt.Errorf("storage: store the new placement: %w", err)
	}
	if r.MoveFromPlacementID != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE placements SET moved_to_placement_id = $1 WHERE id = $2`, p.ID, r.MoveFromPlacementID); err != nil {
			return err
		}
		if err := tx.recommit(ctx, r.MoveFromPlacementID); err != nil {
			return err
		}
		if err := tx.audit(ctx, "placement.move", "placement", r.MoveFromPlacementID, nil, map[string]any{"moved_to_placement_id": p.ID}); err != nil {
			return err
		}
	}
	return tx.audit(ctx, "placement.create", "placement", p.ID, nil, p)
}

// DeclineOffer declines an offer with a reason; the cascade moves to the
// next eligible location. The provider it was made to, or a broker.
func (db *DB) DeclineOffer(ctx context.Context, id int64, reason string) (*brokerage.Offer, error) {
	reason = strings.TrimSpace(reason)
	if err := brokerage.CheckDecline(reason); err != nil {
		return nil, err
	}
	var o *brokerage.Offer
	err := db.update(ctx, func(tx *Tx) error {
		if tx.actor.Role != caremarket.RoleProvider {
			if err := tx.actor.Require(canBroker...); err != nil {
				return err
			}
		}
		var err error
		if o, err = db.offer(ctx, tx, tx.actor, id); err != nil {
			return err
		}
		if err := o.CheckRespond(tx.now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE offers SET status = 'declined', responded_at = $1, reason = $2 WHERE id = $3 AND status = 'pending'`,
			tx.now, reason, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return caremarket.Errorf(caremarket.ECONFLICT, "This offer can no longer be answered")
		}
		if err := tx.perfCount(ctx, perfOfferDeclined, id); err != nil {
			return err
		}
		// The requirement, which advance moves on, is locked before the
		// audit head, as an acceptance takes them: a writer holding the head
		// while it waits for the requirement could deadlock with one that
		// logs a step for it (a placement ending) and then writes its audit.
		if err := tx.lockRequirementRow(ctx, o.RequirementID); err != nil {
			return err
		}
		o.Status, o.Reason = brokerage.OfferDeclined, reason
		t := tx.now
		o.RespondedAt = &t
		if err := tx.step(ctx, o.RequirementID, o.Stage, "declined", o.LocationID, o.ProviderID, o.LocationName+" declined: "+reason); err != nil {
			return err
		}
		if err := tx.audit(ctx, "offer.decline", "offer", id, nil, map[string]string{"reason": reason}); err != nil {
			return err
		}
		return tx.advance(ctx, o.RequirementID, o.ExpiresAt.Sub(o.OfferedAt))
	})
	return o, err
}

// ExpireOffers lapses the council's pending offers whose time is up and
// moves each requirement on. It runs as the system (whoever's request
// noticed it), each offer in its own transaction, and is called before the
// board and the inboxes are shown.
func (db *DB) ExpireOffers(ctx context.Context) (int, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return 0, err
	}
	now := db.now()
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM offers WHERE council_id = $1 AND status = 'pending' AND expires_at <= $2 ORDER BY id LIMIT 200`,
		actor.CouncilID, now)
	if err != nil {
		return 0, fmt.Errorf("storage: find lapsed offers: %w", err)
	}
	ids, err := scanAll(rows, "", scanID)
	if err != nil {
		return 0, err
	}
	sys := caremarket.SystemActor(actor.CouncilID, actor.CouncilSlug)
	sys.Email = "system (offer expiry)"
	n := 0
	for _, id := range ids {
		err := db.updateAs(ctx, sys, func(tx *Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE offers SET status = 'expired', responded_at = $1 WHERE id = $2 AND council_id = $3
				AND status = 'pending' AND expires_at <= $1`, tx.now, id, tx.actor.CouncilID)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k != 1 {
				return nil // answered meanwhile
			}
			if err := tx.perfCount(ctx, perfOfferAnswered, id); err != nil {
				return err
			}
			o, err := db.offer(ctx, tx, tx.actor, id)
			if err != nil {
				return err
			}
			// Before the audit head, as DeclineOffer.
			if err := tx.lockRequirementRow(ctx, o.RequirementID); err != nil {
				return err
			}
			n++
			if err := tx.step(ctx, o.RequirementID, o.Stage, "expired", o.LocationID, o.ProviderID,
				fmt.Sprintf("%s did not answer by %s: the offer lapsed", o.LocationName, o.ExpiresAt.In(procurement.London).Format("15:04 on 2 January 2006"))); err != nil {
				return err
			}
			if err := tx.audit(ctx, "offer.expire", "offer", id, nil, map[string]string{"status": "expired"}); err != nil {
				return err
			}
			return tx.advance(ctx, o.RequirementID, o.ExpiresAt.Sub(o.OfferedAt))
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
