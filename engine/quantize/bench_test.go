package quantize

import (
	"io"
	"testing"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/internal/golden"
)

// BenchmarkFile measures whole-file quantization of the golden llama F32
// model; MB/s is of F32 input.
func BenchmarkFile(b *testing.B) {
	src, err := gguf.Open(golden.Path(b, "models", "llama-f32.gguf"))
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var size int64
	for _, t := range src.Tensors {
		size += t.Size
	}
	for _, recipe := range []string{"Q4_K_M", "Q8_0", "Q6_K", "Q4_0"} {
		b.Run(recipe, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				if _, err := File(src, io.Discard, Options{Recipe: recipe}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
