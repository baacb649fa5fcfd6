package quant

import "github.com/kiln-llm/kiln/engine/ggml"

// Q6_K super-block, 256 values in 16 sub-blocks of 16, value = d*sc*(q-32)
// with q in 0..63 and a signed 8-bit sc per sub-block (6.5625 bits per
// weight):
//
//	offset  size  field
//	     0   128  ql     low 4 bits: for each half h (128 values), byte
//	                     64*h+l holds values l (low nibble) and 64+l (high),
//	                     byte 64*h+32+l holds values 32+l and 96+l
//	   128    64  qh     high 2 bits: byte 32*h+l holds those of values l,
//	                     32+l, 64+l, 96+l of half h in bits 0-1, 2-3, 4-5, 6-7
//	   192    16  scales int8 scale of each sub-block
//	   208     2  d      FP16 super-scale
const q6KTypeSize = qkK/2 + qkK/4 + qkK/16 + 2

func init() {
	register(&Format{
		Type:       ggml.Q6_K,
		VecDotType: ggml.Q8_K,
		Dequantize: dequantizeQ6K,
		Quantize:   quantizeQ6K,
		VecDot:     vecDotQ6K,
	})
}

// q6KLevels unpacks the 256 signed levels (q-32) of a Q6_K block.
func q6KLevels(blk []byte, a *[qkK]int8) {
	for h := range 2 {
		ql := blk[64*h : 64*h+64]
		qh := blk[128+32*h : 128+32*h+32]
		a := a[128*h : 128*h+128]
		for l := range 32 {
			a[l] = int8(ql[l]&0xF|(qh[l]>>0&3)<<4) - 32
			a[l+32] = int8(ql[l+32]&0xF|(qh[l]>>2&3)<<4) - 32
			a[l+64] = int8(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
			a[l+96] = int8(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
		}
	}
}

// dequantizeQ6K mirrors ggml's dequantize_row_q6_K.
func dequantizeQ6K(src []byte, dst []float32) {
	var a [qkK]int8
	for i := range len(dst) / qkK {
		blk := src[i*q6KTypeSize : (i+1)*q6KTypeSize]
		y := dst[i*qkK : (i+1)*qkK]
		d := kHalf(blk[208:])
		q6KLevels(blk, &a)
		for j, q := range a {
			// ggml multiplies d by the scale first, then by the level.
			y[j] = float32(d*float32(int8(blk[192+j/16]))) * float32(q)
		}
	}
}

// quantizeQ6K mirrors ggml's quantize_row_q6_K_ref: make_qx_quants per
// 16-value sub-block, the signed scales quantized to int8 relative to the
// one of largest magnitude (mapped to -128), then the levels recomputed
// from the rounded scales.
func quantizeQ6K(src []float32, dst []byte) {
	var (
		L      [qkK]int8
		scales [qkK / 16]float32
	)
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		blk := dst[i*q6KTypeSize : (i+1)*q6KTypeSize]
		var maxScale, maxAbsScale float32
		for ib := range qkK / 16 {
			s := kMakeQX(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
			scales[ib] = s
			if as := kAbs(s); as > maxAbsScale {
				maxAbsScale, maxScale = as, s
			}
		}
		if maxAbsScale < kGroupMaxEps {
			clear(blk)
			continue
		}
		iscale := -128 / maxScale
		kPutHalf(blk[208:], 1/iscale)
		for ib := range qkK / 16 {
			blk[192+ib] = byte(int8(min(127, kNearestInt(float32(iscale*scales[ib])))))
		}
		d := kHalf(blk[208:])
		for j := range qkK / 16 {
			ds := d * float32(int8(blk[192+j]))
			if ds == 0 {
				continue
			}
			for ii := range 16 {
				L[16*j+ii] = int8(kClamp(kNearestInt(x[16*j+ii]/ds), -32, 31) + 32)
			}
		}
		for h := range 2 {
			ql := blk[64*h : 64*h+64]
			qh := blk[128+32*h : 128+32*h+32]
			Lh := L[128*h : 128*h+128]
			for l := range 32 {
				q1, q2, q3, q4 := uint8(Lh[l]), uint8(Lh[l+32]), uint8(Lh[l+64]), uint8(Lh[l+96])
				ql[l] = q1&0xF | (q3&0xF)<<4
				ql[l+32] = q2&0xF | (q4&0xF)<<4
				qh[l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
			}
		}
	}
}

// vecDotQ6K mirrors ggml_vec_dot_q6_K_q8_K_generic: exact integer sums into
// eight lanes (element index mod 8), each lane scaled by d*y.d into its own
// float accumulator, the lanes added in order at the end.
func vecDotQ6K(n int, w, x []byte) float32 {
	var sums [8]float32
	var a [qkK]int8
	for i := range n / qkK {
		blk := w[i*q6KTypeSize : (i+1)*q6KTypeSize]
		yd, q8, _ := kQ8KBlock(x[i*q8KTypeSize:])
		q6KLevels(blk, &a)
		var aux32 [8]int32
		for j := range qkK / 16 {
			kDotLanes16(&aux32, int32(int8(blk[192+j])), (*[16]byte)(q8[16*j:]), (*[16]int8)(a[16*j:]))
		}
		kAddLanes(&sums, kHalf(blk[208:])*yd, &aux32)
	}
	return kSumLanes(0, &sums)
}
