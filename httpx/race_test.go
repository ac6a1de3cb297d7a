//go:build race

package httpx

// raceEnabled: the race detector allocates on its own, so allocation
// counts are not compared under -race.
const raceEnabled = true
