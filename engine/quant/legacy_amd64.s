#include "textflag.h"
#include "fast_amd64.h"

// Byte offsets of the FP16 scales of eight consecutive Q8_0 blocks.
DATA q80dIdx<>+0(SB)/4, $0
DATA q80dIdx<>+4(SB)/4, $34
DATA q80dIdx<>+8(SB)/4, $68
DATA q80dIdx<>+12(SB)/4, $102
DATA q80dIdx<>+16(SB)/4, $136
DATA q80dIdx<>+20(SB)/4, $170
DATA q80dIdx<>+24(SB)/4, $204
DATA q80dIdx<>+28(SB)/4, $238
GLOBL q80dIdx<>(SB), RODATA|NOPTR, $32

// The reduction of four 2-block vectors leaves block sums in the order
// 0 2 4 6 1 3 5 7; this VPERMD index puts them back in block order.
DATA blk8Order<>+0(SB)/4, $0
DATA blk8Order<>+4(SB)/4, $4
DATA blk8Order<>+8(SB)/4, $1
DATA blk8Order<>+12(SB)/4, $5
DATA blk8Order<>+16(SB)/4, $2
DATA blk8Order<>+20(SB)/4, $6
DATA blk8Order<>+24(SB)/4, $3
DATA blk8Order<>+28(SB)/4, $7
GLOBL blk8Order<>(SB), RODATA|NOPTR, $32

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
	VMOVDQU32 q80dIdx<>(SB), Y30
	VMOVDQU32 blk8Order<>(SB), Y29

q80row:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS X0, X0, X0

q80group:
	CMPQ CX, $8
	JLT  q80tail
	PREFETCHT0 2048(BX)
	PREFETCHT0 2112(BX)
	PREFETCHT0 2176(BX)
	PREFETCHT0 2240(BX)
	PREFETCHT0 2304(BX)
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

// 0..15 as int32, for the scatter indices of a token block.
DATA iota16L<>+0(SB)/8, $0x0000000100000000
DATA iota16L<>+8(SB)/8, $0x0000000300000002
DATA iota16L<>+16(SB)/8, $0x0000000500000004
DATA iota16L<>+24(SB)/8, $0x0000000700000006
DATA iota16L<>+32(SB)/8, $0x0000000900000008
DATA iota16L<>+40(SB)/8, $0x0000000b0000000a
DATA iota16L<>+48(SB)/8, $0x0000000d0000000c
DATA iota16L<>+56(SB)/8, $0x0000000f0000000e
GLOBL iota16L<>(SB), RODATA|NOPTR, $64

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

	MOVQ out+0(FP), DI
	MOVQ outStride+8(FP), AX
	VPBROADCASTD AX, Z29
	VPMULLD iota16L<>(SB), Z29, Z29
	MOVQ ntok+56(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	MOVQ rows+48(FP), CX
	KMOVW AX, K2
	VSCATTERDPS Z8, K2, (DI)(Z29*4)
	Q80STORE(1, Z9)
	Q80STORE(2, Z10)
	Q80STORE(3, Z11)
	Q80STORE(4, Z12)
	Q80STORE(5, Z13)
	Q80STORE(6, Z14)
	Q80STORE(7, Z15)

q80tstored:
	VZEROUPPER
	RET
