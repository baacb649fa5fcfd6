//go:build arm64

package quant

import (
	"golang.org/x/sys/cpu"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// The arm64 fast paths use Advanced SIMD (NEON), which every AArch64 CPU
// has, and for Q8_0 and Q4_0 also the dot-product extension (SDOT:
// Armv8.2's FEAT_DotProd, in Cortex-A55/A76 and later, Apple M1 and
// later) when the CPU reports it. Unlike the amd64 ones they read the
// scalar kernels' own activation rows (Q8_0, Q8_K): NEON loads need no
// alignment and the lane order of the K-quant kernels is the natural one
// (kquants_arm64.s), so no other layout would pay for itself.
func init() {
	dot := cpu.ARM64.HasASIMDDP
	name := "neon"
	if dot {
		name = "neon-dotprod"
	}
	addKernelSet(name, armKernels(dot))
}

// armKernels returns the arm64 fast paths, with SDOT where dot is set.
// The tests call it with both values to check each variant on a CPU that
// has the extension.
func armKernels(dot bool) []*MatKernel {
	q8, q4, name := q8_0DotNEON, q4_0DotNEON, "neon"
	if dot {
		q8, q4, name = q8_0DotSDOT, q4_0DotSDOT, "neon-dotprod"
	}
	legacy := func(t ggml.Type, blockBytes int, dot func(w, x *byte, nb int) float32) *MatKernel {
		return &MatKernel{Type: t, Name: name, ActSize: q8_0RowSize, Quantize: quantizeQ8_0,
			Rows: armRows(legacyBlock, blockBytes, sizeQ8_0, dot)}
	}
	kquant := func(t ggml.Type, blockBytes int, dot func(w, x *byte, nsb int) float32) *MatKernel {
		return &MatKernel{Type: t, Name: "neon", ActSize: q8KRowSize, Quantize: quantizeQ8K,
			Rows: armRows(qkK, blockBytes, q8KTypeSize, dot)}
	}
	return []*MatKernel{
		legacy(ggml.Q8_0, sizeQ8_0, q8),
		legacy(ggml.Q4_0, sizeQ4_0, q4),
		kquant(ggml.Q4_K, q4KTypeSize, q4KDotNEON),
		kquant(ggml.Q6_K, q6KTypeSize, q6KDotNEON),
	}
}

func q8_0RowSize(cols int) int { return cols / legacyBlock * sizeQ8_0 }
func q8KRowSize(cols int) int  { return cols / qkK * q8KTypeSize }

// armRows makes a MatKernel.Rows from a one-row dot product over blocks of
// block values (blockBytes of weights, actBytes of activations each). It
// checks the lengths the assembly trusts, so a short slice panics here as
// a scalar kernel's indexing would.
func armRows(block, blockBytes, actBytes int, dot func(w, x *byte, nb int) float32) func([]float32, []byte, int, []byte, int) {
	return func(out []float32, w []byte, rowBytes int, act []byte, cols int) {
		nb := cols / block
		if len(out) == 0 {
			return
		}
		if nb == 0 {
			clear(out)
			return
		}
		_ = act[nb*actBytes-1]
		_ = w[(len(out)-1)*rowBytes+nb*blockBytes-1]
		for r := range out {
			out[r] = dot(&w[r*rowBytes], &act[0], nb)
		}
	}
}

// One row each: weights w, activations x, nb blocks (nsb super-blocks).
// They return the scalar kernel's float32 bit for bit.

//go:noescape
func q8_0DotNEON(w, x *byte, nb int) float32

//go:noescape
func q8_0DotSDOT(w, x *byte, nb int) float32

//go:noescape
func q4_0DotNEON(w, x *byte, nb int) float32

//go:noescape
func q4_0DotSDOT(w, x *byte, nb int) float32

//go:noescape
func q4KDotNEON(w, x *byte, nsb int) float32

//go:noescape
func q6KDotNEON(w, x *byte, nsb int) float32
