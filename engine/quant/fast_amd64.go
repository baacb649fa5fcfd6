//go:build amd64

package quant

import (
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// The amd64 fast paths come in two levels. The first needs AVX-512 with the
// byte/word (BW), vector-length (VL), byte-permute (VBMI), dot-product
// (VNNI) and Galois-field (GFNI) extensions, and F16C: Intel Ice Lake and
// later, AMD Zen 4 and later. The second needs AVX2 and F16C (Haswell, Zen
// 1 and later) and covers the one-token products of the common types.
func init() {
	x := cpu.X86
	if x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL && x.HasAVX512VBMI &&
		x.HasAVX512VNNI && x.HasAVX512GFNI && x.HasF16C {
		hasVecConversion = true
		addKernelSet("avx512-vnni", avx512Kernels())
	}
	if x.HasAVX2 && x.HasF16C {
		addKernelSet("avx2", avx2Kernels())
	}
}

func avx512Kernels() []*MatKernel {
	return []*MatKernel{
		{Type: ggml.Q8_0, ActSize: l8Size, Quantize: l8Quantize, Rows: q8_0RowsAVX512,
			TileActSize: q80tSize, TileQuantize: q80tQuantize, Tile: q8_0TileRowsAVX512},
		{Type: ggml.Q5_0, ActSize: l8Size, Quantize: l8Quantize, Rows: q5_0RowsAVX512,
			TileActSize: q80tSize, TileQuantize: q80tQuantize, Tile: q5_0TileRowsAVX512},
		{Type: ggml.Q4_0, ActSize: l8Size, Quantize: l8Quantize, Rows: q4_0RowsAVX512,
			TileActSize: q80tSize, TileQuantize: q80tQuantize, Tile: q4_0TileRowsAVX512},
		{Type: ggml.F16, ActSize: fxSize, Quantize: f16xQuantize, Rows: f16RowsAVX512, Inexact: true},
		{Type: ggml.BF16, ActSize: fxSize, Quantize: bf16xQuantize, Rows: bf16RowsAVX512, Inexact: true},
		{Type: ggml.Q4_K, ActSize: k4Size, Quantize: k4Quantize, Rows: q4KRowsAVX512,
			TileActSize: k4tSize, TileQuantize: k4tQuantize, Tile: q4KTileRowsAVX512},
		{Type: ggml.Q5_K, ActSize: k4Size, Quantize: k4Quantize, Rows: q5KRowsAVX512,
			TileActSize: k4tSize, TileQuantize: k4tQuantize, Tile: q5KTileRowsAVX512},
		{Type: ggml.Q6_K, ActSize: k6Size, Quantize: k6Quantize, Rows: q6KRowsAVX512,
			TileActSize: k6tSize, TileQuantize: k6tQuantize, Tile: q6KTileRowsAVX512},
	}
}

// checkRows panics unless w holds n rows of rowBytes (the last one at least
// used bytes long) and act holds actBytes: the assembly trusts them.
func checkRows(n int, w []byte, rowBytes, used int, act []byte, actBytes int) {
	_ = w[(n-1)*rowBytes+used-1]
	_ = act[actBytes-1]
}

//go:noescape
func q8_0AVX512(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)

func q8_0RowsAVX512(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nb := cols / legacyBlock
	checkRows(len(out), w, rowBytes, nb*sizeQ8_0, act, l8Size(cols))
	q8_0AVX512(&out[0], len(out), &w[0], rowBytes, &act[0], nb)
}

//go:noescape
func q4KAVX512(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)

func q4KRowsAVX512(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(len(out), w, rowBytes, nsb*q4KTypeSize, act, k4Size(cols))
	q4KAVX512(&out[0], len(out), &w[0], rowBytes, &act[0], nsb)
}

//go:noescape
func q6KAVX512(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)

func q6KRowsAVX512(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(len(out), w, rowBytes, nsb*q6KTypeSize, act, k6Size(cols))
	q6KAVX512(&out[0], len(out), &w[0], rowBytes, &act[0], nsb)
}

//go:noescape
func q4KTileAVX512(out *float32, outStride int, w *byte, rowBytes int, act *byte, nsb, rows, ntok int)

func q4KTileRowsAVX512(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	if rows == 0 || n == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(rows, w, rowBytes, nsb*q4KTypeSize, act, k4tSize(cols))
	_ = out[(n-1)*outStride+rows-1]
	for r := 0; r < rows; r += 2 {
		q4KTileAVX512(&out[r], outStride, &w[r*rowBytes], rowBytes, &act[0], nsb, min(2, rows-r), n)
	}
}

//go:noescape
func q6KTileAVX512(out *float32, outStride int, w *byte, rowBytes int, act *byte, nsb, rows, ntok int)

func q6KTileRowsAVX512(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	if rows == 0 || n == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(rows, w, rowBytes, nsb*q6KTypeSize, act, k6tSize(cols))
	_ = out[(n-1)*outStride+rows-1]
	for r := 0; r < rows; r += 2 {
		q6KTileAVX512(&out[r], outStride, &w[r*rowBytes], rowBytes, &act[0], nsb, min(2, rows-r), n)
	}
}

//go:noescape
func q8_0TileAVX512(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb, rows, ntok int)

func q8_0TileRowsAVX512(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	if rows == 0 || n == 0 {
		return
	}
	nb := cols / legacyBlock
	checkRows(rows, w, rowBytes, nb*sizeQ8_0, act, q80tSize(cols))
	_ = out[(n-1)*outStride+rows-1]
	for r := 0; r < rows; r += 8 {
		q8_0TileAVX512(&out[r], outStride, &w[r*rowBytes], rowBytes, &act[0], nb, min(8, rows-r), n)
	}
}

//go:noescape
func q5_0AVX512(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)

func q5_0RowsAVX512(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nb := cols / legacyBlock
	checkRows(len(out), w, rowBytes, nb*sizeQ5_0, act, l8Size(cols))
	q5_0AVX512(&out[0], len(out), &w[0], rowBytes, &act[0], nb)
}

//go:noescape
func q4_0AVX512(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)

func q4_0RowsAVX512(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nb := cols / legacyBlock
	checkRows(len(out), w, rowBytes, nb*sizeQ4_0, act, l8Size(cols))
	q4_0AVX512(&out[0], len(out), &w[0], rowBytes, &act[0], nb)
}

//go:noescape
func q5_0TileAVX512(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb, rows, ntok int)

//go:noescape
func q4_0TileAVX512(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb, rows, ntok int)

func q5_0TileRowsAVX512(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	legacyTile(q5_0TileAVX512, sizeQ5_0, out, outStride, w, rowBytes, rows, act, cols, n)
}

func q4_0TileRowsAVX512(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	legacyTile(q4_0TileAVX512, sizeQ4_0, out, outStride, w, rowBytes, rows, act, cols, n)
}

// legacyTile runs an 8-row legacy tile kernel over rows rows.
func legacyTile(kernel func(*float32, int, *byte, int, *byte, int, int, int), blockSize int,
	out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	if rows == 0 || n == 0 {
		return
	}
	nb := cols / legacyBlock
	checkRows(rows, w, rowBytes, nb*blockSize, act, q80tSize(cols))
	_ = out[(n-1)*outStride+rows-1]
	for r := 0; r < rows; r += 8 {
		kernel(&out[r], outStride, &w[r*rowBytes], rowBytes, &act[0], nb, min(8, rows-r), n)
	}
}

//go:noescape
func q5KAVX512(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)

func q5KRowsAVX512(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(len(out), w, rowBytes, nsb*q5KTypeSize, act, k4Size(cols))
	q5KAVX512(&out[0], len(out), &w[0], rowBytes, &act[0], nsb)
}

//go:noescape
func f16DotAVX512(out *float64, rows int, w *byte, rowBytes int, x *float64, n int)

//go:noescape
func bf16DotAVX512(out *float64, rows int, w *byte, rowBytes int, x *float64, n int)

func f16RowsAVX512(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	floatRows(false, false, out, w, rowBytes, act, cols)
}

func bf16RowsAVX512(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	floatRows(true, false, out, w, rowBytes, act, cols)
}

// floatRows runs the F16 (or BF16) dot kernel of the AVX-512 (or AVX2)
// level over the whole 32-value groups of each row and adds the rest in
// order. The kernels are called directly, not through a func value, so
// that sums stays on the stack (a decode step allocates nothing).
func floatRows(bf16, avx2 bool, out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	checkRows(len(out), w, rowBytes, 2*cols, act, fxSize(cols))
	x := unsafe.Slice((*float64)(unsafe.Pointer(&act[0])), cols)
	main := cols &^ 31
	var sums [64]float64
	for r0 := 0; r0 < len(out); r0 += len(sums) {
		n := min(len(sums), len(out)-r0)
		switch {
		case main == 0:
			clear(sums[:n])
		case bf16 && avx2:
			bf16DotAVX2(&sums[0], n, &w[r0*rowBytes], rowBytes, &x[0], main)
		case bf16:
			bf16DotAVX512(&sums[0], n, &w[r0*rowBytes], rowBytes, &x[0], main)
		case avx2:
			f16DotAVX2(&sums[0], n, &w[r0*rowBytes], rowBytes, &x[0], main)
		default:
			f16DotAVX512(&sums[0], n, &w[r0*rowBytes], rowBytes, &x[0], main)
		}
		for r := range n {
			s := sums[r]
			row := w[(r0+r)*rowBytes:]
			for i := main; i < cols; i++ {
				h := uint16(row[2*i]) | uint16(row[2*i+1])<<8
				if bf16 {
					s += float64(BF16ToFP32(h)) * x[i]
				} else {
					s += float64(FP16ToFP32(h)) * x[i]
				}
			}
			out[r0+r] = float32(s)
		}
	}
}

// avx2Kernels are the AVX2 fast paths: the one-token kernels here (Q8_0 in
// avx2_amd64.s, Q4_K and Q6_K in avx2k_amd64.s) and in avx2rows_amd64.go,
// with the tiled prompt kernels of avx2tile_amd64.go attached.
func avx2Kernels() []*MatKernel {
	ks := []*MatKernel{
		{Type: ggml.Q8_0, ActSize: l8Size, Quantize: l8Quantize, Rows: q8_0RowsAVX2},
		{Type: ggml.Q4_K, ActSize: k4Size, Quantize: k4sQuantize, Rows: q4KRowsAVX2},
		{Type: ggml.Q6_K, ActSize: k6Size, Quantize: k6Quantize, Rows: q6KRowsAVX2},
	}
	ks = append(ks, avx2MoreRows()...)
	avx2AddTiles(ks)
	return ks
}

//go:noescape
func q8_0AVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)

//go:noescape
func q4KAVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)

//go:noescape
func q6KAVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)

func q8_0RowsAVX2(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nb := cols / legacyBlock
	checkRows(len(out), w, rowBytes, nb*sizeQ8_0, act, l8Size(cols))
	q8_0AVX2(&out[0], len(out), &w[0], rowBytes, &act[0], nb)
}

func q4KRowsAVX2(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(len(out), w, rowBytes, nsb*q4KTypeSize, act, k4Size(cols))
	q4KAVX2(&out[0], len(out), &w[0], rowBytes, &act[0], nsb)
}

func q6KRowsAVX2(out []float32, w []byte, rowBytes int, act []byte, cols int) {
	if len(out) == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(len(out), w, rowBytes, nsb*q6KTypeSize, act, k6Size(cols))
	q6KAVX2(&out[0], len(out), &w[0], rowBytes, &act[0], nsb)
}
