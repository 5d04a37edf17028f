package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market/cqc"
)

// AreaLookup builds CQCImportOptions.AreaFor from the council's areas and a
// table of which district each postcode district is in (the demo ships one
// for Kent). Districts match the council's areas by name or code, ignoring case.
func (db *DB) AreaLookup(ctx context.Context, districtFor func(outcode string) (district string, ok bool)) (func(outcode string) (int64, bool), error) {
	areas, err := db.ListAreas(ctx)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]int64, 2*len(areas))
	for _, a := range areas {
		byName[strings.ToLower(a.Name)] = a.ID
		byName[strings.ToLower(a.Code)] = a.ID
	}
	return func(outcode string) (int64, bool) {
		d, ok := districtFor(strings.ToUpper(strings.TrimSpace(outcode)))
		if !ok {
			return 0, false
		}
		id, ok := byName[strings.ToLower(strings.TrimSpace(d))]
		return id, ok
	}, nil
}

// placeableSQL is the condition (on locations aliased l) that a location may
// take new placements; brokerage queries use it so the rule lives in one
// place. It mirrors cqc.Registration.PlacementBlock.
const placeableSQL = `(l.status = 'registered' AND l.rating <> 'inadequate' AND NOT l.dormant)`

// LocationRegistration returns what CQC says of a location: registered or
// not, dormant, its rating. A provider user sees only its own.
func (db *DB) LocationRegistration(ctx context.Context, locationID int64) (*cqc.Registration, error) {
	s, err := scopeOf(ctx, "", byProvider)
	if err != nil {
		return nil, err
	}
	s.and("id = ?", locationID)
	r := &cqc.Registration{}
	var ratingDate, deregAt sql.NullTime
	var lat, lng sql.NullFloat64
	err = db.sql.QueryRowContext(ctx, `SELECT id, cqc_location_id, status, deregistered_at, dormant, local_authority,
		latitude, longitude, rating, rating_date FROM locations WHERE `+s.where(), s.args...).
		Scan(&r.LocationID, &r.CQCLocationID, &r.Status, &deregAt, &r.Dormant, &r.LocalAuthority, &lat, &lng, &r.Rating, &ratingDate)
	if err != nil {
		return nil, notFound(err, "Location")
	}
	r.RatingDate = dayOf(ratingDate)
	r.DeregisteredAt, r.Latitude, r.Longitude = ptrTime(deregAt), floatOf(lat), floatOf(lng)
	return r, nil
}

// PlacementBlocked reports whether a location may take no new placements and
// why (see cqc.Registration.PlacementBlock). The brokerage cascade asks it.
func (db *DB) PlacementBlocked(ctx context.Context, locationID int64) (bool, string, error) {
	r, err := db.LocationRegistration(ctx, locationID)
	if err != nil {
		return false, "", err
	}
	reason := r.PlacementBlock()
	return reason != "", reason, nil
}

// LocationStatuses says whether each of the given locations (of the
// actor's council; for a provider user, its own) is registered with CQC.
// Locations it may not see are left out.
func (db *DB) LocationStatuses(ctx context.Context, locationIDs []int64) (map[int64]cqc.Status, error) {
	return locationColumn[cqc.Status](ctx, db, locationIDs, "status", "unable to read registration")
}

// firstSeen is the source of the rating a location had when caremarket
// first saw it.
const firstSeen = "first seen"

// RatingHistory lists every rating a location has had since caremarket
// first saw it, newest first; the oldest is the one it had then (source
// "first seen"; ID 0 while it has never changed).
func (db *DB) RatingHistory(ctx context.Context, locationID int64) ([]cqc.RatingChange, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	loc, err := db.location(ctx, db.sql, actor, locationID, "")
	if err != nil {
		return nil, err
	}
	// The location read above applied the provider scope.
	s := scopeFor(actor, "", councilWide).and("location_id = ?", locationID)
	rows, err := db.sql.QueryContext(ctx, `SELECT id, rating, previous_rating, rating_date, recorded_at, source
		FROM location_ratings WHERE `+s.where()+` ORDER BY recorded_at DESC, id DESC`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to read rating history: %w", err)
	}
	defer rows.Close()
	out := []cqc.RatingChange{}
	for rows.Next() {
		c := cqc.RatingChange{LocationID: locationID}
		var d sql.NullTime
		if err := rows.Scan(&c.ID, &c.Rating, &c.Previous, &d, &c.RecordedAt, &c.Source); err != nil {
			return nil, fmt.Errorf("storage: unable to read rating history: %w", err)
		}
		c.RatingDate = dayOf(d)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: unable to read rating history: %w", err)
	}
	if len(out) == 0 {
		out = append(out, cqc.RatingChange{LocationID: locationID, Rating: loc.Rating, RatingDate: loc.RatingDate,
			RecordedAt: loc.CreatedAt, Source: firstSeen})
	}
	return out, nil
}

// canSeeAlerts: the council staff who act on the market's news.
var canSeeAlerts = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner, caremarket.RoleBroker}

// ListAlerts lists the council's market alerts, newest first; openOnly leaves
// out those already acknowledged.
func (db *DB) ListAlerts(ctx context.Context, openOnly bool) ([]cqc.Alert, error) {
	return db.alerts(ctx, func(s *scope) {
		if openOnly {
			s.also("a.acknowledged_at IS NULL")
		}
	})
}

// Alert returns one of the council's market alerts.
func (db *DB) Alert(ctx context.Context, id int64) (*cqc.Alert, error) {
	out, err := db.alerts(ctx, func(s *scope) { s.and("a.id = ?", id) })
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Alert not found")
	}
	return &out[0], nil
}

// alerts lists the council's alerts that narrow leaves (on market_alerts a).
func (db *DB) alerts(ctx context.Context, narrow func(*scope)) ([]cqc.Alert, error) {
	s, err := scopeOf(ctx, "a", councilWide)
	if err != nil {
		return nil, err
	}
	if err := s.actor.Require(canSeeAlerts...); err != nil {
		return nil, err
	}
	narrow(s)
	rows, err := db.sql.QueryContext(ctx, `SELECT a.id, COALESCE(a.location_id, 0), COALESCE(l.name, ''), COALESCE(l.cqc_location_id, ''),
		a.kind, a.message, a.raised_at, a.acknowledged_by, a.acknowledged_at
		FROM market_alerts a LEFT JOIN locations l ON l.id = a.location_id
		WHERE `+s.where()+` ORDER BY a.id DESC LIMIT 500`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to list alerts: %w", err)
	}
	defer rows.Close()
	out := []cqc.Alert{}
	for rows.Next() {
		var a cqc.Alert
		var ack sql.NullTime
		if err := rows.Scan(&a.ID, &a.LocationID, &a.LocationName, &a.CQCLocationID, &a.Kind, &a.Message, &a.RaisedAt, &a.AcknowledgedBy, &ack); err != nil {
			return nil, fmt.Errorf("storage: unable to list alerts: %w", err)
		}
		a.AcknowledgedAt = ptrTime(ack)
		a.RaisedAt = a.RaisedAt.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// AcknowledgeAlert records that a commissioner has seen an alert and is
// acting on it. Admins and commissioners.
func (db *DB) AcknowledgeAlert(ctx context.Context, id int64) error {
	return db.updateBy(ctx, canManageMarket, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE market_alerts SET acknowledged_by = $1, acknowledged_at = $2
			WHERE id = $3 AND council_id = $4 AND acknowledged_at IS NULL`, tx.actor.Email, tx.now, id, tx.actor.CouncilID)
		if err != nil {
			return fmt.Errorf("storage: unable to acknowledge alert: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Alert not found, or already acknowledged")
		}
		return tx.audit(ctx, "alert.acknowledge", "market_alert", id, nil, nil)
	})
}
