//go:build !race

package httpx

// raceEnabled: see race_test.go.
const raceEnabled = false
