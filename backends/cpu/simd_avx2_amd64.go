package cpu

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the kernels of simd_avx2_amd64.s can run: AVX2
// with FMA and F16C (Intel Haswell, AMD Zen 1 and later).
func hasAVX2() bool {
	return cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C
}

// avx2Vec is the AVX2 level of the vector kernels: the arithmetic of the
// AVX-512 ones on vectors half as wide.
var avx2Vec = &vecKernels{
	name:        "avx2",
	swiglu:      swigluAVX2,
	cvtF16F64:   cvtF16F64AVX2,
	attnScores:  attnScoresAVX2,
	attnSoftmax: attnSoftmaxAVX2,
	attnPV:      attnPVAVX2,
}

//go:noescape
func swigluAVX2(out, gate, up *float32, n int)

//go:noescape
func cvtF16F64AVX2(dst *float64, src *uint16, rows, hd, srcStride int)

//go:noescape
func attnScoresAVX2(s *float32, kd *float64, nk int, qT *float64, hd int, scale float32)

//go:noescape
func attnSoftmaxAVX2(s *float32, p *float64, nkeys int, live *int32)

//go:noescape
func attnPVAVX2(acc *float64, vd *float64, p *float64, nk, hd int)
