// Package cpu is the portable backend: pure Go kernels run on a persistent
// pool of worker goroutines. Each op mirrors the arithmetic of llama.cpp's
// reference CPU build (summation order, float versus double accumulation,
// where values are rounded to half precision) so that logits agree with it
// to the last bits the formats allow.
//
// Where the CPU allows, the same arithmetic runs in vector form: matrix
// products through engine/quant's fast paths (one-token kernels, and tiles
// of rows x 16 tokens for prompts), attention, softmax and SwiGLU through
// the AVX-512 kernels of simd_amd64.s or the AVX2 ones of
// simd_avx2_amd64.s. KILN_NOSIMD=1 turns all of them off; KILN_SIMD=avx2
// runs the AVX2 level on an AVX-512 CPU.
package cpu

import (
	"math"
	"unsafe"

	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/quant"
)

// CPU implements backends.Backend.
type CPU struct {
	pool *pool
	act  []byte    // activations converted to a weight's vec-dot type
	f16  []uint16  // per-thread half-precision scratch for attention
	prob []float32 // per-thread attention scores
	acc  []float64 // per-thread attention accumulators
	rope []float32 // cos and sin of one position's angles

	// The current attention, read by attentionRows and attentionBlocks.
	at      attention
	atRows  func(worker, lo, hi int)
	atLanes func(worker, lo, hi int)
	lanes   []attnScratch // per thread, for the vector form

	vec *vecKernels // the vector kernels in use; nil for the scalar code

	// The current matrix product, read by matMulRows; kept here (and the
	// method value bound once) so that an op allocates nothing.
	mm      matMul
	mmRows  func(worker, lo, hi int)
	mmConv  func(worker, lo, hi int)
	mmTiles func(worker, lo, hi int)
	mmTConv func(worker, lo, hi int)
	mmGLU   func(worker, lo, hi int)

	gluTmp []float32 // per thread: up products of one strip (MatMulSwiGLU)
	upOut  []float32 // MatMulSwiGLU's up product when it cannot fuse
}

var _ backends.Backend = (*CPU)(nil)

// vecKernels are one instruction-set level's vector kernels for attention
// and SwiGLU (simd_amd64.s, simd_avx2_amd64.s; the contracts are at the
// assembly). Every level takes the same layouts and computes the scalar
// code's numbers, so the callers are the same for all; New picks the
// level once, and a call through these fields allocates nothing.
type vecKernels struct {
	name        string
	swiglu      func(out, gate, up *float32, n int)
	cvtF16F64   func(dst *float64, src *uint16, rows, hd, srcStride int)
	attnScores  func(s *float32, kd *float64, nk int, qT *float64, hd int, scale float32)
	attnSoftmax func(s *float32, p *float64, nkeys int, live *int32)
	attnPV      func(acc *float64, vd *float64, p *float64, nk, hd int)
}

// New returns a CPU backend running on threads goroutines (0 means one per
// physical core).
func New(threads int) *CPU {
	if threads <= 0 {
		threads = PhysicalCores()
	}
	c := &CPU{pool: newPool(threads)}
	c.mmRows = c.matMulRows
	c.mmConv = c.matMulConvert
	c.mmTiles = c.matMulTiles
	c.mmTConv = c.matMulTileConvert
	c.mmGLU = c.matMulSwiGLU
	c.atRows = c.attentionRows
	c.atLanes = c.attentionBlocks
	c.vec = activeVecKernels()
	return c
}

// Name implements backends.Backend.
func (c *CPU) Name() string { return "cpu" }

// Threads implements backends.Backend.
func (c *CPU) Threads() int { return c.pool.threads }

// Close implements backends.Backend.
func (c *CPU) Close() { c.pool.close() }

// RMSNorm implements backends.Backend as ggml's rms_norm followed by mul: the
// sum of squares accumulates in double, the scale is a float.
func (c *CPU) RMSNorm(out, x, weight []float32, dim int, eps float32) {
	for o := 0; o+dim <= len(x); o += dim {
		row := x[o : o+dim]
		var sum float64
		for _, v := range row {
			sum += float64(v * v)
		}
		mean := float32(sum / float64(dim))
		scale := 1 / float32(math.Sqrt(float64(mean+eps)))
		dst := out[o : o+dim]
		for i, v := range row {
			dst[i] = float32(v*scale) * weight[i]
		}
	}
}

// AddBias implements backends.Backend.
func (c *CPU) AddBias(x, bias []float32) {
	for o := 0; o+len(bias) <= len(x); o += len(bias) {
		row := x[o : o+len(bias)]
		for i, b := range bias {
			row[i] += b
		}
	}
}

// RoPE implements backends.Backend with ggml's rope: per position, the angle
// of pair i is pos·base^(-2i/dims) built by repeated multiplication in float,
// with cos and sin rounded to float.
func (c *CPU) RoPE(x []float32, n, heads, headDim, pos0 int, r *backends.RoPE) {
	thetaScale := float32(math.Pow(float64(r.Base), float64(float32(-2)/float32(r.Dims))))
	freqScale := r.FreqScale
	if freqScale == 0 {
		freqScale = 1
	}
	if len(c.rope) < r.Dims {
		c.rope = make([]float32, r.Dims)
	}
	cache := c.rope[:r.Dims]
	for t := 0; t < n; t++ {
		theta := float32(pos0 + t)
		for i := 0; i < r.Dims; i += 2 {
			ff := float32(1)
			if r.FreqFactors != nil {
				ff = r.FreqFactors[i/2]
			}
			th := freqScale * (theta / ff)
			cache[i] = float32(math.Cos(float64(th)))
			cache[i+1] = float32(math.Sin(float64(th)))
			theta *= thetaScale
		}
		for h := 0; h < heads; h++ {
			v := x[(t*heads+h)*headDim : (t*heads+h+1)*headDim]
			for i := 0; i < r.Dims; i += 2 {
				cos, sin := cache[i], cache[i+1]
				a, b := i, i+1
				if r.NeoX {
					a, b = i/2, i/2+r.Dims/2
				}
				x0, x1 := v[a], v[b]
				v[a] = float32(x0*cos) - float32(x1*sin)
				v[b] = float32(x0*sin) + float32(x1*cos)
			}
		}
	}
}

// StoreF16 implements backends.Backend.
func (c *CPU) StoreF16(dst []uint16, src []float32) {
	for i, v := range src {
		dst[i] = quant.FP32ToFP16(v)
	}
}

// SwiGLU implements backends.Backend as ggml_vec_swiglu_f32: 4-wide
// ggml_v_silu for whole groups of four, the scalar silu for the tail. The
// vector kernels do the same arithmetic, 16 (AVX-512) or 8 (AVX2) lanes at
// a time, on a multiple of 16 values.
func (c *CPU) SwiGLU(out, gate, up []float32) {
	n := len(out)
	i := 0
	if c.vec != nil && n >= 16 {
		i = n &^ 15
		c.vec.swiglu(&out[0], &gate[0], &up[0], i)
	}
	for ; i+3 < n; i += 4 {
		for l := i; l < i+4; l++ {
			out[l] = vSilu(gate[l]) * up[l]
		}
	}
	for ; i < n; i++ {
		out[i] = siluScalar(gate[i]) * up[i]
	}
}

// Add implements backends.Backend.
func (c *CPU) Add(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}

func f32Bytes(x []float32) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x)*4)
}
