package quant

import "github.com/kiln-llm/kiln/engine/ggml"

// Q3_K super-block, 256 values in 16 sub-blocks of 16, value = d*(sc-32)*q
// with q in -4..3 and a 6-bit sc per sub-block (3.4375 bits per weight):
//
//	offset  size  field
//	     0    32  hmask  high bit of q+4, inverted sense: bit b of byte l is
//	                     set for value 32*b+l when q >= 0
//	    32    64  qs     low 2 bits of q+4, packed as Q2_K's qs
//	    96    12  scales 6-bit sc: bytes 0-7 hold the low nibbles (sub-block
//	                     j<8 low, j+8 high); bytes 8-11 the high 2 bits, sub-
//	                     block j in bits 2*(j/4) of byte 8+j%4
//	   108     2  d      FP16 super-scale
const q3KTypeSize = qkK/8 + qkK/4 + 12 + 2

func init() {
	register(&Format{
		Type:       ggml.Q3_K,
		VecDotType: ggml.Q8_K,
		Dequantize: dequantizeQ3K,
		Quantize:   quantizeQ3K,
		VecDot:     vecDotQ3K,
	})
}

// q3KScale returns the 6-bit scale of sub-block j, still offset by 32.
func q3KScale(sc []byte, j int) int {
	low := sc[j%8] >> (4 * uint(j/8)) & 0xF
	high := sc[8+j%4] >> (2 * uint(j/4)) & 3
	return int(low | high<<4)
}

// q3KLevels unpacks the 256 signed levels of a Q3_K block.
func q3KLevels(blk []byte, a *[qkK]int8) {
	hm := blk[:32]
	for h := range 2 {
		qs := blk[32+32*h : 64+32*h]
		for k := range 4 {
			shift := 2 * uint(k)
			m := byte(1) << uint(4*h+k)
			out := a[128*h+32*k : 128*h+32*k+32]
			for l := range 32 {
				v := int8(qs[l] >> shift & 3)
				if hm[l]&m == 0 {
					v -= 4
				}
				out[l] = v
			}
		}
	}
}

// dequantizeQ3K mirrors ggml's dequantize_row_q3_K.
func dequantizeQ3K(src []byte, dst []float32) {
	var a [qkK]int8
	for i := range len(dst) / qkK {
		blk := src[i*q3KTypeSize : (i+1)*q3KTypeSize]
		y := dst[i*qkK : (i+1)*qkK]
		d := kHalf(blk[108:])
		q3KLevels(blk, &a)
		for j := range qkK / 16 {
			dl := d * float32(q3KScale(blk[96:108], j)-32)
			for l := 16 * j; l < 16*j+16; l++ {
				y[l] = dl * float32(a[l])
			}
		}
	}
}

// quantizeQ3K mirrors ggml's quantize_row_q3_K_ref: make_q3_quants per
// 16-value sub-block, the signed scales quantized to 6 bits relative to the
// one of largest magnitude (mapped to -32), then the levels recomputed from
// the rounded scales.
func quantizeQ3K(src []float32, dst []byte) {
	var (
		L      [qkK]int8
		scales [qkK / 16]float32
	)
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		blk := dst[i*q3KTypeSize : (i+1)*q3KTypeSize]
		var maxScale, amax float32
		for j := range qkK / 16 {
			scales[j] = kMakeQ3(4, x[16*j:16*j+16], L[16*j:16*j+16])
			if s := kAbs(scales[j]); s > amax {
				amax, maxScale = s, scales[j]
			}
		}
		sc := blk[96:108]
		clear(sc)
		if maxScale != 0 {
			iscale := -32 / maxScale
			for j := range qkK / 16 {
				// ggml narrows nearest_int to int8 before clamping.
				l := byte(kClamp(int(int8(kNearestInt(float32(iscale*scales[j])))), -32, 31) + 32)
				if j < 8 {
					sc[j] = l & 0xF
				} else {
					sc[j-8] |= (l & 0xF) << 4
				}
				sc[8+j%4] |= (l >> 4) << (2 * uint(j/4))
			}
			kPutHalf(blk[108:], 1/iscale)
		} else {
			kPutHalf(blk[108:], 0)
		}
		d := kHalf(blk[108:])
		for j := range qkK / 16 {
			ds := d * float32(q3KScale(sc, j)-32)
			if ds == 0 {
				continue
			}
			for ii := range 16 {
				L[16*j+ii] = int8(kClamp(kNearestInt(x[16*j+ii]/ds), -4, 3) + 4)
			}
		}
		hm := blk[:32]
		clear(hm)
		var lo [qkK]uint8
		for j, l := range L {
			if l > 3 {
				hm[j%32] |= 1 << uint(j/32)
				l -= 4
			}
			lo[j] = uint8(l)
		}
		kPack2Bit(blk[32:96], lo[:])
	}
}

// vecDotQ3K mirrors ggml_vec_dot_q3_K_q8_K_generic: exact integer sums into
// eight lanes (element index mod 8), each lane scaled by d*y.d into its own
// float accumulator, the lanes added in order at the end.
func vecDotQ3K(n int, w, x []byte) float32 {
	var sums [8]float32
	var a [qkK]int8
	for i := range n / qkK {
		blk := w[i*q3KTypeSize : (i+1)*q3KTypeSize]
		yd, q8, _ := kQ8KBlock(x[i*q8KTypeSize:])
		q3KLevels(blk, &a)
		var aux32 [8]int32
		for j := range qkK / 16 {
			kDotLanes16(&aux32, int32(q3KScale(blk[96:108], j)-32), (*[16]byte)(q8[16*j:]), (*[16]int8)(a[16*j:]))
		}
		kAddLanes(&sums, kHalf(blk[108:])*yd, &aux32)
	}
	return kSumLanes(0, &sums)
}
