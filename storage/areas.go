package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// CreateCluster adds a cluster of districts. Admins only.
func (db *DB) CreateCluster(ctx context.Context, c *market.Cluster) error {
	c.Name = strings.TrimSpace(c.Name)
	f := map[string]string{}
	if c.Name == "" || len(c.Name) > market.MaxNameLen {
		f["name"] = "Enter the cluster's name (200 characters or fewer)"
	}
	if c.Setting != market.Urban && c.Setting != market.Rural {
		f["setting"] = "Choose whether the cluster is urban or rural"
	}
	if err := caremarket.Invalid(f); err != nil {
		return err
	}
	return db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		c.CouncilID = tx.actor.CouncilID
		err := tx.QueryRowContext(ctx, `INSERT INTO clusters (council_id, name, setting) VALUES ($1, $2, $3) RETURNING id`,
			c.CouncilID, c.Name, c.Setting).Scan(&c.ID)
		if isUniqueViolation(err) {
			return caremarket.Errorf(caremarket.ECONFLICT, "A cluster called %q already exists", c.Name)
		} else if err != nil {
			return fmt.Errorf("storage: create cluster: %w", err)
		}
		return tx.audit(ctx, "cluster.create", "cluster", c.ID, nil, c)
	})
}

// CreateArea adds a district to a cluster. Admins only.
func (db *DB) CreateArea(ctx context.Context, a *market.Area) error {
	a.Name = strings.TrimSpace(a.Name)
	a.Code = strings.TrimSpace(a.Code)
	f := map[string]string{}
	if a.Name == "" || len(a.Name) > market.MaxNameLen {
		f["name"] = "Enter the district's name (200 characters or fewer)"
	}
	if a.Code == "" || len(a.Code) > 20 {
		f["code"] = "Enter the district's code (20 characters or fewer), like E07000114"
	}
	if a.Cluster.ID <= 0 {
		f["cluster_id"] = "Choose the cluster the district belongs to"
	}
	if err := caremarket.Invalid(f); err != nil {
		return err
	}
	return db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		a.CouncilID = tx.actor.CouncilID
		if err := tx.QueryRowContext(ctx, `SELECT name, setting FROM clusters WHERE id = $1 AND council_id = $2`,
			a.Cluster.ID, a.CouncilID).Scan(&a.Cluster.Name, &a.Cluster.Setting); err != nil {
			return notFound(err, "Cluster")
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO areas (council_id, cluster_id, code, name) VALUES ($1, $2, $3, $4) RETURNING id`,
			a.CouncilID, a.Cluster.ID, a.Code, a.Name).Scan(&a.ID)
		if isUniqueViolation(err) {
			return caremarket.Errorf(caremarket.ECONFLICT, "A district with that name or code already exists")
		} else if err != nil {
			return fmt.Errorf("storage: create area: %w", err)
		}
		return tx.audit(ctx, "area.create", "area", a.ID, nil, a)
	})
}

// SetNeighbours records that area borders each of neighbours (and they it):
// borders are symmetric, so both directions are stored. Admins only.
func (db *DB) SetNeighbours(ctx context.Context, areaID int64, neighbours []int64) error {
	return db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		council := tx.actor.CouncilID
		for _, id := range append([]int64{areaID}, neighbours...) {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM areas WHERE id = $1 AND council_id = $2`, id, council).Scan(&n); err != nil {
				return fmt.Errorf("storage: check area: %w", err)
			} else if n == 0 {
				return caremarket.Errorf(caremarket.ENOTFOUND, "District %d not found", id)
			}
		}
		for _, n := range neighbours {
			if n == areaID {
				return caremarket.Errorf(caremarket.EINVALID, "A district cannot border itself")
			}
			for _, pair := range [][2]int64{{areaID, n}, {n, areaID}} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO area_borders (council_id, area_id, neighbour_id) VALUES ($1, $2, $3)
					ON CONFLICT DO NOTHING`, council, pair[0], pair[1]); err != nil {
					return fmt.Errorf("storage: add border: %w", err)
				}
			}
		}
		return tx.audit(ctx, "area.set_neighbours", "area", areaID, nil, map[string]any{"neighbours": neighbours})
	})
}

// ListClusters lists the council's clusters.
func (db *DB) ListClusters(ctx context.Context) ([]market.Cluster, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, council_id, name, setting FROM clusters WHERE council_id = $1 ORDER BY name`, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list clusters: %w", err)
	}
	return scanAll(rows, "", func(row interface{ Scan(...any) error }) (*market.Cluster, error) {
		var c market.Cluster
		return &c, row.Scan(&c.ID, &c.CouncilID, &c.Name, &c.Setting)
	})
}

// ListAreas lists the council's districts with their clusters, neighbours and
// how many locations each has. Areas are public knowledge: every role sees them.
func (db *DB) ListAreas(ctx context.Context) ([]market.Area, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.areas(ctx, actor.CouncilID, 0)
}

// Area returns one district.
func (db *DB) Area(ctx context.Context, id int64) (*market.Area, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	areas, err := db.areas(ctx, actor.CouncilID, id)
	if err != nil {
		return nil, err
	}
	if len(areas) == 0 {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "District not found")
	}
	return &areas[0], nil
}

func (db *DB) areas(ctx context.Context, council, only int64) ([]market.Area, error) {
	rows, err := db.sql.QueryContext(ctx, `
		SELECT a.id, a.council_id, a.code, a.name, c.id, c.name, c.setting,
			(SELECT COUNT(*) FROM locations l WHERE l.area_id = a.id)
		FROM areas a JOIN clusters c ON c.id = a.cluster_id
		WHERE a.council_id = $1 AND ($2 = 0 OR a.id = $2)
		ORDER BY a.name`, council, only)
	if err != nil {
		return nil, fmt.Errorf("storage: list areas: %w", err)
	}
	defer rows.Close()
	out := []market.Area{}
	index := map[int64]int{}
	for rows.Next() {
		var a market.Area
		if err := rows.Scan(&a.ID, &a.CouncilID, &a.Code, &a.Name, &a.Cluster.ID, &a.Cluster.Name, &a.Cluster.Setting, &a.Locations); err != nil {
			return nil, err
		}
		a.Cluster.CouncilID = a.CouncilID
		a.Neighbours = []market.AreaRef{}
		index[a.ID] = len(out)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	nrows, err := db.sql.QueryContext(ctx, `
		SELECT b.area_id, n.id, n.code, n.name FROM area_borders b JOIN areas n ON n.id = b.neighbour_id
		WHERE b.council_id = $1 AND ($2 = 0 OR b.area_id = $2) ORDER BY n.name`, council, only)
	if err != nil {
		return nil, fmt.Errorf("storage: list borders: %w", err)
	}
	defer nrows.Close()
	for nrows.Next() {
		var areaID int64
		var n market.AreaRef
		if err := nrows.Scan(&areaID, &n.ID, &n.Code, &n.Name); err != nil {
			return nil, err
		}
		if i, ok := index[areaID]; ok {
			out[i].Neighbours = append(out[i].Neighbours, n)
		}
	}
	return out, nrows.Err()
}
