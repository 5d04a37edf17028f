package access

import (
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not argon2id PHC", h)
	}
	tests := []struct {
		pw, hash string
		want     bool
	}{
		{"correct horse battery staple", h, true},
		{"correct horse battery stapl", h, false},
		{"", h, false},
		{"correct horse battery staple", "", false},
		{"correct horse battery staple", "$argon2i$v=19$m=19456,t=2,p=1$AAAA$AAAA", false},
		{"correct horse battery staple", "$argon2id$v=19$m=99999999,t=2,p=1$AAAA$AAAA", false},
		{"correct horse battery staple", strings.Replace(h, "t=2", "t=3", 1), false},
	}
	for _, tt := range tests {
		if got := CheckPassword(tt.pw, tt.hash); got != tt.want {
			t.Errorf("CheckPassword(%q, %q) = %v, want %v", tt.pw, tt.hash, got, tt.want)
		}
	}
	h2, _ := HashPassword("correct horse battery staple")
	if h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestSecret(t *testing.T) {
	s1, h1 := NewSecret()
	s2, _ := NewSecret()
	if s1 == s2 || len(s1) < 40 {
		t.Errorf("secrets %q %q: not random or too short", s1, s2)
	}
	if HashSecret(s1) != h1 || h1 == s1 || len(h1) != 64 {
		t.Errorf("hash %q of %q wrong", h1, s1)
	}
}

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	th := NewThrottle()
	th.Now = func() time.Time { return now }
	for i := range 5 {
		if ok, _ := th.Allowed("a@example.com"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		th.Fail("a@example.com")
		now = now.Add(time.Second)
	}
	ok, wait := th.Allowed("a@example.com")
	if ok || wait <= 0 || wait > 15*time.Minute {
		t.Fatalf("6th attempt: allowed=%v wait=%v, want refused with a wait", ok, wait)
	}
	if ok, _ := th.Allowed("b@example.com"); !ok {
		t.Error("another key is throttled too")
	}
	now = now.Add(15 * time.Minute)
	if ok, _ := th.Allowed("a@example.com"); !ok {
		t.Error("still throttled after the window")
	}
	th.Fail("a@example.com")
	th.Succeed("a@example.com")
	if len(th.failures) != 0 {
		t.Errorf("success did not clear: %v", th.failures)
	}
}

func TestUserValidate(t *testing.T) {
	tests := []struct {
		name  string
		u     User
		field string
	}{
		{"ok", User{Email: " Broker@Kent.gov.uk ", Role: caremarket.RoleBroker}, ""},
		{"bad email", User{Email: "not an email", Role: caremarket.RoleBroker}, "email"},
		{"display name email", User{Email: "Bob <bob@example.com>", Role: caremarket.RoleBroker}, "email"},
		{"bad role", User{Email: "a@b.com", Role: "king"}, "role"},
		{"provider without provider", User{Email: "a@b.com", Role: caremarket.RoleProvider}, "provider_id"},
		{"staff with provider", User{Email: "a@b.com", Role: caremarket.RoleBroker, ProviderID: 3}, "provider_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.u.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if tt.u.Email != "broker@kent.gov.uk" {
					t.Errorf("email not normalised: %q", tt.u.Email)
				}
				return
			}
			if _, ok := caremarket.ErrorFields(err)[tt.field]; !ok {
				t.Errorf("want error on %s, got %v", tt.field, caremarket.ErrorFields(err))
			}
		})
	}
}
