package quant

import (
	"math/rand/v2"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// BenchmarkKernelRows measures one thread streaming a weight matrix larger
// than the last-level cache through a fast path (bytes/s: weights read),
// against the scalar kernel.
func BenchmarkKernelRows(b *testing.B) {
	const cols, rows = 2048, 32768 // 64 MiB of Q8_0, 36 MiB of Q4_K
	for _, typ := range []ggml.Type{ggml.Q4_0, ggml.Q5_0, ggml.Q8_0, ggml.Q4_K, ggml.Q5_K, ggml.Q6_K} {
		f, _ := Lookup(typ)
		rng := rand.New(rand.NewPCG(1, 2))
		rb, _ := typ.RowSize(cols)
		w := make([]byte, rows*int(rb))
		for i := range w {
			w[i] = byte(rng.Uint32())
		}
		for o := 0; o < len(w); o += typ.TypeSize() {
			for _, h := range halfOffsets[typ] {
				w[o+h], w[o+h+1] = 0, 0x10
			}
		}
		x := make([]float32, cols)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		out := make([]float32, rows)
		if k := fastKernels[typ]; k != nil {
			b.Run(typ.String()+"/"+k.Name, func(b *testing.B) {
				act := make([]byte, k.ActSize(cols))
				k.Quantize(x, act)
				b.SetBytes(int64(len(w)))
				cpu := startCPU()
				for b.Loop() {
					k.Rows(out, w, int(rb), act, cols)
				}
				cpu.report(b, len(w))
			})
		}
		b.Run(typ.String()+"/scalar", func(b *testing.B) {
			vf, _ := Lookup(f.VecDotType)
			xq := make([]byte, rowBytes(b, f.VecDotType, cols))
			vf.Quantize(x, xq)
			b.SetBytes(int64(len(w)))
			cpu := startCPU()
			for b.Loop() {
				for r := range rows {
					out[r] = f.VecDot(cols, w[r*int(rb):(r+1)*int(rb)], xq)
				}
			}
			cpu.report(b, len(w))
		})
	}
}
