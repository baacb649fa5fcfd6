package quant

import "github.com/kiln-llm/kiln/engine/ggml"

// Q5_K super-block, 256 values in 8 sub-blocks of 32, value = d*sc*q - dmin*m
// with q in 0..31 and 6-bit sc, m per sub-block (5.5 bits per weight):
//
//	offset  size  field
//	     0     2  d      FP16 super-scale of the sub-block scales
//	     2     2  dmin   FP16 super-scale of the sub-block mins
//	     4    12  scales 6-bit scale and min of each sub-block (see kScaleMin)
//	    16    32  qh     bit 4 of q: bit b of byte l belongs to value 32*b+l
//	    48   128  qs     low 4 bits of q, packed as Q4_K's qs
const q5KTypeSize = 2 + 2 + 12 + qkK/8 + qkK/2

func init() {
	register(&Format{
		Type:       ggml.Q5_K,
		VecDotType: ggml.Q8_K,
		Dequantize: dequantizeQ5K,
		Quantize:   quantizeQ5K,
		VecDot:     vecDotQ5K,
	})
}

// q5KLevels unpacks the 256 levels (0..31) of a Q5_K block.
func q5KLevels(blk []byte, a *[qkK]int8) {
	qh := (*[32]byte)(blk[16:])
	for c := range 4 {
		qs := (*[32]byte)(blk[48+32*c:])
		lo, hi := (*[32]int8)(a[64*c:]), (*[32]int8)(a[64*c+32:])
		for l, b := range qs {
			h := qh[l] >> uint(2*c)
			lo[l] = int8(b&0xF | (h&1)<<4)
			hi[l] = int8(b>>4 | (h&2)<<3)
		}
	}
}

// dequantizeQ5K mirrors ggml's dequantize_row_q5_K.
func dequantizeQ5K(src []byte, dst []float32) {
	var a [qkK]int8
	for i := range len(dst) / qkK {
		blk := src[i*q5KTypeSize : (i+1)*q5KTypeSize]
		y := dst[i*qkK : (i+1)*qkK]
		d := kHalf(blk[0:])
		dmin := kHalf(blk[2:])
		q5KLevels(blk, &a)
		for j := range 8 {
			sc, m := kScaleMin(j, blk[4:16])
			dj, mj := d*float32(sc), dmin*float32(m)
			out := (*[32]float32)(y[32*j:])
			for l, q := range (*[32]int8)(a[32*j:]) {
				out[l] = float32(dj*float32(q)) - mj
			}
		}
	}
}

// quantizeQ5K mirrors ggml's quantize_row_q5_K_ref: as Q4_K, but with 31
// levels and 16 search steps from -0.5 in 0.1.
func quantizeQ5K(src []float32, dst []byte) {
	var (
		L       [qkK]uint8
		laux    [32]uint8
		weights [32]float32
		scales  [8]float32
		mins    [8]float32
	)
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		blk := dst[i*q5KTypeSize : (i+1)*q5KTypeSize]
		for j := range 8 {
			xs := x[32*j : 32*j+32]
			kSubBlockWeights(xs, &weights)
			scales[j], mins[j] = kMakeQKX2(31, xs, weights[:], L[32*j:32*j+32], laux[:], -0.5, 0.1, 15, false)
		}
		kQuantizeScalesMins(blk, &scales, &mins)
		kRequantizeAsym(blk, x, &L, 31)
		qh := blk[16:48]
		qs := blk[48:]
		clear(qh)
		for j := range 8 {
			for l := range 32 {
				v := L[32*j+l]
				qh[l] |= (v >> 4) << uint(j)
				if j&1 == 0 {
					qs[32*(j/2)+l] = v & 0xF
				} else {
					qs[32*(j/2)+l] |= (v & 0xF) << 4
				}
			}
		}
	}
}

// vecDotQ5K mirrors ggml_vec_dot_q5_K_q8_K_generic; see vecDotQ4K.
func vecDotQ5K(n int, w, x []byte) float32 {
	var (
		sums [8]float32
		sumf float32
		a    [qkK]int8
	)
	for i := range n / qkK {
		blk := w[i*q5KTypeSize : (i+1)*q5KTypeSize]
		yd, q8, bsums := kQ8KBlock(x[i*q8KTypeSize:])
		q5KLevels(blk, &a)
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
