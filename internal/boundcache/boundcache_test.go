package boundcache

import (
	"strconv"
	"sync"
	"testing"
)

func TestBound(t *testing.T) {
	for _, max := range []int{-1, 0, 1, 2, 100} {
		var c Map[string, int]
		for i := 0; i < 3*max+10; i++ {
			k := strconv.Itoa(i)
			if got := c.Store(k, i, max); got != i {
				t.Fatalf("max %d: Store(%q) = %d", max, k, got)
			}
		}
		want := max
		if want < 0 {
			want = 0
		}
		if c.Len() != want {
			t.Errorf("max %d: Len = %d", max, c.Len())
		}
		// The first keys are kept and served; the others are not stored.
		for i := 0; i < 3*max+10; i++ {
			v, ok := c.Load(strconv.Itoa(i))
			if ok != (i < want) || ok && v != i {
				t.Errorf("max %d: Load(%d) = %d, %v", max, i, v, ok)
			}
		}
	}
}

func TestStoreKeepsFirst(t *testing.T) {
	var c Map[string, *int]
	a, b := new(int), new(int)
	if c.Store("k", a, 10) != a || c.Store("k", b, 10) != a {
		t.Error("the second Store of a key does not return the first value")
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d after storing one key twice", c.Len())
	}
}

// TestConcurrentBound: however many goroutines store at once, the map
// never holds more than max entries, and every key stored is loadable.
func TestConcurrentBound(t *testing.T) {
	const max = 64
	var c Map[int, int]
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c.Store(i%200, i%200, max)
				c.Load(i % 200)
			}
		}()
	}
	wg.Wait()
	n := 0
	c.m.Range(func(k, v any) bool { n++; return true })
	if n > max || c.Len() != n {
		t.Errorf("%d entries, Len %d, max %d", n, c.Len(), max)
	}
}

func BenchmarkLoadHit(b *testing.B) {
	var c Map[string, int]
	c.Store("SELECT 1", 1, 16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := c.Load("SELECT 1"); !ok {
				b.Fatal("miss")
			}
		}
	})
}

// BenchmarkSyncMapHit is the pattern the wrappers used before Map (a
// sync.Map and a type assertion), for comparison with BenchmarkLoadHit.
func BenchmarkSyncMapHit(b *testing.B) {
	var m sync.Map
	m.Store("SELECT 1", 1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v, ok := m.Load("SELECT 1")
			if !ok || v.(int) != 1 {
				b.Fatal("miss")
			}
		}
	})
}
