package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// halfOffsets are the byte offsets of the FP16 scales in a block of each
// type, which random test blocks must keep finite (a NaN scale makes every
// kernel return NaN, which says nothing).
var halfOffsets = map[ggml.Type][]int{
	ggml.Q4_0: {0}, ggml.Q5_0: {0}, ggml.Q8_0: {0},
	ggml.Q4_K: {0, 2}, ggml.Q5_K: {0, 2}, ggml.Q6_K: {208},
}

// fastCols are the row lengths each fast path is tested on: whole groups,
// partial groups and the real models' widths.
func fastCols(t ggml.Type) []int {
	switch {
	case t.BlockSize() == qkK:
		return []int{256, 512, 768, 2048, 4864}
	case t.BlockSize() == 1:
		return []int{1, 31, 32, 33, 96, 896, 2048, 4864}
	}
	return []int{32, 64, 96, 224, 256, 288, 896, 2048, 4864}
}

// randomWeights returns rows rows of type t: the first half quantized from
// random normals by the reference quantizer, the rest random bytes with
// finite scales (every bit pattern of the quants and sub-block scales).
func randomWeights(rng *rand.Rand, t ggml.Type, rows, cols int) []byte {
	f, _ := Lookup(t)
	rb, _ := t.RowSize(int64(cols))
	w := make([]byte, rows*int(rb))
	x := make([]float32, cols)
	for r := range rows {
		row := w[r*int(rb) : (r+1)*int(rb)]
		if r < rows/2 || t.BlockSize() == 1 {
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			f.Quantize(x, row)
			continue
		}
		for i := range row {
			row[i] = byte(rng.Uint32())
		}
		for b := 0; b < len(row); b += t.TypeSize() {
			for _, o := range halfOffsets[t] {
				h := binary.LittleEndian.Uint16(row[b+o:])
				h = h&^0x7C00 | uint16(1+rng.IntN(20))<<10
				binary.LittleEndian.PutUint16(row[b+o:], h)
			}
		}
	}
	return w
}

// randomActivations returns activation rows that exercise the conversion:
// normals, a row of zeros, a row with one huge outlier, tiny values, and
// rows where the largest magnitude is negative or ties.
func randomActivations(rng *rand.Rand, cols int) [][]float32 {
	var rows [][]float32
	add := func(gen func(i int) float32) {
		x := make([]float32, cols)
		for i := range x {
			x[i] = gen(i)
		}
		rows = append(rows, x)
	}
	add(func(int) float32 { return float32(rng.NormFloat64()) })
	add(func(int) float32 { return float32(rng.NormFloat64() * 300) })
	add(func(int) float32 { return 0 })
	add(func(i int) float32 {
		if i == cols/3 {
			return -1e6
		}
		return float32(rng.NormFloat64())
	})
	add(func(int) float32 { return float32(rng.NormFloat64() * 1e-30) })
	add(func(i int) float32 {
		if i%2 == 0 {
			return 3
		}
		return -3
	})
	return rows
}

// TestFastKernelsMatchScalar checks every fast path against the scalar
// kernel, bit for bit, on random blocks and activations.
func TestFastKernelsMatchScalar(t *testing.T) {
	if len(kernelSets) == 0 {
		t.Skip("no fast paths on this CPU")
	}
	for _, k := range allKernels() {
		typ := k.Type
		t.Run(fmt.Sprintf("%s/%s", typ, k.Name), func(t *testing.T) {
			f, _ := Lookup(typ)
			vf, _ := Lookup(f.VecDotType)
			rng := rand.New(rand.NewPCG(uint64(typ), 1))
			for _, cols := range fastCols(typ) {
				const rows = 21
				w := randomWeights(rng, typ, rows, cols)
				rb := len(w) / rows
				for ai, x := range randomActivations(rng, cols) {
					xq := make([]byte, rowBytes(t, f.VecDotType, cols))
					vf.Quantize(x, xq)
					act := make([]byte, k.ActSize(cols))
					for i := range act {
						act[i] = 0xAA // the conversion must write every byte it needs
					}
					k.Quantize(x, act)
					got := make([]float32, rows)
					k.Rows(got, w, rb, act, cols)
					for r := range rows {
						want := f.VecDot(cols, w[r*rb:(r+1)*rb], xq)
						if k.Inexact {
							checkFloatDot(t, typ, w[r*rb:(r+1)*rb], xq, cols, got[r], want)
							continue
						}
						if math.Float32bits(got[r]) != math.Float32bits(want) {
							t.Fatalf("cols %d, activations %d, row %d: fast %v (%#x), scalar %v (%#x)",
								cols, ai, r, got[r], math.Float32bits(got[r]), want, math.Float32bits(want))
						}
					}
				}
			}
		})
	}
}

// TestFastTilesMatchScalar checks every tiled fast path against the scalar
// kernel, bit for bit, for full and partial token blocks and an odd number
// of rows.
func TestFastTilesMatchScalar(t *testing.T) {
	for _, k := range allKernels() {
		typ := k.Type
		if k.Tile == nil {
			continue
		}
		t.Run(fmt.Sprintf("%s/%s", typ, k.Name), func(t *testing.T) {
			f, _ := Lookup(typ)
			vf, _ := Lookup(f.VecDotType)
			rng := rand.New(rand.NewPCG(uint64(typ), 2))
			for _, cols := range fastCols(typ) {
				const rows = 21
				w := randomWeights(rng, typ, rows, cols)
				rb := len(w) / rows
				acts := randomActivations(rng, cols)
				for _, n := range []int{1, 5, TileTokens} {
					x := make([]float32, 0, n*cols)
					for i := range n {
						x = append(x, acts[i%len(acts)]...)
					}
					block := make([]byte, k.TileActSize(cols))
					for i := range block {
						block[i] = 0xAA
					}
					k.TileQuantize(x, cols, n, block)
					const stride = rows + 3
					got := make([]float32, n*stride)
					k.Tile(got, stride, w, rb, rows, block, cols, n)
					xq := make([]byte, rowBytes(t, f.VecDotType, cols))
					for tok := range n {
						vf.Quantize(x[tok*cols:(tok+1)*cols], xq)
						for r := range rows {
							want := f.VecDot(cols, w[r*rb:(r+1)*rb], xq)
							if g := got[tok*stride+r]; math.Float32bits(g) != math.Float32bits(want) {
								t.Fatalf("cols %d, %d tokens, token %d, row %d: tile %v, scalar %v", cols, n, tok, r, g, want)
							}
						}
						for r := rows; r < stride; r++ {
							if got[tok*stride+r] != 0 {
								t.Fatalf("cols %d: wrote outside the rows (token %d, column %d)", cols, tok, r)
							}
						}
					}
				}
			}
		})
	}
}

// useVecConversion turns the vector activation conversions on or off for
// the rest of test t. It picks the kernel level first, which would
// otherwise set them when a kernel is first looked up.
func useVecConversion(t *testing.T, on bool) {
	activeSet()
	was := vecConversion
	vecConversion = on
	t.Cleanup(func() { vecConversion = was })
}

// TestActivationConversionVecMatchesScalar checks the vector activation
// conversions against the portable ones, byte for byte, on blocks that
// include zeros, ties for the largest magnitude, denormals, infinities and
// NaN (which the vector code hands back to the portable one).
func TestActivationConversionVecMatchesScalar(t *testing.T) {
	if !hasVecConversion {
		t.Skip("no vector conversion on this CPU")
	}
	useVecConversion(t, true)
	rng := rand.New(rand.NewPCG(5, 6))
	special := []float32{0, 1e-40, -1e-40, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 3, -3}
	for trial := range 2000 {
		x := make([]float32, qkK)
		for i := range x {
			switch {
			case trial%7 == 0:
				x[i] = special[rng.IntN(len(special))]
			case trial%7 == 1:
				x[i] = 0
			case trial%7 == 2:
				x[i] = float32(rng.IntN(5) - 2)
			default:
				x[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30)))
			}
		}
		if trial%7 == 3 {
			x[rng.IntN(qkK)] = float32(math.NaN())
		}
		var got, want [q8KTypeSize]byte
		var gotP, wantP [128]int16
		q8KSigma(x, &got, &gotP)
		vecConversion = false
		q8KSigma(x, &want, &wantP)
		vecConversion = true
		if got != want || gotP != wantP {
			t.Fatalf("trial %d: vector and portable Q8_K conversions differ", trial)
		}

		var gq, wq [qkK]byte
		var gd, wd [qkK / legacyBlock]float32
		var gs, ws [qkK / legacyBlock]int32
		q80Blocks(x, gq[:], gd[:], gs[:])
		vecConversion = false
		q80Blocks(x, wq[:], wd[:], ws[:])
		vecConversion = true
		for i := range gd {
			if math.Float32bits(gd[i]) != math.Float32bits(wd[i]) && !(gd[i] != gd[i] && wd[i] != wd[i]) {
				t.Fatalf("trial %d: Q8_0 block %d scale: vector %v, portable %v", trial, i, gd[i], wd[i])
			}
		}
		if gq != wq || gs != ws {
			t.Fatalf("trial %d: vector and portable Q8_0 conversions differ", trial)
		}
	}
}

// checkFloatDot checks an F16/BF16 fast dot product against the scalar one.
// Both sum the same exact double products, in a different order; each
// double addition errs by at most half an ulp of its result, so the two
// sums differ by at most n*2^-52*sum|p| (the classic bound for both), and
// after rounding to float32 they may differ by one more float32 ulp.
func checkFloatDot(t *testing.T, typ ggml.Type, w, x []byte, n int, got, want float32) {
	t.Helper()
	f, _ := Lookup(typ)
	wv, xv := make([]float32, n), make([]float32, n)
	f.Dequantize(w, wv)
	f.Dequantize(x, xv)
	var abs float64
	for i := range wv {
		abs += math.Abs(float64(wv[i]) * float64(xv[i]))
	}
	ulp := float64(math.Nextafter32(float32(math.Abs(float64(want))), float32(math.Inf(1)))) - math.Abs(float64(want))
	bound := ulp + float64(n)*math.Pow(2, -52)*abs
	if d := math.Abs(float64(got) - float64(want)); d > bound {
		t.Fatalf("%s, %d values: fast %v, scalar %v: off by %g, bound %g", typ, n, got, want, d, bound)
	}
}

// allKernels lists every fast path of every level this CPU runs.
func allKernels() []*MatKernel {
	var ks []*MatKernel
	for _, set := range kernelSets {
		for _, k := range set.kernels {
			ks = append(ks, k)
		}
	}
	return ks
}
