// Package notify tells people by email what needs them: a provider of a new
// offer, an invitation to bid, an award or an offer about to expire; a
// commissioner of market alerts, overdue decisions and windows awaiting
// award. Emails carry no personal data of the person being placed: only
// the service, the district and a link to sign in and see the rest.
//
// Delivery goes through an outbox written in the same transaction as the
// event, so a message is queued exactly when the change commits, and a
// worker sends it over SMTP or GOV.UK Notify, retrying with backoff.
package notify

import (
	"context"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
)

// Kind is what a message is about; people choose which kinds they receive.
type Kind string

const (
	OfferNew            Kind = "offer_new"
	OfferExpiring       Kind = "offer_expiring"
	Invitation          Kind = "invitation"
	Award               Kind = "award"
	Alert               Kind = "alert"
	DecisionOverdue     Kind = "decision_overdue"
	WindowAwaitingAward Kind = "window_awaiting_award"
)

// Kinds lists every kind in the order the preferences page shows them.
var Kinds = []Kind{OfferNew, OfferExpiring, Invitation, Award, Alert, DecisionOverdue, WindowAwaitingAward}

var kindText = map[Kind]struct {
	label, hint string
	provider    bool
}{
	OfferNew:            {"New offers of a placement", "A council offers your home or service a placement", true},
	OfferExpiring:       {"Offers about to expire", "An offer you have not answered expires within 2 hours", true},
	Invitation:          {"Invitations to bid", "A mini-competition you are invited to", true},
	Award:               {"Awards", "A placement or a place on an agreement is awarded to you", true},
	Alert:               {"Market alerts", "A location's CQC rating falls to Inadequate, or it leaves the register", false},
	DecisionOverdue:     {"Overdue decisions", "Applications waiting past the time allowed to assess them", false},
	WindowAwaitingAward: {"Windows awaiting award", "A window whose deadline has passed with no award notice yet", false},
}

// Valid reports whether k is a kind.
func (k Kind) Valid() bool { _, ok := kindText[k]; return ok }

// Label names the kind for a person.
func (k Kind) Label() string { return kindText[k].label }

// Hint says when the kind is sent.
func (k Kind) Hint() string { return kindText[k].hint }

// For reports whether someone in role receives this kind at all: providers
// hear about their offers and awards, council commissioners and admins about
// the market.
func (k Kind) For(role caremarket.Role) bool {
	if role == caremarket.RoleProvider {
		return kindText[k].provider
	}
	return !kindText[k].provider && (role == caremarket.RoleCommissioner || role == caremarket.RoleAdmin)
}

// KindsFor lists the kinds someone in role may receive.
func KindsFor(role caremarket.Role) []Kind {
	var out []Kind
	for _, k := range Kinds {
		if k.For(role) {
			out = append(out, k)
		}
	}
	return out
}

// Message is one email.
type Message struct {
	Kind    Kind
	To      string
	Subject string
	Body    string
}

// Sender delivers one message, or says why not.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Event is what happened, in words with no personal data: Service and
// District of a requirement, or What of a market matter, and Path, the page
// that tells the rest to whoever signs in.
type Event struct {
	Kind     Kind
	Service  string // "Nursing"
	District string // "Thanet"
	What     string // "Larch Hall's CQC rating fell to Inadequate"
	Path     string // "/offers/14"
	Urgent   bool
}

// Compose writes the email for an event, addressed to to, with links on
// baseURL (like https://care.kent.gov.uk).
func Compose(e Event, to, baseURL string) Message {
	link := strings.TrimRight(baseURL, "/") + e.Path
	urgent := ""
	if e.Urgent {
		urgent = "Urgent: "
	}
	m := Message{Kind: e.Kind, To: to}
	switch e.Kind {
	case OfferNew:
		m.Subject = urgent + "New offer: " + e.Service + " in " + e.District
		m.Body = "A council has offered you a placement: " + e.Service + " in " + e.District + ".\n\nSee the offer and answer it:"
	case OfferExpiring:
		m.Subject = "Offer expiring soon: " + e.Service + " in " + e.District
		m.Body = "An offer of a placement (" + e.Service + " in " + e.District + ") expires soon and has not been answered.\n\nAnswer it:"
	case Invitation:
		m.Subject = urgent + "Invitation to bid: " + e.Service + " in " + e.District
		m.Body = "You are invited to bid in a mini-competition: " + e.Service + " in " + e.District + ".\n\nSee it and bid:"
	case Award:
		m.Subject = "Awarded to you: " + e.What
		m.Body = e.What + ".\n\nSee the details:"
	default:
		m.Subject = e.What
		m.Body = e.What + ".\n\nSee it in caremarket:"
	}
	m.Body += "\n" + link + "\n\nYou get these emails because of your caremarket notification settings; change them at " +
		strings.TrimRight(baseURL, "/") + "/account/notifications\n"
	return m
}

// MaxAttempts is how many times a message is tried before it is left as
// failed for an admin to see.
const MaxAttempts = 8

// Backoff is how long to wait after the n-th failed attempt (1-based):
// 1, 5 and 15 minutes, then 1, 2, 4, 8 hours, so a relay that is down for a
// morning loses nothing and is not hammered.
func Backoff(n int) time.Duration {
	steps := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour}
	if n < 1 {
		n = 1
	}
	if n > len(steps) {
		return steps[len(steps)-1]
	}
	return steps[n-1]
}
