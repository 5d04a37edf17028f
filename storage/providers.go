package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// canManageMarket are the roles that add and change providers and locations.
var canManageMarket = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner}

const providerColumns = `p.id, p.council_id, p.name, p.companies_house_number, p.cqc_provider_id, p.created_at, p.updated_at,
	(SELECT COUNT(*) FROM locations l WHERE l.provider_id = p.id)`

func scanProvider(row interface{ Scan(...any) error }) (*market.Provider, error) {
	var p market.Provider
	err := row.Scan(&p.ID, &p.CouncilID, &p.Name, &p.CompaniesHouseNumber, &p.CQCProviderID, &p.CreatedAt, &p.UpdatedAt, &p.Locations)
	return &p, err
}

// ListProviders lists the council's providers, by name. A provider user sees
// only its own provider.
func (db *DB) ListProviders(ctx context.Context, f market.ProviderFilter) ([]market.Provider, int, error) {
	s, err := scopeOf(ctx, "p", councilWide)
	if err != nil {
		return nil, 0, err
	}
	if s.provider() {
		s.and("p.id = ?", s.actor.ProviderID) // a provider's own record
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		s.and("(LOWER(p.name) LIKE ? OR LOWER(p.cqc_provider_id) LIKE ?)", "%"+strings.ToLower(q)+"%")
	}
	var total int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM providers p WHERE `+s.where(), s.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("storage: count providers: %w", err)
	}
	limit := s.page(f.Page)
	rows, err := db.sql.QueryContext(ctx, `SELECT `+providerColumns+` FROM providers p WHERE `+s.where()+` ORDER BY p.name, p.id`+limit, s.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("storage: list providers: %w", err)
	}
	out, err := scanAll(rows, "provider", scanProvider)
	return out, total, err
}

// providerName is the name of the council's provider id; another
// council's, or none, is not found.
func providerName(ctx context.Context, q queryer, council, id int64) (string, error) {
	var name string
	if err := q.QueryRowContext(ctx, `SELECT name FROM providers WHERE id = $1 AND council_id = $2`, id, council).Scan(&name); err != nil {
		return "", notFound(err, "Provider")
	}
	return name, nil
}

// Provider returns one provider; another council's, or for a provider user
// another provider, is not found.
func (db *DB) Provider(ctx context.Context, id int64) (*market.Provider, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if actor.Role == caremarket.RoleProvider && actor.ProviderID != id {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Provider not found")
	}
	p, err := scanProvider(db.sql.QueryRowContext(ctx, `SELECT `+providerColumns+` FROM providers p WHERE p.id = $1 AND p.council_id = $2`, id, actor.CouncilID))
	if err != nil {
		return nil, notFound(err, "Provider")
	}
	return p, nil
}

// CreateProvider adds a provider. Admins and commissioners.
func (db *DB) CreateProvider(ctx context.Context, p *market.Provider) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canManageMarket, func(tx *Tx) error {
		p.CouncilID, p.CreatedAt, p.UpdatedAt = tx.actor.CouncilID, tx.now, tx.now
		err := tx.QueryRowContext(ctx, `INSERT INTO providers (council_id, name, companies_house_number, cqc_provider_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			p.CouncilID, p.Name, p.CompaniesHouseNumber, p.CQCProviderID, p.CreatedAt, p.UpdatedAt).Scan(&p.ID)
		if isUniqueViolation(err) {
			return &caremarket.Error{Code: caremarket.ECONFLICT, Message: "A provider with CQC provider ID " + p.CQCProviderID + " already exists",
				Fields: map[string]string{"cqc_provider_id": "A provider with this CQC provider ID already exists"}}
		} else if err != nil {
			return fmt.Errorf("storage: create provider: %w", err)
		}
		return tx.audit(ctx, "provider.create", "provider", p.ID, nil, p)
	})
}

// UpdateProvider changes a provider's details. Admins and commissioners.
func (db *DB) UpdateProvider(ctx context.Context, p *market.Provider) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canManageMarket, func(tx *Tx) error {
		before, err := scanProvider(tx.QueryRowContext(ctx, `SELECT `+providerColumns+` FROM providers p WHERE p.id = $1 AND p.council_id = $2`+tx.db.dialect.forUpdate,
			p.ID, tx.actor.CouncilID))
		if err != nil {
			return notFound(err, "Provider")
		}
		p.CouncilID, p.CreatedAt, p.UpdatedAt, p.Locations = before.CouncilID, before.CreatedAt, tx.now, before.Locations
		_, err = tx.ExecContext(ctx, `UPDATE providers SET name = $1, companies_house_number = $2, cqc_provider_id = $3, updated_at = $4
			WHERE id = $5 AND council_id = $6`, p.Name, p.CompaniesHouseNumber, p.CQCProviderID, p.UpdatedAt, p.ID, p.CouncilID)
		if isUniqueViolation(err) {
			return &caremarket.Error{Code: caremarket.ECONFLICT, Message: "Another provider has CQC provider ID " + p.CQCProviderID,
				Fields: map[string]string{"cqc_provider_id": "Another provider has this CQC provider ID"}}
		} else if err != nil {
			return fmt.Errorf("storage: update provider: %w", err)
		}
		return tx.audit(ctx, "provider.update", "provider", p.ID, before, p)
	})
}
