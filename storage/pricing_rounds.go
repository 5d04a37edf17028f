package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// Price rounds, provider submissions, decisions and contracted prices.
// A provider user sees a round only when its provider is invited, and only
// its own submissions and contracted prices; anything else is not found.

const roundColumns = `r.id, r.council_id, COALESCE(r.agreement_id, 0), COALESCE(ag.title, ''), r.name, r.opens_on, r.closes_on, r.effective_from,
	r.tolerance_bp, r.status, r.created_at, r.created_by`

const roundFrom = ` FROM price_rounds r LEFT JOIN agreements ag ON ag.id = r.agreement_id`

func scanRound(row interface{ Scan(...any) error }) (*pricing.Round, error) {
	var r pricing.Round
	var tol int64
	err := row.Scan(&r.ID, &r.CouncilID, &r.AgreementID, &r.AgreementTitle, &r.Name, scanDay{&r.OpensOn}, scanDay{&r.ClosesOn}, scanDay{&r.EffectiveFrom},
		&tol, &r.Status, &r.CreatedAt, &r.CreatedBy)
	r.Tolerance = pricing.BP(tol)
	r.ProviderIDs = []int64{}
	return &r, err
}

// roundScope limits rounds to those a provider user is invited to.
func roundScope(actor *caremarket.Actor, args *[]any) string {
	if actor.Role != caremarket.RoleProvider {
		return ""
	}
	*args = append(*args, actor.ProviderID)
	return ` AND EXISTS (SELECT 1 FROM price_round_providers rp WHERE rp.round_id = r.id AND rp.provider_id = $` + strconv.Itoa(len(*args)) + `)`
}

// ListPriceRounds lists the rounds the actor may see, newest first, each
// with its number of live submissions (a provider counts only its own).
func (db *DB) ListPriceRounds(ctx context.Context) ([]pricing.Round, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	args := []any{actor.CouncilID}
	scope := roundScope(actor, &args)
	count := `(SELECT COUNT(*) FROM price_submissions s WHERE s.round_id = r.id AND s.status <> 'superseded')`
	if actor.Role == caremarket.RoleProvider {
		count = `(SELECT COUNT(*) FROM price_submissions s WHERE s.round_id = r.id AND s.status <> 'superseded' AND s.provider_id = $2)`
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+roundColumns+`, `+count+roundFrom+` WHERE r.council_id = $1`+scope+
		` ORDER BY r.opens_on DESC, r.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list price rounds: %w", err)
	}
	defer rows.Close()
	out := []pricing.Round{}
	for rows.Next() {
		var r pricing.Round
		var tol int64
		if err := rows.Scan(&r.ID, &r.CouncilID, &r.AgreementID, &r.AgreementTitle, &r.Name, scanDay{&r.OpensOn}, scanDay{&r.ClosesOn}, scanDay{&r.EffectiveFrom},
			&tol, &r.Status, &r.CreatedAt, &r.CreatedBy, &r.Submissions); err != nil {
			return nil, err
		}
		r.Tolerance = pricing.BP(tol)
		r.ProviderIDs = []int64{}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PriceRound returns one round with its invited providers.
func (db *DB) PriceRound(ctx context.Context, id int64) (*pricing.Round, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.priceRound(ctx, db.sql, actor, id, "")
}

func (db *DB) priceRound(ctx context.Context, q queryer, actor *caremarket.Actor, id int64, lock string) (*pricing.Round, error) {
	args := []any{id, actor.CouncilID}
	scope := roundScope(actor, &args)
	if lock != "" {
		// PostgreSQL cannot lock the nullable side of an outer join.
		lock = " FOR UPDATE OF r"
	}
	r, err := scanRound(q.QueryRowContext(ctx, `SELECT `+roundColumns+roundFrom+` WHERE r.id = $1 AND r.council_id = $2`+scope+lock, args...))
	if err != nil {
		return nil, notFound(err, "Price round")
	}
	rows, err := q.QueryContext(ctx, `SELECT provider_id FROM price_round_providers WHERE round_id = $1 ORDER BY provider_id`, id)
	if err != nil {
		return nil, fmt.Errorf("storage: round providers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		if actor.Role != caremarket.RoleProvider || p == actor.ProviderID {
			r.ProviderIDs = append(r.ProviderIDs, p)
		}
	}
	return r, rows.Err()
}

// OpenPriceRound opens a round for an agreement (or for named providers
// without one). With no providers named it invites every provider holding a
// contract under the agreement. Commissioners and admins.
func (db *DB) OpenPriceRound(ctx context.Context, r *pricing.Round) error {
	if r.Tolerance == 0 {
		r.Tolerance = pricing.DefaultTolerance
	}
	if err := r.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canSetPrices, func(tx *Tx) error {
		council := tx.actor.CouncilID
		if r.AgreementID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT title FROM agreements WHERE id = $1 AND council_id = $2`, r.AgreementID, council).Scan(&r.AgreementTitle); err != nil {
				if err == sql.ErrNoRows {
					return caremarket.Invalid(map[string]string{"agreement_id": "Choose an agreement from the list"})
				}
				return fmt.Errorf("storage: round agreement: %w", err)
			}
			if len(r.ProviderIDs) == 0 {
				rows, err := tx.QueryContext(ctx, `SELECT DISTINCT provider_id FROM contracts WHERE council_id = $1 AND agreement_id = $2 ORDER BY provider_id`, council, r.AgreementID)
				if err != nil {
					return fmt.Errorf("storage: agreement providers: %w", err)
				}
				for rows.Next() {
					var p int64
					if err := rows.Scan(&p); err != nil {
						rows.Close()
						return err
					}
					r.ProviderIDs = append(r.ProviderIDs, p)
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return err
				}
			}
		}
		if len(r.ProviderIDs) == 0 {
			return caremarket.Invalid(map[string]string{"provider_ids": "Choose the providers invited to submit prices (the agreement has no contracted providers yet)"})
		}
		r.CouncilID, r.Status, r.CreatedAt, r.CreatedBy = council, pricing.RoundOpen, tx.now, tx.actor.Email
		if err := tx.QueryRowContext(ctx, `INSERT INTO price_rounds (council_id, agreement_id, name, opens_on, closes_on, effective_from, tolerance_bp, status, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, council, nullInt64(r.AgreementID), r.Name, ymd(r.OpensOn), ymd(r.ClosesOn),
			ymd(r.EffectiveFrom), int64(r.Tolerance), r.Status, tx.now, r.CreatedBy).Scan(&r.ID); err != nil {
			return fmt.Errorf("storage: open price round: %w", err)
		}
		seen := map[int64]bool{}
		for _, p := range r.ProviderIDs {
			if seen[p] {
				continue
			}
			seen[p] = true
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM providers WHERE id = $1 AND council_id = $2`, p, council).Scan(&n); err != nil {
				return fmt.Errorf("storage: check provider: %w", err)
			} else if n == 0 {
				return caremarket.Invalid(map[string]string{"provider_ids": "Choose providers from the list"})
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO price_round_providers (round_id, council_id, provider_id) VALUES ($1, $2, $3)`, r.ID, council, p); err != nil {
				return fmt.Errorf("storage: invite provider: %w", err)
			}
		}
		return tx.audit(ctx, "price_round.open", "price_round", r.ID, nil, r)
	})
}

// ClosePriceRound stops submissions; decisions can still be made.
// Commissioners and admins.
func (db *DB) ClosePriceRound(ctx context.Context, id int64) error {
	return db.updateBy(ctx, canSetPrices, func(tx *Tx) error {
		r, err := db.priceRound(ctx, tx, tx.actor, id, db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if r.Status == pricing.RoundClosed {
			return caremarket.Errorf(caremarket.ECONFLICT, "The round is already closed")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE price_rounds SET status = 'closed' WHERE id = $1 AND council_id = $2`, id, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: close round: %w", err)
		}
		return tx.audit(ctx, "price_round.close", "price_round", id, map[string]string{"status": r.Status}, map[string]string{"status": pricing.RoundClosed})
	})
}

// basisOf is how a submitted band is priced: the standard band of supported
// living is its hourly support rate; otherwise as the service type.
func basisOf(st market.ServiceType, band string) pricing.Basis {
	if st == market.SupportedLiving && band == pricing.StandardBand {
		return pricing.PerHour
	}
	return pricing.BasisFor(st)
}

func lineRef(row pricing.SubmissionRow) string {
	if row.CQCLocationID != "" {
		return row.CQCLocationID
	}
	return strconv.FormatInt(row.LocationID, 10)
}

const submissionColumns = `s.id, s.round_id, r.name, s.provider_id, p.name, s.location_id, l.name, a.name, c.setting, s.service_type, s.band, s.basis,
	s.price_pence, s.guide_pence, s.tolerance_bp, s.within_band, s.reason, s.source, s.status, s.submitted_by, s.submitted_at, s.decided_by, s.decided_at, s.decision_reason`

const submissionFrom = ` FROM price_submissions s JOIN price_rounds r ON r.id = s.round_id JOIN providers p ON p.id = s.provider_id
	JOIN locations l ON l.id = s.location_id JOIN areas a ON a.id = l.area_id JOIN clusters c ON c.id = a.cluster_id`

func scanSubmission(row interface{ Scan(...any) error }) (*pricing.Submission, error) {
	var s pricing.Submission
	var price, guide, tol int64
	var decided sql.NullTime
	err := row.Scan(&s.ID, &s.RoundID, &s.RoundName, &s.ProviderID, &s.ProviderName, &s.LocationID, &s.LocationName, &s.AreaName, &s.Setting,
		&s.ServiceType, &s.Band, &s.Basis, &price, &guide, &tol, &s.Check.Within, &s.Reason, &s.Source, &s.Status, &s.SubmittedBy, &s.SubmittedAt,
		&s.DecidedBy, &decided, &s.DecisionReason)
	if err != nil {
		return nil, err
	}
	s.Price = money.Money(price)
	s.Check = pricing.CheckBand(s.Price, money.Money(guide), pricing.BP(tol))
	s.DecidedAt = timeOf(decided)
	return &s, nil
}

// ListSubmissions lists submissions (not superseded ones unless the status
// filter asks), newest first. A provider user sees only its own.
func (db *DB) ListSubmissions(ctx context.Context, f pricing.SubmissionFilter) ([]pricing.Submission, error) {
	s, err := scopeOf(ctx, "s", byProvider)
	if err != nil {
		return nil, err
	}
	s.filter("s.round_id = ?", f.RoundID).filter("s.provider_id = ?", f.ProviderID).filter("s.location_id = ?", f.LocationID)
	if f.Status != "" {
		s.and("s.status = ?", f.Status)
	} else {
		s.also("s.status <> 'superseded'")
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+submissionColumns+submissionFrom+` WHERE `+s.where()+
		` ORDER BY s.id DESC LIMIT 5000`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list submissions: %w", err)
	}
	return scanAll(rows, "", scanSubmission)
}

// Submission returns one submission; another provider's is not found.
func (db *DB) Submission(ctx context.Context, id int64) (*pricing.Submission, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.submission(ctx, db.sql, actor, id, "")
}

func (db *DB) submission(ctx context.Context, q queryer, actor *caremarket.Actor, id int64, lock string) (*pricing.Submission, error) {
	args := []any{id, actor.CouncilID}
	scope := ""
	if actor.Role == caremarket.RoleProvider {
		args = append(args, actor.ProviderID)
		scope = " AND s.provider_id = $3"
	}
	if lock != "" {
		lock = " FOR UPDATE OF s"
	}
	s, err := scanSubmission(q.QueryRowContext(ctx, `SELECT `+submissionColumns+submissionFrom+` WHERE s.id = $1 AND s.council_id = $2`+scope+lock, args...))
	if err != nil {
		return nil, notFound(err, "Price submission")
	}
	return s, nil
}

// DecideSubmission approves or rejects a submitted price. Rejecting needs a
// reason, and so does approving a price outside the guide band. An approved
// price becomes the location's contracted price from the round's effective
// date. Commissioners and admins.
func (db *DB) DecideSubmission(ctx context.Context, id int64, approve bool, reason string) (*pricing.Submission, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > pricing.MaxReasonLen*4 {
		return nil, caremarket.Invalid(map[string]string{"reason": "The reason must be 4,000 characters or fewer"})
	}
	var out *pricing.Submission
	err := db.updateBy(ctx, canSetPrices, func(tx *Tx) error {
		s, err := db.submission(ctx, tx, tx.actor, id, db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if s.Status != pricing.SubmissionSubmitted {
			return caremarket.Errorf(caremarket.ECONFLICT, "This price has already been %s", s.Status)
		}
		if reason == "" && (!approve || !s.Check.Within) {
			msg := "Give the reason for rejecting the price"
			if approve {
				msg = "Give the reason for approving a price outside the guide band"
			}
			return caremarket.Invalid(map[string]string{"reason": msg})
		}
		before := *s
		s.Status = pricing.SubmissionRejected
		if approve {
			s.Status = pricing.SubmissionApproved
		}
		now := tx.now
		s.DecidedBy, s.DecidedAt, s.DecisionReason = tx.actor.Email, &now, reason
		if _, err := tx.ExecContext(ctx, `UPDATE price_submissions SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4 WHERE id = $5 AND council_id = $6`,
			s.Status, s.DecidedBy, now, reason, id, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: decide submission: %w", err)
		}
		if approve {
			var eff time.Time
			if err := tx.QueryRowContext(ctx, `SELECT effective_from FROM price_rounds WHERE id = $1`, s.RoundID).Scan(scanDay{&eff}); err != nil {
				return fmt.Errorf("storage: round date: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO contracted_prices (council_id, provider_id, location_id, service_type, band, basis, price_pence,
				effective_from, source, submission_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'submission', $9, $10)`,
				tx.actor.CouncilID, s.ProviderID, s.LocationID, string(s.ServiceType), s.Band, string(s.Basis), int64(s.Price), ymd(eff), s.ID, now); err != nil {
				return fmt.Errorf("storage: contracted price: %w", err)
			}
		}
		out = s
		return tx.audit(ctx, "price_submission."+map[bool]string{true: "approve", false: "reject"}[approve], "price_submission", id,
			map[string]string{"status": before.Status}, map[string]string{"status": s.Status, "reason": reason, "price": s.Price.String()})
	})
	return out, err
}

const contractedColumns = `cp.id, cp.provider_id, p.name, cp.location_id, l.name, l.area_id, a.name, c.setting, cp.service_type, cp.band, cp.basis,
	cp.price_pence, cp.effective_from, cp.source, COALESCE(cp.submission_id, 0), COALESCE(cp.uplift_id, 0)`

const contractedFrom = ` FROM contracted_prices cp JOIN providers p ON p.id = cp.provider_id JOIN locations l ON l.id = cp.location_id
	JOIN areas a ON a.id = l.area_id JOIN clusters c ON c.id = a.cluster_id`

func contractedInForce(day string) string {
	return `cp.effective_from <= ` + day + ` AND NOT EXISTS (SELECT 1 FROM contracted_prices h WHERE h.council_id = cp.council_id
		AND h.location_id = cp.location_id AND h.service_type = cp.service_type AND h.band = cp.band AND h.effective_from <= ` + day + `
		AND (h.effective_from > cp.effective_from OR (h.effective_from = cp.effective_from AND h.id > cp.id)))`
}

func scanContracted(row interface{ Scan(...any) error }) (*pricing.ContractedPrice, error) {
	var c pricing.ContractedPrice
	var price int64
	err := row.Scan(&c.ID, &c.ProviderID, &c.ProviderName, &c.LocationID, &c.LocationName, &c.AreaID, &c.AreaName, &c.Setting, &c.ServiceType,
		&c.Band, &c.Basis, &price, scanDay{&c.EffectiveFrom}, &c.Source, &c.SubmissionID, &c.UpliftID)
	c.Price = money.Money(price)
	return &c, err
}

// ContractedPrices lists contracted prices in force on a day (or their
// whole history). A provider user sees only its own.
func (db *DB) ContractedPrices(ctx context.Context, f pricing.ContractedFilter) ([]pricing.ContractedPrice, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if actor.Role == caremarket.RoleProvider {
		f.ProviderID = actor.ProviderID
	}
	return db.contractedPrices(ctx, db.sql, actor.CouncilID, f)
}

func (db *DB) contractedPrices(ctx context.Context, q queryer, council int64, f pricing.ContractedFilter) ([]pricing.ContractedPrice, error) {
	where := []string{"cp.council_id = $1"}
	args := []any{council}
	add := addWhere(&where, &args)
	if !f.History {
		on := f.On
		if on.IsZero() {
			on = db.today()
		}
		args = append(args, ymd(on))
		where = append(where, contractedInForce("$"+strconv.Itoa(len(args))))
	}
	if f.ProviderID != 0 {
		add("cp.provider_id = ?", f.ProviderID)
	}
	if f.LocationID != 0 {
		add("cp.location_id = ?", f.LocationID)
	}
	if f.ServiceType != "" {
		add("cp.service_type = ?", string(f.ServiceType))
	}
	rows, err := q.QueryContext(ctx, `SELECT `+contractedColumns+contractedFrom+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY l.name, cp.location_id, cp.service_type, cp.band, cp.effective_from DESC, cp.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: contracted prices: %w", err)
	}
	return scanAll(rows, "", scanContracted)
}
