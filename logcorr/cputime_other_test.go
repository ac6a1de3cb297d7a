//go:build !unix

package logcorr

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
