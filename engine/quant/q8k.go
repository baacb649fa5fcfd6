package quant

import (
	"encoding/binary"
	"math"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// Q8_K super-block: the activation format the K-quant dot products consume,
// never stored in GGUF files. value = d*q with q in -127..127:
//
//	offset  size  field
//	     0     4  d      float32 scale (not FP16)
//	     4   256  qs     int8 quants
//	   260    32  bsums  int16 sum of each 16 consecutive quants, used by the
//	                     dot products to apply the weight mins cheaply
const q8KTypeSize = 4 + qkK + 2*qkK/16

func init() {
	// ggml has no vec_dot with Q8_K as the weight type.
	register(&Format{
		Type:       ggml.Q8_K,
		VecDotType: ggml.Q8_K,
		Dequantize: dequantizeQ8K,
		Quantize:   quantizeQ8K,
	})
}

// dequantizeQ8K mirrors ggml's dequantize_row_q8_K.
func dequantizeQ8K(src []byte, dst []float32) {
	for i := range len(dst) / qkK {
		d, qs, _ := kQ8KBlock(src[i*q8KTypeSize:])
		y := dst[i*qkK : (i+1)*qkK]
		for j, q := range qs {
			y[j] = d * float32(int8(q))
		}
	}
}

// quantizeQ8K mirrors ggml's quantize_row_q8_K_ref, which is also the CPU
// backend's conversion of activations for the K-quant dot products: the
// value of largest magnitude maps to -127 (so the scale is negative when it
// is positive), rounding half to even.
func quantizeQ8K(src []float32, dst []byte) {
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		blk := dst[i*q8KTypeSize : (i+1)*q8KTypeSize]
		var vmax, amax float32
		for _, v := range x {
			if ax := kAbs(v); ax > amax {
				amax, vmax = ax, v
			}
		}
		qs := blk[4 : 4+qkK]
		bsums := blk[4+qkK:]
		if amax == 0 {
			// ggml leaves bsums unwritten here; zero is what they sum to.
			clear(blk)
			continue
		}
		iscale := -127 / vmax
		for j, v := range x {
			qs[j] = byte(int8(min(127, kNearestInt(float32(iscale*v)))))
		}
		for j := range qkK / 16 {
			var sum int16
			for _, q := range qs[16*j : 16*j+16] {
				sum += int16(int8(q))
			}
			binary.LittleEndian.PutUint16(bsums[2*j:], uint16(sum))
		}
		binary.LittleEndian.PutUint32(blk, math.Float32bits(1/iscale))
	}
}
