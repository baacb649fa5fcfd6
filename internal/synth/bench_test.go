package synth

import (
	"testing"

	"github.com/kiln-llm/kiln/engine/quantize"
)

// BenchmarkWrite measures generating and quantizing one Llama-3.2-1B-shaped
// layer with a small vocabulary; MB/s is of F32 weights.
func BenchmarkWrite(b *testing.B) {
	c := Presets["llama1b"]
	c.Layers, c.Vocab = 1, 4096
	m, err := New(c)
	if err != nil {
		b.Fatal(err)
	}
	for _, recipe := range []string{"Q4_K_M", "Q8_0", "F32"} {
		b.Run(recipe, func(b *testing.B) {
			var size int64
			for _, t := range m.Tensors() {
				size += t.Size
			}
			b.SetBytes(size)
			for b.Loop() {
				if _, err := m.Write(discard{}, quantize.Options{Recipe: recipe}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
