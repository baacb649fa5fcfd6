package tokenizer

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/internal/golden"
)

// tolstoy returns tolstoy-val.txt (160 KB of War and Peace) repeated to
// about n bytes.
func tolstoy(t testing.TB, n int) string {
	b, err := os.ReadFile(golden.Path(t, "trained", "tolstoy-val.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Repeat(string(b), max(1, n/len(b)))
}

// BenchmarkEncode measures Encode on ~4 MB of War and Peace with each
// golden vocabulary, on one goroutine: b.SetBytes makes the MB/s column
// the figure to report.
func BenchmarkEncode(b *testing.B) {
	text := tolstoy(b, 4<<20)
	for _, name := range []string{"llama3-bpe", "llama3-qwen2pre", "llama-2-tiny-random", "gemma2-spm"} {
		b.Run(name, func(b *testing.B) {
			tk := loadGolden(b, name)
			tk.Encode(text[:1<<16], true, true) // warm the pools and the flag table
			b.SetBytes(int64(len(text)))
			b.ResetTimer()
			c0 := cpuTime()
			for range b.N {
				tk.Encode(text, true, false)
			}
			reportCPU(b, c0, len(text))
		})
	}
}

// BenchmarkDecode measures Decode of the ids of ~4 MB of text.
func BenchmarkDecode(b *testing.B) {
	text := tolstoy(b, 4<<20)
	for _, name := range []string{"llama3-bpe", "llama-2-tiny-random"} {
		b.Run(name, func(b *testing.B) {
			tk := loadGolden(b, name)
			ids := tk.Encode(text, true, false)
			b.SetBytes(int64(len(text)))
			b.ResetTimer()
			c0 := cpuTime()
			for range b.N {
				tk.Decode(ids, true, false)
			}
			reportCPU(b, c0, len(text))
		})
	}
}

// BenchmarkLoad measures building the Llama 3 tokenizer (128k tokens, 280k
// merges) from parsed GGUF metadata, which is what a model load pays.
func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile(golden.Gunzip(b, "tokenizer", "llama3-bpe.vocab.gguf.gz"))
	if err != nil {
		b.Fatal(err)
	}
	f, err := gguf.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	c0 := cpuTime()
	for range b.N {
		if _, err := FromGGUF(f); err != nil {
			b.Fatal(err)
		}
	}
	if c := cpuTime() - c0; c > 0 {
		b.ReportMetric(float64(c.Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}

// reportCPU adds the throughput by CPU time, the honest figure for one
// core on a machine shared with other work (run with -cpu 1).
func reportCPU(b *testing.B, c0 time.Duration, n int) {
	if c := cpuTime() - c0; c > 0 {
		b.ReportMetric(float64(n)*float64(b.N)/c.Seconds()/1e6, "cpu-MB/s")
	}
}
