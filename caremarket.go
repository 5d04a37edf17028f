// Package caremarket holds what every part of the product shares: the
// application error type, the roles people hold and the Actor that every
// request carries. Business rules live in the domain packages (market,
// procurement, pricing, brokerage and the like); storage and HTTP sit at the edges.
package caremarket

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Application error codes. The HTTP layer maps each to a status in one place
// (server/errors.go); nothing else decides a status.
const (
	EINVALID      = "invalid"      // the caller sent something we cannot accept
	ENOTFOUND     = "not_found"    // missing, or not the caller's to see
	ECONFLICT     = "conflict"     // the request clashes with the current state
	EUNAUTHORIZED = "unauthorized" // nobody is signed in
	EFORBIDDEN    = "forbidden"    // signed in, but the role may not do this
	ERATELIMITED  = "rate_limited" // too many attempts; try later
	EUNAVAILABLE  = "unavailable"  // the database cannot be reached or is full; try later
	EINTERNAL     = "internal"     // our fault; details go to the log, not the caller
)

// Codes for a request body the service will not read at all.
const (
	ETOOLARGE  = "too_large"              // larger than the service accepts
	EMEDIATYPE = "unsupported_media_type" // not in a format the endpoint accepts
)

// Error is an application error: a code, a message a person understands and,
// for invalid input, the message for each field that was wrong.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	return fmt.Sprintf("caremarket error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an application error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error carrying one message per bad field.
// It returns nil when fields is empty, so validators can end with
// `return caremarket.Invalid(fields)`.
func Invalid(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	msg := "There is a problem with the details you entered"
	if len(fields) == 1 {
		for _, m := range fields {
			msg = m
		}
	}
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}

// ErrorCode returns the code of an application error, or EINTERNAL for
// anything else (which the caller must not see the text of).
func ErrorCode(err error) string {
	if err == nil {
		return ""
	} else if e := AsError(err); e != nil {
		return e.Code
	}
	return EINTERNAL
}

// invalidInput is an error of a package below this one that cannot import it
// (money) saying the input was wrong; its text is for a person.
type invalidInput interface {
	error
	InvalidInput()
}

// AsError returns the application error err is or wraps, nil if none. An
// invalid-input error of a leaf package (money.Error) becomes EINVALID.
func AsError(err error) *Error {
	var e *Error
	var in invalidInput
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &in):
		return &Error{Code: EINVALID, Message: in.Error()}
	}
	return nil
}

// ErrorMessage returns the human message of an application error, or a
// generic one for internal errors.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	} else if e := AsError(err); e != nil {
		return e.Message
	}
	return "Sorry, there is a problem with the service. Try again later."
}

// ErrorFields returns the per-field messages of an EINVALID error.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Role is what a person does for a council. A person holds exactly one.
type Role string

const (
	RoleAdmin        Role = "admin"        // council IT: users, roles, areas, audit
	RoleCommissioner Role = "commissioner" // strategic commissioning
	RoleEvaluator    Role = "evaluator"    // scores and moderates applications
	RoleBroker       Role = "broker"       // placement / purchasing team
	RoleFinance      Role = "finance"      // commitments, spend, forecasts
	RoleProvider     Role = "provider"     // staff of one care provider
)

// Roles lists every role in the order the UI shows them.
var Roles = []Role{RoleAdmin, RoleCommissioner, RoleEvaluator, RoleBroker, RoleFinance, RoleProvider}

// CouncilStaff are the roles held by council employees (everyone but providers).
var CouncilStaff = []Role{RoleAdmin, RoleCommissioner, RoleEvaluator, RoleBroker, RoleFinance}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	if slices.Contains(Roles, Role(s)) {
		return Role(s), nil
	}
	return "", Errorf(EINVALID, "Role must be one of admin, commissioner, evaluator, broker, finance or provider")
}

// Label is the role's name as the UI shows it.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "Administrator"
	case RoleCommissioner:
		return "Commissioner"
	case RoleEvaluator:
		return "Evaluator"
	case RoleBroker:
		return "Broker"
	case RoleFinance:
		return "Finance"
	case RoleProvider:
		return "Provider"
	}
	return string(r)
}

// Actor is who is acting: the signed-in user, their council and role. Every
// storage call takes it from the context and scopes its queries by CouncilID;
// a provider user is further limited to ProviderID.
type Actor struct {
	UserID      int64
	Email       string
	CouncilID   int64
	CouncilSlug string
	Role        Role
	ProviderID  int64 // set only for RoleProvider
	// CouncilName is the council's name, for the page header.
	CouncilName string
}

// Is reports whether the actor holds one of roles.
func (a *Actor) Is(roles ...Role) bool { return a != nil && slices.Contains(roles, a.Role) }

// Require returns EFORBIDDEN unless the actor holds one of roles.
func (a *Actor) Require(roles ...Role) error {
	if a == nil || a.CouncilID == 0 {
		return Errorf(EUNAUTHORIZED, "Sign in to continue")
	}
	if !a.Is(roles...) {
		return Errorf(EFORBIDDEN, "Your role (%s) cannot do this", a.Role.Label())
	}
	return nil
}

// IsStaff reports whether the actor works for the council (not a provider).
func (a *Actor) IsStaff() bool { return a.Is(CouncilStaff...) }

type actorKey struct{}

// NewContext returns ctx carrying actor.
func NewContext(ctx context.Context, actor *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor in ctx, or nil.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// SystemActor acts for command-line tools and the demo loader: an admin of
// the given council with no user behind it.
func SystemActor(councilID int64, slug string) *Actor {
	return &Actor{Email: "system", CouncilID: councilID, CouncilSlug: slug, Role: RoleAdmin}
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the id of the HTTP request it serves
// (X-Request-Id), so the audit record of a change names the request, and a
// log line and an audit record can be matched.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
