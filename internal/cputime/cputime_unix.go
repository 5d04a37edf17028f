//go:build unix

// Package cputime reads the CPU time this process has used: on a shared,
// loaded machine it says what a run cost better than the wall clock.
package cputime

import (
	"syscall"
	"time"
)

// Process is the CPU time (user and system) this process has used so far:
// the server and the load generator together when the server runs
// in-process.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
