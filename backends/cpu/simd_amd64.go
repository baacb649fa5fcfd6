package cpu

import (
	"golang.org/x/sys/cpu"

	"github.com/kiln-llm/kiln/engine/quant"
)

// hasAVX512 reports whether the vector kernels of this file can run: AVX-512
// F/VL/DQ with F16C, and the quant fast paths at their AVX-512 level (not
// off with KILN_NOSIMD, nor lowered with KILN_SIMD=avx2).
func hasAVX512() bool {
	return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ && cpu.X86.HasF16C &&
		quant.SIMD() == "avx512-vnni"
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
