//go:build !race

package instrumentation_test

// raceEnabled: see race_test.go.
const raceEnabled = false
