package e2e

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket/internal/smtptest"
	"github.com/caremarket/caremarket/notify"
	"github.com/caremarket/caremarket/storage"
)

// relays holds, by the server's base URL, the test SMTP server its emails
// go to: the browser journeys read what a person was sent from there.
var relays sync.Map

// startMail runs the email worker of the server at base against a real
// SMTP server on loopback, as serve --smtp-addr would against the council's
// relay.
func startMail(t *testing.T, db *storage.DB, base string, logger *slog.Logger) {
	t.Helper()
	relay, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &notify.Worker{Outbox: db, Sender: notify.SMTP{Addr: relay.Addr, From: "caremarket@kent.example"}, BaseURL: base,
		Holder: "e2e", Logger: logger}
	done := make(chan struct{})
	go func() { defer close(done); w.Loop(ctx, 200*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done; relay.Close() })
	relays.Store(base, relay)
}

// mailTo waits up to 20 seconds for an email to address whose subject
// holds subject, and returns its text.
func mailTo(t *testing.T, base, address, subject string) string {
	t.Helper()
	v, ok := relays.Load(base)
	if !ok {
		t.Fatalf("no mail relay for %s", base)
	}
	relay := v.(*smtptest.Server)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range relay.Mail() {
			if len(m.To) > 0 && strings.EqualFold(m.To[0], address) && strings.Contains(m.Data, subject) {
				return m.Data
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no email to %s about %q within 20 s (%d emails sent in all)", address, subject, len(relay.Mail()))
	return ""
}

var linkRe = regexp.MustCompile(`https?://\S+`)

// linkIn returns the first link of an email's text.
func linkIn(text string) string { return linkRe.FindString(text) }
