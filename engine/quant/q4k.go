package quant

import "github.com/kiln-llm/kiln/engine/ggml"

// Q4_K super-block, 256 values in 8 sub-blocks of 32, value = d*sc*q - dmin*m
// with q in 0..15 and 6-bit sc, m per sub-block (4.5 bits per weight):
//
//	offset  size  field
//	     0     2  d      FP16 super-scale of the sub-block scales
//	     2     2  dmin   FP16 super-scale of the sub-block mins
//	     4    12  scales 6-bit scale and min of each sub-block (see kScaleMin)
//	    16   128  qs     4-bit quants: byte 32*c+l holds value 64*c+l in its
//	                     low nibble and value 64*c+32+l in its high nibble
const q4KTypeSize = 2 + 2 + 12 + qkK/2

func init() {
	register(&Format{
		Type:       ggml.Q4_K,
		VecDotType: ggml.Q8_K,
		Dequantize: dequantizeQ4K,
		Quantize:   quantizeQ4K,
		VecDot:     vecDotQ4K,
	})
}

// dequantizeQ4K mirrors ggml's dequantize_row_q4_K.
func dequantizeQ4K(src []byte, dst []float32) {
	for i := range len(dst) / qkK {
		blk := src[i*q4KTypeSize : (i+1)*q4KTypeSize]
		y := dst[i*qkK : (i+1)*qkK]
		d := kHalf(blk[0:])
		dmin := kHalf(blk[2:])
		qs := blk[16:]
		for c := range 4 {
			sc1, m1 := kScaleMin(2*c, blk[4:16])
			sc2, m2 := kScaleMin(2*c+1, blk[4:16])
			d1, min1 := d*float32(sc1), dmin*float32(m1)
			d2, min2 := d*float32(sc2), dmin*float32(m2)
			q := qs[32*c : 32*c+32]
			out := y[64*c : 64*c+64]
			for l, b := range q {
				out[l] = float32(d1*float32(b&0xF)) - min1
				out[32+l] = float32(d2*float32(b>>4)) - min2
			}
		}
	}
}

// quantizeQ4K mirrors ggml's quantize_row_q4_K_ref: make_qkx2_quants per
// 32-value sub-block with weights rms+|x| (15 levels, 21 search steps from
// -1 in 0.1), then 6-bit scales and mins relative to their maxima, then the
// levels recomputed from the rounded scales.
func quantizeQ4K(src []float32, dst []byte) {
	var (
		L       [qkK]uint8
		laux    [32]uint8
		weights [32]float32
		scales  [8]float32
		mins    [8]float32
	)
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		blk := dst[i*q4KTypeSize : (i+1)*q4KTypeSize]
		for j := range 8 {
			xs := x[32*j : 32*j+32]
			kSubBlockWeights(xs, &weights)
			scales[j], mins[j] = kMakeQKX2(15, xs, weights[:], L[32*j:32*j+32], laux[:], -1, 0.1, 20, false)
		}
		kQuantizeScalesMins(blk, &scales, &mins)
		kRequantizeAsym(blk, x, &L, 15)
		qs := blk[16:]
		for c := range 4 {
			for l := range 32 {
				qs[32*c+l] = L[64*c+l] | L[64*c+32+l]<<4
			}
		}
	}
}

// vecDotQ4K mirrors ggml_vec_dot_q4_K_q8_K_generic: exact integer sums into
// eight lanes (element index mod 8), each lane scaled by d*y.d into its own
// float accumulator; the min correction goes into a separate running sum to
// which the eight lanes are added last.
func vecDotQ4K(n int, w, x []byte) float32 {
	var (
		sums [8]float32
		sumf float32
		a    [qkK]int8
	)
	for i := range n / qkK {
		blk := w[i*q4KTypeSize : (i+1)*q4KTypeSize]
		yd, q8, bsums := kQ8KBlock(x[i*q8KTypeSize:])
		for c := range 4 {
			q := (*[32]byte)(blk[16+32*c:])
			lo, hi := (*[32]int8)(a[64*c:]), (*[32]int8)(a[64*c+32:])
			for l, b := range q {
				lo[l], hi[l] = int8(b&0xF), int8(b>>4)
			}
		}
		var aux32 [8]int32
		var sumi int32
		for j := range 8 {
			sc, m := kScaleMin(j, blk[4:16])
			sumi += (kBsum(bsums, 2*j) + kBsum(bsums, 2*j+1)) * int32(m)
			kDotLanes16(&aux32, int32(sc), (*[16]byte)(q8[32*j:]), (*[16]int8)(a[32*j:]))
			kDotLanes16(&aux32, int32(sc), (*[16]byte)(q8[32*j+16:]), (*[16]int8)(a[32*j+16:]))
		}
		kAddLanes(&sums, kHalf(blk[0:])*yd, &aux32)
		dmin := kHalf(blk[2:]) * yd
		sumf -= float32(dmin * float32(sumi))
	}
	return kSumLanes(sumf, &sums)
}
