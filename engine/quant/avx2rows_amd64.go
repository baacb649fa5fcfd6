//go:build amd64

package quant

import (
	"encoding/binary"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// avx2MoreRows are the AVX2 one-token kernels beyond Q8_0, Q4_K and Q6_K:
// Q4_0 and Q5_0 on the l8p activation layout, Q5_K on k4s (as Q4_K), and
// F16 and BF16 on fx, as their AVX-512 counterparts.
func avx2MoreRows() []*MatKernel {
	return []*MatKernel{
		{Type: ggml.Q4_0, ActSize: l8Size, Quantize: l8pQuantize, Rows: q4_0RowsAVX2},
		{Type: ggml.Q5_0, ActSize: l8Size, Quantize: l8pQuantize, Rows: q5_0RowsAVX2},
		{Type: ggml.Q5_K, ActSize: k4Size, Quantize: k4sQuantize, Rows: q5KRowsAVX2},
		{Type: ggml.F16, ActSize: fxSize, Quantize: f16xQuantize, Rows: f16RowsAVX2, Inexact: true},
		{Type: ggml.BF16, ActSize: fxSize, Quantize: bf16xQuantize, Rows: bf16RowsAVX2, Inexact: true},
	}
}

// l8p is the AVX2 layout for Q4_0 and Q5_0 weights: l8 with each whole
// group of eight blocks rearranged for the kernels, which unpack a pair of
// blocks (2i, 2i+1) into one vector of their first 16 levels and one of
// their last 16: the pair's 64 quants are the first 16 of each block, then
// the last 16 of each; the blocks' sums and scales are in the order
// 0 2 4 6 1 3 5 7, the order the kernels' reduction leaves them in. A last,
// partial group is as in l8.
func l8pQuantize(x []float32, dst []byte) {
	l8Quantize(x, dst)
	var g [l8Group]byte
	for gi := range len(x) / legacyBlock / l8Blocks {
		out := dst[gi*l8Group : (gi+1)*l8Group]
		copy(g[:], out)
		for b := range l8Blocks {
			i, m := b/2, b%2
			copy(out[64*i+16*m:64*i+16*m+16], g[32*b:32*b+16])
			copy(out[64*i+32+16*m:64*i+32+16*m+16], g[32*b+16:32*b+32])
			k := i + 4*m
			copy(out[256+4*k:256+4*k+4], g[256+4*b:256+4*b+4])
			copy(out[288+4*k:288+4*k+4], g[288+4*b:288+4*b+4])
		}
	}
}

// k4s is the AVX2 layout for Q4_K and Q5_K weights (activations Q8_K), per
// 256-value super-block (k4Block bytes, as k4):
//
//	offset  size  field
//	     0   256  int8 quants of the 32-value sub-blocks in order, each in
//	              sigma32 order
//	   256    16  int16 sum of each sub-block's quants (bsums 2j and 2j+1
//	              added, what the mins multiply)
//	   272    16  zero
//	   288     4  float32 d
//	   292    28  zero
func k4sQuantize(x []float32, dst []byte) {
	var blk [q8KTypeSize]byte
	for i := range len(x) / qkK {
		q8KSigma(x[i*qkK:(i+1)*qkK], &blk, nil)
		out := dst[i*k4Block : (i+1)*k4Block]
		copy(out[:256], blk[4:4+qkK])
		bsums := blk[4+qkK:]
		for j := range 8 {
			binary.LittleEndian.PutUint16(out[256+2*j:], uint16(kBsum(bsums, 2*j)+kBsum(bsums, 2*j+1)))
		}
		clear(out[272:288])
		copy(out[288:292], blk[0:4])
		clear(out[292:])
	}
}

//go:noescape
func q4_0AVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)

//go:noescape
func q5_0AVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)

//go:noescape
func q5KAVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)

//go:noescape
func f16DotAVX2(out *float64, rows int, w *byte, rowBytes int, x *float64, n int)

//go:noescape
func bf16DotAVX2(out *float64, rows int, w *byte, rowBytes int, x *float64, n int)

func q4_0RowsAVX2(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nb := cols / legacyBlock
	checkRows(len(out), w, rowBytes, nb*sizeQ4_0, act, l8Size(cols))
	q4_0AVX2(&out[0], len(out), &w[0], rowBytes, &act[0], nb)
}

func q5_0RowsAVX2(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nb := cols / legacyBlock
	checkRows(len(out), w, rowBytes, nb*sizeQ5_0, act, l8Size(cols))
	q5_0AVX2(&out[0], len(out), &w[0], rowBytes, &act[0], nb)
}

func q5KRowsAVX2(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(len(out), w, rowBytes, nsb*q5KTypeSize, act, k4Size(cols))
	q5KAVX2(&out[0], len(out), &w[0], rowBytes, &act[0], nsb)
}

func f16RowsAVX2(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	floatRows(false, true, out, w, rowBytes, act, cols)
}

func bf16RowsAVX2(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	floatRows(true, true, out, w, rowBytes, act, cols)
}
