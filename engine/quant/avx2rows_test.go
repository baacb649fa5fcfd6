//go:build amd64

package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// TestFloatKernelsAgree checks that the F16 and BF16 fast paths of every
// level give the same bits: they sum the same exact products in the same 32
// lanes, in the same order (the scalar kernel, one sequential sum, may
// differ from them within checkFloatDot's bound).
func TestFloatKernelsAgree(t *testing.T) {
	for _, typ := range []ggml.Type{ggml.F16, ggml.BF16} {
		var ks []*MatKernel
		for _, set := range kernelSets {
			if k := set.kernels[typ]; k != nil {
				ks = append(ks, k)
			}
		}
		if len(ks) < 2 {
			continue
		}
		rng := rand.New(rand.NewPCG(uint64(typ), 3))
		for _, cols := range fastCols(typ) {
			const rows = 70 // more than one call of the dot kernel
			w := randomWeights(rng, typ, rows, cols)
			rb := len(w) / rows
			for ai, x := range randomActivations(rng, cols) {
				var first []float32
				for _, k := range ks {
					act := make([]byte, k.ActSize(cols))
					k.Quantize(x, act)
					got := make([]float32, rows)
					k.Rows(got, w, rb, act, cols)
					if first == nil {
						first = got
						continue
					}
					for r := range rows {
						if math.Float32bits(got[r]) != math.Float32bits(first[r]) {
							t.Fatalf("%s, cols %d, activations %d, row %d: %s %v, %s %v",
								typ, cols, ai, r, k.Name, got[r], ks[0].Name, first[r])
						}
					}
				}
			}
		}
	}
}

// BenchmarkKernelRowsFloat is BenchmarkKernelRows for the F16 and BF16
// fast paths (the weights' bytes per second).
func BenchmarkKernelRowsFloat(b *testing.B) {
	const cols, rows = 2048, 16384 // 64 MiB
	for _, typ := range []ggml.Type{ggml.F16, ggml.BF16} {
		f, _ := Lookup(typ)
		rng := rand.New(rand.NewPCG(1, 2))
		rb := 2 * cols
		w := make([]byte, rows*rb)
		x := make([]float32, cols)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := 0; i < len(w); i += 2 { // finite values of either sign
			w[i], w[i+1] = byte(rng.Uint32()), byte(rng.IntN(0x78))|byte(rng.IntN(2))<<7
		}
		out := make([]float32, rows)
		if k := Kernel(typ); k != nil {
			b.Run(fmt.Sprintf("%s/%s", typ, k.Name), func(b *testing.B) {
				act := make([]byte, k.ActSize(cols))
				k.Quantize(x, act)
				b.SetBytes(int64(len(w)))
				cpu := startCPU()
				for b.Loop() {
					k.Rows(out, w, rb, act, cols)
				}
				cpu.report(b, len(w))
			})
		}
		b.Run(typ.String()+"/scalar", func(b *testing.B) {
			xq := make([]byte, rb)
			f.Quantize(x, xq)
			b.SetBytes(int64(len(w)))
			cpu := startCPU()
			for b.Loop() {
				for r := range rows {
					out[r] = f.VecDot(cols, w[r*rb:(r+1)*rb], xq)
				}
			}
			cpu.report(b, len(w))
		})
	}
}
