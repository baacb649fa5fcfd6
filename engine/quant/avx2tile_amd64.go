//go:build amd64

package quant

import (
	"encoding/binary"
	"math"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// The AVX2 tiled prompt kernels (avx2tile_amd64.s). As the AVX-512 ones,
// they unpack each weight block once for a whole block of TileTokens
// tokens, and keep the scalar kernels' arithmetic: exact integer sums, then
// the same float operations in the same order.
//
// The K-quant kernels take one weight row at a time: its super-block's 256
// levels fill eight of the sixteen vector registers, and each token's
// activations are multiplied against them straight from memory. Each
// token's eight integer lanes (the generic kernels' lanes, index mod 8) are
// scaled into eight float lanes kept in the frame; at the end of the row a
// transpose puts the tokens across the lanes for kSumLanes's sequential
// sum. The legacy kernels (Q8_0, Q4_0, Q5_0) work the other way round, as
// their AVX-512 counterparts: the tokens are the lanes, so the scalar
// kernel's sequential sum over the blocks runs lane by lane, on 16-bit
// activations (q8w, below) and four weight rows at a time.
//
// The activations are converted with AVX2 forms of quantizeQ8K and
// quantizeQ8_0 (q8KSigmaAVX2, q80BlocksAVX2): the package's vector
// conversions are AVX-512, and the portable ones would cost a CPU with
// only AVX2 several times what the conversion costs here.

// avx2TileForm is the tiled form of one type's AVX2 kernel.
type avx2TileForm struct {
	size     func(cols int) int
	quantize func(x []float32, cols, n int, dst []byte)
	tile     func(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int)
}

var avx2TileForms = map[ggml.Type]avx2TileForm{
	ggml.Q4_K: {k4tSize, k4vQuantize, q4KTileRowsAVX2},
	ggml.Q5_K: {k4tSize, k4vQuantize, q5KTileRowsAVX2},
	ggml.Q6_K: {k6tSize, k6tQuantizeAVX2, q6KTileRowsAVX2},
	ggml.Q8_0: {q8wSize, q8wQuantize, q8_0TileRowsAVX2},
	ggml.Q4_0: {q8wSize, q8wQuantize, q4_0TileRowsAVX2},
	ggml.Q5_0: {q8wSize, q8wQuantize, q5_0TileRowsAVX2},
}

// avx2AddTiles attaches the AVX2 tiled prompt kernels to the one-token
// kernels of the same types in ks.
func avx2AddTiles(ks []*MatKernel) {
	for _, k := range ks {
		if f, ok := avx2TileForms[k.Type]; ok {
			k.TileActSize, k.TileQuantize, k.Tile = f.size, f.quantize, f.tile
		}
	}
}

// k4v is the AVX2 tiled layout for Q4_K weights: k4t with each token's
// quants rearranged for VPMADDUBSW and VPMADDWD without a byte permute
// across the vector. Sub-blocks 2c and 2c+1 (a and b, which one 32-byte
// chunk of Q4_K levels holds in its low and high nibbles) share 64 bytes:
// for e = 0, 1 the 32 bytes at 64c+32e hold, as dword k (k < 8),
//
//	a[16e+k], a[16e+k+8], b[16e+k], b[16e+k+8]
//
// so that a VPMADDUBSW word adds two products of one lane class (k) and
// one sub-block, and one VPMADDWD applies both sub-blocks' scales to a
// lane. The two halves (e) have the same scales: their word products
// (below 2^12 in magnitude) are added before the VPMADDWD.
func k4vQuantize(x []float32, cols, n int, dst []byte) {
	dst = dst[:k4tSize(cols)]
	if n < TileTokens {
		clear(dst)
	}
	var blk [q8KTypeSize]byte
	for t := range n {
		for s := range cols / qkK {
			q8KSigmaAVX2(x[t*cols+s*qkK:t*cols+(s+1)*qkK], &blk, 0)
			sb := dst[s*k4tBlock : (s+1)*k4tBlock]
			k4vOrder(sb[256*t:256*t+256], blk[4:4+qkK])
			k4tTokenSums(sb, t, &blk)
		}
	}
}

// k4vOrder puts one token's 256 quants, each group of 32 in sigma32 order
// (position 4k+m holds value 8m+k), into q in the k4v order. In words:
// the 32 bytes for half e of sub-blocks a and b are a's words e, e+2,
// e+4, ... interleaved with b's.
func k4vOrder(q, sig []byte) {
	q, sig = q[:qkK], sig[:qkK]
	for c := range 4 {
		a, b := sig[64*c:64*c+32], sig[64*c+32:64*c+64]
		for e := range 2 {
			v := q[64*c+32*e : 64*c+32*e+32]
			for k := range 8 {
				v[4*k], v[4*k+1] = a[4*k+2*e], a[4*k+2*e+1]
				v[4*k+2], v[4*k+3] = b[4*k+2*e], b[4*k+2*e+1]
			}
		}
	}
}

// k6tQuantizeAVX2 is k6tQuantize through the AVX2 conversion.
func k6tQuantizeAVX2(x []float32, cols, n int, dst []byte) {
	dst = dst[:k6tSize(cols)]
	var blk [q8KTypeSize]byte
	for s := range cols / qkK {
		sb := dst[s*k6tBlock : (s+1)*k6tBlock]
		for t := range n {
			q8KSigmaAVX2(x[t*cols+s*qkK:t*cols+(s+1)*qkK], &blk, 0x80)
			copy(sb[256*t:256*t+256], blk[4:4+qkK])
			copy(sb[4096+4*t:4096+4*t+4], blk[0:4])
		}
		// Absent tokens must look like zero activations: quants of 0 are 128.
		for t := n; t < TileTokens; t++ {
			q := sb[256*t : 256*t+256]
			for i := range q {
				q[i] = 0x80
			}
			clear(sb[4096+4*t : 4096+4*t+4])
		}
	}
}

// q8KSigmaAVX2 is q8KSigma (without the pairs) through the AVX2
// conversion, its quants XORed with xor; the blocks that conversion leaves
// (not all finite, or too small for -127/max to be finite) go to q8KSigma.
func q8KSigmaAVX2(x []float32, out *[q8KTypeSize]byte, xor byte) {
	x = x[:qkK]
	if quantQ8KSigmaAVX2(&x[0], &out[0], uint32(xor)*0x01010101) {
		return
	}
	q8KSigma(x, out, nil)
	for i := range qkK {
		out[4+i] ^= xor
	}
}

// q80BlocksAVX2 is q80Blocks (without the sums) through the AVX2
// conversion, which leaves blocks that are not all finite (or whose
// largest magnitude is too small for 127/amax to be finite) to
// quantizeQ8_0.
func q80BlocksAVX2(x []float32, q []byte, d []float32) {
	nb := len(x) / legacyBlock
	q, d = q[:nb*legacyBlock], d[:nb]
	var blk [sizeQ8_0]byte
	for i := 0; i < nb; {
		i += quantQ8_0AVX2(&x[i*legacyBlock], nb-i, &q[i*legacyBlock], &d[i])
		if i == nb {
			return
		}
		quantizeQ8_0(x[i*legacyBlock:(i+1)*legacyBlock], blk[:])
		copy(q[i*legacyBlock:], blk[2:])
		d[i] = half(blk[:])
		i++
	}
}

//go:noescape
func quantQ8KSigmaAVX2(x *float32, out *byte, xor uint32) bool

//go:noescape
func quantQ8_0AVX2(x *float32, nb int, q *byte, d *float32) int

// q8w is the AVX2 tiled layout for Q8_0, Q4_0 and Q5_0 weights, per
// 32-value block:
//
//	offset  size  field
//	     0  1024  for each pair of values (2p, 2p+1), the 16 tokens' two
//	              quants as int16 (a dword per token)
//	  1024    64  float32 scale of each token's block (its FP16 d, widened)
//
// VPMADDWD against a weight pair then adds both products of every token
// into its own 32-bit lane. The 8-bit products of VPMADDUBSW would need a
// sign fix-up per weight and a second multiply per pair; 16 bits make the
// activations twice as large and the products half as many instructions.
// Absent tokens have quants and scale 0.
const q8wBlock = 1088

func q8wSize(cols int) int { return cols / legacyBlock * q8wBlock }

func q8wQuantize(x []float32, cols, n int, dst []byte) {
	nb := cols / legacyBlock
	dst = dst[:nb*q8wBlock]
	if n < TileTokens {
		clear(dst)
	}
	var (
		q [8 * legacyBlock]byte
		d [8]float32
	)
	for t := range n {
		for b0 := 0; b0 < nb; b0 += 8 {
			m := min(8, nb-b0)
			q80BlocksAVX2(x[t*cols+b0*legacyBlock:t*cols+(b0+m)*legacyBlock], q[:], d[:])
			for j := range m {
				out := dst[(b0+j)*q8wBlock : (b0+j+1)*q8wBlock]
				qs := q[32*j : 32*j+32]
				for p := range 16 {
					lo, hi := uint16(int8(qs[2*p])), uint16(int8(qs[2*p+1]))
					binary.LittleEndian.PutUint32(out[64*p+4*t:], uint32(lo)|uint32(hi)<<16)
				}
				binary.LittleEndian.PutUint32(out[1024+4*t:], math.Float32bits(d[j]))
			}
		}
	}
}

//go:noescape
func q4KTileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nsb, rows, ntok int)

//go:noescape
func q6KTileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nsb, rows, ntok int)

//go:noescape
func q8_0TileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb, rows, ntok int)

func q4KTileRowsAVX2(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	if rows == 0 || n == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(rows, w, rowBytes, nsb*q4KTypeSize, act, k4tSize(cols))
	_ = out[(n-1)*outStride+rows-1]
	q4KTileAVX2(&out[0], outStride, &w[0], rowBytes, &act[0], nsb, rows, n)
}

func q6KTileRowsAVX2(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	if rows == 0 || n == 0 {
		return
	}
	nsb := cols / qkK
	checkRows(rows, w, rowBytes, nsb*q6KTypeSize, act, k6tSize(cols))
	_ = out[(n-1)*outStride+rows-1]
	q6KTileAVX2(&out[0], outStride, &w[0], rowBytes, &act[0], nsb, rows, n)
}

//go:noescape
func q4_0TileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb, rows, ntok int)

//go:noescape
func q5_0TileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb, rows, ntok int)

func q8_0TileRowsAVX2(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	legacyTileAVX2(q8_0TileAVX2, sizeQ8_0, out, outStride, w, rowBytes, rows, act, cols, n)
}

func q4_0TileRowsAVX2(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	legacyTileAVX2(q4_0TileAVX2, sizeQ4_0, out, outStride, w, rowBytes, rows, act, cols, n)
}

func q5_0TileRowsAVX2(out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	legacyTileAVX2(q5_0TileAVX2, sizeQ5_0, out, outStride, w, rowBytes, rows, act, cols, n)
}

// legacyTileAVX2 runs a four-row legacy tile kernel over rows rows.
func legacyTileAVX2(kernel func(*float32, int, *byte, int, *byte, int, int, int), blockSize int,
	out []float32, outStride int, w []byte, rowBytes, rows int, act []byte, cols, n int) {
	if rows == 0 || n == 0 {
		return
	}
	nb := cols / legacyBlock
	checkRows(rows, w, rowBytes, nb*blockSize, act, q8wSize(cols))
	_ = out[(n-1)*outStride+rows-1]
	for r := 0; r < rows; r += 4 {
		kernel(&out[r], outStride, &w[r*rowBytes], rowBytes, &act[0], nb, min(4, rows-r), n)
	}
}
