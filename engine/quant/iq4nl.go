package quant

import (
	"github.com/kiln-llm/kiln/engine/ggml"
)

// IQ4_NL block layout (32 values, little-endian):
//
//	offset 0: d      FP16 scale
//	offset 2: qs[16] 4-bit indices into iq4nlValues; the low nibble of byte
//	                 j is value j, the high nibble value j+16
//
// value = d * iq4nlValues[index]. The sixteen levels are non-uniform (denser
// near zero), which is what "non-linear" refers to.
const sizeIQ4_NL = 2 + legacyBlock/2

// iq4nlValues is ggml's kvalues_iq4nl.
var iq4nlValues = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// iq4nlTries is how far around the initial scale ggml_quantize_chunk's
// quantize_iq4_nl searches (its ntry argument).
const iq4nlTries = 7

func init() {
	register(&Format{Type: ggml.IQ4_NL, VecDotType: ggml.Q8_0,
		Dequantize: dequantizeIQ4NL, Quantize: quantizeIQ4NL, VecDot: vecDotIQ4NL})
}

// iq4nlIndex mirrors best_index_int8: the index of the level nearest to x,
// by bisection, the upper level winning a tie.
func iq4nlIndex(x float32) uint8 {
	v := &iq4nlValues
	if x <= float32(v[0]) {
		return 0
	}
	if x >= float32(v[15]) {
		return 15
	}
	lo, hi := 0, 15
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if x < float32(v[mid]) {
			hi = mid
		} else {
			lo = mid
		}
	}
	if x-float32(v[hi-1]) < float32(v[hi])-x {
		return uint8(hi - 1)
	}
	return uint8(hi)
}

// quantizeIQ4NL mirrors quantize_iq4_nl with no importance matrix, which is
// quantize_row_iq4_nl_impl on each 32-value block with ntry = 7.
func quantizeIQ4NL(src []float32, dst []byte) {
	for i := 0; i < len(src)/legacyBlock; i++ {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*sizeIQ4_NL : (i+1)*sizeIQ4_NL]
		d := iq4nlScale(x)
		putHalf(b, d)
		id := inverse(d)
		for j := 0; j < legacyBlock/2; j++ {
			b[2+j] = iq4nlIndex(id*x[j]) | iq4nlIndex(id*x[j+16])<<4
		}
	}
}

// iq4nlScale chooses a block's scale: start from the one that maps the
// largest magnitude onto the outermost level, take the least-squares scale
// for the indices it gives (each value weighted by its square), then try 15
// nearby starting scales and keep whichever least-squares fit is best.
func iq4nlScale(x []float32) float32 {
	const groupMaxEps = 1e-15 // ggml's GROUP_MAX_EPS: treat as all zero
	max, amax := signedMax(x)
	if amax < groupMaxEps {
		return 0
	}
	// fit returns sum(w*q*x) and sum(w*q*q) for the indices that the inverse
	// scale id picks, w = x*x. Each product is rounded on its own (the
	// explicit float32) as in the reference build, which has no FMA.
	fit := func(id float32) (sumqx, sumq2 float32) {
		for _, v := range x {
			q := float32(iq4nlValues[iq4nlIndex(id*v)])
			w := v * v
			sumqx += float32(w * q * v)
			sumq2 += float32(w * q * q)
		}
		return sumqx, sumq2
	}

	d := -max / float32(iq4nlValues[0])
	sumqx, sumq2 := fit(1 / d)
	d = sumqx / sumq2
	best := d * sumqx
	for try := -iq4nlTries; try <= iq4nlTries; try++ {
		sumqx, sumq2 := fit(float32(try+int(iq4nlValues[0])) / max)
		if sumq2 > 0 && float32(sumqx*sumqx) > float32(best*sumq2) {
			d = sumqx / sumq2
			best = d * sumqx
		}
	}
	return d
}

func dequantizeIQ4NL(src []byte, dst []float32) {
	for i := 0; i < len(dst)/legacyBlock; i++ {
		b := src[i*sizeIQ4_NL : (i+1)*sizeIQ4_NL]
		y := dst[i*legacyBlock : (i+1)*legacyBlock]
		d := half(b)
		for j := 0; j < legacyBlock/2; j++ {
			y[j] = d * float32(iq4nlValues[b[2+j]&0xf])
			y[j+16] = d * float32(iq4nlValues[b[2+j]>>4])
		}
	}
}

// vecDotIQ4NL mirrors ggml_vec_dot_iq4_nl_q8_0_generic: (dy*dw)*(sum1+sum2).
func vecDotIQ4NL(n int, w, x []byte) float32 {
	var sumf float32
	for i := 0; i < n/legacyBlock; i++ {
		wb := w[i*sizeIQ4_NL : (i+1)*sizeIQ4_NL]
		xb := x[i*sizeQ8_0 : (i+1)*sizeQ8_0]
		var s0, s1 int32
		for j := 0; j < legacyBlock/2; j++ {
			s0 += int32(int8(xb[2+j])) * int32(iq4nlValues[wb[2+j]&0xf])
			s1 += int32(int8(xb[2+16+j])) * int32(iq4nlValues[wb[2+j]>>4])
		}
		sumf += float32(half(xb) * half(wb) * float32(s0+s1))
	}
	return sumf
}
