//go:build unix

package liveview

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) used by the process so
// far, all threads included: GC and background aggregation count too.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
