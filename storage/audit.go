package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket/audit"
)

// audit appends a record of a change to the chain, inside the change's own
// transaction: if the change rolls back, so does its record.
func (tx *Tx) audit(ctx context.Context, action, entityType string, entityID int64, before, after any) error {
	if tx.db.dialect.lockAudit != "" {
		if _, err := tx.ExecContext(ctx, tx.db.dialect.lockAudit); err != nil {
			return fmt.Errorf("storage: lock audit chain: %w", err)
		}
	}
	r := &audit.Record{
		At: tx.now, CouncilID: tx.actor.CouncilID, UserID: tx.actor.UserID, Actor: tx.actor.Email,
		Role: string(tx.actor.Role), Action: action, EntityType: entityType, EntityID: strconv.FormatInt(entityID, 10),
		Before: audit.Summary(before), After: audit.Summary(after),
	}
	err := tx.QueryRowContext(ctx, `SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&r.ID, &r.PrevHash)
	if errors.Is(err, sql.ErrNoRows) {
		r.ID, r.PrevHash = 0, audit.GenesisHash
	} else if err != nil {
		return fmt.Errorf("storage: read audit chain head: %w", err)
	}
	r.ID++
	r.Hash = audit.ComputeHash(r)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(id, at, council_id, user_id, actor, role, action, entity_type, entity_id, before_summary, after_summary, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		r.ID, r.At, r.CouncilID, nullInt64(r.UserID), r.Actor, r.Role, r.Action, r.EntityType, r.EntityID,
		r.Before, r.After, r.PrevHash, r.Hash); err != nil {
		return fmt.Errorf("storage: append audit record: %w", err)
	}
	// The emails a change calls for are queued with it, in its transaction.
	return tx.queueFor(ctx, action, entityID)
}

const auditColumns = `id, at, council_id, COALESCE(user_id, 0), actor, role, action, entity_type, entity_id, before_summary, after_summary, prev_hash, hash`

func scanAudit(rows *sql.Rows) (*audit.Record, error) {
	var r audit.Record
	err := rows.Scan(&r.ID, &r.At, &r.CouncilID, &r.UserID, &r.Actor, &r.Role, &r.Action, &r.EntityType, &r.EntityID,
		&r.Before, &r.After, &r.PrevHash, &r.Hash)
	return &r, err
}

// SearchAudit lists the council's audit records, newest first. Admins only.
func (db *DB) SearchAudit(ctx context.Context, f audit.Filter) ([]audit.Record, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require("admin"); err != nil {
		return nil, err
	}
	f = f.Normalize()
	var where []string
	args := []any{actor.CouncilID}
	add := addWhere(&where, &args)
	where = append(where, "council_id = $1")
	if f.Query != "" {
		args = append(args, "%"+strings.ToLower(f.Query)+"%")
		n := "$" + strconv.Itoa(len(args))
		where = append(where, "(LOWER(actor) LIKE "+n+" OR LOWER(action) LIKE "+n+" OR LOWER(entity_type) LIKE "+n+" OR entity_id LIKE "+n+")")
	}
	if f.EntityType != "" {
		add("entity_type = ?", f.EntityType)
	}
	if f.EntityID != "" {
		add("entity_id = ?", f.EntityID)
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	args = append(args, f.Limit)
	rows, err := db.sql.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: search audit: %w", err)
	}
	defer rows.Close()
	var out []audit.Record
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: scan audit: %w", err)
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// VerifyAudit walks the whole chain in order and reports the first break.
// It is an operator's command (caremarket audit verify), so it takes no actor.
func (db *DB) VerifyAudit(ctx context.Context) (int, *audit.Break, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY id`)
	if err != nil {
		return 0, nil, fmt.Errorf("storage: read audit log: %w", err)
	}
	defer rows.Close()
	v := audit.NewVerifier()
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return 0, nil, fmt.Errorf("storage: scan audit: %w", err)
		}
		if !v.Add(r) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	n, b := v.Result()
	return n, b, nil
}
