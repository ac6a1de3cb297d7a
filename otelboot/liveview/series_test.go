package liveview

import "testing"

func TestSeriesWindow(t *testing.T) {
	const now = 1_700_000_000
	s := newSeries(seriesSeconds)
	s.add(now, 3, false)
	s.add(now, 3, true)
	s.add(now-1, 5, false)
	s.add(now-59, 1, true)
	s.add(now-60, 1, false) // just outside a 60 s window
	s.add(now-899, 2, false)

	cols := s.window(now, 60, 1)
	if len(cols) != 60 || cols[0].Start != now-59 || cols[59].Start != now {
		t.Fatalf("60 s window: %d columns from %d to %d", len(cols), cols[0].Start, cols[len(cols)-1].Start)
	}
	if c := cols[59]; c.Spans != 2 || c.Errors != 1 || c.Buckets[3] != 2 {
		t.Errorf("last second = %+v, want 2 spans, 1 error in bucket 3", c)
	}
	if c := cols[58]; c.Spans != 1 || c.Buckets[5] != 1 {
		t.Errorf("second before = %+v", c)
	}
	if c := cols[0]; c.Spans != 1 || c.Errors != 1 {
		t.Errorf("first second = %+v", c)
	}
	total := func(cols []column) (n, e uint64) {
		for _, c := range cols {
			n += c.Spans
			e += c.Errors
		}
		return n, e
	}
	if n, e := total(cols); n != 4 || e != 2 {
		t.Errorf("60 s window totals %d spans %d errors, want 4 and 2", n, e)
	}

	// Steps group seconds; the window is rounded up to whole steps.
	cols = s.window(now, 60, 7)
	if len(cols) != 9 || cols[8].Start != now-6 || cols[0].Start != now-62 {
		t.Fatalf("step 7: %d columns, first %d last %d", len(cols), cols[0].Start, cols[len(cols)-1].Start)
	}
	if n, _ := total(cols); n != 5 {
		t.Errorf("63 s window holds %d spans, want 5", n)
	}

	// The whole ring: 15 minutes.
	cols = s.window(now, 0, 1)
	if n, _ := total(cols); len(cols) != seriesSeconds || n != 6 {
		t.Errorf("full window: %d columns, %d spans; want %d and 6", len(cols), n, seriesSeconds)
	}

	// A second 900 s older than a held one shares its slot and is dropped.
	if s.add(now-900, 0, false) {
		t.Error("add of a second older than the window succeeded")
	}
	// Moving 900 s on reuses the slot: the old second no longer counts.
	s.add(now+900, 4, false)
	cols = s.window(now+900, 900, 1)
	if n, _ := total(cols); n != 1 {
		t.Errorf("after a full turn the window holds %d spans, want 1", n)
	}
	if c := cols[len(cols)-1]; c.Start != now+900 || c.Buckets[4] != 1 || c.Buckets[3] != 0 {
		t.Errorf("reused slot = %+v", c)
	}
}
