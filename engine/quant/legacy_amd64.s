#include "textflag.h"
#include "fast_amd64.h"

// q80dIdx (the byte offsets of the FP16 scales of eight consecutive Q8_0
// blocks), blk8Order (the VPERMD index that puts block sums in the order
// 0 2 4 6 1 3 5 7 back in block order) and iota16 are in tables_amd64.s.

// func q8_0AVX512(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)
//
// Per block, ggml_vec_dot_q8_0_q8_0_generic: sumf += float(sumi) * (dw*dy).
// The weights are made unsigned (w+128) for VPDPBUSD and the excess,
// 128*sum(y), taken off the exact integer sum.
TEXT ·q8_0AVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nb+40(FP), R11
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Z31
	VMOVDQU32 ·q80dIdx(SB), Y30
	VMOVDQU32 ·blk8Order(SB), Y29

q80row:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS X0, X0, X0

q80group:
	CMPQ CX, $8
	JLT  q80tail
	PREFETCHT0 8192(BX)
	PREFETCHT0 8256(BX)
	PREFETCHT0 8320(BX)
	PREFETCHT0 8384(BX)
	PREFETCHT0 8448(BX)
	VMOVDQU 2(BX), Y4
	VINSERTI64X4 $1, 36(BX), Z4, Z4
	VMOVDQU 70(BX), Y5
	VINSERTI64X4 $1, 104(BX), Z5, Z5
	VMOVDQU 138(BX), Y6
	VINSERTI64X4 $1, 172(BX), Z6, Z6
	VMOVDQU 206(BX), Y7
	VINSERTI64X4 $1, 240(BX), Z7, Z7
	VPXORD Z31, Z4, Z4
	VPXORD Z31, Z5, Z5
	VPXORD Z31, Z6, Z6
	VPXORD Z31, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPDPBUSD 0(DX), Z4, Z8
	VPDPBUSD 64(DX), Z5, Z9
	VPDPBUSD 128(DX), Z6, Z10
	VPDPBUSD 192(DX), Z7, Z11
	REDUCE8(Z8, Z9, Z10, Z11, Z12, Z13)
	VPERMD Y8, Y29, Y8
	VPSLLD $7, 256(DX), Y9
	VPSUBD Y9, Y8, Y8
	VCVTDQ2PS Y8, Y8
	KXNORB K1, K1, K1
	VPXORD Y10, Y10, Y10
	VPGATHERDD (BX)(Y30*1), K1, Y10
	VPMOVDW Y10, X10
	VCVTPH2PS X10, Y10
	VMULPS 288(DX), Y10, Y10
	VMULPS Y10, Y8, Y8
	CHAIN8(Y8, X8, X0, X9)
	ADDQ $272, BX
	ADDQ $320, DX
	SUBQ $8, CX
	JMP  q80group

q80tail:
	TESTQ CX, CX
	JZ    q80rowdone
	MOVQ  DX, R13
	XORQ  R12, R12

q80tailblk:
	VMOVDQU 2(BX), Y4
	VPXORD Y31, Y4, Y4
	VPXORD Y8, Y8, Y8
	VPDPBUSD (R13), Y4, Y8
	HSUM8(Y8, X8, X9)
	VMOVD X8, AX
	MOVL  256(DX)(R12*4), R13
	SHLL  $7, R13
	SUBL  R13, AX
	VCVTSI2SSL AX, X9, X9
	MOVWLZX (BX), AX
	VMOVD AX, X10
	VCVTPH2PS X10, X10
	VMULSS 288(DX)(R12*4), X10, X10
	VMULSS X10, X9, X9
	VADDSS X9, X0, X0
	ADDQ $34, BX
	INCQ R12
	MOVQ R12, R13
	SHLQ $5, R13
	ADDQ DX, R13
	DECQ CX
	JNZ  q80tailblk

q80rowdone:
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  q80row
	VZEROUPPER
	RET

// func q8_0TileAVX512(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb, rows, ntok int)
//
// Up to eight Q8_0 rows times a block of 16 tokens (q80t layout). The lanes
// are the tokens: each VPDPBUSD adds four products of every token, the
// weights broadcast, so a block's sum per token is whole in its lane and
// the scalar kernel's sequential float sum over the blocks runs lane by
// lane. Rows past rows repeat the last row and are not stored.
TEXT ·q8_0TileAVX512(SB), NOSPLIT, $0-64
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), AX
	MOVQ rows+48(FP), CX
	// Row r at SI + min(r, rows-1)*rowBytes.
	MOVQ SI, R8
	CMPQ CX, $1
	JLE  q80tr1
	ADDQ AX, R8
q80tr1:
	MOVQ R8, R9
	CMPQ CX, $2
	JLE  q80tr2
	ADDQ AX, R9
q80tr2:
	MOVQ R9, R10
	CMPQ CX, $3
	JLE  q80tr3
	ADDQ AX, R10
q80tr3:
	MOVQ R10, R11
	CMPQ CX, $4
	JLE  q80tr4
	ADDQ AX, R11
q80tr4:
	MOVQ R11, R12
	CMPQ CX, $5
	JLE  q80tr5
	ADDQ AX, R12
q80tr5:
	MOVQ R12, R13
	CMPQ CX, $6
	JLE  q80tr6
	ADDQ AX, R13
q80tr6:
	MOVQ R13, BX
	CMPQ CX, $7
	JLE  q80tr7
	ADDQ AX, BX
q80tr7:
	MOVQ act+32(FP), DX
	MOVQ nb+40(FP), CX
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Y24
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

q80tblk:
	VMOVDQU64 0(DX), Z16
	VMOVDQU64 64(DX), Z17
	VMOVDQU64 128(DX), Z18
	VMOVDQU64 192(DX), Z19
	VMOVDQU64 256(DX), Z20
	VMOVDQU64 320(DX), Z21
	VMOVDQU64 384(DX), Z22
	VMOVDQU64 448(DX), Z23
	VMOVUPS 512(DX), Z25
	Q80ROW(SI, Z0, Z8)
	Q80ROW(R8, Z1, Z9)
	Q80ROW(R9, Z2, Z10)
	Q80ROW(R10, Z3, Z11)
	Q80ROW(R11, Z4, Z12)
	Q80ROW(R12, Z5, Z13)
	Q80ROW(R13, Z6, Z14)
	Q80ROW(BX, Z7, Z15)
	ADDQ $34, SI
	ADDQ $34, R8
	ADDQ $34, R9
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $34, R12
	ADDQ $34, R13
	ADDQ $34, BX
	ADDQ $576, DX
	DECQ CX
	JNZ  q80tblk

	Q80STOREALL

q80tstored:
	VZEROUPPER
	RET
// VPERMB indices that spread the 16 bytes of nibbles of two consecutive
// blocks (Q5_0: 22 bytes apart, quants at 6; Q4_0: 18 apart, at 2) so that
// byte e of each half holds value e's nibble; nibSel then keeps the low
// nibble in the first 16 bytes of each half and the high one in the rest.

DATA q50Perm<>+0(SB)/8, $0x0d0c0b0a09080706
DATA q50Perm<>+8(SB)/8, $0x1514131211100f0e
DATA q50Perm<>+16(SB)/8, $0x0d0c0b0a09080706
DATA q50Perm<>+24(SB)/8, $0x1514131211100f0e
DATA q50Perm<>+32(SB)/8, $0x232221201f1e1d1c
DATA q50Perm<>+40(SB)/8, $0x2b2a292827262524
DATA q50Perm<>+48(SB)/8, $0x232221201f1e1d1c
DATA q50Perm<>+56(SB)/8, $0x2b2a292827262524
GLOBL q50Perm<>(SB), RODATA|NOPTR, $64

DATA q40Perm<>+0(SB)/8, $0x0908070605040302
DATA q40Perm<>+8(SB)/8, $0x11100f0e0d0c0b0a
DATA q40Perm<>+16(SB)/8, $0x0908070605040302
DATA q40Perm<>+24(SB)/8, $0x11100f0e0d0c0b0a
DATA q40Perm<>+32(SB)/8, $0x1b1a191817161514
DATA q40Perm<>+40(SB)/8, $0x232221201f1e1d1c
DATA q40Perm<>+48(SB)/8, $0x1b1a191817161514
DATA q40Perm<>+56(SB)/8, $0x232221201f1e1d1c
GLOBL q40Perm<>(SB), RODATA|NOPTR, $64

DATA nibSel<>+0(SB)/8, $0x0102040800000000
DATA nibSel<>+8(SB)/8, $0x0102040800000000
DATA nibSel<>+16(SB)/8, $0x1020408000000000
DATA nibSel<>+24(SB)/8, $0x1020408000000000
DATA nibSel<>+32(SB)/8, $0x0102040800000000
DATA nibSel<>+40(SB)/8, $0x0102040800000000
DATA nibSel<>+48(SB)/8, $0x1020408000000000
DATA nibSel<>+56(SB)/8, $0x1020408000000000
GLOBL nibSel<>(SB), RODATA|NOPTR, $64

// Byte offsets of the scales of eight consecutive Q5_0 / Q4_0 blocks.

DATA q50dIdx<>+0(SB)/8, $0x0000001600000000
DATA q50dIdx<>+8(SB)/8, $0x000000420000002c
DATA q50dIdx<>+16(SB)/8, $0x0000006e00000058
DATA q50dIdx<>+24(SB)/8, $0x0000009a00000084
GLOBL q50dIdx<>(SB), RODATA|NOPTR, $32

DATA q40dIdx<>+0(SB)/8, $0x0000001200000000
DATA q40dIdx<>+8(SB)/8, $0x0000003600000024
DATA q40dIdx<>+16(SB)/8, $0x0000005a00000048
DATA q40dIdx<>+24(SB)/8, $0x0000007e0000006c
GLOBL q40dIdx<>(SB), RODATA|NOPTR, $32

// LEGPAIR unpacks the levels (q, unsigned) of two consecutive Q5_0 or
// Q4_0 blocks at off(BX) into z and adds their products with the two
// activation blocks at aoff(DX) into acc, four per 32-bit lane. K1 masks
// the two blocks' bytes (the load stops there); Z30, Z29 hold the permute
// and nibble-select tables. For Q5_0 (qh true) the fifth bits come from
// the 32-bit masks at off+2 and off+24.
#define LEGLEVELS(off, z) \
	VMOVDQU8.Z off(BX), K1, z \
	VPERMB z, Z30, z \
	VGF2P8AFFINEQB $0, Z29, z, z
#define Q50BITS(off, z) \
	MOVL (off+2)(BX), AX \
	MOVL (off+24)(BX), R12 \
	SHLQ $32, R12 \
	ORQ  R12, AX \
	KMOVQ AX, K2 \
	VPADDB Z28, z, K2, z
#define LEGDOT(aoff, z, acc) \
	VPXORD acc, acc, acc \
	VPDPBUSD aoff(DX), z, acc

// LEGGROUP computes the eight block sums of a group (REDUCE8 order fixed)
// minus shift*sum(y), as floats in Y8, for blocks of size bs.
#define LEGSUMS(shift) \
	REDUCE8(Z8, Z9, Z10, Z11, Z12, Z13) \
	VPERMD Y8, Y27, Y8 \
	VPSLLD $shift, 256(DX), Y9 \
	VPSUBD Y9, Y8, Y8 \
	VCVTDQ2PS Y8, Y8

// LEGDW gathers the eight FP16 scales (offsets in Y26) as floats in Y10.
#define LEGDW \
	KXNORB K3, K3, K3 \
	VPXORD Y10, Y10, Y10 \
	VPGATHERDD (BX)(Y26*1), K3, Y10 \
	VPMOVDW Y10, X10 \
	VCVTPH2PS X10, Y10

// func q5_0AVX512(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)
//
// ggml_vec_dot_q5_0_q8_0_generic per row: sumf += (dw*dy) * float(sumi),
// block after block. The levels are kept as q in 0..31 (unsigned for
// VPDPBUSD) and 16*sum(y) taken off the exact integer sum.
TEXT ·q5_0AVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nb+40(FP), R11
	MOVQ $0xFFFFFFFFFFF, AX // 44 bytes
	KMOVQ AX, K1
	MOVL $0x3FFFFF, AX // 22 bytes
	KMOVD AX, K4
	VMOVDQU64 q50Perm<>(SB), Z30
	VMOVDQU64 nibSel<>(SB), Z29
	MOVL $0x10101010, AX
	VPBROADCASTD AX, Z28
	VMOVDQU32 ·blk8Order(SB), Y27
	VMOVDQU32 q50dIdx<>(SB), Y26

q50row:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS X0, X0, X0

q50group:
	CMPQ CX, $8
	JLT  q50tail
	PREFETCHT0 2048(BX)
	PREFETCHT0 2112(BX)
	PREFETCHT0 2176(BX)
	LEGLEVELS(0, Z4)
	Q50BITS(0, Z4)
	LEGLEVELS(44, Z5)
	Q50BITS(44, Z5)
	LEGLEVELS(88, Z6)
	Q50BITS(88, Z6)
	LEGLEVELS(132, Z7)
	Q50BITS(132, Z7)
	LEGDOT(0, Z4, Z8)
	LEGDOT(64, Z5, Z9)
	LEGDOT(128, Z6, Z10)
	LEGDOT(192, Z7, Z11)
	LEGSUMS(4)
	LEGDW
	VMULPS 288(DX), Y10, Y10
	VMULPS Y10, Y8, Y8
	CHAIN8(Y8, X8, X0, X9)
	ADDQ $176, BX
	ADDQ $320, DX
	SUBQ $8, CX
	JMP  q50group

q50tail:
	TESTQ CX, CX
	JZ    q50rowdone
	XORQ  R12, R12

q50tailblk:
	VMOVDQU8.Z (BX), K4, Y4
	VPERMB Y4, Y30, Y4
	VGF2P8AFFINEQB $0, Y29, Y4, Y4
	MOVL 2(BX), AX
	KMOVD AX, K2
	VPADDB Y28, Y4, K2, Y4
	MOVQ R12, R13
	SHLQ $5, R13
	VPXORD Y8, Y8, Y8
	VPDPBUSD (DX)(R13*1), Y4, Y8
	HSUM8(Y8, X8, X9)
	VMOVD X8, AX
	MOVL  256(DX)(R12*4), R13
	SHLL  $4, R13
	SUBL  R13, AX
	VCVTSI2SSL AX, X9, X9
	MOVWLZX (BX), AX
	VMOVD AX, X10
	VCVTPH2PS X10, X10
	VMULSS 288(DX)(R12*4), X10, X10
	VMULSS X9, X10, X10
	VADDSS X10, X0, X0
	ADDQ $22, BX
	INCQ R12
	DECQ CX
	JNZ  q50tailblk

q50rowdone:
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  q50row
	VZEROUPPER
	RET

// func q4_0AVX512(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)
//
// ggml_vec_dot_q4_0_q8_0_generic per row: sumf += float(sumi)*dw*dy (that
// order), block after block; levels kept as q in 0..15 and 8*sum(y) taken
// off the integer sum.
TEXT ·q4_0AVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nb+40(FP), R11
	MOVQ $0xFFFFFFFFF, AX // 36 bytes
	KMOVQ AX, K1
	MOVL $0x3FFFF, AX // 18 bytes
	KMOVD AX, K4
	VMOVDQU64 q40Perm<>(SB), Z30
	VMOVDQU64 nibSel<>(SB), Z29
	VMOVDQU32 ·blk8Order(SB), Y27
	VMOVDQU32 q40dIdx<>(SB), Y26

q40row:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS X0, X0, X0

q40group:
	CMPQ CX, $8
	JLT  q40tail
	PREFETCHT0 2048(BX)
	PREFETCHT0 2112(BX)
	PREFETCHT0 2176(BX)
	LEGLEVELS(0, Z4)
	LEGLEVELS(36, Z5)
	LEGLEVELS(72, Z6)
	LEGLEVELS(108, Z7)
	LEGDOT(0, Z4, Z8)
	LEGDOT(64, Z5, Z9)
	LEGDOT(128, Z6, Z10)
	LEGDOT(192, Z7, Z11)
	LEGSUMS(3)
	LEGDW
	VMULPS Y10, Y8, Y8
	VMULPS 288(DX), Y8, Y8
	CHAIN8(Y8, X8, X0, X9)
	ADDQ $144, BX
	ADDQ $320, DX
	SUBQ $8, CX
	JMP  q40group

q40tail:
	TESTQ CX, CX
	JZ    q40rowdone
	XORQ  R12, R12

q40tailblk:
	VMOVDQU8.Z (BX), K4, Y4
	VPERMB Y4, Y30, Y4
	VGF2P8AFFINEQB $0, Y29, Y4, Y4
	MOVQ R12, R13
	SHLQ $5, R13
	VPXORD Y8, Y8, Y8
	VPDPBUSD (DX)(R13*1), Y4, Y8
	HSUM8(Y8, X8, X9)
	VMOVD X8, AX
	MOVL  256(DX)(R12*4), R13
	SHLL  $3, R13
	SUBL  R13, AX
	VCVTSI2SSL AX, X9, X9
	MOVWLZX (BX), AX
	VMOVD AX, X10
	VCVTPH2PS X10, X10
	VMULSS X10, X9, X9
	VMULSS 288(DX)(R12*4), X9, X9
	VADDSS X9, X0, X0
	ADDQ $18, BX
	INCQ R12
	DECQ CX
	JNZ  q40tailblk

q40rowdone:
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  q40row
	VZEROUPPER
	RET

// func q5_0TileAVX512(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb, rows, ntok int)
//
// Up to eight Q50 rows times a block of 16 tokens (q80t layout): as
// q8_0TileAVX512, with each row's block unpacked to signed levels first.
TEXT ·q5_0TileAVX512(SB), NOSPLIT, $256-64
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), AX
	MOVQ rows+48(FP), CX
	// Row r at SI + min(r, rows-1)*rowBytes.
	MOVQ SI, R8
	CMPQ CX, $1
	JLE  q50tr1
	ADDQ AX, R8
q50tr1:
	MOVQ R8, R9
	CMPQ CX, $2
	JLE  q50tr2
	ADDQ AX, R9
q50tr2:
	MOVQ R9, R10
	CMPQ CX, $3
	JLE  q50tr3
	ADDQ AX, R10
q50tr3:
	MOVQ R10, R11
	CMPQ CX, $4
	JLE  q50tr4
	ADDQ AX, R11
q50tr4:
	MOVQ R11, R12
	CMPQ CX, $5
	JLE  q50tr5
	ADDQ AX, R12
q50tr5:
	MOVQ R12, R13
	CMPQ CX, $6
	JLE  q50tr6
	ADDQ AX, R13
q50tr6:
	MOVQ R13, BX
	CMPQ CX, $7
	JLE  q50tr7
	ADDQ AX, BX
q50tr7:
	MOVQ act+32(FP), DX
	MOVQ nb+40(FP), CX
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Y24
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	MOVQ $0x3FFFFF, AX
	KMOVD AX, K4
	VMOVDQU64 q50Perm<>(SB), Z30
	VMOVDQU64 nibSel<>(SB), Z29
	MOVL $0x10101010, AX
	VPBROADCASTD AX, Y28
	MOVL $0x08080808, AX
	VPBROADCASTD AX, Y31

q50tblk:
	VMOVDQU64 0(DX), Z16
	VMOVDQU64 64(DX), Z17
	VMOVDQU64 128(DX), Z18
	VMOVDQU64 192(DX), Z19
	VMOVDQU64 256(DX), Z20
	VMOVDQU64 320(DX), Z21
	VMOVDQU64 384(DX), Z22
	VMOVDQU64 448(DX), Z23
	VMOVUPS 512(DX), Z25
	Q50TROW(SI, 0, Z0, Z8)
	Q50TROW(R8, 32, Z1, Z9)
	Q50TROW(R9, 64, Z2, Z10)
	Q50TROW(R10, 96, Z3, Z11)
	Q50TROW(R11, 128, Z4, Z12)
	Q50TROW(R12, 160, Z5, Z13)
	Q50TROW(R13, 192, Z6, Z14)
	Q50TROW(BX, 224, Z7, Z15)
	ADDQ $22, SI
	ADDQ $22, R8
	ADDQ $22, R9
	ADDQ $22, R10
	ADDQ $22, R11
	ADDQ $22, R12
	ADDQ $22, R13
	ADDQ $22, BX
	ADDQ $576, DX
	DECQ CX
	JNZ  q50tblk

	Q80STOREALL

q80tstored:
	VZEROUPPER
	RET

// func q4_0TileAVX512(out *float32, outStride int, w *byte, rowBytes int, act *byte, nb, rows, ntok int)
//
// Up to eight Q40 rows times a block of 16 tokens (q80t layout): as
// q8_0TileAVX512, with each row's block unpacked to signed levels first.
TEXT ·q4_0TileAVX512(SB), NOSPLIT, $256-64
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), AX
	MOVQ rows+48(FP), CX
	// Row r at SI + min(r, rows-1)*rowBytes.
	MOVQ SI, R8
	CMPQ CX, $1
	JLE  q40tr1
	ADDQ AX, R8
q40tr1:
	MOVQ R8, R9
	CMPQ CX, $2
	JLE  q40tr2
	ADDQ AX, R9
q40tr2:
	MOVQ R9, R10
	CMPQ CX, $3
	JLE  q40tr3
	ADDQ AX, R10
q40tr3:
	MOVQ R10, R11
	CMPQ CX, $4
	JLE  q40tr4
	ADDQ AX, R11
q40tr4:
	MOVQ R11, R12
	CMPQ CX, $5
	JLE  q40tr5
	ADDQ AX, R12
q40tr5:
	MOVQ R12, R13
	CMPQ CX, $6
	JLE  q40tr6
	ADDQ AX, R13
q40tr6:
	MOVQ R13, BX
	CMPQ CX, $7
	JLE  q40tr7
	ADDQ AX, BX
q40tr7:
	MOVQ act+32(FP), DX
	MOVQ nb+40(FP), CX
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Y24
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	MOVQ $0x3FFFF, AX
	KMOVD AX, K4
	VMOVDQU64 q40Perm<>(SB), Z30
	VMOVDQU64 nibSel<>(SB), Z29
	MOVL $0x10101010, AX
	VPBROADCASTD AX, Y28
	MOVL $0x08080808, AX
	VPBROADCASTD AX, Y31

q40tblk:
	VMOVDQU64 0(DX), Z16
	VMOVDQU64 64(DX), Z17
	VMOVDQU64 128(DX), Z18
	VMOVDQU64 192(DX), Z19
	VMOVDQU64 256(DX), Z20
	VMOVDQU64 320(DX), Z21
	VMOVDQU64 384(DX), Z22
	VMOVDQU64 448(DX), Z23
	VMOVUPS 512(DX), Z25
	Q40TROW(SI, 0, Z0, Z8)
	Q40TROW(R8, 32, Z1, Z9)
	Q40TROW(R9, 64, Z2, Z10)
	Q40TROW(R10, 96, Z3, Z11)
	Q40TROW(R11, 128, Z4, Z12)
	Q40TROW(R12, 160, Z5, Z13)
	Q40TROW(R13, 192, Z6, Z14)
	Q40TROW(BX, 224, Z7, Z15)
	ADDQ $18, SI
	ADDQ $18, R8
	ADDQ $18, R9
	ADDQ $18, R10
	ADDQ $18, R11
	ADDQ $18, R12
	ADDQ $18, R13
	ADDQ $18, BX
	ADDQ $576, DX
	DECQ CX
	JNZ  q40tblk

	Q80STOREALL

q80tstored:
	VZEROUPPER
	RET

// func f16DotAVX512(out *float64, rows int, w *byte, rowBytes int, x *float64, n int)
//
// For each row, the double sum of w[i]*x[i] for i < n (a multiple of 32):
// the weights half precision, the activations their half-rounded values as
// doubles. The products are exact; the sums run in 32 lanes (element i in
// lane i mod 32) and are then added pairwise, so they round differently
// from ggml's one sequential double sum only where a partial sum needs
// more than 53 bits (see simd_test.go for the bound this gives).
TEXT ·f16DotAVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ x+32(FP), R10
	MOVQ n+40(FP), R11

f16row:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3

f16col:
	PREFETCHT0 8192(BX)
	VCVTPH2PS 0(BX), Z4
	VCVTPH2PS 32(BX), Z5
	VCVTPS2PD Y4, Z6
	VEXTRACTF64X4 $1, Z4, Y4
	VCVTPS2PD Y4, Z7
	VCVTPS2PD Y5, Z8
	VEXTRACTF64X4 $1, Z5, Y5
	VCVTPS2PD Y5, Z9
	VFMADD231PD 0(DX), Z6, Z0
	VFMADD231PD 64(DX), Z7, Z1
	VFMADD231PD 128(DX), Z8, Z2
	VFMADD231PD 192(DX), Z9, Z3
	ADDQ $64, BX
	ADDQ $256, DX
	SUBQ $32, CX
	JNZ  f16col

	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VADDPD Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VPERMILPD $1, X0, X1
	VADDSD X1, X0, X0
	VMOVSD X0, (DI)
	ADDQ $8, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  f16row
	VZEROUPPER
	RET

// func bf16DotAVX512(out *float64, rows int, w *byte, rowBytes int, x *float64, n int)
//
// As f16DotAVX512 for bfloat16 weights (widened by a 16-bit shift).
TEXT ·bf16DotAVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ x+32(FP), R10
	MOVQ n+40(FP), R11

bf16row:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3

bf16col:
	PREFETCHT0 8192(BX)
	VPMOVZXWD 0(BX), Z4
	VPMOVZXWD 32(BX), Z5
	VPSLLD $16, Z4, Z4
	VPSLLD $16, Z5, Z5
	VCVTPS2PD Y4, Z6
	VEXTRACTF64X4 $1, Z4, Y4
	VCVTPS2PD Y4, Z7
	VCVTPS2PD Y5, Z8
	VEXTRACTF64X4 $1, Z5, Y5
	VCVTPS2PD Y5, Z9
	VFMADD231PD 0(DX), Z6, Z0
	VFMADD231PD 64(DX), Z7, Z1
	VFMADD231PD 128(DX), Z8, Z2
	VFMADD231PD 192(DX), Z9, Z3
	ADDQ $64, BX
	ADDQ $256, DX
	SUBQ $32, CX
	JNZ  bf16col

	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VADDPD Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VPERMILPD $1, X0, X1
	VADDSD X1, X0, X0
	VMOVSD X0, (DI)
	ADDQ $8, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  bf16row
	VZEROUPPER
	RET
