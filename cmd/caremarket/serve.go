package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/server"
	"github.com/caremarket/caremarket/storage"
)

func init() {
	register("serve", "run the web service and API", serve)
	register("migrate", "apply database migrations and exit", migrate)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newDBFlags("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	withDemo := fs.Bool("demo", false, "load the Kent demo council, providers and one user per role (on a fresh database)")
	insecure := fs.Bool("insecure-cookies", false, "send cookies without the Secure flag (only for plain HTTP other than localhost)")
	trustProxy := fs.Bool("trust-proxy", false, "believe X-Forwarded-Proto from the proxy in front (which must set it itself): sends HSTS when the browser came over HTTPS")
	staleAfter := fs.Duration("stale-after", market.StaleAfter, "how old a vacancy figure may be before the pages mark it stale, like 72h")
	directory := fs.String("cqc-directory", "", "with --demo: also load this CQC HSCA Active Locations file (CSV) into the demo council")
	metricsAddr := fs.String("metrics-addr", "", "serve /metrics on this address of its own (like 127.0.0.1:9090), for the monitoring network only")
	metricsToken := fs.String("metrics-token", os.Getenv("CAREMARKET_METRICS_TOKEN"), "let /metrics answer on --addr to this bearer token (default $CAREMARKET_METRICS_TOKEN)")
	var email emailFlags
	email.register(fs)
	publicURL := fs.String("public-url", os.Getenv("CAREMARKET_PUBLIC_URL"), "the service's address as browsers reach it, like https://caremarket.example.gov.uk (default $CAREMARKET_PUBLIC_URL), for single sign-on's redirect address")
	districts := fs.String("districts", "", "CSV of postcode districts and the council's district each is in (outcode, district), for CQC directory uploads; default: the Kent table the demo ships")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *staleAfter <= 0 {
		return caremarket.Errorf(caremarket.EINVALID, "--stale-after must be a positive duration, like 168h")
	}
	if *directory != "" && !*withDemo {
		return caremarket.Errorf(caremarket.EINVALID, "--cqc-directory goes with --demo; to load a council's market use: caremarket import cqc-directory --council SLUG FILE")
	}
	districtFor, err := districtTable(*districts)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()

	var signIns []demo.SignIn
	if *withDemo {
		start := time.Now()
		res, err := demo.Load(ctx, db, time.Now())
		if err != nil {
			return fmt.Errorf("load demo: %w", err)
		}
		if res.Loaded {
			logger.Info("demo loaded", "council", res.Council.Slug, "took", time.Since(start).Round(time.Millisecond))
		}
		signIns = res.SignIns
		if *directory != "" {
			if err := loadDemoDirectory(ctx, db, *directory, logger); err != nil {
				return fmt.Errorf("load CQC directory into the demo: %w", err)
			}
		}
	}

	srv := server.New(db, logger)
	srv.InsecureCookies = *insecure
	srv.TrustProxy = *trustProxy
	srv.StaleAfter = *staleAfter
	srv.DistrictFor = districtFor
	srv.MetricsToken = *metricsToken
	if *metricsAddr != "" {
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("metrics address: %w", err)
		}
		metricsSrv := &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second}
		go metricsSrv.Serve(mln)
		defer metricsSrv.Close()
		logger.Info("metrics served", "addr", mln.Addr().String())
	}
	srv.PublicURL = *publicURL
	httpSrv := srv.HTTPServer(*addr)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "caremarket is serving at http://%s (database: %s)\n", ln.Addr(), db.Driver())
	if len(signIns) > 0 {
		fmt.Fprintln(stdout, "\nDemo sign-ins (council kent):")
		for _, s := range signIns {
			fmt.Fprintf(stdout, "  %-13s %-32s password: %s\n", s.Role, s.Email, s.Password)
		}
		fmt.Fprintln(stdout)
	}

	jobCtx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	runner := backgroundJobs(db, logger)
	if err := startEmail(jobCtx, email, *publicURL, *addr, db, runner, logger); err != nil {
		return err
	}
	go runner.Loop(jobCtx, 5*time.Minute)

	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Graceful shutdown: stop accepting, let requests in flight finish.
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadDemoDirectory imports a CQC directory file into the demo council, at
// every start: the same file again changes nothing, a newer one updates.
func loadDemoDirectory(ctx context.Context, db *storage.DB, path string, logger *slog.Logger) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sum, err := demo.ImportDirectory(ctx, db, f, filepath.Base(path))
	if err != nil {
		return err
	}
	logger.Info("CQC directory loaded into the demo", "file", path, "rows", sum.Rows, "added", sum.Added, "updated", sum.Updated,
		"unchanged", sum.Unchanged, "rejected", sum.Rejected, "took", sum.Elapsed.Round(time.Millisecond))
	if sum.Rejected > 0 {
		logger.Warn("some rows of the CQC directory were not loaded; caremarket import cqc-directory --council kent --keep-missing FILE lists them with their reasons",
			"rejected", sum.Rejected)
	}
	return nil
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newDBFlags("migrate", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := d.openOnly(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s) to %s\n", n, db.Driver())
	return nil
}
