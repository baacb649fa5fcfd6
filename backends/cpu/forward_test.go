package cpu_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/kiln-llm/kiln/backends/cpu"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/model"
	"github.com/kiln-llm/kiln/internal/golden"
)

// loadModel opens a GGUF and builds its model on a 2-thread CPU backend.
func loadModel(tb testing.TB, path string) (model.Model, func()) {
	tb.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	b := cpu.New(2)
	m, err := model.Load(f, b)
	if err != nil {
		tb.Fatal(err)
	}
	return m, func() { b.Close(); f.Close() }
}

// TestDecodeStepAllocatesNothing checks that a one-token forward pass, the
// step generation repeats, allocates no memory.
func TestDecodeStepAllocatesNothing(t *testing.T) {
	for _, name := range []string{"llama-q4_k_m", "qwen2-q8_0", "qwen3-q4_k_m", "llama-f16"} {
		t.Run(name, func(t *testing.T) {
			m, done := loadModel(t, golden.Path(t, "models", name+".gguf"))
			defer done()
			cfg := m.Config()
			s := model.NewScratch(cfg, 64)
			cache := model.NewCache(cfg, 256)
			logits := make([]float32, cfg.Vocab)
			chunks := []model.Chunk{{Cache: cache, Tokens: []int32{1, 2, 3, 4}, Logits: logits}}
			if err := model.Forward(m, s, chunks); err != nil {
				t.Fatal(err)
			}
			tok := []int32{5}
			chunks[0].Tokens = tok
			pos := 4
			allocs := testing.AllocsPerRun(20, func() {
				chunks[0].Pos = pos
				if err := model.Forward(m, s, chunks); err != nil {
					t.Fatal(err)
				}
				pos++
			})
			if allocs != 0 {
				t.Errorf("a decode step allocates %v times", allocs)
			}
		})
	}
}

// BenchmarkDecode times one-token steps on the model named by
// $KILN_BENCH_MODEL (a full-size GGUF, see internal/benchgen).
func BenchmarkDecode(b *testing.B) {
	path := os.Getenv("KILN_BENCH_MODEL")
	if path == "" {
		b.Skip("set KILN_BENCH_MODEL to a GGUF file")
	}
	m, done := loadModel(b, path)
	defer done()
	cfg := m.Config()
	s := model.NewScratch(cfg, 512)
	cache := model.NewCache(cfg, 4096)
	logits := make([]float32, cfg.Vocab)
	chunks := []model.Chunk{{Cache: cache, Tokens: []int32{1}, Logits: logits}}
	pos := 0
	step := func() {
		chunks[0].Pos = pos
		if err := model.Forward(m, s, chunks); err != nil {
			b.Fatal(err)
		}
		pos++
		if pos == 4096 {
			pos = 0
			cache.Truncate(0)
		}
	}
	step()
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkPrefill times one batch of 512 tokens on the model named by
// $KILN_BENCH_MODEL, run in passes of 512, 256 and 128 tokens.
func BenchmarkPrefill(b *testing.B) {
	path := os.Getenv("KILN_BENCH_MODEL")
	if path == "" {
		b.Skip("set KILN_BENCH_MODEL to a GGUF file")
	}
	m, done := loadModel(b, path)
	defer done()
	cfg := m.Config()
	const n = 512
	cache := model.NewCache(cfg, n)
	logits := make([]float32, cfg.Vocab)
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(i * 7919 % cfg.Vocab)
	}
	for _, micro := range []int{512, 256, 128} {
		b.Run(fmt.Sprintf("pass%d", micro), func(b *testing.B) {
			s := model.NewScratch(cfg, micro)
			for range b.N {
				cache.Truncate(0)
				if err := model.Forward(m, s, []model.Chunk{{Cache: cache, Tokens: ids, Logits: logits}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}
