// Package server is caremarket over HTTP: the JSON API under /api/v1 and the
// server-rendered web UI in the GOV.UK Design System. It depends inward on the
// domain packages and reaches storage only through their interfaces.
package server

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/audit"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/market/cqc"
	"github.com/caremarket/caremarket/notify"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/quality"
)

// Store is everything the server needs from storage: each domain's store
// interface, so a store that lacks a feature fails to compile rather than
// failing a request.
type Store interface {
	market.Registry
	access.Store
	audit.Store
	cqc.Store
	procurement.Store
	pricing.Store
	brokerage.Store
	brokerage.PersonalDataStore
	notify.Store
	brokerage.AllocationStore
	SimulationMarketStore
	finance.Store
	quality.Store
	brokerage.Workflow
	homeScorer
	homeVacancies
	scorerLister
	Ping(ctx context.Context) error
	PendingMigrations(ctx context.Context) (int, error)
}

//go:embed static
var staticFS embed.FS

// Server serves caremarket.
type Server struct {
	Store    Store
	Logger   *slog.Logger
	Throttle *access.Throttle
	// InsecureCookies drops the Secure flag from cookies, for plain-HTTP
	// tests only. Browsers accept Secure cookies from http://localhost.
	InsecureCookies bool
	// MetricsToken, when set, lets /metrics answer on the main address to
	// a caller sending it as a bearer token; otherwise /metrics is served
	// only by MetricsHandler on an address of its own.
	MetricsToken string
	Now          func() time.Time
	// StaleAfter is how old a vacancy figure may be before the pages mark
	// it stale (New sets market.StaleAfter).
	StaleAfter time.Duration
	// DistrictFor says which of the council's districts a postcode
	// district ("CT9") is in, for the CQC directory upload; CQC names only
	// the council. Without it the upload is refused.
	DistrictFor func(outcode string) (district string, ok bool)
	// PublicURL is the service's address as browsers reach it (like
	// https://caremarket.example.gov.uk), for single sign-on's redirect
	// address. Without it the request's host is used.
	PublicURL string
	// TrustProxy believes X-Forwarded-Proto: set it only behind a proxy
	// that terminates TLS and sets the header itself (HSTS is sent when
	// the browser came over HTTPS).
	TrustProxy bool

	mux     *http.ServeMux
	routes  []string // every registered pattern, for the OpenAPI test
	metrics *metrics
	pages   *pages
}

// New returns a server with its routes registered.
func New(store Store, logger *slog.Logger) *Server {
	s := &Server{Store: store, Logger: logger, Throttle: access.NewThrottle(), Now: time.Now, StaleAfter: market.StaleAfter,
		mux: http.NewServeMux(), metrics: newMetrics(), pages: loadPages()}
	s.registerAPI()
	s.registerProcurement()
	s.registerPricing()
	s.registerBrokerage()
	s.registerAllocation()
	s.registerCQC()
	s.registerPersonalData()
	s.registerNotifications()
	s.registerFinance()
	s.registerQuality()
	s.registerWeb()
	s.route("GET /healthz", s.healthz)
	static, _ := fs.Sub(staticFS, "static")
	s.route("GET /assets/", http.StripPrefix("/assets/", cacheForever(http.FileServerFS(static))).ServeHTTP)
	return s
}

// route registers a handler and remembers its pattern.
func (s *Server) route(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, s.metrics.instrument(pattern, h))
}

// Routes lists every registered pattern ("METHOD /path").
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// ServeHTTP runs the middleware chain: recover, security headers, log,
// authenticate, CSRF, then the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK, insecureCookies: s.InsecureCookies}
	reqID := requestID(r)
	sw.Header().Set("X-Request-Id", reqID)
	r = r.WithContext(caremarket.WithRequestID(r.Context(), reqID))
	defer func() {
		if v := recover(); v != nil {
			s.Logger.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			if !sw.wrote {
				s.fail(sw, r, errors.New("panic"))
			}
		}
		if r.URL.Path != "/healthz" && r.URL.Path != "/readyz" && !strings.HasPrefix(r.URL.Path, "/assets/") {
			s.Logger.InfoContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration_ms", time.Since(start).Milliseconds(), "remote", clientIP(r), "request_id", reqID)
		}
	}()
	h := sw.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'")
	if s.behindTLS(r) {
		h.Set("Strict-Transport-Security", hstsMaxAge)
	}
	if s.serveOps(sw, r) {
		return
	}
	r, err := s.authenticate(sw, r)
	if err != nil {
		s.fail(sw, r, err)
		return
	}
	if err := s.checkCSRF(r); err != nil {
		s.fail(sw, r, err)
		return
	}
	if s.gate(sw, r) {
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// fail answers an error in the form the caller expects: JSON for the API,
// a page for the web.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if isAPI(r) {
		s.writeAPIError(w, r, err)
		return
	}
	s.errorPage(w, r, err)
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func cacheForever(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	// insecureCookies carries Server.InsecureCookies to cookies set by
	// helpers that see only the writer (flash).
	insecureCookies bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// clientIP is the peer address; caremarket does not trust X-Forwarded-For
// unless run behind a proxy that sets it, which is a deployment setting to add.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// HTTPServer wraps the handler with timeouts fit for the public internet.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
}
