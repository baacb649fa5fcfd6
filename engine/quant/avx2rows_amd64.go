//go:build amd64

package quant

// avx2MoreRows are the AVX2 one-token kernels beyond Q8_0, Q4_K and Q6_K.
func avx2MoreRows() []*MatKernel { return nil }
