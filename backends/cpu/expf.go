package cpu

import "math"

// The reference llama.cpp build that produced the goldens is baseline x86-64
// (SSE2, no FMA). Its softmax and SwiGLU take 4-wide SSE2 paths built on
// ggml_v_expf, a polynomial exp that differs from a correctly rounded expf in
// the last bits. Mirroring it lane by lane keeps Kiln's activations on the
// same side of every later quantization rounding boundary.

// vExpf is ggml_v_expf for one lane, without fused multiply-adds.
func vExpf(x float32) float32 {
	const r = 0x1.8p23
	z := float32(x*0x1.715476p+0) + r
	n := z - r
	b := x - float32(n*0x1.62e4p-1)
	b = b - float32(n*0x1.7f7d1cp-20)
	e := math.Float32bits(z) << 23
	k := math.Float32frombits(e + math.Float32bits(1))
	u := float32(b * b)
	p1 := float32(0x1.0e4020p-7*b) + 0x1.573e2ep-5
	p2 := float32(0x1.555e66p-3*b) + 0x1.fffdb6p-2
	q := float32(p1*u) + p2
	j := float32(q*u) + float32(0x1.ffffecp-1*b)
	absn := float32(math.Abs(float64(n)))
	if !(absn > 126) {
		return float32(j*k) + k
	}
	var g uint32
	if n <= 0 {
		g = 0x82000000
	}
	s1 := math.Float32frombits(g + 0x7f000000)
	if absn > 192 {
		return s1 * s1
	}
	s2 := math.Float32frombits(e - g)
	return float32(float32(s2*j)+s2) * s1
}

// vSilu is ggml_v_silu for one lane: x / (1 + exp(-x)).
func vSilu(x float32) float32 {
	return x / (1 + vExpf(0-x))
}

// siluScalar is ggml_silu_f32, used by ggml for the n%4 tail of a row.
func siluScalar(x float32) float32 {
	return x / (1 + expf(-x))
}

// expf is a correctly rounded single-precision exp (what glibc's expf
// returns for all but astronomically rare inputs).
func expf(x float32) float32 { return float32(math.Exp(float64(x))) }
