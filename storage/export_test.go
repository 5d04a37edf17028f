package storage

// HoldGroupCommit keeps db's batcher from starting until release is
// called, so the acceptances queued meanwhile run as one batch. Queued
// says how many are waiting.
func HoldGroupCommit(db *DB) (queued func() int, release func()) {
	db.group.mu.Lock()
	db.group.running = true
	db.group.mu.Unlock()
	queued = func() int {
		db.group.mu.Lock()
		defer db.group.mu.Unlock()
		return len(db.group.queue)
	}
	return queued, func() { go db.runGroups() }
}
