package quant

import (
	"encoding/binary"
	"math"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// legacyBlock is the number of values in one block of every legacy type
// (ggml's QK4_0, QK4_1, QK5_0, QK5_1, QK8_0, QK8_1) and of IQ4_NL.
const legacyBlock = 32

// Block layouts of the legacy types. d, m and s are FP16; all multi-byte
// fields are little-endian. Nibble j of qs (low half of byte j) holds value
// j, the high nibble holds value j+16; for the 5-bit types bit j of the
// 32-bit qh supplies the fifth bit of value j.
//
//	Q4_0  0 d | 2 qs[16]                  value = d*(q-8)
//	Q4_1  0 d | 2 m | 4 qs[16]            value = d*q + m
//	Q5_0  0 d | 2 qh[4] | 6 qs[16]        value = d*(q-16)
//	Q5_1  0 d | 2 m | 4 qh[4] | 8 qs[16]  value = d*q + m
//	Q8_0  0 d | 2 qs[32] (int8)           value = d*q
//	Q8_1  0 d | 2 s | 4 qs[32] (int8)     value = d*q, s = d*sum(q)
const (
	sizeQ4_0 = 2 + legacyBlock/2
	sizeQ4_1 = 2 + 2 + legacyBlock/2
	sizeQ5_0 = 2 + 4 + legacyBlock/2
	sizeQ5_1 = 2 + 2 + 4 + legacyBlock/2
	sizeQ8_0 = 2 + legacyBlock
	sizeQ8_1 = 2 + 2 + legacyBlock
)

func init() {
	register(&Format{Type: ggml.Q4_0, VecDotType: ggml.Q8_0,
		Dequantize: dequantizeQ4_0, Quantize: quantizeQ4_0, VecDot: vecDotQ4_0})
	register(&Format{Type: ggml.Q4_1, VecDotType: ggml.Q8_1,
		Dequantize: dequantizeQ4_1, Quantize: quantizeQ4_1, VecDot: vecDotQ4_1})
	register(&Format{Type: ggml.Q5_0, VecDotType: ggml.Q8_0,
		Dequantize: dequantizeQ5_0, Quantize: quantizeQ5_0, VecDot: vecDotQ5_0})
	register(&Format{Type: ggml.Q5_1, VecDotType: ggml.Q8_1,
		Dequantize: dequantizeQ5_1, Quantize: quantizeQ5_1, VecDot: vecDotQ5_1})
	register(&Format{Type: ggml.Q8_0, VecDotType: ggml.Q8_0,
		Dequantize: dequantizeQ8_0, Quantize: quantizeQ8_0, VecDot: vecDotQ8_0})
	register(&Format{Type: ggml.Q8_1, VecDotType: ggml.Q8_1,
		Dequantize: dequantizeQ8_1, Quantize: quantizeQ8_1, VecDot: vecDotQ8_1})
}

func half(b []byte) float32 { return FP16ToFP32(binary.LittleEndian.Uint16(b)) }

func putHalf(b []byte, f float32) { binary.LittleEndian.PutUint16(b, FP32ToFP16(f)) }

func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

// roundAway is C's roundf: halfway cases go away from zero.
func roundAway(f float32) float32 { return float32(math.Round(float64(f))) }

// signedMax returns the value of largest magnitude in x (the first one on a
// tie) and that magnitude, as the symmetric quantizers pick their scale.
func signedMax(x []float32) (max, amax float32) {
	for _, v := range x {
		if a := abs32(v); amax < a {
			amax, max = a, v
		}
	}
	return max, amax
}

// minMax returns the extremes of x, starting from ±FLT_MAX as ggml does.
func minMax(x []float32) (min, max float32) {
	min, max = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < min {
			min = v
		}
		if v > max {
			max = v
		}
	}
	return min, max
}

// inverse is ggml's "d ? 1.0f/d : 0.0f".
func inverse(d float32) float32 {
	if d == 0 {
		return 0
	}
	return 1 / d
}

// quantizeQ4_0 mirrors quantize_row_q4_0_ref. The value of largest magnitude
// maps to exactly -8; the scaled values are shifted by 8.5 and truncated,
// which rounds half up, and the opposite extreme (+8) is clamped to 15.
func quantizeQ4_0(src []float32, dst []byte) {
	for i := 0; i < len(src)/legacyBlock; i++ {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*sizeQ4_0 : (i+1)*sizeQ4_0]
		max, _ := signedMax(x)
		d := max / -8
		id := inverse(d)
		putHalf(b, d)
		for j := 0; j < legacyBlock/2; j++ {
			// The explicit float32 keeps the product rounded on its own, as
			// in the reference build, which cannot fuse it with the add.
			q0 := min(15, int32(float32(x[j]*id)+8.5))
			q1 := min(15, int32(float32(x[j+16]*id)+8.5))
			b[2+j] = uint8(q0) | uint8(q1)<<4
		}
	}
}

func dequantizeQ4_0(src []byte, dst []float32) {
	for i := 0; i < len(dst)/legacyBlock; i++ {
		b := src[i*sizeQ4_0 : (i+1)*sizeQ4_0]
		y := dst[i*legacyBlock : (i+1)*legacyBlock]
		d := half(b)
		for j := 0; j < legacyBlock/2; j++ {
			y[j] = float32(int32(b[2+j]&0xf)-8) * d
			y[j+16] = float32(int32(b[2+j]>>4)-8) * d
		}
	}
}

// vecDotQ4_0 mirrors ggml_vec_dot_q4_0_q8_0_generic: integer sums per block
// half, then sumi*dw*dy, left to right, added to a float accumulator.
func vecDotQ4_0(n int, w, x []byte) float32 {
	var sumf float32
	for i := 0; i < n/legacyBlock; i++ {
		wb := w[i*sizeQ4_0 : (i+1)*sizeQ4_0]
		xb := x[i*sizeQ8_0 : (i+1)*sizeQ8_0]
		var s0, s1 int32
		for j := 0; j < legacyBlock/2; j++ {
			s0 += (int32(wb[2+j]&0xf) - 8) * int32(int8(xb[2+j]))
			s1 += (int32(wb[2+j]>>4) - 8) * int32(int8(xb[2+16+j]))
		}
		sumf += float32(float32(s0+s1) * half(wb) * half(xb))
	}
	return sumf
}

// quantizeQ4_1 mirrors quantize_row_q4_1_ref: the block's range is split into
// 15 steps from its minimum; values are rounded half up.
func quantizeQ4_1(src []float32, dst []byte) {
	for i := 0; i < len(src)/legacyBlock; i++ {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*sizeQ4_1 : (i+1)*sizeQ4_1]
		lo, hi := minMax(x)
		d := (hi - lo) / 15
		id := inverse(d)
		putHalf(b, d)
		putHalf(b[2:], lo)
		for j := 0; j < legacyBlock/2; j++ {
			q0 := min(15, int32(float32((x[j]-lo)*id)+0.5))
			q1 := min(15, int32(float32((x[j+16]-lo)*id)+0.5))
			b[4+j] = uint8(q0) | uint8(q1)<<4
		}
	}
}

func dequantizeQ4_1(src []byte, dst []float32) {
	for i := 0; i < len(dst)/legacyBlock; i++ {
		b := src[i*sizeQ4_1 : (i+1)*sizeQ4_1]
		y := dst[i*legacyBlock : (i+1)*legacyBlock]
		d, m := half(b), half(b[2:])
		for j := 0; j < legacyBlock/2; j++ {
			y[j] = float32(float32(b[4+j]&0xf)*d) + m
			y[j+16] = float32(float32(b[4+j]>>4)*d) + m
		}
	}
}

// vecDotQ4_1 mirrors ggml_vec_dot_q4_1_q8_1_generic: the minimum's share
// comes from the activation block's precomputed s = d*sum(q).
func vecDotQ4_1(n int, w, x []byte) float32 {
	var sumf float32
	for i := 0; i < n/legacyBlock; i++ {
		wb := w[i*sizeQ4_1 : (i+1)*sizeQ4_1]
		xb := x[i*sizeQ8_1 : (i+1)*sizeQ8_1]
		var s0, s1 int32
		for j := 0; j < legacyBlock/2; j++ {
			s0 += int32(wb[4+j]&0xf) * int32(int8(xb[4+j]))
			s1 += int32(wb[4+j]>>4) * int32(int8(xb[4+16+j]))
		}
		scaled := float32(half(wb) * half(xb) * float32(s0+s1))
		offset := float32(half(wb[2:]) * half(xb[2:]))
		sumf += scaled + offset
	}
	return sumf
}

// quantizeQ5_0 mirrors quantize_row_q5_0_ref: as Q4_0 with 32 levels, the
// largest magnitude mapping to -16.
func quantizeQ5_0(src []float32, dst []byte) {
	for i := 0; i < len(src)/legacyBlock; i++ {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*sizeQ5_0 : (i+1)*sizeQ5_0]
		max, _ := signedMax(x)
		d := max / -16
		id := inverse(d)
		putHalf(b, d)
		var qh uint32
		for j := 0; j < legacyBlock/2; j++ {
			q0 := uint32(min(31, int32(float32(x[j]*id)+16.5)))
			q1 := uint32(min(31, int32(float32(x[j+16]*id)+16.5)))
			b[6+j] = uint8(q0&0xf) | uint8(q1&0xf)<<4
			qh |= (q0 >> 4 & 1) << j
			qh |= (q1 >> 4 & 1) << (j + 16)
		}
		binary.LittleEndian.PutUint32(b[2:], qh)
	}
}

func dequantizeQ5_0(src []byte, dst []float32) {
	for i := 0; i < len(dst)/legacyBlock; i++ {
		b := src[i*sizeQ5_0 : (i+1)*sizeQ5_0]
		y := dst[i*legacyBlock : (i+1)*legacyBlock]
		d := half(b)
		qh := binary.LittleEndian.Uint32(b[2:])
		for j := 0; j < legacyBlock/2; j++ {
			q0 := int32(b[6+j]&0xf) | int32(qh>>j&1)<<4
			q1 := int32(b[6+j]>>4) | int32(qh>>(j+16)&1)<<4
			y[j] = float32(q0-16) * d
			y[j+16] = float32(q1-16) * d
		}
	}
}

// vecDotQ5_0 mirrors ggml_vec_dot_q5_0_q8_0_generic: (dw*dy)*sumi per block.
func vecDotQ5_0(n int, w, x []byte) float32 {
	var sumf float32
	for i := 0; i < n/legacyBlock; i++ {
		wb := w[i*sizeQ5_0 : (i+1)*sizeQ5_0]
		xb := x[i*sizeQ8_0 : (i+1)*sizeQ8_0]
		qh := binary.LittleEndian.Uint32(wb[2:])
		var s0, s1 int32
		for j := 0; j < legacyBlock/2; j++ {
			q0 := (int32(wb[6+j]&0xf) | int32(qh>>j&1)<<4) - 16
			q1 := (int32(wb[6+j]>>4) | int32(qh>>(j+16)&1)<<4) - 16
			s0 += q0 * int32(int8(xb[2+j]))
			s1 += q1 * int32(int8(xb[2+16+j]))
		}
		sumf += float32(half(wb) * half(xb) * float32(s0+s1))
	}
	return sumf
}

// quantizeQ5_1 mirrors quantize_row_q5_1_ref: as Q4_1 with 31 steps. The
// reference does not clamp here; (max-min)*id stays within 31.5, and the
// truncation keeps it at 31.
func quantizeQ5_1(src []float32, dst []byte) {
	for i := 0; i < len(src)/legacyBlock; i++ {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*sizeQ5_1 : (i+1)*sizeQ5_1]
		lo, hi := minMax(x)
		d := (hi - lo) / 31
		id := inverse(d)
		putHalf(b, d)
		putHalf(b[2:], lo)
		var qh uint32
		for j := 0; j < legacyBlock/2; j++ {
			q0 := uint32(uint8(int32(float32((x[j]-lo)*id) + 0.5)))
			q1 := uint32(uint8(int32(float32((x[j+16]-lo)*id) + 0.5)))
			b[8+j] = uint8(q0&0xf) | uint8(q1&0xf)<<4
			qh |= (q0 >> 4 & 1) << j
			qh |= (q1 >> 4 & 1) << (j + 16)
		}
		binary.LittleEndian.PutUint32(b[4:], qh)
	}
}

func dequantizeQ5_1(src []byte, dst []float32) {
	for i := 0; i < len(dst)/legacyBlock; i++ {
		b := src[i*sizeQ5_1 : (i+1)*sizeQ5_1]
		y := dst[i*legacyBlock : (i+1)*legacyBlock]
		d, m := half(b), half(b[2:])
		qh := binary.LittleEndian.Uint32(b[4:])
		for j := 0; j < legacyBlock/2; j++ {
			q0 := uint32(b[8+j]&0xf) | (qh>>j&1)<<4
			q1 := uint32(b[8+j]>>4) | (qh>>(j+16)&1)<<4
			y[j] = float32(float32(q0)*d) + m
			y[j+16] = float32(float32(q1)*d) + m
		}
	}
}

// vecDotQ5_1 mirrors ggml_vec_dot_q5_1_q8_1_generic.
func vecDotQ5_1(n int, w, x []byte) float32 {
	var sumf float32
	for i := 0; i < n/legacyBlock; i++ {
		wb := w[i*sizeQ5_1 : (i+1)*sizeQ5_1]
		xb := x[i*sizeQ8_1 : (i+1)*sizeQ8_1]
		qh := binary.LittleEndian.Uint32(wb[4:])
		var s0, s1 int32
		for j := 0; j < legacyBlock/2; j++ {
			q0 := int32(wb[8+j]&0xf) | int32(qh>>j&1)<<4
			q1 := int32(wb[8+j]>>4) | int32(qh>>(j+16)&1)<<4
			s0 += q0 * int32(int8(xb[4+j]))
			s1 += q1 * int32(int8(xb[4+16+j]))
		}
		scaled := float32(half(wb) * half(xb) * float32(s0+s1))
		offset := float32(half(wb[2:]) * half(xb[2:]))
		sumf += scaled + offset
	}
	return sumf
}

// quantizeQ8_0 mirrors quantize_row_q8_0_ref, which is also the CPU
// backend's activation conversion without AVX: amax maps to 127 and values
// round half away from zero (roundf).
func quantizeQ8_0(src []float32, dst []byte) {
	for i := 0; i < len(src)/legacyBlock; i++ {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*sizeQ8_0 : (i+1)*sizeQ8_0]
		d := absMax(x) / 127
		id := inverse(d)
		putHalf(b, d)
		for j, v := range x {
			b[2+j] = uint8(int8(roundAway(v * id)))
		}
	}
}

// absMax is ggml's running MAX(amax, fabsf(v)), which lets a NaN through
// the same way the C macro does.
func absMax(x []float32) float32 {
	var amax float32
	for _, v := range x {
		if a := abs32(v); !(amax > a) {
			amax = a
		}
	}
	return amax
}

func dequantizeQ8_0(src []byte, dst []float32) {
	for i := 0; i < len(dst)/legacyBlock; i++ {
		b := src[i*sizeQ8_0 : (i+1)*sizeQ8_0]
		y := dst[i*legacyBlock : (i+1)*legacyBlock]
		d := half(b)
		for j := range y {
			y[j] = float32(int8(b[2+j])) * d
		}
	}
}

// vecDotQ8_0 mirrors ggml_vec_dot_q8_0_q8_0_generic: sumi*(dw*dy).
func vecDotQ8_0(n int, w, x []byte) float32 {
	var sumf float32
	for i := 0; i < n/legacyBlock; i++ {
		wb := w[i*sizeQ8_0 : (i+1)*sizeQ8_0]
		xb := x[i*sizeQ8_0 : (i+1)*sizeQ8_0]
		var s int32
		for j := 2; j < sizeQ8_0; j++ {
			s += int32(int8(wb[j])) * int32(int8(xb[j]))
		}
		sumf += float32(float32(s) * (half(wb) * half(xb)))
	}
	return sumf
}

// quantizeQ8_1 mirrors quantize_row_q8_1_ref (also the CPU backend's
// activation conversion for Q4_1/Q5_1 without AVX): Q8_0's rounding, plus
// s = fp16(d*sum(q)) so that a dot product with an offset type can add the
// offset's share without touching the quants again.
func quantizeQ8_1(src []float32, dst []byte) {
	for i := 0; i < len(src)/legacyBlock; i++ {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*sizeQ8_1 : (i+1)*sizeQ8_1]
		d := absMax(x) / 127
		id := inverse(d)
		putHalf(b, d)
		var sum int32
		for j, v := range x {
			q := int8(roundAway(v * id))
			b[4+j] = uint8(q)
			sum += int32(q)
		}
		putHalf(b[2:], float32(sum)*d)
	}
}

// dequantizeQ8_1 expands d*q. ggml has no to_float for Q8_1 (it exists
// only as an activation format); this is the format's plain meaning.
func dequantizeQ8_1(src []byte, dst []float32) {
	for i := 0; i < len(dst)/legacyBlock; i++ {
		b := src[i*sizeQ8_1 : (i+1)*sizeQ8_1]
		y := dst[i*legacyBlock : (i+1)*legacyBlock]
		d := half(b)
		for j := range y {
			y[j] = float32(int8(b[4+j])) * d
		}
	}
}

// vecDotQ8_1 is a Q8_1 x Q8_1 dot product shaped like Q8_0's. ggml has no
// such kernel (Q8_1 weights cannot be multiplied on its CPU backend); Kiln
// has one so that every registered format can be used as weights.
func vecDotQ8_1(n int, w, x []byte) float32 {
	var sumf float32
	for i := 0; i < n/legacyBlock; i++ {
		wb := w[i*sizeQ8_1 : (i+1)*sizeQ8_1]
		xb := x[i*sizeQ8_1 : (i+1)*sizeQ8_1]
		var s int32
		for j := 4; j < sizeQ8_1; j++ {
			s += int32(int8(wb[j])) * int32(int8(xb[j]))
		}
		sumf += float32(float32(s) * (half(wb) * half(xb)))
	}
	return sumf
}
