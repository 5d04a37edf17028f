package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// requestID returns the caller's X-Request-Id when it is a short, plain
// token (a load balancer's), or a new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); len(id) > 0 && len(id) <= 64 && strings.IndexFunc(id, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')
	}) < 0 {
		return id
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// serveOps answers the operational endpoints, which take no session:
// /healthz (the process is alive), /readyz (the database answers and its
// schema is current, so a load balancer may send traffic) and /metrics
// (only with the configured bearer token; otherwise it is not served here
// but on serve --metrics-addr). It reports whether it answered.
func (s *Server) serveOps(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	switch r.URL.Path {
	case "/readyz":
		s.readyz(w, r)
	case "/metrics":
		if s.MetricsToken == "" || !bearerIs(r, s.MetricsToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "Send the metrics token: Authorization: Bearer TOKEN (serve --metrics-token), or scrape serve --metrics-addr", http.StatusUnauthorized)
			return true
		}
		s.metrics.serve(w, r)
	default:
		return false
	}
	return true
}

func bearerIs(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// MetricsHandler serves /metrics alone, for a listener of its own that only
// the monitoring network reaches (serve --metrics-addr).
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.metrics.serve)
	return mux
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	pending, err := s.Store.PendingMigrations(ctx)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "cannot read the schema version"})
		return
	}
	if pending > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": fmt.Sprintf("%d migration(s) not applied: run caremarket migrate", pending)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
