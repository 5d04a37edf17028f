package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

const locationColumns = `l.id, l.council_id, l.provider_id, p.name, l.cqc_location_id, l.name, l.address, l.town, l.postcode,
	l.area_id, a.name, l.registered_beds, l.rating, l.rating_date, l.created_at, l.updated_at`

const locationFrom = ` FROM locations l JOIN providers p ON p.id = l.provider_id JOIN areas a ON a.id = l.area_id`

func scanLocation(row interface{ Scan(...any) error }) (*market.Location, error) {
	var l market.Location
	var ratingDate sql.NullTime
	err := row.Scan(&l.ID, &l.CouncilID, &l.ProviderID, &l.ProviderName, &l.CQCLocationID, &l.Name, &l.Address, &l.Town, &l.Postcode,
		&l.AreaID, &l.AreaName, &l.RegisteredBeds, &l.Rating, &ratingDate, &l.CreatedAt, &l.UpdatedAt)
	l.RatingDate = ptrTime(ratingDate)
	l.ServiceTypes = []market.ServiceType{}
	return &l, err
}

// ListLocations searches the council's locations by name, area, provider,
// service type and rating, ordered by name. A provider user sees only its own.
// Locations no longer registered with CQC are left out unless the filter
// asks for them.
func (db *DB) ListLocations(ctx context.Context, f market.LocationFilter) ([]market.Location, int, error) {
	s, err := scopeOf(ctx, "l", byProvider)
	if err != nil {
		return nil, 0, err
	}
	s.filter("l.provider_id = ?", f.ProviderID)
	if !f.IncludeDeregistered {
		s.also("l.status = 'registered'")
	}
	s.filter("l.area_id = ?", f.AreaID).filter("l.rating = ?", string(f.Rating)).
		filter("EXISTS (SELECT 1 FROM location_services s WHERE s.location_id = l.id AND s.council_id = l.council_id AND s.service_type = ?)", string(f.ServiceType))
	if q := strings.TrimSpace(f.Query); q != "" {
		s.and("(LOWER(l.name) LIKE ? OR LOWER(p.name) LIKE ? OR LOWER(l.postcode) LIKE ? OR LOWER(l.cqc_location_id) LIKE ?)", "%"+strings.ToLower(q)+"%")
	}
	cond := s.where()
	// The count needs the providers join only to match provider names; the
	// joins cost more than the count itself on a large register.
	countFrom := ` FROM locations l`
	if strings.Contains(cond, "p.") {
		countFrom = ` FROM locations l JOIN providers p ON p.id = l.provider_id`
	}
	var total int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*)`+countFrom+` WHERE `+cond, s.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("storage: count locations: %w", err)
	}
	limit := s.page(f.Page)
	rows, err := db.sql.QueryContext(ctx, `SELECT `+locationColumns+locationFrom+` WHERE `+cond+` ORDER BY l.name, l.id`+limit, s.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("storage: list locations: %w", err)
	}
	out, err := scanAll(rows, "location", scanLocation)
	if err != nil {
		return nil, 0, err
	}
	return out, total, db.loadServiceTypes(ctx, s.actor.CouncilID, out)
}

// loadServiceTypes fills the service types of a page of locations in one query.
func (db *DB) loadServiceTypes(ctx context.Context, council int64, locs []market.Location) error {
	if len(locs) == 0 {
		return nil
	}
	index := make(map[int64]int, len(locs))
	args := []any{council}
	marks := make([]string, 0, len(locs))
	for i, l := range locs {
		index[l.ID] = i
		args = append(args, l.ID)
		marks = append(marks, "$"+strconv.Itoa(len(args)))
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT location_id, service_type FROM location_services
		WHERE council_id = $1 AND location_id IN (`+strings.Join(marks, ",")+`) ORDER BY location_id, service_type`, args...)
	if err != nil {
		return fmt.Errorf("storage: load service types: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st market.ServiceType
		if err := rows.Scan(&id, &st); err != nil {
			return err
		}
		locs[index[id]].ServiceTypes = append(locs[index[id]].ServiceTypes, st)
	}
	return rows.Err()
}

// Location returns one location; another council's, or for a provider user
// another provider's, is not found.
func (db *DB) Location(ctx context.Context, id int64) (*market.Location, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	l, err := db.location(ctx, db.sql, actor, id, "")
	if err != nil {
		return nil, err
	}
	locs := []market.Location{*l}
	if err := db.loadServiceTypes(ctx, actor.CouncilID, locs); err != nil {
		return nil, err
	}
	return &locs[0], nil
}

func (db *DB) location(ctx context.Context, q queryer, actor *caremarket.Actor, id int64, lock string) (*market.Location, error) {
	l, err := scanLocation(q.QueryRowContext(ctx, `SELECT `+locationColumns+locationFrom+` WHERE l.id = $1 AND l.council_id = $2`+lock, id, actor.CouncilID))
	if err != nil {
		return nil, notFound(err, "Location")
	}
	if actor.Role == caremarket.RoleProvider && l.ProviderID != actor.ProviderID {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Location not found")
	}
	return l, nil
}

// checkRefs confirms the provider and area belong to the actor's council, so a
// caller cannot attach a location to another council's provider by id.
func (tx *Tx) checkRefs(ctx context.Context, l *market.Location) error {
	err := tx.QueryRowContext(ctx, `SELECT name FROM providers WHERE id = $1 AND council_id = $2`, l.ProviderID, tx.actor.CouncilID).Scan(&l.ProviderName)
	if errors.Is(err, sql.ErrNoRows) {
		return &caremarket.Error{Code: caremarket.EINVALID, Message: "Choose a provider from the list", Fields: map[string]string{"provider_id": "Choose a provider from the list"}}
	} else if err != nil {
		return fmt.Errorf("storage: check provider: %w", err)
	}
	err = tx.QueryRowContext(ctx, `SELECT name FROM areas WHERE id = $1 AND council_id = $2`, l.AreaID, tx.actor.CouncilID).Scan(&l.AreaName)
	if errors.Is(err, sql.ErrNoRows) {
		return &caremarket.Error{Code: caremarket.EINVALID, Message: "Choose a district from the list", Fields: map[string]string{"area_id": "Choose a district from the list"}}
	} else if err != nil {
		return fmt.Errorf("storage: check area: %w", err)
	}
	return nil
}

func (tx *Tx) writeServiceTypes(ctx context.Context, l *market.Location) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM location_services WHERE location_id = $1`, l.ID); err != nil {
		return fmt.Errorf("storage: clear service types: %w", err)
	}
	for _, st := range l.ServiceTypes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO location_services (location_id, council_id, service_type) VALUES ($1, $2, $3)`,
			l.ID, l.CouncilID, string(st)); err != nil {
			return fmt.Errorf("storage: add service type: %w", err)
		}
	}
	return nil
}

func dateOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// CreateLocation adds a registered location. Admins and commissioners.
func (db *DB) CreateLocation(ctx context.Context, l *market.Location) error {
	if err := l.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canManageMarket, func(tx *Tx) error {
		if err := tx.checkRefs(ctx, l); err != nil {
			return err
		}
		l.CouncilID, l.CreatedAt, l.UpdatedAt = tx.actor.CouncilID, tx.now, tx.now
		err := tx.QueryRowContext(ctx, `INSERT INTO locations (council_id, provider_id, cqc_location_id, name, address, town, postcode,
			area_id, registered_beds, rating, rating_date, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			l.CouncilID, l.ProviderID, l.CQCLocationID, l.Name, l.Address, l.Town, l.Postcode,
			l.AreaID, l.RegisteredBeds, string(l.Rating), dateOrNil(l.RatingDate), l.CreatedAt, l.UpdatedAt).Scan(&l.ID)
		if isUniqueViolation(err) {
			return &caremarket.Error{Code: caremarket.ECONFLICT, Message: "A location with CQC location ID " + l.CQCLocationID + " already exists",
				Fields: map[string]string{"cqc_location_id": "A location with this CQC location ID already exists"}}
		} else if err != nil {
			return fmt.Errorf("storage: create location: %w", err)
		}
		if err := tx.writeServiceTypes(ctx, l); err != nil {
			return err
		}
		return tx.audit(ctx, "location.create", "location", l.ID, nil, l)
	})
}

// UpdateLocation changes a location's registration details. Admins and commissioners.
func (db *DB) UpdateLocation(ctx context.Context, l *market.Location) error {
	if err := l.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canManageMarket, func(tx *Tx) error {
		before, err := db.location(ctx, tx, tx.actor, l.ID, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if err := tx.checkRefs(ctx, l); err != nil {
			return err
		}
		l.CouncilID, l.CreatedAt, l.UpdatedAt = before.CouncilID, before.CreatedAt, tx.now
		_, err = tx.ExecContext(ctx, `UPDATE locations SET provider_id = $1, cqc_location_id = $2, name = $3, address = $4, town = $5,
			postcode = $6, area_id = $7, registered_beds = $8, rating = $9, rating_date = $10, updated_at = $11
			WHERE id = $12 AND council_id = $13`,
			l.ProviderID, l.CQCLocationID, l.Name, l.Address, l.Town, l.Postcode, l.AreaID, l.RegisteredBeds,
			string(l.Rating), dateOrNil(l.RatingDate), l.UpdatedAt, l.ID, l.CouncilID)
		if isUniqueViolation(err) {
			return &caremarket.Error{Code: caremarket.ECONFLICT, Message: "Another location has CQC location ID " + l.CQCLocationID,
				Fields: map[string]string{"cqc_location_id": "Another location has this CQC location ID"}}
		} else if err != nil {
			return fmt.Errorf("storage: update location: %w", err)
		}
		if err := tx.writeServiceTypes(ctx, l); err != nil {
			return err
		}
		if err := tx.recordManualRating(ctx, before, l); err != nil {
			return err
		}
		return tx.audit(ctx, "location.update", "location", l.ID, before, l)
	})
}

// Vacancies lists a location's vacancies per service type.
func (db *DB) Vacancies(ctx context.Context, locationID int64) ([]market.Vacancy, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := db.location(ctx, db.sql, actor, locationID, ""); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT location_id, service_type, vacancies, spare_minutes, updated_at, updated_by FROM vacancies
		WHERE location_id = $1 AND council_id = $2 ORDER BY service_type`, locationID, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list vacancies: %w", err)
	}
	return scanAll(rows, "", scanVacancy)
}

// canUpdateVacancies: the provider itself, and council staff who take
// vacancy news by phone.
var canUpdateVacancies = []caremarket.Role{caremarket.RoleProvider, caremarket.RoleBroker, caremarket.RoleCommissioner, caremarket.RoleAdmin}

// SetVacancy records how many places a location has free for a service type
// it offers (or, for hourly care, its spare hours a week), stamped with the
// time and who said so.
func (db *DB) SetVacancy(ctx context.Context, v *market.Vacancy) error {
	if err := v.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canUpdateVacancies, func(tx *Tx) error {
		if _, err := db.location(ctx, tx, tx.actor, v.LocationID, tx.db.dialect.forUpdate); err != nil {
			return err
		}
		var offers int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM location_services WHERE location_id = $1 AND service_type = $2`,
			v.LocationID, string(v.ServiceType)).Scan(&offers); err != nil {
			return fmt.Errorf("storage: check service type: %w", err)
		} else if offers == 0 {
			return &caremarket.Error{Code: caremarket.EINVALID, Message: "This location is not registered for " + v.ServiceType.Label(),
				Fields: map[string]string{"service_type": "Choose a service type this location offers"}}
		}
		var before *market.Vacancy
		var old market.Vacancy
		var spare sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT location_id, service_type, vacancies, spare_minutes, updated_at, updated_by FROM vacancies
			WHERE location_id = $1 AND service_type = $2`, v.LocationID, string(v.ServiceType)).
			Scan(&old.LocationID, &old.ServiceType, &old.Vacancies, &spare, &old.UpdatedAt, &old.UpdatedBy)
		if err == nil {
			old.SpareMinutes = spareOf(spare)
			before = &old
		} else if err != sql.ErrNoRows {
			return fmt.Errorf("storage: read vacancy: %w", err)
		}
		v.UpdatedAt, v.UpdatedBy = tx.now, tx.actor.Email
		if _, err := tx.ExecContext(ctx, `INSERT INTO vacancies (location_id, council_id, service_type, vacancies, spare_minutes, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (location_id, service_type) DO UPDATE SET vacancies = excluded.vacancies, spare_minutes = excluded.spare_minutes,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			v.LocationID, tx.actor.CouncilID, string(v.ServiceType), v.Vacancies, nullInt(v.SpareMinutes), v.UpdatedAt, v.UpdatedBy); err != nil {
			return fmt.Errorf("storage: set vacancy: %w", err)
		}
		return tx.audit(ctx, "vacancy.set", "location", v.LocationID, before, v)
	})
}
