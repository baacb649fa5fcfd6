package quant

import (
	"encoding/binary"
	"math"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// The plain float types have one value per "block", stored little-endian:
//
//	F32   offset 0: IEEE binary32 (4 bytes)
//	F16   offset 0: IEEE binary16 (2 bytes)
//	BF16  offset 0: bfloat16, the top half of a binary32 (2 bytes)
const (
	sizeF32  = 4
	sizeF16  = 2
	sizeBF16 = 2
)

func init() {
	register(&Format{
		Type:       ggml.F32,
		VecDotType: ggml.F32,
		Dequantize: dequantizeF32,
		Quantize:   quantizeF32,
		VecDot:     vecDotF32,
	})
	register(&Format{
		Type:       ggml.F16,
		VecDotType: ggml.F16,
		Dequantize: dequantizeF16,
		Quantize:   quantizeF16,
		VecDot:     vecDotF16,
	})
	register(&Format{
		Type:       ggml.BF16,
		VecDotType: ggml.BF16,
		Dequantize: dequantizeBF16,
		Quantize:   quantizeBF16,
		VecDot:     vecDotBF16,
	})
}

func dequantizeF32(src []byte, dst []float32) {
	src = src[:len(dst)*sizeF32]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[i*sizeF32:]))
	}
}

func quantizeF32(src []float32, dst []byte) {
	dst = dst[:len(src)*sizeF32]
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[i*sizeF32:], math.Float32bits(v))
	}
}

// vecDotF32 mirrors ggml_vec_dot_f32 in a build without SIMD: each product
// is rounded to float, and the sum is kept in double (ggml_float) from the
// first element to the last before it is rounded back to float.
func vecDotF32(n int, w, x []byte) float32 {
	w, x = w[:n*sizeF32], x[:n*sizeF32]
	var sum float64
	for i := 0; i < n; i++ {
		a := math.Float32frombits(binary.LittleEndian.Uint32(w[i*sizeF32:]))
		b := math.Float32frombits(binary.LittleEndian.Uint32(x[i*sizeF32:]))
		sum += float64(a * b)
	}
	return float32(sum)
}

func dequantizeF16(src []byte, dst []float32) {
	src = src[:len(dst)*sizeF16]
	for i := range dst {
		dst[i] = FP16ToFP32(binary.LittleEndian.Uint16(src[i*sizeF16:]))
	}
}

// quantizeF16 is both ggml_fp32_to_fp16_row (what ggml_quantize_chunk uses)
// and the CPU backend's activation conversion without F16C: the same
// round-to-nearest-even per value.
func quantizeF16(src []float32, dst []byte) {
	dst = dst[:len(src)*sizeF16]
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[i*sizeF16:], FP32ToFP16(v))
	}
}

// vecDotF16 mirrors ggml_vec_dot_f16 without SIMD: widen both halves to
// float, multiply in float, accumulate in double.
func vecDotF16(n int, w, x []byte) float32 {
	w, x = w[:n*sizeF16], x[:n*sizeF16]
	var sum float64
	for i := 0; i < n; i++ {
		a := FP16ToFP32(binary.LittleEndian.Uint16(w[i*sizeF16:]))
		b := FP16ToFP32(binary.LittleEndian.Uint16(x[i*sizeF16:]))
		sum += float64(a * b)
	}
	return float32(sum)
}

func dequantizeBF16(src []byte, dst []float32) {
	src = src[:len(dst)*sizeBF16]
	for i := range dst {
		dst[i] = BF16ToFP32(binary.LittleEndian.Uint16(src[i*sizeBF16:]))
	}
}

// quantizeBF16 is ggml_fp32_to_bf16_row_ref, which is also what the CPU
// backend applies to activations (ggml_cpu_fp32_to_bf16).
func quantizeBF16(src []float32, dst []byte) {
	dst = dst[:len(src)*sizeBF16]
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[i*sizeBF16:], FP32ToBF16(v))
	}
}

// vecDotBF16 mirrors ggml_vec_dot_bf16's scalar tail, which without AVX is
// the whole loop: float products, double accumulator.
func vecDotBF16(n int, w, x []byte) float32 {
	w, x = w[:n*sizeBF16], x[:n*sizeBF16]
	var sum float64
	for i := 0; i < n; i++ {
		a := BF16ToFP32(binary.LittleEndian.Uint16(w[i*sizeBF16:]))
		b := BF16ToFP32(binary.LittleEndian.Uint16(x[i*sizeBF16:]))
		sum += float64(a * b)
	}
	return float32(sum)
}
