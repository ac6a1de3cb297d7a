//go:build !unix

package utf8guard

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
