package server

import (
	"net/http"
	"slices"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/notify"
)

// Email notifications: each person chooses what they receive; admins see
// the outbox (what was sent, what is waiting, what failed and why).

func (s *Server) registerNotifications() {
	s.route("GET /api/v1/me/notifications", s.api(s.apiMyNotifications))
	s.route("PUT /api/v1/me/notifications", s.api(s.apiSetMyNotifications))
	s.route("GET /api/v1/outbox", s.api(s.apiOutbox))
	s.route("GET /account/notifications", s.page(s.notificationsPage))
	s.route("POST /account/notifications", s.postForm(s.notificationsPost))
	s.route("GET /admin/notifications", s.page(s.outboxPage))
}

// notificationChoice is one kind and whether the person receives it.
type notificationChoice struct {
	Kind    notify.Kind `json:"kind"`
	Label   string      `json:"label"`
	Hint    string      `json:"-"`
	Enabled bool        `json:"enabled"`
}

func (s *Server) myChoices(r *http.Request) ([]notificationChoice, error) {
	on, err := s.Store.NotificationChoices(r.Context())
	if err != nil {
		return nil, err
	}
	out := []notificationChoice{}
	for _, k := range notify.KindsFor(caremarket.ActorFrom(r.Context()).Role) {
		out = append(out, notificationChoice{Kind: k, Label: k.Label(), Hint: k.Hint(), Enabled: on[k]})
	}
	return out, nil
}

func (s *Server) apiMyNotifications(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(s.myChoices(r)))
}

// notificationsInput lists the kinds of email to receive (the role's others
// are turned off); an empty list turns every one off.
type notificationsInput struct {
	On *[]notify.Kind `json:"on"`
}

func (s *Server) apiSetMyNotifications(w http.ResponseWriter, r *http.Request) error {
	var in notificationsInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.On == nil {
		return caremarket.Invalid(map[string]string{"on": "on is required: the list of kinds to receive (it may be empty)"})
	}
	if err := s.Store.SetNotificationChoices(r.Context(), *in.On); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(s.myChoices(r)))
}

func (s *Server) apiOutbox(w http.ResponseWriter, r *http.Request) error {
	items, total, page, _, err := s.outbox(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[notify.OutboxEntry]{Items: items, Total: total, Page: page.Number, PerPage: page.PerPage})
	return nil
}

// outbox reads one page of the outbox, filtered by ?status=.
func (s *Server) outbox(r *http.Request) ([]notify.OutboxEntry, int, market.Page, string, error) {
	q := newQuery(r)
	status := outboxStatus(q)
	page := q.page()
	if err := q.err(); err != nil {
		return nil, 0, page, "", err
	}
	items, total, err := s.Store.Outbox(r.Context(), status, page)
	return append([]notify.OutboxEntry{}, items...), total, page.Normalize(), status, err
}

func outboxStatus(q *query) string {
	st := q.str("status", 20)
	if st != "" && !slices.Contains([]string{"pending", "sent", "failed"}, st) {
		q.fields["status"] = "Choose pending, sent or failed"
		return ""
	}
	return st
}

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) error {
	choices, err := s.myChoices(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "account_notifications", "Email notifications", choices, nil)
	return nil
}

func (s *Server) notificationsPost(w http.ResponseWriter, r *http.Request) error {
	var on []notify.Kind
	for _, k := range r.PostForm["kinds"] {
		on = append(on, notify.Kind(k))
	}
	if err := s.Store.SetNotificationChoices(r.Context(), on); err != nil {
		return err
	}
	redirectWithFlash(w, r, "/account/notifications", "Your email choices have been saved")
	return nil
}

func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request) error {
	items, total, page, status, err := s.outbox(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_outbox", "Emails", map[string]any{
		"Items": items, "Status": status, "Pages": paginate("/admin/notifications", r.URL.Query(), page, total),
	}, nil)
	return nil
}
