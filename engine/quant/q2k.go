package quant

import "github.com/kiln-llm/kiln/engine/ggml"

// Q2_K super-block, 256 values in 16 sub-blocks of 16, value =
// d*sc*q - dmin*m with q in 0..3 and 4-bit sc, m per sub-block (2.625 bits
// per weight):
//
//	offset  size  field
//	     0    16  scales sub-block j: scale in the low nibble, min in the high
//	    16    64  qs     2-bit quants: for each half h (128 values), byte
//	                     32*h+l holds values l, 32+l, 64+l, 96+l of the half
//	                     in bits 0-1, 2-3, 4-5, 6-7
//	    80     2  d      FP16 super-scale of the sub-block scales
//	    82     2  dmin   FP16 super-scale of the sub-block mins
const q2KTypeSize = qkK/16 + qkK/4 + 2 + 2

func init() {
	register(&Format{
		Type:       ggml.Q2_K,
		VecDotType: ggml.Q8_K,
		Dequantize: dequantizeQ2K,
		Quantize:   quantizeQ2K,
		VecDot:     vecDotQ2K,
	})
}

// dequantizeQ2K mirrors ggml's dequantize_row_q2_K.
func dequantizeQ2K(src []byte, dst []float32) {
	for i := range len(dst) / qkK {
		blk := src[i*q2KTypeSize : (i+1)*q2KTypeSize]
		y := dst[i*qkK : (i+1)*qkK]
		d := kHalf(blk[80:])
		dmin := kHalf(blk[82:])
		for j := range qkK / 16 {
			// Sub-block j: half j/8, 2-bit field (j/2)%4, bytes 16*(j%2)...
			sc := blk[j]
			dl, ml := d*float32(sc&0xF), dmin*float32(sc>>4)
			q := blk[16+32*(j/8)+16*(j%2):]
			shift := 2 * uint(j/2%4)
			out := y[16*j : 16*j+16]
			for l := range out {
				out[l] = float32(dl*float32(q[l]>>shift&3)) - ml
			}
		}
	}
}

// quantizeQ2K mirrors ggml's quantize_row_q2_K_ref: make_qkx2_quants per
// 16-value sub-block with weights |x| and absolute error (3 levels, 16
// search steps from -0.5 in 0.1), then 4-bit scales and mins relative to
// their maxima, then the levels recomputed from the rounded scales.
func quantizeQ2K(src []float32, dst []byte) {
	var (
		L       [qkK]uint8
		laux    [16]uint8
		weights [16]float32
		scales  [qkK / 16]float32
		mins    [qkK / 16]float32
	)
	const q4scale = 15
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		blk := dst[i*q2KTypeSize : (i+1)*q2KTypeSize]
		var maxScale, maxMin float32
		for j := range qkK / 16 {
			xs := x[16*j : 16*j+16]
			for l, v := range xs {
				weights[l] = kAbs(v)
			}
			scales[j], mins[j] = kMakeQKX2(3, xs, weights[:], L[16*j:16*j+16], laux[:], -0.5, 0.1, 15, true)
			if scales[j] > maxScale {
				maxScale = scales[j]
			}
			if mins[j] > maxMin {
				maxMin = mins[j]
			}
		}
		sc := blk[:16]
		clear(sc)
		if maxScale > 0 {
			iscale := q4scale / maxScale
			for j := range sc {
				sc[j] = uint8(kNearestInt(float32(iscale * scales[j])))
			}
			kPutHalf(blk[80:], maxScale/q4scale)
		} else {
			kPutHalf(blk[80:], 0)
		}
		if maxMin > 0 {
			iscale := q4scale / maxMin
			for j := range sc {
				sc[j] |= uint8(kNearestInt(float32(iscale*mins[j])) << 4)
			}
			kPutHalf(blk[82:], maxMin/q4scale)
		} else {
			kPutHalf(blk[82:], 0)
		}
		d, dmin := kHalf(blk[80:]), kHalf(blk[82:])
		for j := range qkK / 16 {
			ds := d * float32(sc[j]&0xF)
			if ds == 0 {
				continue
			}
			dm := dmin * float32(sc[j]>>4)
			for ii := range 16 {
				L[16*j+ii] = uint8(kClamp(kNearestInt((x[16*j+ii]+dm)/ds), 0, 3))
			}
		}
		kPack2Bit(blk[16:80], L[:])
	}
}

// kPack2Bit packs 256 2-bit levels the Q2_K/Q3_K way: for each half h, byte
// 32*h+l holds levels 128*h + l, +32, +64, +96 from the low bits up.
func kPack2Bit(qs []byte, L []uint8) {
	for h := range 2 {
		Lh := L[128*h:]
		for l := range 32 {
			qs[32*h+l] = Lh[l] | Lh[l+32]<<2 | Lh[l+64]<<4 | Lh[l+96]<<6
		}
	}
}

// vecDotQ2K mirrors ggml_vec_dot_q2_K_q8_K_generic: one exact integer sum
// per block for the scales and one for the mins (through the Q8_K group
// sums), combined in float per block.
func vecDotQ2K(n int, w, x []byte) float32 {
	var sumf float32
	for i := range n / qkK {
		blk := w[i*q2KTypeSize : (i+1)*q2KTypeSize]
		yd, q8, bsums := kQ8KBlock(x[i*q8KTypeSize:])
		sc := blk[:16]
		var summs, isum int32
		for j := range qkK / 16 {
			summs += kBsum(bsums, j) * int32(sc[j]>>4)
			q := blk[16+32*(j/8)+16*(j%2):]
			shift := 2 * uint(j/2%4)
			y := q8[16*j : 16*j+16]
			var s int32
			for l := range 16 {
				s += int32(int8(y[l])) * int32(q[l]>>shift&3)
			}
			isum += int32(sc[j]&0xF) * s
		}
		dall := yd * kHalf(blk[80:])
		dmin := yd * kHalf(blk[82:])
		sumf += float32(dall*float32(isum)) - float32(dmin*float32(summs))
	}
	return sumf
}
