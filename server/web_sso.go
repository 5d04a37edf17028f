package server

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

// ssoCookie carries the state, nonce and PKCE verifier of a sign-in while
// the person is at their council's identity provider.
const ssoCookie = "caremarket_sso"

func (s *Server) registerSSO() {
	s.route("GET /sso/{council}/start", s.ssoStart)
	s.route("GET /sso/{council}/callback", s.ssoCallback)
}

// ssoCouncil finds a council with single sign-on switched on.
func (s *Server) ssoCouncil(ctx context.Context, slug string) (*access.SSOCouncil, error) {
	councils, err := s.Store.SSOCouncils(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range councils {
		if c.Slug == slug {
			return &c, nil
		}
	}
	return nil, caremarket.Errorf(caremarket.ENOTFOUND, "This council does not use single sign-on. Sign in with your email address and password.")
}

// baseURL is this service's address as browsers reach it, for the redirect
// address the identity provider sends people back to.
func (s *Server) baseURL(r *http.Request) string {
	if s.PublicURL != "" {
		return strings.TrimSuffix(s.PublicURL, "/")
	}
	scheme := "https"
	if r.TLS == nil && s.InsecureCookies {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// oidcContext gives the OpenID Connect library an HTTP client with a
// timeout, so a slow identity provider cannot hold a request forever.
func oidcContext(ctx context.Context) context.Context {
	client := &http.Client{Timeout: 10 * time.Second}
	return context.WithValue(oidc.ClientContext(ctx, client), oauth2.HTTPClient, client)
}

func (s *Server) oauthConfig(ctx context.Context, r *http.Request, c *access.SSOCouncil) (*oidc.Provider, *oauth2.Config, error) {
	provider, err := oidc.NewProvider(oidcContext(ctx), c.Config.Issuer)
	if err != nil {
		s.Logger.WarnContext(ctx, "identity provider unreachable", "council", c.Slug, "issuer", c.Config.Issuer, "err", err)
		return nil, nil, caremarket.Errorf(caremarket.ECONFLICT, "Your council's sign-in service cannot be reached. Try again later, or sign in with your email address and password.")
	}
	return provider, &oauth2.Config{ClientID: c.Config.ClientID, ClientSecret: c.Config.ClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: s.baseURL(r) + "/sso/" + c.Slug + "/callback", Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}, nil
}

// ssoStart sends the person to their council's identity provider: the
// authorization code flow with PKCE (S256) and a nonce, as Microsoft Entra ID
// and other OpenID Connect providers expect.
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := s.ssoCouncil(ctx, r.PathValue("council"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	_, cfg, err := s.oauthConfig(ctx, r, c)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	next := safeNext(r.URL.Query().Get("next"))
	value := url.Values{"state": {state}, "nonce": {nonce}, "verifier": {verifier}, "council": {c.Slug}, "next": {next}}.Encode()
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: url.QueryEscape(value), Path: "/sso/", MaxAge: 600, HttpOnly: true,
		Secure: !s.InsecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
}

// ssoCallback finishes the sign-in: it checks the state, exchanges the code
// (with the PKCE verifier), verifies the id token's signature, issuer,
// audience, expiry and nonce, maps the person's groups to a role, and signs
// them in to their council's account (made on first sign-in).
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, next, err := s.ssoFinish(w, r)
	if err != nil {
		if statusOf(err) < 500 {
			s.Logger.WarnContext(ctx, "single sign-on refused", "council", r.PathValue("council"), "remote", clientIP(r), "reason", caremarket.ErrorMessage(err))
		}
		s.errorPage(w, r, err)
		return
	}
	secret, hash := access.NewSecret()
	expires := s.Now().Add(access.SessionLifetime)
	if err := s.Store.CreateSSOSession(ctx, u.ID, hash, expires); err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.setCookie(w, sessionCookie, secret, expires)
	s.clearCookie(w, csrfCookie)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) ssoFinish(w http.ResponseWriter, r *http.Request) (*access.User, string, error) {
	ctx := r.Context()
	again := caremarket.Errorf(caremarket.EINVALID, "Your sign-in did not complete. Go back to the sign-in page and try again.")
	ck, err := r.Cookie(ssoCookie)
	if err != nil {
		return nil, "", again
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Path: "/sso/", MaxAge: -1, HttpOnly: true, Secure: !s.InsecureCookies, SameSite: http.SameSiteLaxMode})
	raw, _ := url.QueryUnescape(ck.Value)
	saved, _ := url.ParseQuery(raw)
	q := r.URL.Query()
	if saved.Get("state") == "" || q.Get("state") != saved.Get("state") || saved.Get("council") != r.PathValue("council") {
		return nil, "", again
	}
	if e := q.Get("error"); e != "" {
		return nil, "", caremarket.Errorf(caremarket.EFORBIDDEN, "Your council's sign-in service did not sign you in (%s). Try again or ask your council's administrator.", e)
	}
	c, err := s.ssoCouncil(ctx, saved.Get("council"))
	if err != nil {
		return nil, "", err
	}
	provider, cfg, err := s.oauthConfig(ctx, r, c)
	if err != nil {
		return nil, "", err
	}
	tok, err := cfg.Exchange(oidcContext(ctx), q.Get("code"), oauth2.VerifierOption(saved.Get("verifier")))
	if err != nil {
		s.Logger.WarnContext(ctx, "single sign-on code exchange failed", "council", c.Slug, "err", err)
		return nil, "", again
	}
	rawID, _ := tok.Extra("id_token").(string)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: c.Config.ClientID}).Verify(oidcContext(ctx), rawID)
	if err != nil || idToken.Nonce != saved.Get("nonce") {
		s.Logger.WarnContext(ctx, "single sign-on id token refused", "council", c.Slug, "err", err)
		return nil, "", again
	}
	var claims map[string]any
	if err := idToken.Claims(&claims); err != nil || strings.TrimSpace(idToken.Subject) == "" {
		return nil, "", again
	}
	email := claimString(claims, "email")
	if email == "" {
		email = claimString(claims, "preferred_username") // Entra ID's sign-in name
	}
	role, ok := access.RoleFor(c.Config.RoleMap, claimStrings(claims, c.Config.GroupsClaim))
	if !ok {
		return nil, "", caremarket.Errorf(caremarket.EFORBIDDEN, "Your council account is not in a group that may use caremarket. Ask your council's administrator.")
	}
	u, err := s.Store.SSOSignIn(ctx, c.ID, idToken.Subject, email, claimString(claims, "name"), role)
	return u, safeNext(saved.Get("next")), err
}

func claimString(claims map[string]any, name string) string {
	v, _ := claims[name].(string)
	return strings.TrimSpace(v)
}

// claimStrings reads a claim that is a list of strings (Entra ID's groups
// are group object ids), or a single string.
func claimStrings(claims map[string]any, name string) []string {
	switch v := claims[name].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// --- Admin: how the council signs in

type securityView struct {
	Auth        *access.CouncilAuth
	Form        url.Values
	RoleOptions []option
	RoleValues  []string
	SSOOptions  []option
	SSOValues   []string
	SecretHint  string
	RedirectURL string
}

func (s *Server) renderSecurity(w http.ResponseWriter, r *http.Request, status int, form url.Values, formErr error) error {
	a, err := s.Store.CouncilAuth(r.Context())
	if err != nil {
		return err
	}
	data := securityView{Auth: a, Form: form, RedirectURL: s.baseURL(r) + "/sso/" + caremarket.ActorFrom(r.Context()).CouncilSlug + "/callback"}
	for _, role := range access.MFARoles {
		data.RoleOptions = append(data.RoleOptions, option{Value: string(role), Label: role.Label()})
	}
	if form == nil {
		data.Form = url.Values{"issuer": {a.SSO.Issuer}, "client_id": {a.SSO.ClientID}, "groups_claim": {a.SSO.GroupsClaim},
			"role_map": {access.FormatRoleMap(a.SSO.RoleMap)}}
		if a.SSO.Enabled {
			data.Form.Set("sso_enabled", "yes")
		}
		for _, role := range a.MFARoles {
			data.Form.Add("mfa_roles", string(role))
		}
	}
	data.RoleValues, data.SSOValues = data.Form["mfa_roles"], data.Form["sso_enabled"]
	data.SSOOptions = []option{{Value: "yes", Label: "Let staff sign in with their council account"}}
	data.SecretHint = "The client secret's value."
	if a.SSO.HasSecret {
		data.SecretHint = "A secret is stored and is never shown. Leave this blank to keep it."
	}
	data.Form.Del("client_secret") // never shown back
	s.render(w, r, status, "admin_security", "Sign-in settings", data, formErr)
	return nil
}

func (s *Server) securityPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSecurity(w, r, http.StatusOK, nil, nil)
}

func (s *Server) securityPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	a := &access.CouncilAuth{SSO: access.SSOConfig{Enabled: f.Get("sso_enabled") == "yes", Issuer: f.Get("issuer"), ClientID: f.Get("client_id"),
		ClientSecret: strings.TrimSpace(f.Get("client_secret")), GroupsClaim: f.Get("groups_claim")}}
	fields := map[string]string{}
	for _, v := range f["mfa_roles"] {
		role, err := caremarket.ParseRole(v)
		if err != nil || role == caremarket.RoleProvider {
			fields["mfa_roles"] = "Choose council roles from the list"
			continue
		}
		a.MFARoles = append(a.MFARoles, role)
	}
	m, err := access.ParseRoleMap(f.Get("role_map"))
	if err != nil {
		fields["role_map"] = caremarket.ErrorFields(err)["role_map"]
	}
	a.SSO.RoleMap = m
	err = caremarket.Invalid(fields)
	if err == nil {
		err = s.Store.SetCouncilAuth(r.Context(), a)
	}
	if hasFormErrors(err) {
		return s.renderSecurity(w, r, statusOf(err), f, err)
	} else if err != nil {
		return err
	}
	flash(w, "Sign-in settings saved")
	http.Redirect(w, r, "/admin/security", http.StatusSeeOther)
	return nil
}
