package storage

import (
	"context"
	"fmt"
	"sync"

	"github.com/caremarket/caremarket"
)

// Group commit. A durable commit costs one fsync (SQLite with
// synchronous=FULL, PostgreSQL's WAL flush), and the disk does only so
// many a second: acceptances committing one at a time queue on it. So
// acceptances that arrive together share one transaction and one commit.
//
// Callers queue their change; one goroutine at a time (the batcher) takes
// every change waiting, up to maxGroup, with no artificial delay (a lone
// change runs at once, as its own transaction, with no savepoint), and runs
// each inside its own SAVEPOINT of one transaction: a change that fails
// (a conflict, an expired offer, no vacancy left) rolls back to its
// savepoint and gets its own error, and the others go on. The batch then
// commits once, and only then is anyone answered: nobody hears "accepted"
// before the commit is durable. If the commit fails, every change in the
// batch gets the error, and none of them happened.
//
// Each change is the same function, with its own actor, clock and request,
// as it would be alone: the same conditional updates, audit record and
// notifications. The database's row locks still decide between servers.
//
// Deadlock. A change alone takes its locks in one order (the offer, the
// requirement, the vacancy, the audit chain head) and so do other writers,
// so no two wait for each other. A batch breaks that order: once its first
// change holds a council's head, a later change that waits for a row
// another transaction holds, while that transaction waits for the head,
// would wait for ever (PostgreSQL finds the cycle only after its
// deadlock_timeout, and then fails one side). So on PostgreSQL only the
// first change of a batch waits for locks as long as it needs; every later
// change runs under a short lock_timeout, and one that times out is rolled
// back to its savepoint and run again at the head of the next batch (as a
// change alone would have waited). A batch therefore never waits on
// another connection while holding anything but its first change's locks.
// SQLite has one writer: a batch holds it, as one transaction does.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*groupCall
	running bool
	// batches and changes count what ran, for the load tool's report.
	batches, changes int64
}

// GroupCommitStats reports how many batches acceptance has committed (or
// tried to) and how many changes they held: changes / batches is the mean
// batch size.
func (db *DB) GroupCommitStats() (batches, changes int64) {
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	return db.group.batches, db.group.changes
}

// maxGroup caps a batch. PostgreSQL keeps up to 64 subtransaction ids per
// transaction in shared memory and slows every session's snapshots beyond
// that; each savepoint that writes takes one, so a batch stays well below.
const maxGroup = 32

type groupCall struct {
	ctx   context.Context
	actor *caremarket.Actor
	fn    func(ctx context.Context, tx *Tx) error
	done  chan error
	// deadlocks counts the times PostgreSQL chose this change to end a
	// deadlock (deadlockLost).
	deadlocks int
}

// maxDeadlocks is how often a change may lose a deadlock and run again
// before its caller hears of it.
const maxDeadlocks = 3

// deadlockLost reports whether err is PostgreSQL ending a deadlock by
// failing this change, which then runs again at the head of the next batch,
// up to maxDeadlocks times. The other side of a deadlock (a guide-price
// adoption working out the performance summary again, say) holds rows an
// acceptance wants while waiting for rows the acceptance holds; once one
// side is rolled back the other goes on, so the change, run again, succeeds
// as it would have a moment later.
func (c *groupCall) deadlockLost(err error) bool {
	if !isDeadlock(err) || c.deadlocks >= maxDeadlocks {
		return false
	}
	c.deadlocks++
	return true
}

// updateGrouped is update with group commit: fn runs in a transaction
// that other changes may share, inside its own savepoint, and its error
// (or the commit's) is returned once the commit is durable. fn must use
// the ctx it is given: it keeps the caller's values (actor, request) but
// not its cancellation, because cancelling one statement could break the
// connection every change in the batch shares. A caller that gives up
// before its change is taken leaves the queue; once taken, it waits for
// the commit, so its answer is always the truth.
func (db *DB) updateGrouped(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	actor := caremarket.ActorFrom(ctx)
	if actor == nil {
		return caremarket.Errorf(caremarket.EUNAUTHORIZED, "Sign in to continue")
	}
	c := &groupCall{ctx: ctx, actor: actor, fn: fn, done: make(chan error, 1)}
	g := &db.group
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if !g.running {
		g.running = true
		go db.runGroups()
	}
	g.mu.Unlock()
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
	}
	g.mu.Lock()
	for i, q := range g.queue {
		if q == c {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			g.mu.Unlock()
			return fmt.Errorf("storage: waiting to write: %w", ctx.Err())
		}
	}
	g.mu.Unlock()
	return <-c.done
}

// runGroups is the batcher: it runs batches until the queue is empty.
func (db *DB) runGroups() {
	g := &db.group
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		if n == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		batch := make([]*groupCall, n)
		copy(batch, g.queue)
		g.queue = append(g.queue[:0], g.queue[n:]...)
		g.batches++
		g.changes += int64(n)
		g.mu.Unlock()
		retry := db.runGroup(batch)
		if len(retry) > 0 {
			// The first runs first in the next batch, waiting for its
			// locks as long as it needs, as it would alone.
			g.mu.Lock()
			g.queue = append(retry, g.queue...)
			g.mu.Unlock()
		}
	}
}

// runGroup runs one batch and answers its changes, all but those to run
// again, which it returns.
func (db *DB) runGroup(batch []*groupCall) (retry []*groupCall) {
	results := make([]error, len(batch))
	answer := func(err error) {
		for i, c := range batch {
			if results[i] == nil {
				results[i] = err
			}
			if !contains(retry, c) {
				c.done <- results[i]
			}
		}
	}
	ctx := context.Background()
	if db.writer != nil {
		db.writer <- struct{}{}
		defer func() { <-db.writer }()
	}
	sqlTx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		answer(fmt.Errorf("storage: begin: %w", err))
		return nil
	}
	// fail ends the batch: nothing in it happened, and everyone hears why.
	fail := func(err error) []*groupCall {
		sqlTx.Rollback()
		retry = nil
		answer(fmt.Errorf("storage: group commit: %w", err))
		return nil
	}
	alone := len(batch) == 1
	// Savepoint statements ride together, one round trip per change: the
	// end of one change's savepoint (released, or rolled back) and the
	// start of the next.
	var end string
	for i, c := range batch {
		cctx := context.WithoutCancel(c.ctx)
		tx := &Tx{Tx: sqlTx, db: db, actor: c.actor, now: db.now(), requestID: caremarket.RequestID(c.ctx), stmts: db.stmts}
		if alone {
			results[i] = runChange(cctx, tx, c.fn)
			break
		}
		// The lock wait is set after the first change's savepoint has ended:
		// set before, it would run in a failed change's aborted
		// subtransaction, fail, and take the whole batch down with it.
		begin := end + "SAVEPOINT change"
		if i == 1 && db.dialect.lockWait != "" {
			begin = end + db.dialect.lockWait + "; SAVEPOINT change"
		}
		if _, err := sqlTx.ExecContext(ctx, begin); err != nil {
			return fail(err)
		}
		results[i] = runChange(cctx, tx, c.fn)
		end = "RELEASE SAVEPOINT change; "
		if results[i] != nil {
			if i > 0 && isLockTimeout(results[i]) || c.deadlockLost(results[i]) {
				retry = append(retry, c)
			}
			end = "ROLLBACK TO SAVEPOINT change; RELEASE SAVEPOINT change; "
		}
	}
	if alone && results[0] != nil {
		sqlTx.Rollback()
		if batch[0].deadlockLost(results[0]) {
			retry = batch
		}
		answer(nil)
		return retry
	}
	if results[len(results)-1] != nil && !alone {
		if _, err := sqlTx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT change"); err != nil {
			return fail(err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		// Nothing in the batch happened: the changes to run again still
		// can; the others hear why.
		answer(fmt.Errorf("storage: commit: %w", err))
		return retry
	}
	answer(nil)
	return retry
}

// runChange runs one change, turning a panic into an error: the batcher
// runs outside the request's goroutine, where nothing else would recover.
func runChange(ctx context.Context, tx *Tx, fn func(ctx context.Context, tx *Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("storage: change panicked: %v", r)
		}
	}()
	return fn(ctx, tx)
}

func contains(calls []*groupCall, c *groupCall) bool {
	for _, q := range calls {
		if q == c {
			return true
		}
	}
	return false
}

// retryDeadlock runs change, one whole transaction, again while PostgreSQL
// ends it to break a deadlock (up to maxDeadlocks runs in all): it was
// rolled back whole, so running it again is as if it had come a moment
// later. Writers that touch many of the rows acceptances share (adopting
// guide prices works out every daily performance row of the month again)
// use it. change must start afresh each run, keeping nothing from a failed
// one.
func retryDeadlock[T any](change func() (T, error)) (T, error) {
	for run := 1; ; run++ {
		out, err := change()
		if !isDeadlock(err) || run == maxDeadlocks {
			return out, err
		}
	}
}
