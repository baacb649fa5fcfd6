//go:build slow

package engine

import (
	"math"
	"os"
	"testing"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/internal/golden"
)

// TestTolstoyPerplexity reproduces llama.cpp's validation perplexity of the
// three tolstoy files (trained/README.md) within 0.05%.
func TestTolstoyPerplexity(t *testing.T) {
	text, err := os.ReadFile(golden.Path(t, "trained", "tolstoy-val.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		want float64
	}{
		{"tolstoy-4m-f32.gguf", 41.355},
		{"tolstoy-4m-q8_0.gguf", 41.366},
		{"tolstoy-4m-q4_k_m.gguf", 41.471},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := gguf.Open(golden.Path(t, "trained", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			e, err := Load(f, Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			ids := e.Tokenizer.Encode(string(text), true, true)
			if len(ids) != 48651 || ids[0] != e.Tokenizer.BOS() {
				t.Fatalf("validation text is %d tokens (first %d), want BOS + 48650", len(ids), ids[0])
			}
			ppl, err := e.Perplexity(ids[1:], e.Tokenizer.BOS(), 256, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("perplexity %.4f (llama.cpp %.3f)", ppl, tc.want)
			if math.Abs(ppl-tc.want)/tc.want > 5e-4 {
				t.Fatalf("perplexity %.4f, llama.cpp %.3f: more than 0.05%% apart", ppl, tc.want)
			}
		})
	}
}
