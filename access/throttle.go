package access

import (
	"sync"
	"time"
)

// Throttle limits failed sign-in attempts per key (an email address, and
// separately a client address): after MaxFailures failures inside Window the
// key is refused until the oldest failure leaves the window. A success clears
// the key. It lives in memory: a restart forgets it, which is acceptable for a
// brake on password guessing but not a lockout policy.
type Throttle struct {
	MaxFailures int
	Window      time.Duration
	Now         func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewThrottle returns a throttle allowing 5 failures in 15 minutes.
func NewThrottle() *Throttle {
	return &Throttle{MaxFailures: 5, Window: 15 * time.Minute, Now: time.Now, failures: map[string][]time.Time{}}
}

// Allowed reports whether key may try again now, and if not, how long to wait.
func (t *Throttle) Allowed(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	recent := t.prune(key, now)
	if len(recent) < t.MaxFailures {
		return true, 0
	}
	return false, recent[0].Add(t.Window).Sub(now)
}

// Fail records a failed attempt.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	t.failures[key] = append(t.prune(key, now), now)
	if len(t.failures) > 100_000 { // bound memory under a flood of keys
		for k := range t.failures {
			if len(t.prune(k, now)) == 0 {
				delete(t.failures, k)
			}
		}
	}
}

// Succeed clears the failures of key.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}

func (t *Throttle) prune(key string, now time.Time) []time.Time {
	list := t.failures[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= t.Window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(t.failures, key)
		return nil
	}
	t.failures[key] = list
	return list
}
