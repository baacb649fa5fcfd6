package quant

import (
	"encoding/binary"
	"math"
)

// Activation layouts of the fast paths. Each holds exactly the quantized
// values of the scalar conversion (quantizeQ8_0, quantizeQ8K), rearranged so
// that the vector kernels load what they multiply with aligned, contiguous
// reads, plus a few per-block sums the kernels would otherwise recompute for
// every weight row. They are plain Go, shared by every architecture, so the
// tests can check them anywhere.

// q80Blocks quantizes nb = len(x)/32 blocks as quantizeQ8_0 into their int8
// quants (q, 32 per block), FP16 scales widened to float32 (d) and the sums
// of their quants (sum), through the vector form where there is one.
func q80Blocks(x []float32, q []byte, d []float32, sum []int32) {
	nb := len(x) / legacyBlock
	q, d, sum = q[:nb*legacyBlock], d[:nb], sum[:nb]
	var blk [sizeQ8_0]byte
	for i := 0; i < nb; {
		if vecConversion {
			i += quantQ8_0Vec(&x[i*legacyBlock], nb-i, &q[i*legacyBlock], &d[i], &sum[i])
			if i == nb {
				return
			}
		}
		quantizeQ8_0(x[i*legacyBlock:(i+1)*legacyBlock], blk[:])
		copy(q[i*legacyBlock:], blk[2:])
		var s int32
		for _, v := range blk[2:] {
			s += int32(int8(v))
		}
		d[i], sum[i] = half(blk[:]), s
		i++
	}
}

// l8 is the layout for weights whose activations are Q8_0 (Q8_0, Q4_0,
// Q5_0): blocks in groups of eight, each group
//
//	offset  size  field
//	     0   256  the eight blocks' 32 int8 quants, block after block
//	   256    32  int32 sum of each block's quants (the offset corrections)
//	   288    32  float32 scale of each block (its FP16 d, widened)
//
// A last, partial group is padded with zero blocks.
const (
	l8Blocks = 8
	l8Group  = 320
)

func l8Size(cols int) int {
	return (cols/legacyBlock + l8Blocks - 1) / l8Blocks * l8Group
}

func l8Quantize(x []float32, dst []byte) {
	var (
		d   [l8Blocks]float32
		sum [l8Blocks]int32
	)
	nb := len(x) / legacyBlock
	if nb%l8Blocks != 0 {
		clear(dst[nb/l8Blocks*l8Group : l8Size(len(x))])
	}
	for b := 0; b < nb; b += l8Blocks {
		n := min(l8Blocks, nb-b)
		g := dst[b/l8Blocks*l8Group:]
		q80Blocks(x[b*legacyBlock:(b+n)*legacyBlock], g[:256], d[:], sum[:])
		for j := range n {
			binary.LittleEndian.PutUint32(g[256+4*j:], uint32(sum[j]))
			binary.LittleEndian.PutUint32(g[288+4*j:], math.Float32bits(d[j]))
		}
	}
}

// sigma32 is the order in which the K-quant kernels keep the 32 values of a
// group: position 4k+m holds value 8m+k. A vector dot-product instruction
// sums four adjacent bytes into one 32-bit lane; in this order those four
// are values k, k+8, k+16, k+24, whose products ggml's generic kernels add
// into the same one of their eight lanes (index mod 8). So the vector lanes
// hold exactly the generic kernel's integer lanes, and the float arithmetic
// that follows can be the same, lane for lane.
var sigma32 = func() (p [32]int) {
	for k := range 8 {
		for m := range 4 {
			p[4*k+m] = 8*m + k
		}
	}
	return p
}()

// q8KSigma quantizes one 256-value block as quantizeQ8K into a Q8_K block
// whose quants are in sigma32 order within each group of 32. With pairs
// non-nil it also sets pairs[i] = 32*(q[2i]+q[2i+1]) of the reordered
// quants. Where vecConversion is set the vector form (quantQ8KVec) runs; it
// may decline a block (non-finite values), which the portable code then
// does.
func q8KSigma(x []float32, out *[q8KTypeSize]byte, pairs *[128]int16) {
	x = x[:qkK]
	if vecConversion {
		var p *int16
		if pairs != nil {
			p = &pairs[0]
		}
		if quantQ8KVec(&x[0], &out[0], p) {
			return
		}
	}
	var blk [q8KTypeSize]byte
	quantizeQ8K(x, blk[:])
	copy(out[:4], blk[:4])
	copy(out[4+qkK:], blk[4+qkK:])
	for g := range 8 {
		for p, v := range sigma32 {
			out[4+32*g+p] = blk[4+32*g+v]
		}
	}
	if pairs != nil {
		for i := range pairs {
			pairs[i] = 32 * (int16(int8(out[4+2*i])) + int16(int8(out[5+2*i])))
		}
	}
}

// hasVecConversion says the CPU has the vector activation conversions
// (AVX-512); vecConversion that they are in use: the level they belong to
// is the active one, so that KILN_SIMD=avx2 converts as an AVX2-only CPU
// does. Kernel sets it when it first picks the level.
var hasVecConversion, vecConversion bool

// vecConversionLevel is the kernel set the vector conversions belong to.
const vecConversionLevel = "avx512-vnni"

// k4 is the layout for Q4_K and Q5_K weights (activations Q8_K), per
// 256-value super-block:
//
//	offset  size  field
//	     0   256  int8 quants of the 32-value sub-blocks in the order
//	              0, 2, 1, 3, 4, 6, 5, 7, each in sigma32 order (the
//	              order a 64-byte load of the weights unpacks into)
//	   256    32  the Q8_K bsums (int16 sums of 16 values), in order
//	   288     4  float32 d
//	   292    28  zero
const k4Block = 320

var k4SubOrder = [8]int{0, 2, 1, 3, 4, 6, 5, 7}

func k4Size(cols int) int { return cols / qkK * k4Block }

func k4Quantize(x []float32, dst []byte) {
	var blk [q8KTypeSize]byte
	for i := range len(x) / qkK {
		q8KSigma(x[i*qkK:(i+1)*qkK], &blk, nil)
		out := dst[i*k4Block : (i+1)*k4Block]
		qs := blk[4 : 4+qkK]
		for s, sb := range k4SubOrder {
			copy(out[32*s:32*s+32], qs[32*sb:32*sb+32])
		}
		copy(out[256:288], blk[4+qkK:])
		copy(out[288:292], blk[0:4])
		clear(out[292:])
	}
}

// k6 is the layout for Q6_K weights (activations Q8_K), per super-block:
//
//	offset  size  field
//	     0   256  int8 quants, 32-value groups in order, each in sigma32
//	              order
//	   256   256  int16 32*(y[k]+y[k+8]) and 32*(y[k+16]+y[k+24]) for each
//	              group and k < 8, interleaved: the offset correction for
//	              Q6_K's levels (stored as q+32) of the pair of quants that
//	              one 16-bit product of the kernel covers
//	   512     4  float32 d
//	   516    60  zero
const k6Block = 576

func k6Size(cols int) int { return cols / qkK * k6Block }

func k6Quantize(x []float32, dst []byte) {
	var (
		blk   [q8KTypeSize]byte
		pairs [128]int16
	)
	for i := range len(x) / qkK {
		q8KSigma(x[i*qkK:(i+1)*qkK], &blk, &pairs)
		out := dst[i*k6Block : (i+1)*k6Block]
		copy(out[:256], blk[4:4+qkK])
		for j, p := range pairs {
			binary.LittleEndian.PutUint16(out[256+2*j:], uint16(p))
		}
		copy(out[512:516], blk[0:4])
		clear(out[516:])
	}
}

// k4t is the tiled layout for Q4_K weights: the activations of TileTokens
// tokens together, per super-block
//
//	offset  size  field
//	     0  4096  256 int8 quants of each token, sub-blocks in order, each
//	              in sigma32 order
//	  4096   256  for each pair of sub-blocks (2j, 2j+1), 16 int32 (one per
//	              token): the low half the sum of sub-block 2j's quants, the
//	              high half that of 2j+1 (what the mins multiply)
//	  4352    64  float32 d of each token
const k4tBlock = 4416

func k4tSize(cols int) int { return cols / qkK * k4tBlock }

func k4tQuantize(x []float32, cols, n int, dst []byte) {
	dst = dst[:k4tSize(cols)]
	clear(dst)
	var blk [q8KTypeSize]byte
	for t := range n {
		for s := range cols / qkK {
			q8KSigma(x[t*cols+s*qkK:t*cols+(s+1)*qkK], &blk, nil)
			sb := dst[s*k4tBlock : (s+1)*k4tBlock]
			copy(sb[256*t:256*t+256], blk[4:4+qkK])
			k4tTokenSums(sb, t, &blk)
		}
	}
}

// k4tTokenSums writes token t's part of super-block sb of the k4t layout
// (and of AVX2's k4v, which orders only the quants differently) that does
// not depend on the quants' order: its block sums added in the pairs the
// sub-blocks form, as words, and its Q8_K scale. blk is the token's Q8_K
// block.
func k4tTokenSums(sb []byte, t int, blk *[q8KTypeSize]byte) {
	bsums := blk[4+qkK:]
	for jp := range 4 {
		a := kBsum(bsums, 4*jp) + kBsum(bsums, 4*jp+1)
		b := kBsum(bsums, 4*jp+2) + kBsum(bsums, 4*jp+3)
		binary.LittleEndian.PutUint16(sb[4096+64*jp+4*t:], uint16(a))
		binary.LittleEndian.PutUint16(sb[4096+64*jp+4*t+2:], uint16(b))
	}
	copy(sb[4352+4*t:4352+4*t+4], blk[0:4])
}

// k6t is the tiled layout for Q6_K weights, per super-block:
//
//	offset  size  field
//	     0  4096  256 quants of each token, +128 (unsigned), groups of 32
//	              in order, each in sigma32 order
//	  4096    64  float32 d of each token
const k6tBlock = 4160

func k6tSize(cols int) int { return cols / qkK * k6tBlock }

func k6tQuantize(x []float32, cols, n int, dst []byte) {
	dst = dst[:k6tSize(cols)]
	clear(dst)
	var blk [q8KTypeSize]byte
	for t := range n {
		for s := range cols / qkK {
			q8KSigma(x[t*cols+s*qkK:t*cols+(s+1)*qkK], &blk, nil)
			sb := dst[s*k6tBlock : (s+1)*k6tBlock]
			q := sb[256*t : 256*t+256]
			for i, b := range blk[4 : 4+qkK] {
				q[i] = b ^ 0x80
			}
			copy(sb[4096+4*t:4096+4*t+4], blk[0:4])
		}
	}
	// Absent tokens must look like zero activations: quants of 0 are 128.
	for s := range cols / qkK {
		for t := n; t < TileTokens; t++ {
			q := dst[s*k6tBlock+256*t : s*k6tBlock+256*t+256]
			for i := range q {
				q[i] = 0x80
			}
		}
	}
}

// q80t is the tiled layout for Q8_0 weights, per 32-value block:
//
//	offset  size  field
//	     0   512  for each 4 values of the block, the 16 tokens' 4 quants,
//	              +128 (unsigned)
//	   512    64  float32 scale of each token's block (its FP16 d, widened)
//
// Absent tokens have quants of 0 (stored 128) and scale 0.
const q80tBlock = 576

func q80tSize(cols int) int { return cols / legacyBlock * q80tBlock }

func q80tQuantize(x []float32, cols, n int, dst []byte) {
	nb := cols / legacyBlock
	dst = dst[:nb*q80tBlock]
	var (
		q   [8 * legacyBlock]byte
		d   [8]float32
		sum [8]int32
	)
	for t := range TileTokens {
		for b0 := 0; b0 < nb; b0 += 8 {
			m := min(8, nb-b0)
			if t < n {
				q80Blocks(x[t*cols+b0*legacyBlock:t*cols+(b0+m)*legacyBlock], q[:], d[:], sum[:])
			} else {
				q, d = [8 * legacyBlock]byte{}, [8]float32{}
			}
			for j := range m {
				out := dst[(b0+j)*q80tBlock : (b0+j+1)*q80tBlock]
				for c := range 8 {
					v := binary.LittleEndian.Uint32(q[32*j+4*c:]) ^ 0x80808080
					binary.LittleEndian.PutUint32(out[64*c+4*t:], v)
				}
				binary.LittleEndian.PutUint32(out[512+4*t:], math.Float32bits(d[j]))
			}
		}
	}
}

// fx is the layout for F16 and BF16 weights: each activation rounded to
// the weight type (as the scalar conversion does) and widened to float64,
// the form the vector kernels multiply in (the products are exact).
func fxSize(cols int) int { return 8 * cols }

func f16xQuantize(x []float32, dst []byte) {
	for i, v := range x {
		binary.LittleEndian.PutUint64(dst[8*i:], math.Float64bits(float64(FP16ToFP32(FP32ToFP16(v)))))
	}
}

func bf16xQuantize(x []float32, dst []byte) {
	for i, v := range x {
		binary.LittleEndian.PutUint64(dst[8*i:], math.Float64bits(float64(BF16ToFP32(FP32ToBF16(v)))))
	}
}
