//go:build race

package instrumentation_test

// raceEnabled: the race detector allocates on its own, so allocation
// counts are not compared under -race.
const raceEnabled = true
