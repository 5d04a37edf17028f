package notify_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/internal/smtptest"
	"github.com/caremarket/caremarket/notify"
)

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{{0, time.Minute}, {1, time.Minute}, {2, 5 * time.Minute}, {3, 15 * time.Minute}, {4, time.Hour}, {7, 8 * time.Hour}, {20, 8 * time.Hour}} {
		if got := notify.Backoff(tt.n); got != tt.want {
			t.Errorf("Backoff(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
}

func TestKindsByRole(t *testing.T) {
	for _, tt := range []struct {
		role caremarket.Role
		want string
	}{
		{caremarket.RoleProvider, "offer_new offer_expiring invitation award"},
		{caremarket.RoleCommissioner, "alert decision_overdue window_awaiting_award"},
		{caremarket.RoleBroker, ""},
	} {
		var got []string
		for _, k := range notify.KindsFor(tt.role) {
			got = append(got, string(k))
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("KindsFor(%s) = %v, want %s", tt.role, got, tt.want)
		}
	}
}

// TestComposeHasNoPersonalData: an offer's email names the service, the
// district and the link, and nothing else is given to it to leak.
func TestComposeHasNoPersonalData(t *testing.T) {
	m := notify.Compose(notify.Event{Kind: notify.OfferNew, Service: "Nursing", District: "Thanet", Path: "/offers/14", Urgent: true},
		"manager@larch.example", "https://care.kent.gov.uk/")
	if m.Subject != "Urgent: New offer: Nursing in Thanet" {
		t.Errorf("subject = %q", m.Subject)
	}
	if !strings.Contains(m.Body, "https://care.kent.gov.uk/offers/14\n") || !strings.Contains(m.Body, "/account/notifications") {
		t.Errorf("body = %q", m.Body)
	}
}

// TestSMTPDelivery sends through a real SMTP server on loopback.
func TestSMTPDelivery(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := notify.SMTP{Addr: srv.Addr, From: "caremarket@kent.gov.uk"}
	m := notify.Compose(notify.Event{Kind: notify.OfferNew, Service: "Nursing", District: "Thanet", Path: "/offers/14"}, "manager@larch.example", "https://care.example")
	srv.FailNext(1)
	if err := s.Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("a refused message: %v, want the relay's 451", err)
	}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Mail()
	if len(got) != 1 || got[0].To[0] != "manager@larch.example" || got[0].From != "caremarket@kent.gov.uk" ||
		!strings.Contains(got[0].Data, "Subject: New offer: Nursing in Thanet") || !strings.Contains(got[0].Data, "https://care.example/offers/14") {
		t.Fatalf("received %+v", got)
	}
	if err := (notify.SMTP{Addr: "127.0.0.1:1", From: "x@y"}).Send(context.Background(), m); err == nil {
		t.Fatal("a relay that is not there: no error")
	}
}

// TestGOVUKNotify sends to a local stub that speaks Notify's API and checks
// the token the way Notify does: HS256 over the service id, signed with the
// key's secret.
func TestGOVUKNotify(t *testing.T) {
	const service, secret = "26785a09-ab16-4eb0-8407-a37497a57506", "3d844edf-8d35-48ac-975b-e847b4f122b0"
	var got map[string]any
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/v2/notifications/email" {
			http.Error(w, "no such route", http.StatusNotFound)
			return
		}
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			http.Error(w, `{"errors":[{"error":"AuthError"}]}`, http.StatusForbidden)
			return
		}
		claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var c map[string]any
		json.Unmarshal(claims, &c)
		if c["iss"] != service || !validHS256(parts, secret) {
			http.Error(w, `{"errors":[{"error":"AuthError"}]}`, http.StatusForbidden)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"id":"740e5834-3a29-46b4-9a6f-16142fde533a"}`))
	}))
	defer stub.Close()
	n := notify.GOVUKNotify{APIKey: "caremarket_live-" + service + "-" + secret, TemplateID: "f33517ff-2a88-4f6e-b855-c550268ce08a", BaseURL: stub.URL}
	m := notify.Compose(notify.Event{Kind: notify.Invitation, Service: "Home care", District: "Dover", Path: "/competitions/3"}, "bids@agency.example", "https://care.example")
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	p, _ := got["personalisation"].(map[string]any)
	if got["email_address"] != "bids@agency.example" || got["template_id"] != n.TemplateID || p["subject"] != "Invitation to bid: Home care in Dover" {
		t.Errorf("Notify received %v", got)
	}
	bad := n
	bad.APIKey = "caremarket_live-" + service + "-00000000-0000-0000-0000-000000000000"
	if err := bad.Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a wrong key: %v, want Notify's 403", err)
	}
}
