package liveview

// secSlot holds what ended during one second.
type secSlot struct {
	sec     int64
	spans   uint32
	errors  uint32
	buckets [numBuckets]uint32
}

// series is a ring of per-second slots indexed by Unix second. A slot is
// reused when a later second maps onto it; data older than the window is
// dropped.
type series struct {
	slots []secSlot
}

func newSeries(seconds int) series {
	return series{slots: make([]secSlot, seconds)}
}

func (s *series) slot(sec int64) *secSlot {
	n := int64(len(s.slots))
	return &s.slots[((sec%n)+n)%n]
}

// add counts one span that ended in second sec. It reports false when sec is
// older than what the ring holds for its slot (the span is outside the
// window).
func (s *series) add(sec int64, bucket int, isErr bool) bool {
	sl := s.slot(sec)
	if sl.sec != sec {
		if sl.sec > sec {
			return false
		}
		*sl = secSlot{sec: sec}
	}
	sl.spans++
	if isErr {
		sl.errors++
	}
	sl.buckets[bucket]++
	return true
}

// column is the sum of the slots of step consecutive seconds.
type column struct {
	Start   int64
	Spans   uint64
	Errors  uint64
	Buckets [numBuckets]uint64
}

// window returns the seconds (now-seconds, now] grouped into columns of step
// seconds, oldest first. seconds is clamped to the ring's length and rounded
// up to a multiple of step.
func (s *series) window(now int64, seconds, step int) []column {
	if step < 1 {
		step = 1
	}
	if seconds < 1 || seconds > len(s.slots) {
		seconds = len(s.slots)
	}
	ncol := (seconds + step - 1) / step
	if ncol*step > len(s.slots) {
		ncol = len(s.slots) / step
	}
	first := now - int64(ncol*step) + 1
	cols := make([]column, ncol)
	for c := range cols {
		col := &cols[c]
		col.Start = first + int64(c*step)
		for t := col.Start; t < col.Start+int64(step); t++ {
			sl := s.slot(t)
			if sl.sec != t {
				continue
			}
			col.Spans += uint64(sl.spans)
			col.Errors += uint64(sl.errors)
			for i, n := range sl.buckets {
				col.Buckets[i] += uint64(n)
			}
		}
	}
	return cols
}
