package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/audit"
)

// registerAdminPages registers the council IT pages: the audit log and the
// accounts. Storage allows them to admins only; others see its 403 page.
func (s *Server) registerAdminPages() {
	s.route("GET /admin/audit", s.page(s.auditPage))
	s.route("GET /admin/users", s.page(s.usersPage))
	s.route("POST /admin/users", s.postForm(s.usersPost))
}

// auditPageSize is how many records the audit page shows before "older
// records".
const auditPageSize = 50

// auditRow is one audit record as the page shows it.
type auditRow struct {
	audit.Record
	RoleLabel string
	Href      string // the entity's page, when it has one
	Changes   []auditChange
}

// auditChange is one field of a before/after summary.
type auditChange struct {
	Field, Before, After string
	Changed              bool
}

type auditView struct {
	Query url.Values
	Rows  []auditRow
	Older string // link to the next, older, page of records
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := readFields(q)
	filter := audit.Filter{Query: f.text("q", "Search", 200), EntityType: f.text("entity_type", "Entity type", 50),
		BeforeID: f.id("before_id", "The record to page back from must be a record number"), Limit: auditPageSize}
	data := auditView{Query: q}
	if err := f.err(); err != nil {
		s.render(w, r, statusOf(err), "audit", "Audit log", data, err)
		return nil
	}
	recs, err := s.Store.SearchAudit(r.Context(), filter)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		data.Rows = append(data.Rows, auditRow{Record: rec, RoleLabel: caremarket.Role(rec.Role).Label(), Href: entityHref(rec.EntityType, rec.EntityID), Changes: auditChanges(rec.Before, rec.After)})
	}
	if len(recs) == auditPageSize {
		older := url.Values{}
		for _, k := range []string{"q", "entity_type"} {
			if v := q.Get(k); v != "" {
				older.Set(k, v)
			}
		}
		older.Set("before_id", strconv.FormatInt(recs[len(recs)-1].ID, 10))
		data.Older = "/admin/audit?" + older.Encode()
	}
	s.render(w, r, http.StatusOK, "audit", "Audit log", data, nil)
	return nil
}

// entityHref links an audited entity to its page, for the kinds that have one.
func entityHref(entityType, id string) string {
	switch entityType {
	case "provider", "location", "area":
		return "/" + entityType + "s/" + url.PathEscape(id)
	}
	return ""
}

// auditChanges lines up the fields of a record's before and after summaries
// (JSON objects), so a reader sees what changed without reading JSON. A
// summary that is not an object is shown whole.
func auditChanges(before, after string) []auditChange {
	b, bok := summaryFields(before)
	a, aok := summaryFields(after)
	if !bok || !aok {
		return []auditChange{{Field: "summary", Before: before, After: after, Changed: before != after}}
	}
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]auditChange, 0, len(names))
	for _, k := range names {
		out = append(out, auditChange{Field: k, Before: b[k], After: a[k], Changed: b[k] != a[k]})
	}
	return out
}

// summaryFields reads a JSON object's fields as display text; an empty
// summary (a creation's before) has none.
func summaryFields(s string) (map[string]string, bool) {
	out := map[string]string{}
	if s == "" {
		return out, true
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, false
	}
	for k, raw := range m {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			out[k] = str
		} else if string(raw) != "null" {
			out[k] = string(raw)
		}
	}
	return out, true
}

type usersView struct {
	Users           []userRow
	Form            url.Values
	RoleOptions     []option
	ProviderOptions []option
	// Created and Password are shown once, straight after the account is
	// made: only the hash is stored, so nobody can show it again.
	Created  string
	Password string
}

type userRow struct {
	access.User
	ProviderName string
}

// renderUsers shows the accounts and the form to add one.
func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, data usersView, formErr error) error {
	users, err := s.Store.ListUsers(r.Context())
	if err != nil {
		return err
	}
	providers, err := s.allProviders(r.Context())
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, p := range providers {
		names[p.ID] = p.Name
	}
	for _, u := range users {
		data.Users = append(data.Users, userRow{User: u, ProviderName: names[u.ProviderID]})
	}
	data.RoleOptions = optionsOf(caremarket.Roles, func(role caremarket.Role) option { return option{Value: string(role), Label: role.Label()} })
	data.ProviderOptions = providerOptions(providers)
	if data.Form == nil {
		data.Form = url.Values{}
	}
	s.render(w, r, status, "users", "Users", data, formErr)
	return nil
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, usersView{}, nil)
}

// usersPost creates an account with a one-time password, as `caremarket
// users create` does, and shows the password on the page it answers with
// (not after a redirect, which would need the password stored somewhere).
func (s *Server) usersPost(w http.ResponseWriter, r *http.Request) error {
	f := readFields(r.PostForm)
	u := &access.User{Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"), Role: caremarket.Role(r.PostForm.Get("role")), MustChangePassword: true,
		ProviderID: f.id("provider_id", "Choose a provider from the list")}
	f.check(u.Validate())
	err := f.err()
	password := access.NewOneTimePassword(access.PasswordContext{Email: u.Email, Councils: []string{caremarket.ActorFrom(r.Context()).CouncilSlug}})
	if err == nil {
		u.PasswordHash, err = access.HashPassword(password)
	}
	if err == nil {
		err = s.Store.CreateUser(r.Context(), u)
	}
	if hasFormErrors(err) {
		return s.renderUsers(w, r, statusOf(err), usersView{Form: r.PostForm}, err)
	} else if err != nil {
		return err
	}
	return s.renderUsers(w, r, http.StatusOK, usersView{Created: u.Email, Password: password}, nil)
}
