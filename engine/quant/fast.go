package quant

// Fast paths. The scalar kernels above are the specification; a fast path
// computes exactly the same numbers, only faster, and is chosen at run time
// for the CPU the program finds itself on (fast_amd64.go). A fast path may
// store activations in its own layout (the same quantized values as the
// scalar VecDotType conversion, rearranged for the vector unit), so it comes
// as a set: the layout's size, the conversion, and the products.
//
// Setting KILN_NOSIMD=1 in the environment turns every fast path off, so that
// the scalar reference can be tested on the same machine.

import (
	"os"
	"sync"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// MatKernel is a fast matrix product for weights of one type. For the
// quantized types its results are bit-identical to Format.VecDot on
// activations converted with the VecDotType's Quantize: the integer sums
// are exact in any order, and the float operations (per-block scale
// products and their accumulation) are done in the scalar kernel's order,
// lane for lane. For F16 and BF16 (Exact false) the double-precision sum of
// the (exact) products runs in several lanes instead of one sequence; the
// float32 result then differs from the scalar one by at most one unit in
// the last place, and only where the double sums needed more than 53 bits.
type MatKernel struct {
	Type ggml.Type
	// Name says which instruction set it uses ("avx512").
	Name string
	// Inexact marks a kernel whose float sums run in a different order
	// from the scalar kernel's (F16, BF16; see above).
	Inexact bool

	// ActSize is the size in bytes of one activation row of cols values in
	// the kernel's layout. cols is a multiple of the type's block size.
	ActSize func(cols int) int

	// Quantize converts len(x) activation values into dst (ActSize(len(x))
	// bytes).
	Quantize func(x []float32, dst []byte)

	// Rows sets out[r], for r < len(out), to the dot product of weight row r
	// (the rows lie rowBytes apart from the start of w) with the converted
	// activation row act of cols values.
	Rows func(out []float32, w []byte, rowBytes int, act []byte, cols int)

	// The many-token form, for prompt processing (nil where the kernel has
	// none). Activations are converted in blocks of TileTokens tokens, in a
	// layout of their own (TileActSize(cols) bytes per block), and Tile
	// multiplies weight rows with a whole block, unpacking each weight block
	// once for all its tokens.
	TileActSize func(cols int) int
	// TileQuantize converts n <= TileTokens activation rows of cols values
	// (x holds them one after another) into one block; the block's other
	// tokens are zero.
	TileQuantize func(x []float32, cols, n int, dst []byte)
	// Tile sets out[t*outStride+r], for r < rows and t < n, to the dot
	// product of weight row r with token t of the block act.
	Tile func(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int)
}

// TileTokens is the number of tokens in one block of a tiled product.
const TileTokens = 16

// kernelSet is the fast paths of one instruction-set level.
type kernelSet struct {
	name    string
	kernels map[ggml.Type]*MatKernel
}

// kernelSets lists, best first, the levels this CPU can run (filled by the
// architecture's init).
var kernelSets []kernelSet

func addKernelSet(name string, ks []*MatKernel) {
	set := kernelSet{name: name, kernels: map[ggml.Type]*MatKernel{}}
	for _, k := range ks {
		if k.Name == "" {
			k.Name = name
		}
		set.kernels[k.Type] = k
	}
	kernelSets = append(kernelSets, set)
}

// SIMDDisabled reports whether KILN_NOSIMD turned the fast paths off. It
// reads the environment once, on first use (not at init, so that go test's
// cache sees the variable).
var SIMDDisabled = sync.OnceValue(func() bool {
	v := os.Getenv("KILN_NOSIMD")
	return v != "" && v != "0"
})

// activeSet is the level in use: the best one, or the one KILN_SIMD names
// (to test a lower level on a bigger CPU); nil with KILN_NOSIMD.
var activeSet = sync.OnceValue(func() *kernelSet {
	s := pickSet()
	vecConversion = hasVecConversion && s != nil && s.name == vecConversionLevel
	return s
})

func pickSet() *kernelSet {
	if SIMDDisabled() || len(kernelSets) == 0 {
		return nil
	}
	if want := os.Getenv("KILN_SIMD"); want != "" {
		for i := range kernelSets {
			if kernelSets[i].name == want {
				return &kernelSets[i]
			}
		}
	}
	return &kernelSets[0]
}

// Kernel returns the fast path for weights of type t on this CPU, or nil
// when there is none (another architecture, a CPU without the needed
// instructions, a type without a fast path, or KILN_NOSIMD set).
func Kernel(t ggml.Type) *MatKernel {
	if s := activeSet(); s != nil {
		return s.kernels[t]
	}
	return nil
}

// SIMD names the instruction set the fast paths use on this CPU, or "none".
func SIMD() string {
	if s := activeSet(); s != nil {
		return s.name
	}
	return "none"
}
