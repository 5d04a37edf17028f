package e2e

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/server"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// loadDemo is where every browser test starts: the browser found (the
// test is skipped without one) and the Kent demo loaded, as of now, into a
// fresh SQLite database.
func loadDemo(t *testing.T, now time.Time) (browser string, db *storage.DB, res *demo.Result) {
	t.Helper()
	browser = findBrowser(t)
	db = storagetest.SQLite(t)
	res, err := demo.Load(context.Background(), db, now)
	if err != nil {
		t.Fatalf("load the demo: %v", err)
	}
	return browser, db, res
}

// freshScreenshots makes the screenshot folder (TestBrowserJourneys empties
// it when it runs first; a test run alone needs it to exist) and removes
// an earlier run's pictures matching globs, so none of its steps linger.
func freshScreenshots(t *testing.T, globs ...string) {
	t.Helper()
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, glob := range globs {
		old, _ := filepath.Glob(filepath.Join(screenshotDir, glob))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// byRole is the demo's sign-ins by role.
func byRole(res *demo.Result) map[caremarket.Role]demo.SignIn {
	who := map[caremarket.Role]demo.SignIn{}
	for _, s := range res.SignIns {
		who[s.Role] = s
	}
	return who
}

// systemOf acts as the demo council's system admin.
func systemOf(res *demo.Result) context.Context {
	return caremarket.NewContext(context.Background(), caremarket.SystemActor(res.Council.ID, res.Council.Slug))
}

// serverOptions are what a test's server may differ in.
type serverOptions struct {
	now    func() time.Time // the server's clock; nil: the real one
	public bool             // its public address set, which single sign-on's redirect address needs
	mail   bool             // email sent to a small SMTP server on loopback (startMail)
}

// serve starts the real server, sending email, on a free loopback port and
// returns its base URL.
func serve(t *testing.T, db *storage.DB) string {
	t.Helper()
	return startServer(t, db, serverOptions{mail: true})
}

// startServer starts the real server on a free loopback port and returns
// its base URL; it shuts down gracefully when the test ends.
func startServer(t *testing.T, db *storage.DB, o serverOptions) string {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := server.New(db, logger)
	if o.now != nil {
		srv.Now = o.now
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	if o.public {
		srv.PublicURL = base
	}
	// Chromium treats http://127.0.0.1 as a secure context and keeps the
	// service's Secure cookies, so srv.InsecureCookies stays false: the
	// test sees the cookies production sends.
	httpSrv := srv.HTTPServer("127.0.0.1:0")
	done := make(chan error, 1)
	go func() { done <- httpSrv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := httpSrv.Shutdown(ctx); err != nil {
			t.Errorf("shut down the server: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("server: %v", err)
		}
	})
	if o.mail {
		startMail(t, db, base, logger)
	}
	return base
}
