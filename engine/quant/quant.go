// Package quant holds every GGUF block format: the byte layout of each block,
// dequantization, the reference quantizers (bit-identical to ggml's
// quantize_row_*_ref) and the dot products between a weight row and an
// activation row quantized the way ggml's CPU backend quantizes it.
//
// The scalar Go function of each format is its specification. Fast paths
// (assembly, chosen at run time) live beside them and are tested against them.
package quant

import (
	"fmt"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// Format is the set of kernels for one ggml type.
//
// All functions work on whole rows: n values, n a multiple of the type's block
// size, stored in n/BlockSize*TypeSize bytes. They do not check lengths; the
// caller (the engine, which validated tensor shapes at load) does.
type Format struct {
	Type ggml.Type

	// VecDotType is the type activations are converted to before a dot
	// product with a row of this type (ggml's type_traits_cpu.vec_dot_type):
	// Q8_0 for Q4_0/Q5_0/Q8_0/IQ4_NL, Q8_1 for Q4_1/Q5_1, Q8_K for the
	// K-quants, and the type itself for F32/F16/BF16.
	VecDotType ggml.Type

	// Dequantize expands len(dst) values from src.
	Dequantize func(src []byte, dst []float32)

	// Quantize writes the reference quantization of src into dst
	// (ggml_quantize_chunk with no importance matrix). For the activation
	// types (Q8_0, Q8_1, Q8_K, F16, BF16, F32) it is also the conversion
	// the CPU backend applies to activations (type_traits_cpu.from_float).
	Quantize func(src []float32, dst []byte)

	// VecDot returns the dot product of n values of a row of this type (w)
	// with n values of an activation row of VecDotType (x), computed as
	// ggml's scalar CPU kernel computes it.
	VecDot func(n int, w, x []byte) float32
}

var formats = map[ggml.Type]*Format{}

func register(f *Format) {
	if _, dup := formats[f.Type]; dup {
		panic(fmt.Sprintf("quant: %s registered twice", f.Type))
	}
	formats[f.Type] = f
}

// Lookup returns the kernels for t, or false when Kiln cannot compute with t.
func Lookup(t ggml.Type) (*Format, bool) {
	f, ok := formats[t]
	return f, ok
}

// Supported lists the types Lookup knows, in ggml's numbering order.
func Supported() []ggml.Type {
	var ts []ggml.Type
	for t := ggml.Type(0); t < 64; t++ {
		if _, ok := formats[t]; ok {
			ts = append(ts, t)
		}
	}
	return ts
}
