package storage

import (
	"database/sql"

	"github.com/caremarket/caremarket/market"
)

// Home care kept in hours: vacancies.spare_minutes is a branch's spare
// hours a week for an hourly service, in minutes (NULL: the row counts
// places, as vacancies). See market.Vacancy.

// nullInt is p as a nullable column value (nil: NULL).
func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// spareOf is a scanned spare_minutes as the figure (nil: none).
func spareOf(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

// scanVacancy scans a vacancy figure read as location_id, service_type,
// vacancies, spare_minutes, updated_at, updated_by.
func scanVacancy(row interface{ Scan(...any) error }) (*market.Vacancy, error) {
	var v market.Vacancy
	var spare sql.NullInt64
	if err := row.Scan(&v.LocationID, &v.ServiceType, &v.Vacancies, &spare, &v.UpdatedAt, &v.UpdatedBy); err != nil {
		return nil, err
	}
	v.SpareMinutes = spareOf(spare)
	return &v, nil
}
