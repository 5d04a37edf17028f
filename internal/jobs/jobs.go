// Package jobs runs background work (the daily retention purge) once across
// however many servers share the database: a job runs only on the server
// that holds its lease row, and the lease is kept until the next run is due.
package jobs

import (
	"context"
	"log/slog"
	"time"
)

// Leaser is what the runner needs from storage.
type Leaser interface {
	TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	FinishLease(ctx context.Context, name, holder string, next time.Time) error
}

// Job is one piece of background work and how often it runs.
type Job struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// Runner runs jobs whose lease it can take.
type Runner struct {
	Store  Leaser
	Holder string // this server's name: host and process id
	Jobs   []Job
	Logger *slog.Logger
	Now    func() time.Time
}

// attempt is how long a server may hold a job's lease while running it; a
// server that dies mid-run frees the job after this.
const attempt = 30 * time.Minute

// RunDue runs every job whose lease this server can take now, and reports
// how many ran.
func (r *Runner) RunDue(ctx context.Context) int {
	ran := 0
	for _, j := range r.Jobs {
		ok, err := r.Store.TryLease(ctx, j.Name, r.Holder, attempt)
		if err != nil {
			r.Logger.ErrorContext(ctx, "job lease", "job", j.Name, "err", err)
			continue
		}
		if !ok {
			continue
		}
		start := r.Now()
		next := start.Add(j.Every)
		if err := j.Run(ctx); err != nil {
			// Try again after a short pause rather than a whole period.
			r.Logger.ErrorContext(ctx, "job failed", "job", j.Name, "err", err)
			next = start.Add(min(j.Every, 15*time.Minute))
		} else {
			ran++
			r.Logger.InfoContext(ctx, "job ran", "job", j.Name, "took", r.Now().Sub(start).Round(time.Millisecond))
		}
		if err := r.Store.FinishLease(ctx, j.Name, r.Holder, next); err != nil {
			r.Logger.ErrorContext(ctx, "job lease", "job", j.Name, "err", err)
		}
	}
	return ran
}

// Loop calls RunDue every tick until ctx ends.
func (r *Runner) Loop(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		r.RunDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
