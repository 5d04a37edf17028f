//go:build unix

package brokerage

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time so far: on a shared,
// loaded machine it says what a run cost better than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
