//go:build amd64

package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// hasAVX2 skips unless this CPU runs the AVX2 kernels.
func hasAVX2(t testing.TB) {
	for _, set := range kernelSets {
		if set.name == "avx2" {
			return
		}
	}
	t.Skip("no AVX2 on this CPU")
}

// TestAVX2TilesMatchScalar checks every AVX2 tiled form, whether or not
// the AVX2 set has a one-token kernel of its type to attach it to, against
// the scalar kernel, on activations converted without the AVX-512
// conversion as on a CPU that has only AVX2 (TestFastTilesMatchScalar uses
// whichever this CPU runs).
func TestAVX2TilesMatchScalar(t *testing.T) {
	hasAVX2(t)
	useVecConversion(t, false)
	for typ, form := range avx2TileForms {
		t.Run(typ.String(), func(t *testing.T) {
			f, _ := Lookup(typ)
			vf, _ := Lookup(f.VecDotType)
			rng := rand.New(rand.NewPCG(uint64(typ), 3))
			for _, cols := range []int{256, 768} {
				for _, rows := range []int{1, 6, 9} {
					const n = 11
					w := randomWeights(rng, typ, rows, cols)
					rb := len(w) / rows
					x := make([]float32, n*cols)
					for i := range x {
						x[i] = float32(rng.NormFloat64())
					}
					if rows == 9 {
						oneSigned(rng, f, w, rows, x, cols)
					}
					block := make([]byte, form.size(cols))
					form.quantize(x, cols, n, block)
					got := make([]float32, n*rows)
					form.tile(got, rows, w, rb, rows, block, cols, n)
					xq := make([]byte, rowBytes(t, f.VecDotType, cols))
					for tok := range n {
						vf.Quantize(x[tok*cols:(tok+1)*cols], xq)
						for r := range rows {
							want := f.VecDot(cols, w[r*rb:(r+1)*rb], xq)
							if g := got[tok*rows+r]; math.Float32bits(g) != math.Float32bits(want) {
								t.Fatalf("cols %d, %d rows, token %d, row %d: tile %v, scalar %v", cols, rows, tok, r, g, want)
							}
						}
					}
				}
			}
		})
	}
}

// oneSigned makes the weights and activations all of one sign and nearly
// equal magnitude, so that the integer sums are large and have many
// significant bits: only then does the order of the float operations that
// follow show in the results (a product of FP16 scales and a sum below
// 2^13 is exact in any order).
func oneSigned(rng *rand.Rand, f *Format, w []byte, rows int, x []float32, cols int) {
	rb := len(w) / rows
	v := make([]float32, cols)
	for r := range rows {
		for i := range v {
			v[i] = float32(1 + rng.Float64()/8)
		}
		f.Quantize(v, w[r*rb:(r+1)*rb])
	}
	for i := range x {
		x[i] = float32(1 + rng.Float64()/64)
	}
}

// TestAVX2ConversionMatchesPortable checks the AVX2 tiles' activation
// conversions against the portable ones, byte for byte, on blocks that
// include zeros, ties for the largest magnitude, denormals, values too
// small for a finite inverse scale, infinities and NaN (the last three
// the AVX2 code hands back to the portable one).
func TestAVX2ConversionMatchesPortable(t *testing.T) {
	hasAVX2(t)
	useVecConversion(t, false)
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, 1e-40, -1e-40, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 3, -3}
	var vecK, vec0 int
	for trial := range 3000 {
		x := make([]float32, qkK)
		for i := range x {
			switch {
			case trial%8 == 0:
				x[i] = special[rng.IntN(len(special))]
			case trial%8 == 1:
				x[i] = 0
			case trial%8 == 2:
				x[i] = float32(rng.IntN(5) - 2)
			case trial%8 == 3:
				x[i] = float32(rng.NormFloat64() * 1e-38)
			default:
				x[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30)))
			}
		}
		if trial%8 == 4 {
			x[rng.IntN(qkK)] = float32(math.NaN())
		}
		for _, xor := range []byte{0, 0x80} {
			var got, want [q8KTypeSize]byte
			if quantQ8KSigmaAVX2(&x[0], &got[0], uint32(xor)*0x01010101) {
				vecK++
			}
			q8KSigmaAVX2(x, &got, xor)
			q8KSigma(x, &want, nil)
			for i := range qkK {
				want[4+i] ^= xor
			}
			if got != want {
				t.Fatalf("trial %d, xor %#x: AVX2 and portable Q8_K conversions differ", trial, xor)
			}
		}

		var gq, wq [qkK]byte
		var gd, wd [qkK / legacyBlock]float32
		var ws [qkK / legacyBlock]int32
		if quantQ8_0AVX2(&x[0], len(gd), &gq[0], &gd[0]) == len(gd) {
			vec0++
		}
		q80BlocksAVX2(x, gq[:], gd[:])
		q80Blocks(x, wq[:], wd[:], ws[:])
		for i := range gd {
			if math.Float32bits(gd[i]) != math.Float32bits(wd[i]) && !(gd[i] != gd[i] && wd[i] != wd[i]) {
				t.Fatalf("trial %d: Q8_0 block %d scale: AVX2 %v, portable %v", trial, i, gd[i], wd[i])
			}
		}
		if gq != wq {
			t.Fatalf("trial %d: AVX2 and portable Q8_0 conversions differ", trial)
		}
	}
	if vecK < 3000 || vec0 < 1000 {
		t.Fatalf("the AVX2 conversions took only %d of 6000 Q8_K and %d of 3000 Q8_0 trials", vecK, vec0)
	}
}

// BenchmarkAVX2TileQuantize measures the AVX2 tiles' activation
// conversion of a full block of 2048-value rows.
func BenchmarkAVX2TileQuantize(b *testing.B) {
	const cols = 2048
	hasAVX2(b)
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, TileTokens*cols)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q4_K, ggml.Q6_K} {
		form := avx2TileForms[typ]
		block := make([]byte, form.size(cols))
		b.Run(typ.String(), func(b *testing.B) {
			for b.Loop() {
				form.quantize(x, cols, TileTokens, block)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
		})
	}
}
