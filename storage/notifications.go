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
	"github.com/caremarket/caremarket/notify"
)

// Notifications: the outbox rows a change queues inside its own transaction
// (hooked on its audit record), each person's choices, and the claiming the
// sender does.

// queueFor queues the messages an audited change calls for. It runs inside
// the change's transaction, so a message exists exactly when the change
// committed.
func (tx *Tx) queueFor(ctx context.Context, action string, entityID int64, after any) error {
	switch action {
	case "offer.create":
		return tx.queueOffer(ctx, entityID)
	case "competition.create":
		return tx.queueInvitations(ctx, entityID)
	case "placement.create":
		return tx.queuePlacementAward(ctx, entityID, after)
	}
	return nil
}

func (tx *Tx) queueOffer(ctx context.Context, offerID int64) error {
	var providerID int64
	var service, district string
	err := tx.QueryRowContext(ctx, `SELECT o.provider_id, r.service_type, a.name FROM offers o
		JOIN care_requirements r ON r.id = o.requirement_id JOIN areas a ON a.id = r.area_id
		WHERE o.id = $1 AND o.council_id = $2`, offerID, tx.actor.CouncilID).Scan(&providerID, &service, &district)
	if err != nil {
		return fmt.Errorf("storage: read offer for its notification: %w", err)
	}
	e := notify.Event{Kind: notify.OfferNew, Service: market.ServiceType(service).Label(), District: district, Path: "/offers/" + strconv.FormatInt(offerID, 10)}
	return tx.queueProvider(ctx, providerID, e, "")
}

func (tx *Tx) queueInvitations(ctx context.Context, competitionID int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT ci.provider_id, r.service_type, a.name FROM competition_invites ci
		JOIN competitions c ON c.id = ci.competition_id JOIN care_requirements r ON r.id = c.requirement_id JOIN areas a ON a.id = r.area_id
		WHERE ci.competition_id = $1 AND ci.council_id = $2 ORDER BY ci.provider_id`, competitionID, tx.actor.CouncilID)
	if err != nil {
		return fmt.Errorf("storage: read invitations: %w", err)
	}
	type invite struct {
		provider          int64
		service, district string
	}
	var invites []invite
	for rows.Next() {
		var i invite
		if err := rows.Scan(&i.provider, &i.service, &i.district); err != nil {
			rows.Close()
			return err
		}
		invites = append(invites, i)
	}
	rows.Close()
	for _, i := range invites {
		e := notify.Event{Kind: notify.Invitation, Service: market.ServiceType(i.service).Label(), District: i.district,
			Path: "/competitions/" + strconv.FormatInt(competitionID, 10)}
		if err := tx.queueProvider(ctx, i.provider, e, ""); err != nil {
			return err
		}
	}
	return nil
}

// queuePlacementAward tells the provider its placement. The placement the
// change has just written (the audit record's after) names everything the
// message needs; a placement without its names is read back.
func (tx *Tx) queuePlacementAward(ctx context.Context, placementID int64, after any) error {
	if p, ok := after.(*brokerage.Placement); ok && p.ID == placementID && p.AreaName != "" && p.LocationName != "" {
		return tx.queueAward(ctx, placementID, p.ProviderID, string(p.ServiceType), p.AreaName, p.LocationName)
	}
	var providerID int64
	var service, district, location string
	err := tx.QueryRowContext(ctx, `SELECT p.provider_id, p.service_type, a.name, l.name FROM placements p
		JOIN care_requirements r ON r.id = p.requirement_id JOIN areas a ON a.id = r.area_id JOIN locations l ON l.id = p.location_id
		WHERE p.id = $1 AND p.council_id = $2`, placementID, tx.actor.CouncilID).Scan(&providerID, &service, &district, &location)
	if err != nil {
		return fmt.Errorf("storage: read placement for its notification: %w", err)
	}
	return tx.queueAward(ctx, placementID, providerID, service, district, location)
}

func (tx *Tx) queueAward(ctx context.Context, placementID, providerID int64, service, district, location string) error {
	label := market.ServiceType(service).Label()
	e := notify.Event{Kind: notify.Award, Service: label, District: district,
		What: "A placement (" + label + " in " + district + ") at " + location, Path: "/placements/" + strconv.FormatInt(placementID, 10)}
	return tx.queueProvider(ctx, providerID, e, "")
}

// queueProvider queues e for each of the provider's users who have not
// turned its kind off.
func (tx *Tx) queueProvider(ctx context.Context, providerID int64, e notify.Event, dedupe string) error {
	return tx.queueUsers(ctx, `role = 'provider' AND provider_id = $2`, []any{providerID}, e, dedupe)
}

// queueCouncil queues e for the council's commissioners and admins who
// have not turned its kind off.
func (tx *Tx) queueCouncil(ctx context.Context, e notify.Event, dedupe string) error {
	return tx.queueUsers(ctx, `role IN ('commissioner', 'admin')`, nil, e, dedupe)
}

func (tx *Tx) queueUsers(ctx context.Context, who string, args []any, e notify.Event, dedupe string) error {
	// One statement, however many recipients: a SELECT of them and an
	// INSERT each would be a round trip each. The message's own values
	// follow the council and who's arguments.
	var key any
	if dedupe != "" {
		key = dedupe + ":user:"
	}
	vals := []any{tx.now, string(e.Kind), e.Service, e.District, e.What, e.Path, e.Urgent, key}
	p := paramMarks(len(args)+2, len(vals))
	at := p[0] + tx.db.dialect.timestampParam
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (council_id, user_id, email, kind, service, district, what, path, urgent,
		dedupe_key, status, next_attempt_at, created_at)
		SELECT u.council_id, u.id, u.email, `+strings.Join(p[1:6], ", ")+`, CAST(`+p[6]+` AS BOOLEAN),
		CAST(`+p[7]+` AS TEXT) || CAST(u.id AS TEXT), 'pending', `+at+`, `+at+`
		FROM users u WHERE u.council_id = $1 AND u.disabled_at IS NULL AND `+who+`
		AND NOT EXISTS (SELECT 1 FROM notification_prefs np WHERE np.user_id = u.id AND np.kind = '`+string(e.Kind)+`' AND NOT np.enabled)
		ORDER BY u.id ON CONFLICT DO NOTHING`,
		append(append([]any{tx.actor.CouncilID}, args...), vals...)...); err != nil {
		return fmt.Errorf("storage: queue notification: %w", err)
	}
	return nil
}

// ClaimOutbox claims up to limit due messages for holder for lease; two
// servers never claim the same row while a claim lasts.
func (db *DB) ClaimOutbox(ctx context.Context, holder string, limit int, lease time.Duration) ([]notify.Outgoing, error) {
	now := db.now()
	until := now.Add(lease)
	due := `status = 'pending' AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3)`
	if _, err := db.sql.ExecContext(ctx, `UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE `+due+`
		AND id IN (SELECT id FROM outbox WHERE `+due+` ORDER BY id LIMIT `+strconv.Itoa(limit)+`)`, holder, until, now); err != nil {
		return nil, fmt.Errorf("storage: claim outbox: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, email, kind, service, district, what, path, urgent, attempts FROM outbox
		WHERE claimed_by = $1 AND claimed_until = $2 AND status = 'pending' ORDER BY id`, holder, until)
	if err != nil {
		return nil, fmt.Errorf("storage: read claimed outbox: %w", err)
	}
	return scanAll(rows, "outbox", func(row interface{ Scan(...any) error }) (*notify.Outgoing, error) {
		var o notify.Outgoing
		var kind string
		err := row.Scan(&o.ID, &o.To, &kind, &o.Event.Service, &o.Event.District, &o.Event.What, &o.Event.Path, &o.Event.Urgent, &o.Attempts)
		o.Event.Kind = notify.Kind(kind)
		return &o, err
	})
}

// MarkSent records a delivered message.
func (db *DB) MarkSent(ctx context.Context, id int64) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, claimed_until = NULL, last_error = '' WHERE id = $2`, db.now(), id)
	return err
}

// MarkFailed records a failed attempt: the message is tried again after the
// backoff, or left as failed after the last attempt.
func (db *DB) MarkFailed(ctx context.Context, id int64, attempts int, sendErr error) error {
	status, next := "pending", db.now().Add(notify.Backoff(attempts))
	if attempts >= notify.MaxAttempts {
		status = "failed"
	}
	msg := sendErr.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	_, err := db.sql.ExecContext(ctx, `UPDATE outbox SET status = $1, attempts = $2, next_attempt_at = $3, claimed_until = NULL, last_error = $4 WHERE id = $5`,
		status, attempts, next, msg, id)
	return err
}

// Outbox lists the council's messages, newest first, a page at a time.
// Admins.
func (db *DB) Outbox(ctx context.Context, status string, page market.Page) ([]notify.OutboxEntry, int, error) {
	actor, err := actorRequire(ctx, caremarket.RoleAdmin)
	if err != nil {
		return nil, 0, err
	}
	where, args := "council_id = $1", []any{actor.CouncilID}
	if status != "" {
		where += " AND status = $2"
		args = append(args, status)
	}
	var total int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	p := page.Normalize()
	rows, err := db.sql.QueryContext(ctx, `SELECT id, email, kind, path, status, attempts, last_error, created_at, sent_at FROM outbox
		WHERE `+where+fmt.Sprintf(` ORDER BY id DESC LIMIT %d OFFSET %d`, p.PerPage, (p.Number-1)*p.PerPage), args...)
	if err != nil {
		return nil, 0, err
	}
	out, err := scanAll(rows, "outbox", func(row interface{ Scan(...any) error }) (*notify.OutboxEntry, error) {
		var e notify.OutboxEntry
		var kind string
		var sent sql.NullTime
		err := row.Scan(&e.ID, &e.Email, &kind, &e.Path, &e.Status, &e.Attempts, &e.LastError, &e.CreatedAt, &sent)
		e.Kind = notify.Kind(kind)
		if sent.Valid {
			e.SentAt = &sent.Time
		}
		return &e, err
	})
	return out, total, err
}

// NotificationChoices returns, for the signed-in person, each kind their
// role may receive and whether they receive it (on unless turned off).
func (db *DB) NotificationChoices(ctx context.Context) (map[notify.Kind]bool, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if actor.UserID == 0 {
		return nil, caremarket.Errorf(caremarket.EFORBIDDEN, "Only a person's own account has notification settings")
	}
	out := map[notify.Kind]bool{}
	for _, k := range notify.KindsFor(actor.Role) {
		out[k] = true
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT kind, enabled FROM notification_prefs WHERE user_id = $1`, actor.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var on bool
		if err := rows.Scan(&k, &on); err != nil {
			return nil, err
		}
		if _, mine := out[notify.Kind(k)]; mine {
			out[notify.Kind(k)] = on
		}
	}
	return out, rows.Err()
}

// SetNotificationChoices saves which kinds the signed-in person receives
// (every kind their role may receive: on when listed). Audited.
func (db *DB) SetNotificationChoices(ctx context.Context, on []notify.Kind) error {
	return db.update(ctx, func(tx *Tx) error {
		if tx.actor.UserID == 0 {
			return caremarket.Errorf(caremarket.EFORBIDDEN, "Only a person's own account has notification settings")
		}
		chosen := map[notify.Kind]bool{}
		for _, k := range on {
			if !k.For(tx.actor.Role) {
				return caremarket.Invalid(map[string]string{"kinds": "Choose from the notifications listed"})
			}
			chosen[k] = true
		}
		for _, k := range notify.KindsFor(tx.actor.Role) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notification_prefs (user_id, kind, enabled) VALUES ($1, $2, $3)
				ON CONFLICT (user_id, kind) DO UPDATE SET enabled = excluded.enabled`, tx.actor.UserID, string(k), chosen[k]); err != nil {
				return fmt.Errorf("storage: save notification choice: %w", err)
			}
		}
		return tx.audit(ctx, "user.set_notifications", "user", tx.actor.UserID, nil, on)
	})
}

// idText is a row of an id and a text (a user and their email, an alert
// and its message).
type idText struct {
	id   int64
	text string
}

// idTexts reads every (id, text) row and closes rows.
func idTexts(rows *sql.Rows) ([]idText, error) {
	return scanAll(rows, "", func(row interface{ Scan(...any) error }) (*idText, error) {
		var r idText
		return &r, row.Scan(&r.id, &r.text)
	})
}
