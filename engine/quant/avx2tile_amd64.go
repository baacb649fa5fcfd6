//go:build amd64

package quant

// avx2AddTiles attaches the AVX2 tiled prompt kernels to the one-token
// kernels of the same types in ks.
func avx2AddTiles(ks []*MatKernel) {}
