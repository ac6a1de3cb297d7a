//go:build !unix

package spanmetrics

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
