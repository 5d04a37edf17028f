package server

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// forwardedHTTPS sends every request as a TLS-terminating proxy would pass
// it on: X-Forwarded-Proto: https.
type forwardedHTTPS struct{}

func (forwardedHTTPS) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("X-Forwarded-Proto", "https")
	return http.DefaultTransport.RoundTrip(r2)
}

// securityHeaderProblems says which of the headers every answer must carry
// are missing or weak: a CSP that forbids framing, nosniff, a
// Referrer-Policy, and HSTS when the browser came over HTTPS.
func securityHeaderProblems(resp *http.Response) []string {
	var out []string
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") {
		out = append(out, "Content-Security-Policy "+csp+" lacks default-src 'self' or frame-ancestors 'none'")
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		out = append(out, "no X-Content-Type-Options: nosniff")
	}
	if rp := h.Get("Referrer-Policy"); rp != "same-origin" && rp != "no-referrer" && rp != "strict-origin-when-cross-origin" {
		out = append(out, "Referrer-Policy is "+rp)
	}
	hsts := h.Get("Strict-Transport-Security")
	overTLS := resp.Request != nil && (resp.Request.TLS != nil || resp.Request.Header.Get("X-Forwarded-Proto") == "https")
	switch {
	case overTLS && !strings.HasPrefix(hsts, "max-age=63072000"):
		out = append(out, "over HTTPS but Strict-Transport-Security is "+hsts)
	case !overTLS && hsts != "":
		out = append(out, "HSTS sent over plain HTTP")
	}
	return out
}

// TestSecurityHeaders: every kind of answer (page, error page, API, asset,
// redirect) carries the headers; HSTS only over HTTPS, where X-Forwarded-Proto
// counts only from a proxy the server is told to trust. TestCrawl checks
// every page each role can reach.
func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t)
	for _, tt := range []struct {
		name       string
		trustProxy bool
		tls        bool
		forwarded  string
		hsts       bool
	}{
		{"plain HTTP", false, false, "", false},
		{"TLS to the server", false, true, "", true},
		{"trusted proxy says https", true, false, "https", true},
		{"trusted proxy says http", true, false, "http", false},
		{"untrusted X-Forwarded-Proto", false, false, "https", false},
	} {
		s.TrustProxy = tt.trustProxy
		for _, path := range []string{"/sign-in", "/", "/no-such-page", "/api/v1/providers", "/api/openapi.json", "/healthz", "/assets/no-such.css"} {
			r := httptest.NewRequest("GET", path, nil)
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.forwarded != "" {
				r.Header.Set("X-Forwarded-Proto", tt.forwarded)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			resp := w.Result()
			resp.Request = httptest.NewRequest("GET", path, nil) // as the browser saw it
			if tt.hsts {
				resp.Request.TLS = &tls.ConnectionState{}
			}
			for _, p := range securityHeaderProblems(resp) {
				t.Errorf("%s: GET %s (%d): %s", tt.name, path, resp.StatusCode, p)
			}
		}
	}
}
