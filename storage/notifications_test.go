package storage_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/internal/smtptest"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/notify"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestNotifications: an offer queues an email to the offered provider's
// people (not those who turned offers off, not another provider's) in the
// offer's own transaction; the worker sends it over SMTP with no personal
// data; a refused send is retried after its backoff; the expiring-offer
// reminder is queued once.
func TestNotifications(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		ctx := context.Background()
		// Each home has two people; the second turns new offers off.
		type person struct {
			user   *access.User
			offers bool
		}
		var people []person
		for _, loc := range []*market.Location{f.alpha, f.beta, f.gamma} {
			for i, on := range []bool{true, false} {
				u := &access.User{Email: fmt.Sprintf("home%d-%d@homes.example", loc.ID, i), Role: caremarket.RoleProvider, ProviderID: loc.ProviderID}
				if err := db.CreateUser(f.sys, u); err != nil {
					t.Fatal(err)
				}
				people = append(people, person{u, on})
				if on {
					continue
				}
				as := caremarket.NewContext(ctx, &caremarket.Actor{Email: u.Email, UserID: u.ID, CouncilID: caremarket.ActorFrom(f.sys).CouncilID,
					CouncilSlug: "kent", Role: caremarket.RoleProvider, ProviderID: loc.ProviderID})
				if err := db.SetNotificationChoices(as, []notify.Kind{notify.Award}); err != nil {
					t.Fatal(err)
				}
				choices, err := db.NotificationChoices(as)
				if err != nil || choices[notify.OfferNew] || !choices[notify.Award] || len(choices) != 4 {
					t.Fatalf("choices = %v %v", choices, err)
				}
			}
		}
		r := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		o, err := db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{ExpiresIn: 4 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		offered := o2LocationOf(f, o)
		var mine []string
		for _, p := range people {
			if p.user.ProviderID == offered.ProviderID && p.offers {
				mine = append(mine, p.user.Email)
			}
		}
		// No second offer for the same requirement while one is pending:
		// the queue holds exactly the first offer's message.
		entries, total, err := db.Outbox(storagetest.As(f.sys, caremarket.RoleAdmin, 0), "", market.Page{})
		if err != nil || total != len(mine) || entries[0].Email != mine[0] || entries[0].Kind != notify.OfferNew || entries[0].Status != "pending" {
			t.Fatalf("outbox after the offer: %+v (%d), %v; want one message to %v", entries, total, err, mine)
		}
		if _, _, err := db.Outbox(f.broker, "", market.Page{}); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("a broker reading the outbox: %v", err)
		}

		relay, err := smtptest.Start()
		if err != nil {
			t.Fatal(err)
		}
		defer relay.Close()
		w := &notify.Worker{Outbox: db, Sender: notify.SMTP{Addr: relay.Addr, From: "caremarket@kent.example"}, BaseURL: "https://care.kent.example",
			Holder: "test", Logger: slog.New(slog.DiscardHandler)}
		relay.FailNext(1)
		if sent, failed := w.SendDue(ctx); sent != 0 || failed != 1 {
			t.Fatalf("with the relay refusing: sent %d, failed %d", sent, failed)
		}
		if sent, _ := w.SendDue(ctx); sent != 0 {
			t.Fatal("a failed message was retried before its backoff")
		}
		f.now = f.now.Add(notify.Backoff(1) + time.Second)
		if sent, failed := w.SendDue(ctx); sent != 1 || failed != 0 {
			t.Fatalf("after the backoff: sent %d, failed %d", sent, failed)
		}
		mail := relay.Mail()
		if len(mail) != 1 || mail[0].To[0] != mine[0] || !strings.Contains(mail[0].Data, "New offer: Nursing in Thanet") ||
			!strings.Contains(mail[0].Data, "https://care.kent.example/offers/") {
			t.Fatalf("mail = %+v", mail)
		}
		for _, secret := range []string{"Edith", "Marine Parade", "CT9 1XY", "MOS-100001"} {
			if strings.Contains(mail[0].Data, secret) {
				t.Errorf("the email names %q", secret)
			}
		}
		if sent, _ := w.SendDue(ctx); sent != 0 {
			t.Error("a sent message was sent again")
		}

		// Two hours before expiry the reminder is queued, once.
		f.now = o.ExpiresAt.Add(-90 * time.Minute)
		if n, err := db.QueueReminders(ctx, f.now); err != nil || n != len(mine) {
			t.Fatalf("reminders queued %d, %v; want %d", n, err, len(mine))
		}
		if n, err := db.QueueReminders(ctx, f.now.Add(time.Minute)); err != nil || n != 0 {
			t.Fatalf("reminders queued again: %d, %v", n, err)
		}
	})
}
