package cpu

import (
	"golang.org/x/sys/cpu"

	"github.com/kiln-llm/kiln/engine/quant"
)

// hasAVX512 reports whether the kernels of simd_amd64.s can run: AVX-512
// F/VL/DQ with F16C.
func hasAVX512() bool {
	return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ && cpu.X86.HasF16C
}

// avx512Vec is the AVX-512 level of the vector kernels.
var avx512Vec = &vecKernels{
	name:        "avx512",
	swiglu:      swigluAVX512,
	cvtF16F64:   cvtF16F64AVX512,
	attnScores:  attnScoresAVX512,
	attnSoftmax: attnSoftmaxAVX512,
	attnPV:      attnPVAVX512,
}

// cpuVecKernels lists the levels of vector kernels this CPU can run, best
// first, whatever the environment asks (tests compare each with the scalar
// code).
func cpuVecKernels() []*vecKernels {
	var ks []*vecKernels
	if hasAVX512() {
		ks = append(ks, avx512Vec)
	}
	if hasAVX2() {
		ks = append(ks, avx2Vec)
	}
	return ks
}

// activeVecKernels returns the level New uses: the one of engine/quant's
// fast paths, so that KILN_SIMD=avx2 lowers (and KILN_NOSIMD turns off)
// the whole backend at once; nil for the scalar code.
func activeVecKernels() *vecKernels {
	switch quant.SIMD() {
	case "avx512-vnni":
		if hasAVX512() {
			return avx512Vec
		}
		fallthrough
	case "avx2":
		if hasAVX2() {
			return avx2Vec
		}
	}
	return nil
}

//go:noescape
func swigluAVX512(out, gate, up *float32, n int)

//go:noescape
func cvtF16F64AVX512(dst *float64, src *uint16, rows, hd, srcStride int)

//go:noescape
func attnScoresAVX512(s *float32, kd *float64, nk int, qT *float64, hd int, scale float32)

//go:noescape
func attnSoftmaxAVX512(s *float32, p *float64, nkeys int, live *int32)

//go:noescape
func attnPVAVX512(acc *float64, vd *float64, p *float64, nk, hd int)
