package access

import (
	"context"
	"strings"
	"time"
)

// ThrottleStore keeps failed sign-ins in the database, so every server
// behind a load balancer sees the same counts.
type ThrottleStore interface {
	SignInFailures(ctx context.Context, key string, since time.Time) (n int, oldest, newest time.Time, err error)
	RecordSignInFailure(ctx context.Context, keys []string) error
	ClearSignInFailures(ctx context.Context, key string) error
}

// Throttle brakes password guessing without letting a stranger lock a
// person out of their own account:
//   - per account and client address: after PairMax failures in Window, that
//     address may not try that account until the oldest failure leaves the
//     window (the owner, elsewhere, is untouched);
//   - per account, from anywhere: after AccountMax failures in Window each
//     further try waits AccountDelay after the last failure. This delays a
//     guesser spread over many addresses but never locks the owner out;
//   - per client address, over every account: AddressMax failures in Window
//     (password spraying).
type Throttle struct {
	PairMax, AccountMax, AddressMax int
	Window, AccountDelay            time.Duration
}

// NewThrottle returns the service's limits.
func NewThrottle() *Throttle {
	return &Throttle{PairMax: 5, AccountMax: 10, AddressMax: 100, Window: 15 * time.Minute, AccountDelay: 30 * time.Second}
}

// ThrottleKeys are the keys one sign-in attempt counts against.
type ThrottleKeys struct{ Pair, Account, Address string }

// KeysFor returns the keys for an email (or any account name) and address.
func KeysFor(email, address string) ThrottleKeys {
	email = strings.ToLower(strings.TrimSpace(email))
	return ThrottleKeys{Pair: "pair:" + email + "|" + address, Account: "account:" + email, Address: "ip:" + address}
}

// ThrottleCounts are the failures recorded inside the window for each key.
type ThrottleCounts struct {
	Pair, Account, Address                   int
	PairOldest, AccountNewest, AddressOldest time.Time
}

// Wait says how long an attempt must wait, from the counts: 0 to go ahead.
func (t *Throttle) Wait(c ThrottleCounts, now time.Time) time.Duration {
	var wait time.Duration
	longer := func(d time.Duration) {
		if d > wait {
			wait = d
		}
	}
	if c.Pair >= t.PairMax {
		longer(c.PairOldest.Add(t.Window).Sub(now))
	}
	if c.Account >= t.AccountMax {
		longer(c.AccountNewest.Add(t.AccountDelay).Sub(now))
	}
	if c.Address >= t.AddressMax {
		longer(c.AddressOldest.Add(t.Window).Sub(now))
	}
	return wait
}

// Check reads the counts from the store and says how long to wait.
func (t *Throttle) Check(ctx context.Context, st ThrottleStore, k ThrottleKeys, now time.Time) (time.Duration, error) {
	since := now.Add(-t.Window)
	var c ThrottleCounts
	var err error
	if c.Pair, c.PairOldest, _, err = st.SignInFailures(ctx, k.Pair, since); err != nil {
		return 0, err
	}
	if c.Account, _, c.AccountNewest, err = st.SignInFailures(ctx, k.Account, since); err != nil {
		return 0, err
	}
	if c.Address, c.AddressOldest, _, err = st.SignInFailures(ctx, k.Address, since); err != nil {
		return 0, err
	}
	return t.Wait(c, now), nil
}

// Fail records a failed attempt against every key.
func (t *Throttle) Fail(ctx context.Context, st ThrottleStore, k ThrottleKeys) error {
	return st.RecordSignInFailure(ctx, []string{k.Pair, k.Account, k.Address})
}

// Succeed clears the pair's failures. The account's stay: a guesser
// elsewhere must not be let off by the owner signing in.
func (t *Throttle) Succeed(ctx context.Context, st ThrottleStore, k ThrottleKeys) error {
	return st.ClearSignInFailures(ctx, k.Pair)
}
