package server

import (
	"net/http"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

func (s *Server) registerAccountAPI() {
	s.route("PUT /api/v1/me/password", s.api(s.apiChangePassword))
	s.route("GET /api/v1/tokens", s.api(s.apiListTokens))
	s.route("POST /api/v1/tokens", s.api(s.apiCreateToken))
	s.route("DELETE /api/v1/tokens/{id}", s.api(s.apiRevokeToken))
	s.route("POST /api/v1/users/{id}/disable", s.api(s.apiDisableUser))
}

// changePassword checks the current password and the new one, then sets it
// and ends every other session of the person's (the one in use stays).
func (s *Server) changePassword(r *http.Request, current, pw, confirm string) error {
	u, _ := r.Context().Value(keyUser).(*access.User)
	if u == nil || u.PasswordHash == "" {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "You sign in with your council account: change your password there")
	}
	fields := map[string]string{}
	if current == "" {
		fields["current_password"] = "Enter your current password"
	} else if !access.CheckPassword(current, u.PasswordHash) {
		fields["current_password"] = "Your current password is not correct"
	}
	err := access.CheckNewPassword(pw, confirm)
	if err == nil { // not common, breached, or built from the person's email or council
		err = access.ValidatePassword(pw, access.PasswordContext{Email: u.Email, Councils: []string{caremarket.ActorFrom(r.Context()).CouncilSlug}})
	}
	for k, v := range caremarket.ErrorFields(err) {
		fields[k] = v
	}
	if err := caremarket.Invalid(fields); err != nil {
		return err
	}
	hash, err := access.HashPassword(pw)
	if err != nil {
		return err
	}
	keep := ""
	if secret, ok := r.Context().Value(keySession).(string); ok {
		keep = access.HashSecret(secret)
	}
	return s.Store.ChangeOwnPassword(r.Context(), keep, hash)
}

// passwordInput is the body of PUT /api/v1/me/password.
type passwordInput struct {
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
}

// tokenInput is the body of POST /api/v1/tokens.
type tokenInput struct {
	Name          *string `json:"name"`
	ExpiresInDays int     `json:"expires_in_days"`
}

func (s *Server) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	var in passwordInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	f := map[string]string{}
	if in.CurrentPassword == nil {
		f["current_password"] = "Send current_password"
	}
	if in.NewPassword == nil {
		f["new_password"] = "Send new_password"
	}
	if err := caremarket.Invalid(f); err != nil {
		return err
	}
	err := s.changePassword(r, *in.CurrentPassword, *in.NewPassword, *in.NewPassword)
	if fields := caremarket.ErrorFields(err); fields["password"] != "" {
		return &caremarket.Error{Code: caremarket.EINVALID, Message: fields["password"], Fields: map[string]string{"new_password": fields["password"]}}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Your password has been changed, and your other sessions have ended"})
	return nil
}

func (s *Server) apiListTokens(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	all := q.v.Get("all") == "true"
	return reply(w, http.StatusOK)(listResult(s.Store.ListTokens(r.Context(), all)))
}

// newToken is a token just made: the only time its secret is shown.
type newToken struct {
	access.Token
	Secret string `json:"token"`
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return caremarket.Invalid(map[string]string{"name": "Send name: what the token is for"})
	}
	name, life, err := access.CheckTokenRequest(*in.Name, in.ExpiresInDays)
	if err != nil {
		return err
	}
	secret, hash := access.NewSecret()
	t, err := s.Store.CreateAPIToken(r.Context(), caremarket.ActorFrom(r.Context()).UserID, hash, name, life)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newToken{Token: *t, Secret: secret})
	return nil
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.Store.RevokeToken(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "The token has been revoked"})
	return nil
}

func (s *Server) apiDisableUser(w http.ResponseWriter, r *http.Request) error {
	if _, err := actOnPath(r, s.Store.DisableUser); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "The account has been disabled: its sessions and tokens have ended"})
	return nil
}
