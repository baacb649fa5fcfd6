package quantize

import (
	"bytes"
	"io"
	"testing"

	"github.com/kiln-llm/kiln/engine/gguf"
)

// FuzzFile feeds any GGUF the parser accepts to File: it may fail, but
// must not panic or hang.
func FuzzFile(f *testing.F) {
	for _, tied := range []bool{false, true} {
		var buf bytes.Buffer
		src := shape{arch: "llama", dim: 32, layers: 1, heads: 1, kvHeads: 1, ffn: 64, vocab: 8, tied: tied}.source()
		if _, err := Write(src, &buf, Options{Recipe: "F32"}); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes(), "Q4_K_M", false)
	}
	f.Fuzz(func(t *testing.T, data []byte, recipe string, pure bool) {
		g, err := gguf.Parse(data)
		if err != nil {
			return
		}
		_, _ = File(g, io.Discard, Options{Recipe: recipe, Pure: pure, Threads: 2})
	})
}
