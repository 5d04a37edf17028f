package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/caremarket/caremarket/market"
)

// Outgoing is a queued message claimed for sending.
type Outgoing struct {
	ID       int64
	To       string
	Event    Event
	Attempts int // attempts made before this one
}

// OutboxEntry is a message as the admins' outbox page shows it.
type OutboxEntry struct {
	ID        int64      `json:"id"`
	Email     string     `json:"email"`
	Kind      Kind       `json:"kind"`
	Path      string     `json:"path"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

// Store is what the pages need from storage: each person's choices and the
// admins' view of the outbox.
type Store interface {
	NotificationChoices(ctx context.Context) (map[Kind]bool, error)
	SetNotificationChoices(ctx context.Context, on []Kind) error
	Outbox(ctx context.Context, status string, page market.Page) ([]OutboxEntry, int, error)
}

// Outbox is what the worker needs from storage.
type Outbox interface {
	ClaimOutbox(ctx context.Context, holder string, limit int, lease time.Duration) ([]Outgoing, error)
	MarkSent(ctx context.Context, id int64) error
	MarkFailed(ctx context.Context, id int64, attempts int, err error) error
}

// Worker sends what the outbox holds. Several servers may each run one:
// a claimed message is theirs alone while the claim lasts.
type Worker struct {
	Outbox  Outbox
	Sender  Sender
	BaseURL string // links in emails start with it
	Holder  string // this server's name
	Logger  *slog.Logger
}

// claimLease is how long a claim lasts: longer than a send can take, so a
// message is sent once; a server that dies frees its claims after it.
const claimLease = 2 * time.Minute

// SendDue sends the due messages, a batch at a time, and reports how many
// were sent and how many failed.
func (w *Worker) SendDue(ctx context.Context) (sent, failed int) {
	for {
		batch, err := w.Outbox.ClaimOutbox(ctx, w.Holder, 20, claimLease)
		if err != nil {
			w.Logger.ErrorContext(ctx, "outbox claim", "err", err)
			return
		}
		if len(batch) == 0 {
			return
		}
		for _, o := range batch {
			sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := w.Sender.Send(sendCtx, Compose(o.Event, o.To, w.BaseURL))
			cancel()
			if err != nil {
				failed++
				w.Logger.WarnContext(ctx, "email not sent", "outbox_id", o.ID, "attempt", o.Attempts+1, "err", err)
				if err := w.Outbox.MarkFailed(ctx, o.ID, o.Attempts+1, err); err != nil {
					w.Logger.ErrorContext(ctx, "outbox", "err", err)
				}
				continue
			}
			sent++
			if err := w.Outbox.MarkSent(ctx, o.ID); err != nil {
				w.Logger.ErrorContext(ctx, "outbox", "err", err)
			}
		}
	}
}

// Loop sends due messages every tick until ctx ends.
func (w *Worker) Loop(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		w.SendDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
