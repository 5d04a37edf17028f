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
	min := func(n int) time.Time { return now.Add(-time.Duration(n) * time.Minute) }
	for _, tt := range []struct {
		name string
		c    ThrottleCounts
		want time.Duration
	}{
		{"no failures", ThrottleCounts{}, 0},
		{"four from this address", ThrottleCounts{Pair: 4, PairOldest: min(1), Account: 4, AccountNewest: now}, 0},
		// Five from one address refuse that address for that account
		// until the oldest leaves the window.
		{"five from this address", ThrottleCounts{Pair: 5, PairOldest: min(5), Account: 5, AccountNewest: now}, 10 * time.Minute},
		// The owner at another address is untouched by five failures.
		{"five from elsewhere", ThrottleCounts{Pair: 0, Account: 5, AccountNewest: now}, 0},
		// Many failures from everywhere delay every attempt a little, never
		// lock: the wait is counted from the last failure.
		{"ten from everywhere, just now", ThrottleCounts{Account: 10, AccountNewest: now.Add(-10 * time.Second)}, 20 * time.Second},
		{"ten from everywhere, a minute ago", ThrottleCounts{Account: 10, AccountNewest: min(1)}, 0},
		{"spraying from one address", ThrottleCounts{Address: 100, AddressOldest: min(14)}, time.Minute},
	} {
		if got := th.Wait(tt.c, now); got != tt.want {
			t.Errorf("%s: wait %v, want %v", tt.name, got, tt.want)
		}
	}
	k := KeysFor(" A@Example.com ", "192.0.2.1")
	if k.Pair != "pair:a@example.com|192.0.2.1" || k.Account != "account:a@example.com" || k.Address != "ip:192.0.2.1" {
		t.Errorf("keys = %+v", k)
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
