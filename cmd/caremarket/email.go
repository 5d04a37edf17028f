package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/caremarket/caremarket/internal/jobs"
	"github.com/caremarket/caremarket/notify"
	"github.com/caremarket/caremarket/storage"
)

// emailFlags say how caremarket sends email: through the council's SMTP
// relay, or through GOV.UK Notify. Without either, messages wait in the
// outbox (admins see them) until one is configured.
type emailFlags struct {
	smtpAddr, smtpFrom, smtpUser, smtpPass string
	smtpStartTLS                           bool
	notifyKey, notifyTemplate              string
}

func (e *emailFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.smtpAddr, "smtp-addr", os.Getenv("CAREMARKET_SMTP_ADDR"), "the council's mail relay, host:port (default $CAREMARKET_SMTP_ADDR)")
	fs.StringVar(&e.smtpFrom, "smtp-from", os.Getenv("CAREMARKET_SMTP_FROM"), "the sender address of emails (default $CAREMARKET_SMTP_FROM)")
	fs.StringVar(&e.smtpUser, "smtp-username", os.Getenv("CAREMARKET_SMTP_USERNAME"), "relay user name, if it needs one (default $CAREMARKET_SMTP_USERNAME)")
	fs.StringVar(&e.smtpPass, "smtp-password", os.Getenv("CAREMARKET_SMTP_PASSWORD"), "relay password (default $CAREMARKET_SMTP_PASSWORD; prefer the environment)")
	fs.BoolVar(&e.smtpStartTLS, "smtp-starttls", os.Getenv("CAREMARKET_SMTP_STARTTLS") != "", "upgrade the relay connection with STARTTLS (default on when $CAREMARKET_SMTP_STARTTLS is set)")
	fs.StringVar(&e.notifyKey, "notify-api-key", os.Getenv("CAREMARKET_NOTIFY_API_KEY"), "send through GOV.UK Notify with this API key instead of SMTP (default $CAREMARKET_NOTIFY_API_KEY)")
	fs.StringVar(&e.notifyTemplate, "notify-template-id", os.Getenv("CAREMARKET_NOTIFY_TEMPLATE_ID"), "the Notify email template showing ((subject)) and ((body)) (default $CAREMARKET_NOTIFY_TEMPLATE_ID)")
}

// sender returns the configured sender, or nil when none is.
func (e *emailFlags) sender() (notify.Sender, error) {
	switch {
	case e.notifyKey != "":
		if e.notifyTemplate == "" {
			return nil, fmt.Errorf("--notify-api-key needs --notify-template-id")
		}
		return notify.GOVUKNotify{APIKey: e.notifyKey, TemplateID: e.notifyTemplate}, nil
	case e.smtpAddr != "":
		if e.smtpFrom == "" {
			return nil, fmt.Errorf("--smtp-addr needs --smtp-from, the sender address")
		}
		return notify.SMTP{Addr: e.smtpAddr, From: e.smtpFrom, Username: e.smtpUser, Password: e.smtpPass, StartTLS: e.smtpStartTLS}, nil
	}
	return nil, nil
}

// startEmail runs the outbox worker (every 30 seconds) when a sender is
// configured, and adds the reminder scan to the background jobs.
func startEmail(ctx context.Context, e emailFlags, publicURL, addr string, db *storage.DB, runner *jobs.Runner, logger *slog.Logger) error {
	runner.Jobs = append(runner.Jobs, jobs.Job{Name: "notification-reminders", Every: 15 * time.Minute, Run: func(ctx context.Context) error {
		n, err := db.QueueReminders(ctx, time.Now())
		if n > 0 {
			logger.InfoContext(ctx, "reminders queued", "emails", n)
		}
		return err
	}})
	s, err := e.sender()
	if err != nil {
		return err
	}
	if s == nil {
		logger.Warn("email is not configured (--smtp-addr or --notify-api-key): notifications wait in the outbox")
		return nil
	}
	base := publicURL
	if base == "" {
		base = "http://" + addr
	}
	host, _ := os.Hostname()
	w := &notify.Worker{Outbox: db, Sender: s, BaseURL: base, Holder: fmt.Sprintf("%s:%d", host, os.Getpid()), Logger: logger}
	go w.Loop(ctx, 30*time.Second)
	return nil
}
