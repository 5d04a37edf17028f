// Package audit is the council's tamper-evident record of every change: who
// (user, role, council) did what (action) to which entity, with a summary of
// the entity before and after. Each record carries the hash of the one before
// it, so editing or deleting a row breaks the chain and Verify finds it.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Record is one entry of the audit log.
type Record struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	CouncilID  int64     `json:"council_id"`
	UserID     int64     `json:"user_id,omitempty"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role"`
	Action     string    `json:"action"`
	EntityType string    `json:"entity_type"`
	EntityID   string    `json:"entity_id"`
	Before     string    `json:"before,omitempty"` // JSON summary, empty for a creation
	After      string    `json:"after,omitempty"`  // JSON summary, empty for a deletion
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
	// Chain is the chain the record is on: its council's (Chained, Chain =
	// CouncilID), or the one shared chain every council wrote to before
	// chains per council (not Chained).
	// RequestID is the HTTP request that made the change (its
	// X-Request-Id), empty for the command line and for records written
	// before it was kept.
	RequestID string `json:"request_id,omitempty"`
	Chained   bool   `json:"-"`
	Chain     int64  `json:"-"`
}

// GenesisHash is the PrevHash of the first record.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the hash that seals r onto the chain: SHA-256 over every
// field but Hash itself, each length-prefixed so no two records collide by
// shifting text between fields.
func ComputeHash(r *Record) string {
	h := sha256.New()
	for _, f := range []string{
		strconv.FormatInt(r.ID, 10),
		r.At.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(r.CouncilID, 10),
		strconv.FormatInt(r.UserID, 10),
		r.Actor, r.Role, r.Action, r.EntityType, r.EntityID, r.Before, r.After, r.PrevHash,
	} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	// Hashed only when there is one, so records written before request ids
	// were kept verify as they always did.
	if r.RequestID != "" {
		h.Write([]byte("request:" + strconv.Itoa(len(r.RequestID)) + ":" + r.RequestID))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Summary renders v as the compact JSON kept in Before and After; nil gives "".
func Summary(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return `{"error":"unrepresentable"}`
	}
	return string(b)
}

// Break is the first place the chain does not hold.
type Break struct {
	ID     int64
	Reason string
}

// Verifier checks records one by one, in ID order.
type Verifier struct {
	prev    string
	checked int
	broken  *Break
}

// NewVerifier starts a check at the genesis.
func NewVerifier() *Verifier { return &Verifier{prev: GenesisHash} }

// Add checks the next record and reports false at the first break.
func (v *Verifier) Add(r *Record) bool {
	if v.broken != nil {
		return false
	}
	v.checked++
	switch {
	case r.PrevHash != v.prev:
		v.broken = &Break{ID: r.ID, Reason: "does not follow the record before it (a record was removed or reordered)"}
	case ComputeHash(r) != r.Hash:
		v.broken = &Break{ID: r.ID, Reason: "its content does not match its hash (the record was edited)"}
	}
	v.prev = r.Hash
	return v.broken == nil
}

// Result returns how many records were checked and the first break, if any.
func (v *Verifier) Result() (int, *Break) { return v.checked, v.broken }

// Filter narrows an audit search.
type Filter struct {
	Query      string // matches actor, action, entity type or id
	EntityType string
	EntityID   string
	Limit      int
	BeforeID   int64 // page backwards from this id (exclusive)
}

// Normalize clamps the filter.
func (f Filter) Normalize() Filter {
	f.Query = strings.TrimSpace(f.Query)
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return f
}

// Store is what storage provides to read the log. Writing happens inside each
// change's own transaction, in storage.
type Store interface {
	SearchAudit(ctx context.Context, f Filter) ([]Record, error)
	// VerifyAudit walks the whole chain (every council) in order.
	VerifyAudit(ctx context.Context) (checked int, broken *Break, err error)
}
