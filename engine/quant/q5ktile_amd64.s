#include "textflag.h"
#include "fast_amd64.h"
#include "avx2tile_amd64.h"

// The tiled Q5_K prompt kernels (see q5ktile_amd64.go): the Q4_K tiles of
// kquants_amd64.s (q4KTileAVX512) and avx2tile_amd64.s (q4KTileAVX2) with
// the fifth bit of each level taken from qh while the super-block is
// unpacked. Everything after the unpacking, the integer sums and the float
// operations in the scalar kernel's order, is theirs, instruction for
// instruction: Q5_K's dot product differs from Q4_K's only in its levels.
// The levels, up to 31 rather than 15, still leave the 16-bit sums exact:
// a VPDPBUSD lane of the AVX-512 kernel (four products, packed into a word
// before the scales) and a VPMADDUBSW word of the AVX2 kernel (two
// products; the two halves of a chunk are added as words) stay below
// 4*31*128 < 2^15 in magnitude.
//
// The tables they share with those files (permQS, gfHigh, nib4, the Q4_K
// scale unpacking q4ShufA..q4MaskTop, q4TPair, iota16, k4vShuf, bits4) are
// in tables_amd64.s, the macros in fast_amd64.h (AVX-512) and
// avx2tile_amd64.h (AVX2).

// VGF2P8AFFINEQB matrices that move bit j of each byte to bit 4 and clear
// the rest (q5TBit+8*j): the fifth bit of sub-block j's levels, from qh.

DATA q5TBit<>+0(SB)/8, $0x0000000001000000
DATA q5TBit<>+8(SB)/8, $0x0000000002000000
DATA q5TBit<>+16(SB)/8, $0x0000000004000000
DATA q5TBit<>+24(SB)/8, $0x0000000008000000
DATA q5TBit<>+32(SB)/8, $0x0000000010000000
DATA q5TBit<>+40(SB)/8, $0x0000000020000000
DATA q5TBit<>+48(SB)/8, $0x0000000040000000
DATA q5TBit<>+56(SB)/8, $0x0000000080000000
GLOBL q5TBit<>(SB), RODATA|NOPTR, $64

// T5LEVELS unpacks 32-byte chunk c of qs (at off; sub-blocks j = 2c, 2c+1)
// of the two rows into [row0 | row1] vectors of levels 0..31 in sigma32
// order: T4LEVELS (fast_amd64.h), with bit j of qh (Z9, in the same order)
// as bit 4 of sub-block j's levels. Z13 holds permQS.
#define T5LEVELS(off, j, lo, hi) \
	VMOVDQU off(SI), Y8 \
	VINSERTI64X4 $1, off(R10), Z8, Z8 \
	VPERMB Z8, Z13, Z8 \
	VGF2P8AFFINEQB.BCST $0, q5TBit<>+(8*j)(SB), Z9, lo \
	VPTERNLOGD.BCST $0xF8, ·nib4(SB), Z8, lo \
	VGF2P8AFFINEQB.BCST $0, ·gfHigh(SB), Z8, hi \
	VGF2P8AFFINEQB.BCST $0, q5TBit<>+(8*j+8)(SB), Z9, Z10 \
	VPORD Z10, hi, hi

// func q5KTileAVX512(out *float32, outStride int, w *byte, rowBytes int, act *byte, nsb int, rows int, ntok int)
//
// Two Q5_K rows (or one, rows == 1) times a block of 16 tokens (k4t
// layout), as q4KTileAVX512.
TEXT ·q5KTileAVX512(SB), $768-64
	MOVQ out+0(FP), DI
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), DX
	MOVQ nsb+40(FP), CX
	LEAQ (SI)(R9*1), R10
	CMPQ rows+48(FP), $2
	JEQ  t5two
	MOVQ SI, R10

t5two:
	T4TILEINIT

t5sb:
	// Warm the next two rows' super-block (176 bytes, four lines at most),
	// which the caller multiplies next.
	PREFETCHT0 (SI)(R9*2)
	PREFETCHT0 64(SI)(R9*2)
	PREFETCHT0 128(SI)(R9*2)
	PREFETCHT0 175(SI)(R9*2)
	PREFETCHT0 (R10)(R9*2)
	PREFETCHT0 64(R10)(R9*2)
	PREFETCHT0 128(R10)(R9*2)
	PREFETCHT0 175(R10)(R9*2)
	VMOVDQU64 ·permQS(SB), Z13
	VMOVDQU 16(SI), Y9
	VINSERTI64X4 $1, 16(R10), Z9, Z9
	VPERMB Z9, Z13, Z9
	T5LEVELS(48, 0, Z0, Z1)
	T5LEVELS(80, 2, Z2, Z3)
	T5LEVELS(112, 4, Z4, Z5)
	T5LEVELS(144, 6, Z6, Z7)

	T4SUPERBLOCK

	ADDQ $176, SI
	ADDQ $176, R10
	ADDQ $4416, DX
	DECQ CX
	JNZ  t5sb

	// Transpose: lane k of token t's vector to lane t of vector k.
	VMOVDQU64 Z14, 608(SP)
	VMOVDQU64 Z15, 672(SP)
	TRANSPOSE16
	// Now Z16+k holds lane k of every token. Row 0 is kSumLanes(sumf, lanes
	// 0..7), row 1 the same with lanes 8..15.
	VMOVUPS 608(SP), Z0
	TILESUM8(Z0, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	VMOVUPS 672(SP), Z1
	TILESUM8(Z1, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)

	// Scatter: out[t*outStride + r].
	TILESCATTER0
	CMPQ rows+48(FP), $2
	JNE  t5done
	KMOVW AX, K2
	VSCATTERDPS Z1, K2, 4(DI)(Z2*4)

t5done:
	VZEROUPPER
	RET

// VPMULLW multipliers, words (2^s, 2^t): in qh in the k4v order, whose
// even words go with the first sub-block of a chunk and odd words with the
// second, they move bits 0 and 1 (q5vMul0), or 2 and 3 (q5vMul1), of each
// byte to its bit 4. A multiplier is a left shift by at most 4 of a word
// of two bytes, so bit 4 of each byte comes from the same byte.

DATA q5vMul0<>+0(SB)/4, $0x00080010
GLOBL q5vMul0<>(SB), RODATA|NOPTR, $4

DATA q5vMul1<>+0(SB)/4, $0x00020004
GLOBL q5vMul1<>(SB), RODATA|NOPTR, $4

// T5LEV is T4LEV for 16 bytes of a Q5_K chunk, with the fifth bits from
// H (qh in the k4v order, shifted for the chunk) and the chunk's
// multipliers in Y10. Y11 holds 0x10 bytes.
#define T5LEV(off, H, V) \
	T4LEV(off, V) \
	VPMULLW Y10, H, Y15 \
	VPAND Y11, Y15, Y15 \
	VPOR Y15, V, V

// Frame (as q4KTileAVX2):
//
//	  0  512  the 16 tokens' eight float lanes
//	512   64  the tokens' sumf (the mins)
//	576   64  d*yd of each token
//	640   64  the row's results
//	704   32  scales as words

// func q5KTileAVX2(out *float32, outStride int, w *byte, rowBytes int, act *byte, nsb int, rows int, ntok int)
//
// Q5_K weight rows one by one times a block of 16 tokens (k4v layout), as
// q4KTileAVX2.
TEXT ·q5KTileAVX2(SB), $736-64
	MOVQ out+0(FP), DI
	MOVQ w+16(FP), SI
	MOVQ rows+48(FP), R8

v5row:
	KCLEAR
	VMOVUPS Y0, 512(SP)
	VMOVUPS Y0, 544(SP)
	MOVQ SI, BX
	MOVQ act+32(FP), DX
	MOVQ nsb+40(FP), CX

v5sb:
	T4VSCALES

	// The levels (T4VTOKENS broadcasts the chunks' scale pairs). Y8 and Y9 are the two
	// halves of qh in the k4v order. For chunks 2 and 3 they are shifted
	// down four bits as words, which brings bits 4-7 of each byte to its
	// bits 0-3 (the low byte's bits 4-7, from the high byte, are not
	// reached by a multiplier), so that the multipliers of chunks 0 and 1
	// serve again.
	VMOVDQU ·k4vShuf(SB), Y12
	VPBROADCASTD ·nib4(SB), Y13
	VPBROADCASTD ·bits4(SB), Y11
	VBROADCASTI128 16(BX), Y8
	VPSHUFB Y12, Y8, Y8
	VBROADCASTI128 32(BX), Y9
	VPSHUFB Y12, Y9, Y9
	VPBROADCASTD q5vMul0<>(SB), Y10
	T5LEV(48, Y8, Y0)
	T5LEV(64, Y9, Y1)
	VPBROADCASTD q5vMul1<>(SB), Y10
	T5LEV(80, Y8, Y2)
	T5LEV(96, Y9, Y3)
	VPSRLW $4, Y8, Y8
	VPSRLW $4, Y9, Y9
	VPBROADCASTD q5vMul0<>(SB), Y10
	T5LEV(112, Y8, Y4)
	T5LEV(128, Y9, Y5)
	VPBROADCASTD q5vMul1<>(SB), Y10
	T5LEV(144, Y8, Y6)
	T5LEV(160, Y9, Y7)
	T4VTOKENS(v5tok)

	ADDQ $176, BX
	ADDQ $4416, DX
	DECQ CX
	JNZ  v5sb

	T4VROWEND(v5store)

	ADDQ $4, DI
	ADDQ rowBytes+24(FP), SI
	DECQ R8
	JNZ  v5row
	VZEROUPPER
	RET
