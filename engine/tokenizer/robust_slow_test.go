//go:build slow

package tokenizer

import (
	"sort"
	"testing"
	"time"
)

// TestRobustnessTimings encodes 1 MB and 4 MB of each hostile input and
// 10 MB of mixed text with every golden vocabulary and logs the times. It
// fails if 4 times the input takes more than 10 times as long: a quadratic
// path would take 16 times; one huge word or symbol run (the merges' heap,
// O(n log n), outgrowing the CPU caches) takes 4 to 6 times.
//
//	go test -tags slow -run RobustnessTimings -v ./engine/tokenizer/
func TestRobustnessTimings(t *testing.T) {
	one, four := hostileInputs(1<<20), hostileInputs(4<<20)
	var kinds []string
	for k := range one {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	mixed := mixedText(t, 10<<20)
	for _, name := range []string{"llama3-bpe", "llama3-qwen2pre", "llama-2-tiny-random", "gemma2-spm"} {
		tk := loadGolden(t, name)
		for _, k := range kinds {
			t1 := timeEncode(tk, one[k])
			t4 := timeEncode(tk, four[k])
			t.Logf("%-20s %-12s 1 MB %8.1f ms   4 MB %8.1f ms", name, k, ms(t1), ms(t4))
			if t4 > 10*t1 && t4 > 200*time.Millisecond {
				t.Errorf("%s/%s: 1 MB in %v but 4 MB in %v: not linear", name, k, t1, t4)
			}
		}
		d := timeEncode(tk, mixed)
		t.Logf("%-20s %-12s 10 MB %7.1f ms (%.1f MB/s)", name, "mixed", ms(d), 10/d.Seconds())
	}
}

// timeEncode returns the best of two runs, to keep other processes on a
// shared machine out of the figure.
func timeEncode(tk *Tokenizer, s string) time.Duration {
	best := time.Duration(1 << 62)
	for range 2 {
		t0 := time.Now()
		tk.Encode(s, true, true)
		best = min(best, time.Since(t0))
	}
	return best
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
