package cpu

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestPoolCoversEveryIndexOnce runs many ops of varied sizes, with spinning
// and with immediate parking, and checks each index is handed out once and
// worker ids stay in range.
func TestPoolCoversEveryIndexOnce(t *testing.T) {
	for _, spin := range []time.Duration{0, spinFor} {
		for _, threads := range []int{1, 2, 3, 5} {
			p := newPoolSpin(threads, spin)
			counts := make([]atomic.Int32, 1000)
			for op := range 300 {
				n, grain := 1+op*7%1000, 1+op%13
				p.run(n, grain, func(w, lo, hi int) {
					if w < 0 || w >= threads {
						t.Errorf("worker %d of %d", w, threads)
					}
					for i := lo; i < hi; i++ {
						counts[i].Add(1)
					}
				})
				for i := range n {
					if c := counts[i].Swap(0); c != 1 {
						t.Fatalf("threads %d spin %v op %d: index %d done %d times", threads, spin, op, i, c)
					}
				}
				if op%50 == 0 {
					time.Sleep(2 * spinFor) // let the workers park
				}
			}
			p.close()
		}
	}
}

// BenchmarkPoolRun measures the cost of one op that does nothing: the
// publication, the wake-up and the barrier.
func BenchmarkPoolRun(b *testing.B) {
	p := newPool(2)
	defer p.close()
	fn := func(int, int, int) {}
	for range b.N {
		p.run(64, 16, fn)
	}
}
