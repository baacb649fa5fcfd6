//go:build amd64

package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// avx2Tiles returns the AVX2 kernels that have a tiled form, or skips.
func avx2Tiles(t testing.TB) []*MatKernel {
	for _, set := range kernelSets {
		if set.name != "avx2" {
			continue
		}
		var ks []*MatKernel
		for _, k := range set.kernels {
			if k.Tile != nil {
				ks = append(ks, k)
			}
		}
		return ks
	}
	t.Skip("no AVX2 on this CPU")
	return nil
}

// TestAVX2TilesPortableConversion runs the AVX2 tiles on activations
// converted without the AVX-512 conversion, as on a CPU that has only AVX2
// (TestFastTilesMatchScalar uses whichever this CPU runs).
func TestAVX2TilesPortableConversion(t *testing.T) {
	ks := avx2Tiles(t)
	defer func(v bool) { vecConversion = v }(vecConversion)
	vecConversion = false
	for _, k := range ks {
		t.Run(k.Type.String(), func(t *testing.T) {
			f, _ := Lookup(k.Type)
			vf, _ := Lookup(f.VecDotType)
			rng := rand.New(rand.NewPCG(uint64(k.Type), 3))
			const rows, cols, n = 7, 512, 11
			w := randomWeights(rng, k.Type, rows, cols)
			rb := len(w) / rows
			x := make([]float32, n*cols)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			block := make([]byte, k.TileActSize(cols))
			k.TileQuantize(x, cols, n, block)
			got := make([]float32, n*rows)
			k.Tile(got, rows, w, rb, rows, block, cols, n)
			xq := make([]byte, rowBytes(t, f.VecDotType, cols))
			for tok := range n {
				vf.Quantize(x[tok*cols:(tok+1)*cols], xq)
				for r := range rows {
					want := f.VecDot(cols, w[r*rb:(r+1)*rb], xq)
					if g := got[tok*rows+r]; math.Float32bits(g) != math.Float32bits(want) {
						t.Fatalf("token %d, row %d: tile %v, scalar %v", tok, r, g, want)
					}
				}
			}
		})
	}
}

// BenchmarkAVX2TileQuantize measures the AVX2 tiles' activation
// conversion of a full block of 2048-value rows, with and without the
// AVX-512 conversion underneath (an AVX2-only CPU runs the portable one).
func BenchmarkAVX2TileQuantize(b *testing.B) {
	const cols = 2048
	ks := avx2Tiles(b)
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, TileTokens*cols)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q4_K, ggml.Q6_K} {
		for _, k := range ks {
			if k.Type != typ {
				continue
			}
			block := make([]byte, k.TileActSize(cols))
			for _, vec := range []bool{false, true} {
				if vec && !vecConversion {
					continue
				}
				b.Run(fmt.Sprintf("%s/vec=%v", typ, vec), func(b *testing.B) {
					defer func(v bool) { vecConversion = v }(vecConversion)
					vecConversion = vec
					for b.Loop() {
						k.TileQuantize(x, cols, TileTokens, block)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
				})
			}
		}
	}
}
