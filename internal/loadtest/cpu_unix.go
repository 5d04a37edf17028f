//go:build unix

package loadtest

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) this process has used: the
// server and the load generator together when the server runs in-process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
