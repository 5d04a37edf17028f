package storage

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

var slugRe = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// CreateCouncil adds a council (a tenant). It is an operator's action (CLI or
// demo loader), recorded in the new council's audit log as "system".
func (db *DB) CreateCouncil(ctx context.Context, c *market.Council) error {
	c.Slug = strings.TrimSpace(c.Slug)
	c.Name = strings.TrimSpace(c.Name)
	f := map[string]string{}
	if !slugRe.MatchString(c.Slug) {
		f["slug"] = "Slug must be 2 to 40 lower-case letters, digits or hyphens, starting with a letter"
	}
	if c.Name == "" || len(c.Name) > 200 {
		f["name"] = "Enter the council's name (200 characters or fewer)"
	}
	if err := caremarket.Invalid(f); err != nil {
		return err
	}
	c.CreatedAt = db.now()
	sys := caremarket.SystemActor(0, c.Slug)
	return db.updateAs(ctx, sys, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO councils (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id`,
			c.Slug, c.Name, c.CreatedAt).Scan(&c.ID)
		if isUniqueViolation(err) {
			return caremarket.Errorf(caremarket.ECONFLICT, "A council with slug %q already exists", c.Slug)
		} else if err != nil {
			return fmt.Errorf("storage: create council: %w", err)
		}
		sys.CouncilID = c.ID
		return tx.audit(ctx, "council.create", "council", c.ID, nil, c)
	})
}

// CouncilBySlug finds a council. Any caller may look one up by slug (the
// sign-in and CLI need it); it reveals only the name.
func (db *DB) CouncilBySlug(ctx context.Context, slug string) (*market.Council, error) {
	var c market.Council
	err := db.sql.QueryRowContext(ctx, `SELECT id, slug, name, created_at FROM councils WHERE slug = $1`, slug).
		Scan(&c.ID, &c.Slug, &c.Name, &c.CreatedAt)
	if err != nil {
		return nil, notFound(err, "Council "+slug)
	}
	return &c, nil
}

// ListCouncils lists every council, for operators.
func (db *DB) ListCouncils(ctx context.Context) ([]market.Council, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, slug, name, created_at FROM councils ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("storage: list councils: %w", err)
	}
	defer rows.Close()
	var out []market.Council
	for rows.Next() {
		var c market.Council
		if err := rows.Scan(&c.ID, &c.Slug, &c.Name, &c.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
