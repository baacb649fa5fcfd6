//go:build !amd64

package cpu

// hasAVX512 is false off amd64: the scalar kernels run.
func hasAVX512() bool { return false }

func swigluAVX512(out, gate, up *float32, n int)                         { panic("no AVX-512") }
func cvtF16F64AVX512(dst *float64, src *uint16, rows, hd, srcStride int) { panic("no AVX-512") }
func attnScoresAVX512(s *float32, kd *float64, nk int, qT *float64, hd int, scale float32) {
	panic("no AVX-512")
}
func attnSoftmaxAVX512(s *float32, p *float64, nkeys int, live *int32) { panic("no AVX-512") }
func attnPVAVX512(acc *float64, vd *float64, p *float64, nk, hd int)   { panic("no AVX-512") }
