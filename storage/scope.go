package storage

import (
	"context"
	"reflect"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// scope is the WHERE clause of a read, built from the tenant scope up. Every
// read of a council-owned table starts from one (scopeOf or scopeFor), so the
// condition that keeps one council's data from another, and one provider's
// from another, is written once:
//
//	q, err := scopeOf(ctx, "c", byProvider)       // c.council_id = $1 [AND c.provider_id = $2]
//	q.filter("c.agreement_id = ?", f.AgreementID) // only when set
//	rows, err := db.sql.QueryContext(ctx, `SELECT … FROM contracts c WHERE `+q.where()+` ORDER BY …`, q.args...)
//
// A row outside the scope is simply not there: a read of one row that finds
// nothing is "not found" (404), never "forbidden".
type scope struct {
	actor *caremarket.Actor
	conds []string
	args  []any
}

// Whether a table's rows belong to a provider as well as to a council.
const (
	byProvider  = true  // the table has provider_id: a provider user sees only its own rows
	councilWide = false // no provider_id (agreements, windows, alerts): the council's rows
)

// scopeOf starts the scope of a read of table (or alias) t for the actor of
// ctx: t.council_id is the actor's council and, when owned is byProvider and
// the actor is a provider user, t.provider_id is its provider. Nobody signed
// in is EUNAUTHORIZED.
func scopeOf(ctx context.Context, t string, owned bool) (*scope, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return scopeFor(actor, t, owned), nil
}

// scopeFor is scopeOf for an actor in hand (a transaction's, tx.actor).
func scopeFor(actor *caremarket.Actor, t string, owned bool) *scope {
	q := &scope{actor: actor}
	q.and(column(t, "council_id")+" = ?", actor.CouncilID)
	if owned && q.provider() {
		q.and(column(t, "provider_id")+" = ?", actor.ProviderID)
	}
	return q
}

func column(t, c string) string {
	if t == "" {
		return c
	}
	return t + "." + c
}

// provider reports whether the read is a provider user's.
func (q *scope) provider() bool { return q.actor.Role == caremarket.RoleProvider }

// staffNeed lets a provider user's read through (it is narrowed to its own
// rows) and requires one of roles of anyone else.
func (q *scope) staffNeed(roles ...caremarket.Role) error {
	if q.provider() {
		return nil
	}
	return q.actor.Require(roles...)
}

// and adds a condition; its "?" is v, numbered after the arguments so far.
func (q *scope) and(cond string, v any) *scope {
	q.args = append(q.args, v)
	q.conds = append(q.conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(q.args))))
	return q
}

// filter adds a condition only when v is set (not its type's zero value):
// the optional filters of a List method.
func (q *scope) filter(cond string, v any) *scope {
	if v == nil || reflect.ValueOf(v).IsZero() {
		return q
	}
	return q.and(cond, v)
}

// also adds a condition that takes no argument.
func (q *scope) also(cond string) *scope {
	q.conds = append(q.conds, cond)
	return q
}

// in adds "col IN ($n, ...)" for ids, which must not be empty.
func (q *scope) in(col string, ids []int64) *scope { return scopeIn(q, col, ids) }

// scopeIn is scope.in for values of any type (CQC location ids).
func scopeIn[T any](q *scope, col string, vals []T) *scope {
	marks := make([]string, len(vals))
	for i, v := range vals {
		q.args = append(q.args, v)
		marks[i] = "$" + strconv.Itoa(len(q.args))
	}
	q.conds = append(q.conds, col+" IN ("+strings.Join(marks, ", ")+")")
	return q
}

// page adds a page's LIMIT and OFFSET as the last arguments and returns
// the clause to end the query with. Call it in a statement of its own, after
// any count made with q.args, and before passing q.args: Go does not order
// the reading of q.args against a call in the same expression.
func (q *scope) page(p market.Page) string {
	p = p.Normalize()
	q.args = append(q.args, p.PerPage, p.Offset())
	return " LIMIT $" + strconv.Itoa(len(q.args)-1) + " OFFSET $" + strconv.Itoa(len(q.args))
}

// where is the conditions joined by AND; q.args are their arguments.
func (q *scope) where() string { return strings.Join(q.conds, " AND ") }
