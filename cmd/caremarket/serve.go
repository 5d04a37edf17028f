package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/server"
)

func init() {
	register("serve", "run the web service and API", serve)
	register("migrate", "apply database migrations and exit", migrate)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	var d dbFlags
	d.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	withDemo := fs.Bool("demo", false, "load the Kent demo council, providers and one user per role (on a fresh database)")
	insecure := fs.Bool("insecure-cookies", false, "send cookies without the Secure flag (only for plain HTTP other than localhost)")
	if err := fs.Parse(args); err != nil {
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
	}

	srv := server.New(db, logger)
	srv.InsecureCookies = *insecure
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

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", stderr)
	var d dbFlags
	d.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := storageOpenOnly(ctx, d)
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
