#include "textflag.h"
#include "avx2tile_amd64.h"

// The AVX2 tiled prompt kernels (see avx2tile_amd64.go). VEX encodings and
// Y0-Y15 only: they run on CPUs without AVX-512. The macros that
// q5ktile_amd64.s shares are in avx2tile_amd64.h; the tables that other
// files read too (k4vShuf, sigDwords, sigBytes, nib4, bits45, bytes80, the
// Q4_K scale unpacking q4ShufA..q4MaskTop, blk8Order, and the conversions'
// constants) in tables_amd64.s.

// 0x20 bytes: the 32 taken off Q6_K's levels.

DATA q6Bias<>+0(SB)/4, $0x20202020
GLOBL q6Bias<>(SB), RODATA|NOPTR, $4

// Frame of the K-quant kernels:
//
//	  0  512  the 16 tokens' eight float lanes
//	512   64  the tokens' sumf (Q4_K's mins)
//	576   64  d*yd of each token
//	640   64  the row's results
//	704   32  scales as words
//	736  128  Q6_K: scale vectors of groups 4-7

// func q4KTileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nsb int, rows int, ntok int)
//
// Weight rows one by one times a block of 16 tokens (k4v layout).
TEXT ·q4KTileAVX2(SB), $736-64
	MOVQ out+0(FP), DI
	MOVQ w+16(FP), SI
	MOVQ rows+48(FP), R8

t4row:
	KCLEAR
	VMOVUPS Y0, 512(SP)
	VMOVUPS Y0, 544(SP)
	MOVQ SI, BX
	MOVQ act+32(FP), DX
	MOVQ nsb+40(FP), CX

t4sb:
	T4VSCALES

	// The levels (T4VTOKENS broadcasts the chunks' scale pairs).
	VMOVDQU ·k4vShuf(SB), Y12
	VPBROADCASTD ·nib4(SB), Y13
	T4LEV(16, Y0)
	T4LEV(32, Y1)
	T4LEV(48, Y2)
	T4LEV(64, Y3)
	T4LEV(80, Y4)
	T4LEV(96, Y5)
	T4LEV(112, Y6)
	T4LEV(128, Y7)
	T4VTOKENS(t4tok)

	ADDQ $144, BX
	ADDQ $4416, DX
	DECQ CX
	JNZ  t4sb

	T4VROWEND(t4store)

	ADDQ $4, DI
	ADDQ rowBytes+24(FP), SI
	DECQ R8
	JNZ  t4row
	VZEROUPPER
	RET

// T6HALF unpacks groups 4h..4h+3 of a Q6_K row (ql at qlo, qh at qho) into
// signed levels q-32 in sigma32 order. Y8 holds sigDwords, Y9 sigBytes,
// Y10 the nibble mask, Y11 0x30 bytes, Y15 0x20 bytes.
#define T6HALF(qlo, qho, G0, G1, G2, G3) \
	VPERMD qlo(BX), Y8, Y12 \
	VPSHUFB Y9, Y12, Y12 \
	VPERMD (qlo+32)(BX), Y8, Y13 \
	VPSHUFB Y9, Y13, Y13 \
	VPERMD qho(BX), Y8, Y14 \
	VPSHUFB Y9, Y14, Y14 \
	VPAND Y10, Y12, G0 \
	VPSLLW $4, Y14, G1 \
	VPAND Y11, G1, G1 \
	VPOR G1, G0, G0 \
	VPSUBB Y15, G0, G0 \
	VPAND Y10, Y13, G1 \
	VPSLLW $2, Y14, G2 \
	VPAND Y11, G2, G2 \
	VPOR G2, G1, G1 \
	VPSUBB Y15, G1, G1 \
	VPSRLW $4, Y12, G2 \
	VPAND Y10, G2, G2 \
	VPAND Y11, Y14, G3 \
	VPOR G3, G2, G2 \
	VPSUBB Y15, G2, G2 \
	VPSRLW $4, Y13, G3 \
	VPAND Y10, G3, G3 \
	VPSRLW $2, Y14, Y12 \
	VPAND Y11, Y12, Y12 \
	VPOR Y12, G3, G3 \
	VPSUBB Y15, G3, G3

// T6CORR adds group g's share of the +128 of the activations (Y13: 0x80
// bytes) to Y15.
#define T6CORR(L, S) \
	VPMADDUBSW L, Y13, Y12 \
	VPMADDWD S, Y12, Y12 \
	VPADDD Y12, Y15, Y15

// T6GROUP adds group g's products for the token at R12 to Y14.
#define T6GROUP(g, L, S, T) \
	VMOVDQU (32*g)(R12), T \
	VPMADDUBSW L, T, T \
	VPMADDWD S, T, T \
	VPADDD T, Y14, Y14

// func q6KTileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nsb int, rows int, ntok int)
//
// Q6_K weight rows one by one times a block of 16 tokens (k6t layout,
// quants stored +128): unsigned activations times signed levels, the +128
// taken off once per super-block through the same scale products (the
// AVX-512 kernel's way).
TEXT ·q6KTileAVX2(SB), $864-64
	MOVQ out+0(FP), DI
	MOVQ w+16(FP), SI
	MOVQ rows+48(FP), R8

t6row:
	KCLEAR
	MOVQ SI, BX
	MOVQ act+32(FP), DX
	MOVQ nsb+40(FP), CX

t6sb:
	VMOVDQU ·sigDwords(SB), Y8
	VMOVDQU ·sigBytes(SB), Y9
	VPBROADCASTD ·nib4(SB), Y10
	VPBROADCASTD ·bits45(SB), Y11
	VPBROADCASTD q6Bias<>(SB), Y15
	T6HALF(0, 128, Y0, Y1, Y2, Y3)
	T6HALF(64, 160, Y4, Y5, Y6, Y7)

	// The int8 scales as words: dword g is group g's pair.
	VPMOVSXBW 192(BX), Y12
	VMOVDQU Y12, 704(SP)
	VPBROADCASTD 704(SP), Y8
	VPBROADCASTD 708(SP), Y9
	VPBROADCASTD 712(SP), Y10
	VPBROADCASTD 716(SP), Y11
	VPBROADCASTD 720(SP), Y12
	VMOVDQU Y12, 736(SP)
	VPBROADCASTD 724(SP), Y12
	VMOVDQU Y12, 768(SP)
	VPBROADCASTD 728(SP), Y12
	VMOVDQU Y12, 800(SP)
	VPBROADCASTD 732(SP), Y12
	VMOVDQU Y12, 832(SP)

	// d*yd per token.
	MOVWLZX 208(BX), AX
	VMOVD AX, X12
	VCVTPH2PS X12, X12
	VBROADCASTSS X12, Y12
	VMULPS 4096(DX), Y12, Y13
	VMOVUPS Y13, 576(SP)
	VMULPS 4128(DX), Y12, Y13
	VMOVUPS Y13, 608(SP)

	// Y15 = the +128's share of each lane.
	VPBROADCASTD ·bytes80(SB), Y13
	VPMADDUBSW Y0, Y13, Y12
	VPMADDWD Y8, Y12, Y15
	T6CORR(Y1, Y9)
	T6CORR(Y2, Y10)
	T6CORR(Y3, Y11)
	T6CORR(Y4, 736(SP))
	T6CORR(Y5, 768(SP))
	T6CORR(Y6, 800(SP))
	T6CORR(Y7, 832(SP))

	MOVQ DX, R12
	LEAQ 0(SP), R13
	LEAQ 576(SP), R14
	MOVQ ntok+56(FP), R11

t6tok:
	VMOVDQU 0(R12), Y12
	VPMADDUBSW Y0, Y12, Y12
	VPMADDWD Y8, Y12, Y14
	T6GROUP(1, Y1, Y9, Y13)
	T6GROUP(2, Y2, Y10, Y12)
	T6GROUP(3, Y3, Y11, Y13)
	T6GROUP(4, Y4, 736(SP), Y12)
	T6GROUP(5, Y5, 768(SP), Y13)
	T6GROUP(6, Y6, 800(SP), Y12)
	T6GROUP(7, Y7, 832(SP), Y13)
	VPSUBD Y15, Y14, Y14
	VCVTDQ2PS Y14, Y14
	VBROADCASTSS (R14), Y12
	VMULPS Y12, Y14, Y14
	VADDPS (R13), Y14, Y14
	VMOVUPS Y14, (R13)
	ADDQ $256, R12
	ADDQ $32, R13
	ADDQ $4, R14
	DECQ R11
	JNZ  t6tok

	ADDQ $210, BX
	ADDQ $4160, DX
	DECQ CX
	JNZ  t6sb

	KLANES8(0)
	VXORPS Y0, Y0, Y0
	KSUM8(640)
	KLANES8(256)
	VXORPS Y0, Y0, Y0
	KSUM8(672)
	KSTORE(t6store)

	ADDQ $4, DI
	ADDQ rowBytes+24(FP), SI
	DECQ R8
	JNZ  t6row
	VZEROUPPER
	RET

// The legacy kernels (Q8_0, Q4_0, Q5_0) share the q8w layout and one
// frame: 0-255 the four rows' block as int16 levels, 256-511 their sumf
// (16 tokens each).

// 16-bit constants for unpacking Q4_0 and Q5_0 blocks.

DATA w000f<>+0(SB)/4, $0x000f000f
GLOBL w000f<>(SB), RODATA|NOPTR, $4

DATA w0008<>+0(SB)/4, $0x00080008
GLOBL w0008<>(SB), RODATA|NOPTR, $4

DATA w0010<>+0(SB)/4, $0x00100010
GLOBL w0010<>(SB), RODATA|NOPTR, $4

// Word j: bit j.

DATA wBits<>+0(SB)/8, $0x0008000400020001
DATA wBits<>+8(SB)/8, $0x0080004000200010
DATA wBits<>+16(SB)/8, $0x0800040002000100
DATA wBits<>+24(SB)/8, $0x8000400020001000
GLOBL wBits<>(SB), RODATA|NOPTR, $32

// LEGROWS points SI, R8, R9, R10 at rows 0-3 (row r at SI +
// min(r, rows-1)*rowBytes: rows past rows repeat the last and are not
// stored), DX and CX at the activations and the block count, and zeroes
// the sums.
#define LEGROWS(l1, l2, l3) \
	MOVQ w+16(FP), SI \
	MOVQ rowBytes+24(FP), AX \
	MOVQ rows+48(FP), CX \
	MOVQ SI, R8 \
	CMPQ CX, $1 \
	JLE  l1 \
	ADDQ AX, R8 \
l1: \
	MOVQ R8, R9 \
	CMPQ CX, $2 \
	JLE  l2 \
	ADDQ AX, R9 \
l2: \
	MOVQ R9, R10 \
	CMPQ CX, $3 \
	JLE  l3 \
	ADDQ AX, R10 \
l3: \
	MOVQ act+32(FP), DX \
	MOVQ nb+40(FP), CX \
	VXORPS Y0, Y0, Y0 \
	VMOVUPS Y0, 256(SP) \
	VMOVUPS Y0, 288(SP) \
	VMOVUPS Y0, 320(SP) \
	VMOVUPS Y0, 352(SP) \
	VMOVUPS Y0, 384(SP) \
	VMOVUPS Y0, 416(SP) \
	VMOVUPS Y0, 448(SP) \
	VMOVUPS Y0, 480(SP)

// Q8WIDEN puts the 32 quants of the Q8_0 block at P, as int16, at
// slot(SP).
#define Q8WIDEN(P, slot) \
	VPMOVSXBW 2(P), Y0 \
	VMOVDQU Y0, slot(SP) \
	VPMOVSXBW 18(P), Y0 \
	VMOVDQU Y0, (slot+32)(SP)

// Q4WIDEN puts the 32 levels q-8 of the Q4_0 block at P (value j in the
// low nibble of byte j, value j+16 in its high nibble) at slot(SP). Y12
// holds 0x000f words, Y13 8s.
#define Q4WIDEN(P, slot) \
	VPMOVZXBW 2(P), Y0 \
	VPAND Y12, Y0, Y1 \
	VPSUBW Y13, Y1, Y1 \
	VMOVDQU Y1, slot(SP) \
	VPSRLW $4, Y0, Y0 \
	VPSUBW Y13, Y0, Y0 \
	VMOVDQU Y0, (slot+32)(SP)

// Q5WIDEN puts the 32 levels q-16 of the Q5_0 block at P (the fifth bit
// of value j is bit j of qh) at slot(SP). Y12 holds 0x000f words, Y13
// 16s, Y14 wBits.
#define Q5WIDEN(P, slot) \
	VPMOVZXBW 6(P), Y0 \
	VPAND Y12, Y0, Y1 \
	VPBROADCASTW 2(P), Y2 \
	VPAND Y14, Y2, Y2 \
	VPCMPEQW Y14, Y2, Y2 \
	VPAND Y13, Y2, Y2 \
	VPOR Y2, Y1, Y1 \
	VPSUBW Y13, Y1, Y1 \
	VMOVDQU Y1, slot(SP) \
	VPSRLW $4, Y0, Y0 \
	VPBROADCASTW 4(P), Y2 \
	VPAND Y14, Y2, Y2 \
	VPCMPEQW Y14, Y2, Y2 \
	VPAND Y13, Y2, Y2 \
	VPOR Y2, Y0, Y0 \
	VPSUBW Y13, Y0, Y0 \
	VMOVDQU Y0, (slot+32)(SP)

// LEGPAIR adds the products of value pair p of the four rows (levels at
// 0, 64, 128, 192(SP)) to their token accumulators Y4..Y11 (tokens 0-7
// and 8-15 of row 0, then row 1, ...): a VPMADDWD against the broadcast
// pair adds both products of every token into its lane. LEGROWPAIR does
// one row, LEGROWPAIR0 the first pair, which sets the accumulators.
#define LEGROWPAIR(slot, Alo, Ahi) \
	VPBROADCASTD slot(SP), Y2 \
	VPMADDWD Y2, Y0, Y3 \
	VPADDD Y3, Alo, Alo \
	VPMADDWD Y2, Y1, Y2 \
	VPADDD Y2, Ahi, Ahi

#define LEGPAIR(p) \
	VMOVDQU (64*p)(DX), Y0 \
	VMOVDQU (64*p+32)(DX), Y1 \
	LEGROWPAIR(4*p, Y4, Y5) \
	LEGROWPAIR(64+4*p, Y6, Y7) \
	LEGROWPAIR(128+4*p, Y8, Y9) \
	LEGROWPAIR(192+4*p, Y10, Y11)

#define LEGROWPAIR0(slot, Alo, Ahi) \
	VPBROADCASTD slot(SP), Y2 \
	VPMADDWD Y2, Y0, Alo \
	VPMADDWD Y2, Y1, Ahi

// LEGSUMS leaves each token's block sum for the four rows in Y4..Y11 and
// loads the tokens' scales into Y12, Y13.
#define LEGSUMS \
	VMOVDQU 0(DX), Y0 \
	VMOVDQU 32(DX), Y1 \
	LEGROWPAIR0(0, Y4, Y5) \
	LEGROWPAIR0(64, Y6, Y7) \
	LEGROWPAIR0(128, Y8, Y9) \
	LEGROWPAIR0(192, Y10, Y11) \
	LEGPAIR(1) \
	LEGPAIR(2) \
	LEGPAIR(3) \
	LEGPAIR(4) \
	LEGPAIR(5) \
	LEGPAIR(6) \
	LEGPAIR(7) \
	LEGPAIR(8) \
	LEGPAIR(9) \
	LEGPAIR(10) \
	LEGPAIR(11) \
	LEGPAIR(12) \
	LEGPAIR(13) \
	LEGPAIR(14) \
	LEGPAIR(15) \
	VMOVUPS 1024(DX), Y12 \
	VMOVUPS 1056(DX), Y13

// DWDY: for the row at P, sumf (at sumf(SP)) += float(sumi) * (dw*dy),
// the scalar order of Q8_0 and Q5_0.
#define DWDY(P, Alo, Ahi, sumf) \
	VPBROADCASTW 0(P), X14 \
	VCVTPH2PS X14, Y14 \
	VMULPS Y12, Y14, Y15 \
	VCVTDQ2PS Alo, Alo \
	VMULPS Y15, Alo, Alo \
	VADDPS sumf(SP), Alo, Alo \
	VMOVUPS Alo, sumf(SP) \
	VMULPS Y13, Y14, Y15 \
	VCVTDQ2PS Ahi, Ahi \
	VMULPS Y15, Ahi, Ahi \
	VADDPS (sumf+32)(SP), Ahi, Ahi \
	VMOVUPS Ahi, (sumf+32)(SP)

// SDWDY: sumf += float(sumi) * dw * dy, left to right (Q4_0's order).
#define SDWDY(P, Alo, Ahi, sumf) \
	VPBROADCASTW 0(P), X14 \
	VCVTPH2PS X14, Y14 \
	VCVTDQ2PS Alo, Alo \
	VMULPS Y14, Alo, Alo \
	VMULPS Y12, Alo, Alo \
	VADDPS sumf(SP), Alo, Alo \
	VMOVUPS Alo, sumf(SP) \
	VCVTDQ2PS Ahi, Ahi \
	VMULPS Y14, Ahi, Ahi \
	VMULPS Y13, Ahi, Ahi \
	VADDPS (sumf+32)(SP), Ahi, Ahi \
	VMOVUPS Ahi, (sumf+32)(SP)

// LEGSTORE writes out[t*outStride + r] for r < rows, t < ntok.
#define LEGSTORE(loop, next) \
	MOVQ out+0(FP), DI \
	MOVQ outStride+8(FP), R11 \
	SHLQ $2, R11 \
	MOVQ rows+48(FP), R9 \
	MOVQ ntok+56(FP), R10 \
	LEAQ 256(SP), R12 \
loop: \
	MOVL 0(R12), AX \
	MOVL AX, 0(DI) \
	CMPQ R9, $1 \
	JLE  next \
	MOVL 64(R12), AX \
	MOVL AX, 4(DI) \
	CMPQ R9, $2 \
	JLE  next \
	MOVL 128(R12), AX \
	MOVL AX, 8(DI) \
	CMPQ R9, $3 \
	JLE  next \
	MOVL 192(R12), AX \
	MOVL AX, 12(DI) \
next: \
	ADDQ $4, R12 \
	ADDQ R11, DI \
	DECQ R10 \
	JNZ  loop

// LEGNEXT moves the four row pointers by one block of size bytes and the
// activations by one q8w block.
#define LEGNEXT(size) \
	ADDQ $size, SI \
	ADDQ $size, R8 \
	ADDQ $size, R9 \
	ADDQ $size, R10 \
	ADDQ $1088, DX

// func q8_0TileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb int, rows int, ntok int)
//
// Up to four Q8_0 rows times a block of 16 tokens (q8w layout). The lanes
// are the tokens, so a block's sum per token is whole in its lane and the
// scalar kernel's sequential float sum over the blocks runs lane by lane.
TEXT ·q8_0TileAVX2(SB), $512-64
	LEGROWS(q80r1, q80r2, q80r3)

q80blk:
	Q8WIDEN(SI, 0)
	Q8WIDEN(R8, 64)
	Q8WIDEN(R9, 128)
	Q8WIDEN(R10, 192)
	LEGSUMS
	DWDY(SI, Y4, Y5, 256)
	DWDY(R8, Y6, Y7, 320)
	DWDY(R9, Y8, Y9, 384)
	DWDY(R10, Y10, Y11, 448)
	LEGNEXT(34)
	DECQ CX
	JNZ  q80blk
	LEGSTORE(q80st, q80next)
	VZEROUPPER
	RET

// func q4_0TileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb int, rows int, ntok int)
//
// As q8_0TileAVX2, for Q4_0 rows.
TEXT ·q4_0TileAVX2(SB), $512-64
	LEGROWS(q40r1, q40r2, q40r3)

q40blk:
	VPBROADCASTD w000f<>(SB), Y12
	VPBROADCASTD w0008<>(SB), Y13
	Q4WIDEN(SI, 0)
	Q4WIDEN(R8, 64)
	Q4WIDEN(R9, 128)
	Q4WIDEN(R10, 192)
	LEGSUMS
	SDWDY(SI, Y4, Y5, 256)
	SDWDY(R8, Y6, Y7, 320)
	SDWDY(R9, Y8, Y9, 384)
	SDWDY(R10, Y10, Y11, 448)
	LEGNEXT(18)
	DECQ CX
	JNZ  q40blk
	LEGSTORE(q40st, q40next)
	VZEROUPPER
	RET

// func q5_0TileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb int, rows int, ntok int)
//
// As q8_0TileAVX2, for Q5_0 rows.
TEXT ·q5_0TileAVX2(SB), $512-64
	LEGROWS(q50r1, q50r2, q50r3)

q50blk:
	VPBROADCASTD w000f<>(SB), Y12
	VPBROADCASTD w0010<>(SB), Y13
	VMOVDQU wBits<>(SB), Y14
	Q5WIDEN(SI, 0)
	Q5WIDEN(R8, 64)
	Q5WIDEN(R9, 128)
	Q5WIDEN(R10, 192)
	LEGSUMS
	DWDY(SI, Y4, Y5, 256)
	DWDY(R8, Y6, Y7, 320)
	DWDY(R9, Y8, Y9, 384)
	DWDY(R10, Y10, Y11, 448)
	LEGNEXT(22)
	DECQ CX
	JNZ  q50blk
	LEGSTORE(q50st, q50next)
	VZEROUPPER
	RET

// The activation conversions of the AVX2 tiles: quantizeQ8K and
// quantizeQ8_0 in 256-bit vectors, exact for finite input (the same float
// operations per value; Q8_K's rounding by the same trick, Q8_0's roundf
// emulated exactly). A block holding NaN or an infinity is left to the
// portable code, whose handling of them depends on the order of its
// comparisons. Their other constants are those of quantize_amd64.s
// (tables_amd64.s); blk8Order undoes VPACKSSDW/VPACKSSWB's lane
// interleave.

DATA cMaxFinite<>+0(SB)/4, $0x7f7fffff
GLOBL cMaxFinite<>(SB), RODATA|NOPTR, $4

// HMAX8 leaves the max of the eight floats of y in every lane of y.
#define HMAX8(y, t) \
	VPERM2F128 $1, y, y, t \
	VMAXPS t, y, y \
	VPERMILPS $0x4E, y, t \
	VMAXPS t, y, y \
	VPERMILPS $0xB1, y, t \
	VMAXPS t, y, y

// ABSMAX4 folds |x| of four vectors at off(SI) into the max in Y13 and
// their "not finite" flags (|x| above the largest float) into Y12. Y15
// holds the abs mask, Y14 the largest finite float's bits.
#define ABSMAX4(off) \
	VANDPS (off)(SI), Y15, Y0 \
	VANDPS (off+32)(SI), Y15, Y1 \
	VANDPS (off+64)(SI), Y15, Y2 \
	VANDPS (off+96)(SI), Y15, Y3 \
	VMAXPS Y0, Y13, Y13 \
	VMAXPS Y1, Y13, Y13 \
	VMAXPS Y2, Y13, Y13 \
	VMAXPS Y3, Y13, Y13 \
	VPCMPGTD Y14, Y0, Y0 \
	VPCMPGTD Y14, Y1, Y1 \
	VPCMPGTD Y14, Y2, Y2 \
	VPCMPGTD Y14, Y3, Y3 \
	VPOR Y0, Y12, Y12 \
	VPOR Y1, Y12, Y12 \
	VPOR Y2, Y12, Y12 \
	VPOR Y3, Y12, Y12

// Q8KQ8 quantizes eight values at off(SI) into int32 in V: min(127,
// nearest_int(iscale*x)) with ggml's nearest_int (the 1.5*2^23 trick).
// Y13 holds iscale, Y15 the magic, Y14 the mantissa mask, Y12 its half,
// Y11 127.
#define Q8KQ8(off, V) \
	VMULPS (off)(SI), Y13, V \
	VADDPS Y15, V, V \
	VPAND Y14, V, V \
	VPSUBD Y12, V, V \
	VPMINSD Y11, V, V

// Q8KGROUP quantizes group g (32 values): its quants in sigma32 order,
// XORed with Y8, at 4+32g(DI), and its two bsums at 260+4g(DI). Y10 holds
// sigBytes, Y9 0x80 bytes.
#define Q8KGROUP(g) \
	Q8KQ8(128*g, Y0) \
	Q8KQ8(128*g+32, Y1) \
	Q8KQ8(128*g+64, Y2) \
	Q8KQ8(128*g+96, Y3) \
	VPACKSSDW Y1, Y0, Y0 \
	VPACKSSDW Y3, Y2, Y2 \
	VPACKSSWB Y2, Y0, Y0 \
	VPSHUFB Y10, Y0, Y1 \
	VPXOR Y8, Y1, Y1 \
	VMOVDQU Y1, (4+32*g)(DI) \
	VPXOR Y9, Y0, Y0 \
	VPXOR Y1, Y1, Y1 \
	VPSADBW Y1, Y0, Y0 \
	VEXTRACTI128 $1, Y0, X1 \
	VPADDQ X1, X0, X0 \
	VPSHUFD $0x08, X0, X0 \
	VPACKUSDW X0, X0, X0 \
	VPSUBW X7, X0, X0 \
	VMOVD X0, (260+4*g)(DI)

// func quantQ8KSigmaAVX2(x *float32, out *byte, xor uint32) bool
//
// quantizeQ8K of one 256-value block into a Q8_K block (d, quants, bsums)
// whose quants are in sigma32 order within each group of 32 and XORed with
// xor (in each byte). It returns false, writing nothing, if the block is
// not all finite.
//
// After VPACKSSDW and VPACKSSWB the low lane holds values 0-3, 8-11,
// 16-19, 24-27 of a group, the high lane the rest: the state that the
// VPERMD of sigma32 leaves, so VPSHUFB finishes the order; and VPSADBW's
// sums of the two lanes' low (high) halves are the group's first (second)
// 16 values.
TEXT ·quantQ8KSigmaAVX2(SB), NOSPLIT, $0-25
	MOVQ x+0(FP), SI
	MOVQ out+8(FP), DI
	VBROADCASTSS ·absMaskF(SB), Y15
	VPBROADCASTD cMaxFinite<>(SB), Y14
	VXORPS Y13, Y13, Y13
	VXORPS Y12, Y12, Y12
	ABSMAX4(0)
	ABSMAX4(128)
	ABSMAX4(256)
	ABSMAX4(384)
	ABSMAX4(512)
	ABSMAX4(640)
	ABSMAX4(768)
	ABSMAX4(896)
	VPTEST Y12, Y12
	JNZ  q8knotfinite
	HMAX8(Y13, Y0)

	// amax == 0: an all-zero block.
	VXORPS X0, X0, X0
	VUCOMISS X0, X13
	JNE  q8kfind
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y0, 32(DI)
	VMOVDQU Y0, 64(DI)
	VMOVDQU Y0, 96(DI)
	VMOVDQU Y0, 128(DI)
	VMOVDQU Y0, 160(DI)
	VMOVDQU Y0, 192(DI)
	VMOVDQU Y0, 224(DI)
	VMOVDQU Y0, 256(DI)
	MOVL $0, 288(DI)
	MOVL xor+16(FP), AX
	TESTL AX, AX
	JZ   q8kok
	VMOVD AX, X0
	VPBROADCASTD X0, Y0
	VMOVDQU Y0, 4(DI)
	VMOVDQU Y0, 36(DI)
	VMOVDQU Y0, 68(DI)
	VMOVDQU Y0, 100(DI)
	VMOVDQU Y0, 132(DI)
	VMOVDQU Y0, 164(DI)
	VMOVDQU Y0, 196(DI)
	VMOVDQU Y0, 228(DI)
	JMP  q8kok

q8kfind:
	// The first value of largest magnitude, with its sign.
	XORQ BX, BX

q8kscan:
	VANDPS (SI)(BX*4), Y15, Y0
	VCMPPS $0, Y13, Y0, Y0
	VMOVMSKPS Y0, AX
	TESTL AX, AX
	JNZ  q8kfound
	ADDQ $8, BX
	JMP  q8kscan

q8kfound:
	BSFL AX, AX
	ADDQ AX, BX
	VMOVSS (SI)(BX*4), X0
	VMOVSS ·fm127(SB), X1
	VDIVSS X0, X1, X1 // iscale = -127/vmax
	// A vmax so small that iscale overflows makes the quants come from
	// infinities (the portable code's truncation of them is not packing's
	// saturation): leave that block to it too.
	VMOVD X1, AX
	ANDL $0x7fffffff, AX
	CMPL AX, $0x7f800000
	JAE  q8knotfinite
	VMOVSS ·f1(SB), X2
	VDIVSS X1, X2, X2 // d = 1/iscale
	VMOVSS X2, 0(DI)
	VBROADCASTSS X1, Y13

	VBROADCASTSS ·magicF(SB), Y15
	VPBROADCASTD ·mantMask(SB), Y14
	VPBROADCASTD ·mantHalf(SB), Y12
	VPBROADCASTD ·i127(SB), Y11
	VMOVDQU ·sigBytes(SB), Y10
	VPBROADCASTD ·bytes80(SB), Y9
	MOVL xor+16(FP), AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	VPBROADCASTD ·w2048(SB), X7
	Q8KGROUP(0)
	Q8KGROUP(1)
	Q8KGROUP(2)
	Q8KGROUP(3)
	Q8KGROUP(4)
	Q8KGROUP(5)
	Q8KGROUP(6)
	Q8KGROUP(7)

q8kok:
	MOVB $1, ret+24(FP)
	VZEROUPPER
	RET

q8knotfinite:
	MOVB $0, ret+24(FP)
	VZEROUPPER
	RET

// Q80ROUND8 is roundf(V) for the eight floats of V: truncate, then step
// away from zero where the remainder is at least one half. Clobbers T, U.
#define Q80ROUND8(V, T, U) \
	VROUNDPS $3, V, T \
	VSUBPS T, V, U \
	VANDPS Y15, U, U \
	VCMPPS $0x1D, Y14, U, U \
	VANDPS Y13, V, V \
	VORPS Y12, V, V \
	VANDPS U, V, V \
	VADDPS V, T, V

// func quantQ8_0AVX2(x *float32, nb int, q *byte, d *float32) int
//
// quantizeQ8_0 of nb consecutive 32-value blocks: the 32 int8 quants of
// block i at q[32i:] and its FP16 scale widened back to float32 at d[i].
// It stops at the first block that is not all finite (or whose 1/d
// overflows) and returns its index (nb when all were done).
TEXT ·quantQ8_0AVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ nb+8(FP), CX
	MOVQ q+16(FP), DI
	MOVQ d+24(FP), DX
	XORQ R9, R9
	VBROADCASTSS ·absMaskF(SB), Y15
	VBROADCASTSS ·fHalf(SB), Y14
	VBROADCASTSS ·signMask(SB), Y13
	VBROADCASTSS ·f1(SB), Y12
	VPBROADCASTD cMaxFinite<>(SB), Y11
	VMOVDQU ·blk8Order(SB), Y10

q80blk:
	CMPQ R9, CX
	JGE  q80done
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VANDPS Y15, Y0, Y4
	VANDPS Y15, Y1, Y5
	VANDPS Y15, Y2, Y6
	VANDPS Y15, Y3, Y7
	VPCMPGTD Y11, Y4, Y8
	VPCMPGTD Y11, Y5, Y9
	VPOR Y9, Y8, Y8
	VPCMPGTD Y11, Y6, Y9
	VPOR Y9, Y8, Y8
	VPCMPGTD Y11, Y7, Y9
	VPOR Y9, Y8, Y8
	VPTEST Y8, Y8
	JNZ  q80done
	VMAXPS Y5, Y4, Y4
	VMAXPS Y7, Y6, Y6
	VMAXPS Y6, Y4, Y4
	HMAX8(Y4, Y5)
	VDIVSS ·f127(SB), X4, X4 // d = amax/127
	VXORPS X5, X5, X5
	VUCOMISS X5, X4
	JEQ  q80zero
	VMOVSS ·f1(SB), X5
	VDIVSS X4, X5, X5 // id = 1/d
	// An amax so small that id overflows: the portable code's.
	VMOVD X5, AX
	CMPL AX, $0x7f800000
	JAE  q80done

q80zero:
	VBROADCASTSS X5, Y5
	VCVTPS2PH $0, X4, X6
	VCVTPH2PS X6, X6
	VMOVSS X6, (DX)(R9*4)
	VMULPS Y5, Y0, Y0
	VMULPS Y5, Y1, Y1
	VMULPS Y5, Y2, Y2
	VMULPS Y5, Y3, Y3
	Q80ROUND8(Y0, Y4, Y5)
	Q80ROUND8(Y1, Y6, Y7)
	Q80ROUND8(Y2, Y8, Y9)
	Q80ROUND8(Y3, Y4, Y5)
	VCVTTPS2DQ Y0, Y0
	VCVTTPS2DQ Y1, Y1
	VCVTTPS2DQ Y2, Y2
	VCVTTPS2DQ Y3, Y3
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD Y0, Y10, Y0
	VMOVDQU Y0, 0(DI)
	ADDQ $128, SI
	ADDQ $32, DI
	INCQ R9
	JMP  q80blk

q80done:
	MOVQ R9, ret+32(FP)
	VZEROUPPER
	RET
