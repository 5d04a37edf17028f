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

// audit appends a record of a change to its council's chain, inside the
// change's own transaction: if the change rolls back, so does its record.
// Each council has its own chain and head (audit_heads): the head row is
// locked until commit (SQLite: the write lock; PostgreSQL: FOR UPDATE), so
// one council's records follow each other, and councils do not wait for
// each other. Two statements: read (and lock) the head with the next
// record number, and insert; a trigger moves the head.
func (tx *Tx) audit(ctx context.Context, action, entityType string, entityID int64, before, after any) error {
	r := &audit.Record{
		At: tx.now, CouncilID: tx.actor.CouncilID, UserID: tx.actor.UserID, Actor: tx.actor.Email,
		Role: string(tx.actor.Role), Action: action, EntityType: entityType, EntityID: strconv.FormatInt(entityID, 10),
		Before: audit.Summary(before), After: audit.Summary(after), Chained: true, Chain: tx.actor.CouncilID, RequestID: tx.requestID,
	}
	err := tx.QueryRowContext(ctx, tx.db.dialect.auditHead, r.Chain).Scan(&r.PrevHash, &r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		// The council's first record: its chain starts from the shared
		// chain's last record (or the genesis).
		if err := tx.startChain(ctx, r.Chain); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, tx.db.dialect.auditHead, r.Chain).Scan(&r.PrevHash, &r.ID)
	}
	if err != nil {
		return fmt.Errorf("storage: read audit chain head: %w", err)
	}
	r.Hash = audit.ComputeHash(r)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(id, at, council_id, user_id, actor, role, action, entity_type, entity_id, before_summary, after_summary, prev_hash, hash, chain, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, r.At, r.CouncilID, nullInt64(r.UserID), r.Actor, r.Role, r.Action, r.EntityType, r.EntityID,
		r.Before, r.After, r.PrevHash, r.Hash, r.Chain, r.RequestID); err != nil {
		return fmt.Errorf("storage: append audit record: %w", err)
	}
	// The emails a change calls for are queued with it, in its transaction.
	return tx.queueFor(ctx, action, entityID, after)
}

// startChain creates a council's chain head, at the shared chain's last
// record. Two first records at once: the second insert does nothing (on
// PostgreSQL it waits for the first to commit), and both then lock the one
// head.
func (tx *Tx) startChain(ctx context.Context, council int64) error {
	tail := audit.GenesisHash
	err := tx.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE chain IS NULL ORDER BY id DESC LIMIT 1`).Scan(&tail)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("storage: read the shared audit chain: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_heads (council_id, last_id, hash) VALUES ($1, 0, $2) ON CONFLICT (council_id) DO NOTHING`,
		council, tail); err != nil {
		return fmt.Errorf("storage: start audit chain: %w", err)
	}
	return nil
}

const auditColumns = `id, at, council_id, COALESCE(user_id, 0), actor, role, action, entity_type, entity_id, before_summary, after_summary, prev_hash, hash, chain, request_id`

func scanAudit(rows *sql.Rows) (*audit.Record, error) {
	var r audit.Record
	var chain sql.NullInt64
	err := rows.Scan(&r.ID, &r.At, &r.CouncilID, &r.UserID, &r.Actor, &r.Role, &r.Action, &r.EntityType, &r.EntityID,
		&r.Before, &r.After, &r.PrevHash, &r.Hash, &chain, &r.RequestID)
	r.Chained, r.Chain = chain.Valid, chain.Int64
	return &r, err
}

// SearchAudit lists the council's audit records, newest first. Admins only.
func (db *DB) SearchAudit(ctx context.Context, f audit.Filter) ([]audit.Record, error) {
	actor, err := actorRequire(ctx, "admin")
	if err != nil {
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

// VerifyAudit walks the whole log in order and reports the first break:
// the shared chain of the records written before chains per council, then
// each council's chain, each ending at its head. It is an operator's
// command (caremarket audit verify), so it takes no actor.
func (db *DB) VerifyAudit(ctx context.Context) (int, *audit.Break, error) {
	n, _, b, err := db.VerifyAuditChains(ctx)
	return n, b, err
}

// VerifyAuditChains is VerifyAudit that also counts the chains checked.
func (db *DB) VerifyAuditChains(ctx context.Context) (int, int, *audit.Break, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY id`)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("storage: read audit log: %w", err)
	}
	defer rows.Close()
	v := audit.NewChainVerifier()
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("storage: scan audit: %w", err)
		}
		if !v.Add(r) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, nil, err
	}
	rows.Close()
	heads, err := db.sql.QueryContext(ctx, `SELECT council_id, last_id, hash FROM audit_heads ORDER BY council_id`)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("storage: read audit heads: %w", err)
	}
	defer heads.Close()
	for heads.Next() {
		var council, last int64
		var hash string
		if err := heads.Scan(&council, &last, &hash); err != nil {
			return 0, 0, nil, err
		}
		if !v.Head(council, last, hash) {
			break
		}
	}
	if err := heads.Err(); err != nil {
		return 0, 0, nil, err
	}
	n, chains, b := v.Result()
	return n, chains, b, nil
}
