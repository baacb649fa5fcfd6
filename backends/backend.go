// Package backends defines the operations a transformer forward pass needs
// from the hardware it runs on: matrix products on (quantized) weights and the
// handful of element-wise and attention kernels around them. The model code
// in engine/model is written against Backend only, so it knows nothing about
// threads, SIMD or devices; backends/cpu is the portable implementation.
//
// Buffers are host []float32 slices laid out row-major, one row per token.
package backends

import (
	"fmt"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/quant"
)

// Matrix is a 2-D weight as the GGUF stores it: Rows rows of Cols values of
// Type, Data aliasing the mapped file.
type Matrix struct {
	Name       string
	Type       ggml.Type
	Rows, Cols int
	Data       []byte
	Format     *quant.Format
	RowBytes   int
}

// NewMatrix checks that data holds rows×cols values of t and that Kiln has
// kernels for t.
func NewMatrix(name string, t ggml.Type, rows, cols int, data []byte) (*Matrix, error) {
	f, ok := quant.Lookup(t)
	if !ok || f.VecDot == nil {
		return nil, fmt.Errorf("tensor %q: type %s is not supported for matrix products", name, t)
	}
	rb, err := t.RowSize(int64(cols))
	if err != nil {
		return nil, fmt.Errorf("tensor %q: rows of %d values: %v", name, cols, err)
	}
	if int64(len(data)) != rb*int64(rows) {
		return nil, fmt.Errorf("tensor %q: %d bytes for %d×%d %s, want %d", name, len(data), rows, cols, t, rb*int64(rows))
	}
	return &Matrix{Name: name, Type: t, Rows: rows, Cols: cols, Data: data, Format: f, RowBytes: int(rb)}, nil
}

// Row returns the bytes of row r.
func (m *Matrix) Row(r int) []byte { return m.Data[r*m.RowBytes : (r+1)*m.RowBytes] }

// RoPE describes a rotary position embedding as llama.cpp parameterises it.
type RoPE struct {
	Dims        int       // rotated dimensions per head (the rest pass through)
	Base        float32   // rope.freq_base
	FreqScale   float32   // 1 / rope.scaling.factor (1 when unscaled)
	NeoX        bool      // rotate (i, i+Dims/2) pairs instead of adjacent (2i, 2i+1)
	FreqFactors []float32 // per-pair divisors (Llama 3's rope_freqs), or nil
}

// Attention is the shape of one attention op.
type Attention struct {
	Heads, KVHeads, HeadDim int
	Scale                   float32 // applied to q·k before the softmax
}

// Backend runs the ops of a forward pass. A Backend is used by one goroutine
// at a time (it owns scratch memory); it parallelises inside each op.
type Backend interface {
	// Name is a short label for logs and benchmarks ("cpu").
	Name() string
	// Threads is the number of threads ops run on.
	Threads() int

	// MatMul sets out[t*w.Rows+r] = w.Row(r) · x[t*w.Cols:(t+1)*w.Cols] for
	// t < n, converting x to the weight's activation type first, as ggml does.
	MatMul(out []float32, w *Matrix, x []float32, n int)
	// RMSNorm normalises each dim-wide row of x into out and multiplies it by
	// weight element-wise.
	RMSNorm(out, x, weight []float32, dim int, eps float32)
	// AddBias adds bias to every len(bias)-wide row of x.
	AddBias(x, bias []float32)
	// RoPE rotates, in place, n tokens of heads heads of headDim values at
	// positions pos0, pos0+1, ...
	RoPE(x []float32, n, heads, headDim, pos0 int, r *RoPE)
	// StoreF16 converts src to half precision into dst (the KV cache).
	StoreF16(dst []uint16, src []float32)
	// Attention computes causal attention for n query tokens at positions
	// pos0.. against keys and values 0..pos0+n-1 stored in half precision,
	// one KVHeads*HeadDim row per position.
	Attention(out, q []float32, k, v []uint16, n, pos0 int, a Attention)
	// SwiGLU sets out = silu(gate) * up element-wise.
	SwiGLU(out, gate, up []float32)
	// MatMulSwiGLU sets out[t*gate.Rows+r] = silu(gate.Row(r)·x_t) *
	// (up.Row(r)·x_t): the feed-forward's two products and its gate as one
	// op, with the results MatMul and SwiGLU would give, but no buffer for
	// the up product and one conversion of x for both.
	MatMulSwiGLU(out []float32, gate, up *Matrix, x []float32, n int)
	// Add sets dst += src element-wise.
	Add(dst, src []float32)
	// Close releases the backend's threads.
	Close()
}
