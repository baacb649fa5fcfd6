//go:build amd64

package quant

// The tiled Q5_K prompt kernels (q5ktile_amd64.s), AVX-512 and AVX2. Q5_K
// takes the same activations as Q4_K and does the same float arithmetic
// on its integer sums, so the kernels use Q4_K's tiled layouts (k4t for
// AVX-512, k4v for AVX2) and its kernels' steps; they differ in unpacking
// the levels, which take their fifth bit from qh.

//go:noescape
func q5KTileAVX512(out *float32, outStride int, w *byte, rowBytes int, act *byte, nsb, rows, ntok int)

func q5KTileRowsAVX512(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	if rows == 0 || n == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(rows, w, rowBytes, nsb*q5KTypeSize, act, k4tSize(cols))
	_ = out[(n-1)*outStride+rows-1]
	for r := 0; r < rows; r += 2 {
		q5KTileAVX512(&out[r], outStride, &w[r*rowBytes], rowBytes, &act[0], nsb, min(2, rows-r), n)
	}
}

//go:noescape
func q5KTileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nsb, rows, ntok int)

func q5KTileRowsAVX2(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	if rows == 0 || n == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(rows, w, rowBytes, nsb*q5KTypeSize, act, k4tSize(cols))
	_ = out[(n-1)*outStride+rows-1]
	q5KTileAVX2(&out[0], outStride, &w[0], rowBytes, &act[0], nsb, rows, n)
}
