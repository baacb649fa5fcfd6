package quant

import "math"

// fp16Table holds every half value as float32: a lookup is several times
// faster than the branchy conversion on the F16 dot product's hot path (ggml
// keeps the same table).
var fp16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = fp16ToFP32Slow(uint16(i))
	}
	return &t
}()

// FP16ToFP32 converts an IEEE half-precision value exactly.
func FP16ToFP32(h uint16) float32 { return fp16Table[h] }

// fp16ToFP32Slow is the bit-level conversion that fills the table.
func fp16ToFP32Slow(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0: // zero
		return math.Float32frombits(sign)
	}
	// Subnormal half: renormalise.
	e := uint32(113)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}

// FP32ToFP16 rounds f to the nearest half-precision value, ties to even, as
// ggml's portable ggml_compute_fp32_to_fp16 does (overflow goes to infinity,
// NaN stays NaN).
func FP32ToFP16(f float32) uint16 {
	// The arithmetic follows the float-rescaling method ggml uses so that
	// subnormal and overflow rounding agree bit for bit.
	const scaleToInf = 0x1.0p+112
	const scaleToZero = 0x1.0p-110
	base := float32(float32(math.Abs(float64(f))*scaleToInf) * scaleToZero)

	w := math.Float32bits(f)
	shl1w := w + w
	sign := w & 0x80000000
	bias := shl1w & 0xff000000
	if bias < 0x71000000 {
		bias = 0x71000000
	}
	base = math.Float32frombits((bias>>1)+0x07800000) + base
	bits := math.Float32bits(base)
	expBits := (bits >> 13) & 0x00007c00
	mantBits := bits & 0x00000fff
	nonsign := expBits + mantBits
	if shl1w > 0xff000000 {
		return uint16(sign>>16 | 0x7e00)
	}
	return uint16(sign>>16 | nonsign)
}

// BF16ToFP32 converts a bfloat16 value exactly.
func BF16ToFP32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// FP32ToBF16 rounds f to bfloat16, ties to even, quieting NaNs, as ggml's
// ggml_compute_fp32_to_bf16 does.
func FP32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 { // NaN: force quiet
		return uint16(u>>16 | 64)
	}
	return uint16((u + (0x7fff + (u>>16)&1)) >> 16)
}
