#include "textflag.h"
#include "fast_amd64.h"

// The AVX2 fast paths (no AVX-512): one-token products of Q8_0, Q4_K and
// Q6_K. Without a cross-lane byte permute, the K-quant kernels keep each
// 16-value half of a group in pi16 order (fastlayout.go): VPMADDUBSW then
// pairs values k and k+8, one lane class; two VPMADDWD with the scale in
// the even or the odd word keep the classes of the pairs apart.


// pi16 in each 128-bit lane, for VPSHUFB.

DATA pi16x2<>+0(SB)/8, $0x0b030a0209010800
DATA pi16x2<>+8(SB)/8, $0x0f070e060d050c04
DATA pi16x2<>+16(SB)/8, $0x0b030a0209010800
DATA pi16x2<>+24(SB)/8, $0x0f070e060d050c04
GLOBL pi16x2<>(SB), RODATA|NOPTR, $32

// VPERMD indices spreading the scale pair of Q6_K group g over the two
// lanes: dword 2g (low lane) and 2g+1 (high lane) of the 16 widened scales
// (indices mod 8: groups 4-7 read the second half).

DATA q6a2Idx<>+0(SB)/8, $0x0000000000000000
DATA q6a2Idx<>+8(SB)/8, $0x0000000000000000
DATA q6a2Idx<>+16(SB)/8, $0x0000000100000001
DATA q6a2Idx<>+24(SB)/8, $0x0000000100000001
DATA q6a2Idx<>+32(SB)/8, $0x0000000200000002
DATA q6a2Idx<>+40(SB)/8, $0x0000000200000002
DATA q6a2Idx<>+48(SB)/8, $0x0000000300000003
DATA q6a2Idx<>+56(SB)/8, $0x0000000300000003
DATA q6a2Idx<>+64(SB)/8, $0x0000000400000004
DATA q6a2Idx<>+72(SB)/8, $0x0000000400000004
DATA q6a2Idx<>+80(SB)/8, $0x0000000500000005
DATA q6a2Idx<>+88(SB)/8, $0x0000000500000005
DATA q6a2Idx<>+96(SB)/8, $0x0000000600000006
DATA q6a2Idx<>+104(SB)/8, $0x0000000600000006
DATA q6a2Idx<>+112(SB)/8, $0x0000000700000007
DATA q6a2Idx<>+120(SB)/8, $0x0000000700000007
DATA q6a2Idx<>+128(SB)/8, $0x0000000000000000
DATA q6a2Idx<>+136(SB)/8, $0x0000000000000000
DATA q6a2Idx<>+144(SB)/8, $0x0000000100000001
DATA q6a2Idx<>+152(SB)/8, $0x0000000100000001
DATA q6a2Idx<>+160(SB)/8, $0x0000000200000002
DATA q6a2Idx<>+168(SB)/8, $0x0000000200000002
DATA q6a2Idx<>+176(SB)/8, $0x0000000300000003
DATA q6a2Idx<>+184(SB)/8, $0x0000000300000003
DATA q6a2Idx<>+192(SB)/8, $0x0000000400000004
DATA q6a2Idx<>+200(SB)/8, $0x0000000400000004
DATA q6a2Idx<>+208(SB)/8, $0x0000000500000005
DATA q6a2Idx<>+216(SB)/8, $0x0000000500000005
DATA q6a2Idx<>+224(SB)/8, $0x0000000600000006
DATA q6a2Idx<>+232(SB)/8, $0x0000000600000006
DATA q6a2Idx<>+240(SB)/8, $0x0000000700000007
DATA q6a2Idx<>+248(SB)/8, $0x0000000700000007
GLOBL q6a2Idx<>(SB), RODATA|NOPTR, $256

DATA nibble4<>+0(SB)/4, $0x0f0f0f0f
GLOBL nibble4<>(SB), RODATA|NOPTR, $4

DATA bits45<>+0(SB)/4, $0x30303030
GLOBL bits45<>(SB), RODATA|NOPTR, $4

DATA ones16<>+0(SB)/4, $0x00010001
GLOBL ones16<>(SB), RODATA|NOPTR, $4

// Byte offsets of the FP16 scales of eight consecutive Q8_0 blocks.

DATA q80dIdx2<>+0(SB)/8, $0x0000002200000000
DATA q80dIdx2<>+8(SB)/8, $0x0000006600000044
DATA q80dIdx2<>+16(SB)/8, $0x000000aa00000088
DATA q80dIdx2<>+24(SB)/8, $0x000000ee000000cc
GLOBL q80dIdx2<>(SB), RODATA|NOPTR, $32

// VPSHUFB that packs the low word of each dword into each lane's low 8 bytes.

DATA lowWords<>+0(SB)/8, $0x0d0c090805040100
DATA lowWords<>+8(SB)/8, $0x8080808080808080
DATA lowWords<>+16(SB)/8, $0x0d0c090805040100
DATA lowWords<>+24(SB)/8, $0x8080808080808080
GLOBL lowWords<>(SB), RODATA|NOPTR, $32

// The Q4_K scale unpacking (as kquants_amd64.s).

DATA sShufA<>+0(SB)/8, $0x0b0a090803020100
DATA sShufA<>+8(SB)/8, $0x0b0a090807060504
GLOBL sShufA<>(SB), RODATA|NOPTR, $16

DATA sShufB<>+0(SB)/8, $0x0302010080808080
DATA sShufB<>+8(SB)/8, $0x0706050480808080
GLOBL sShufB<>(SB), RODATA|NOPTR, $16

DATA sMaskLo<>+0(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA sMaskLo<>+8(SB)/8, $0x000000003f3f3f3f
GLOBL sMaskLo<>(SB), RODATA|NOPTR, $16

DATA sMaskHi<>+0(SB)/8, $0x0000000000000000
DATA sMaskHi<>+8(SB)/8, $0x0f0f0f0f00000000
GLOBL sMaskHi<>(SB), RODATA|NOPTR, $16

DATA sMaskTop<>+0(SB)/8, $0x3030303000000000
DATA sMaskTop<>+8(SB)/8, $0x3030303000000000
GLOBL sMaskTop<>(SB), RODATA|NOPTR, $16

// HSUM8V leaves the sum of the eight int32 of yv in lane 0 of xv (VEX only).
#define HSUM8V(yv, xv, xt) \
	VEXTRACTI128 $1, yv, xt \
	VPADDD xt, xv, xv \
	VPSHUFD $0x4E, xv, xt \
	VPADDD xt, xv, xv \
	VPSHUFD $0xB1, xv, xt \
	VPADDD xt, xv, xv

// Q80BLK2 leaves in acc the eight partial int32 sums of block b of the
// group: sign(y, w) times |w| (VPSIGNB, VPABSB) keeps VPMADDUBSW's operands
// in range and the products exact.
#define Q80BLK2(b, acc) \
	VMOVDQU (2+34*(b))(BX), Y4 \
	VMOVDQU (32*(b))(DX), Y5 \
	VPSIGNB Y4, Y5, Y5 \
	VPABSB Y4, Y4 \
	VPMADDUBSW Y5, Y4, Y5 \
	VPMADDWD Y14, Y5, acc

// func q8_0AVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)
//
// As q8_0AVX512 (l8 layout), in 256-bit vectors.
TEXT ·q8_0AVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nb+40(FP), R11
	VPBROADCASTD ones16<>(SB), Y14

q82row:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS X0, X0, X0

q82group:
	CMPQ CX, $8
	JLT  q82tail
	PREFETCHT0 2048(BX)
	PREFETCHT0 2112(BX)
	PREFETCHT0 2176(BX)
	PREFETCHT0 2240(BX)
	PREFETCHT0 2304(BX)
	Q80BLK2(0, Y6)
	Q80BLK2(1, Y7)
	Q80BLK2(2, Y8)
	Q80BLK2(3, Y9)
	Q80BLK2(4, Y10)
	Q80BLK2(5, Y11)
	Q80BLK2(6, Y12)
	Q80BLK2(7, Y13)
	// Eight vectors of eight partial sums to the eight block sums.
	VPUNPCKLDQ Y7, Y6, Y4
	VPUNPCKHDQ Y7, Y6, Y5
	VPADDD Y5, Y4, Y6
	VPUNPCKLDQ Y9, Y8, Y4
	VPUNPCKHDQ Y9, Y8, Y5
	VPADDD Y5, Y4, Y8
	VPUNPCKLDQ Y11, Y10, Y4
	VPUNPCKHDQ Y11, Y10, Y5
	VPADDD Y5, Y4, Y10
	VPUNPCKLDQ Y13, Y12, Y4
	VPUNPCKHDQ Y13, Y12, Y5
	VPADDD Y5, Y4, Y12
	VPUNPCKLQDQ Y8, Y6, Y4
	VPUNPCKHQDQ Y8, Y6, Y5
	VPADDD Y5, Y4, Y6
	VPUNPCKLQDQ Y12, Y10, Y4
	VPUNPCKHQDQ Y12, Y10, Y5
	VPADDD Y5, Y4, Y10
	VPERM2I128 $0x20, Y10, Y6, Y4
	VPERM2I128 $0x31, Y10, Y6, Y5
	VPADDD Y5, Y4, Y6
	VCVTDQ2PS Y6, Y6
	// The blocks' FP16 scales.
	VMOVDQU q80dIdx2<>(SB), Y7
	VPCMPEQD Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPGATHERDD Y8, (BX)(Y7*1), Y9
	VPSHUFB lowWords<>(SB), Y9, Y9
	VPERMQ $0x08, Y9, Y9
	VCVTPH2PS X9, Y9
	VMULPS 288(DX), Y9, Y9
	VMULPS Y9, Y6, Y6
	CHAIN8(Y6, X6, X0, X7)
	ADDQ $272, BX
	ADDQ $320, DX
	SUBQ $8, CX
	JMP  q82group

q82tail:
	TESTQ CX, CX
	JZ    q82rowdone
	XORQ  R12, R12

q82tailblk:
	MOVQ R12, R13
	SHLQ $5, R13
	VMOVDQU 2(BX), Y4
	VMOVDQU (DX)(R13*1), Y5
	VPSIGNB Y4, Y5, Y5
	VPABSB Y4, Y4
	VPMADDUBSW Y5, Y4, Y5
	VPMADDWD Y14, Y5, Y6
	HSUM8V(Y6, X6, X7)
	VCVTDQ2PS X6, X6
	MOVWLZX (BX), AX
	VMOVD AX, X7
	VCVTPH2PS X7, X7
	VMULSS 288(DX)(R12*4), X7, X7
	VMULSS X7, X6, X6
	VADDSS X6, X0, X0
	ADDQ $34, BX
	INCQ R12
	DECQ CX
	JNZ  q82tailblk

q82rowdone:
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  q82row
	VZEROUPPER
	RET

// K2SUB adds sub-block j's products (levels in L, activations at off) to
// the even-class (Y2) and odd-class (Y3) accumulators; the scale of the
// sub-block is at j*4(SP) (low word) and 32+j*4(SP) (high word).
#define K2SUB(L, off, j) \
	VPMADDUBSW (off)(DX), L, Y7 \
	VPBROADCASTD (4*(j))(SP), Y8 \
	VPMADDWD Y8, Y7, Y8 \
	VPADDD Y8, Y2, Y2 \
	VPBROADCASTD (32+4*(j))(SP), Y8 \
	VPMADDWD Y8, Y7, Y8 \
	VPADDD Y8, Y3, Y3

// K2CHUNK unpacks 32-byte chunk c (sub-blocks 2c, 2c+1) of Q4_K levels in
// pi16 order and adds their products.
#define K2CHUNK(c) \
	VMOVDQU (16+32*(c))(BX), Y4 \
	VPSHUFB Y10, Y4, Y4 \
	VPAND Y11, Y4, Y5 \
	VPSRLW $4, Y4, Y6 \
	VPAND Y11, Y6, Y6 \
	K2SUB(Y5, (64*(c)), (2*(c))) \
	K2SUB(Y6, (64*(c)+32), (2*(c)+1))

// K2LANES turns the even- and odd-class accumulators into the eight
// lanes in order, as floats, in Y8.
#define K2LANES \
	VEXTRACTI128 $1, Y2, X8 \
	VPADDD X8, X2, X2 \
	VEXTRACTI128 $1, Y3, X8 \
	VPADDD X8, X3, X3 \
	VPUNPCKLDQ X3, X2, X8 \
	VPUNPCKHDQ X3, X2, X2 \
	VINSERTI128 $1, X2, Y8, Y8 \
	VCVTDQ2PS Y8, Y8

// func q4KAVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)
//
// As q4KAVX512, on the k4a layout.
TEXT ·q4KAVX2(SB), NOSPLIT, $64-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nsb+40(FP), R11
	VMOVDQU pi16x2<>(SB), Y10
	VPBROADCASTD nibble4<>(SB), Y11

q42row:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS Y0, Y0, Y0
	VXORPS X1, X1, X1

q42sb:
	PREFETCHT0 2048(BX)
	PREFETCHT0 2112(BX)
	PREFETCHT0 2176(BX)
	// Scales (to the frame, as dwords: low word, then high word) and mins.
	VMOVDQU 4(BX), X9
	VPSHUFB sShufA<>(SB), X9, X12
	VPSHUFB sShufB<>(SB), X9, X13
	VPSRLW $4, X12, X14
	VPSRLW $2, X13, X13
	VPAND sMaskLo<>(SB), X12, X12
	VPAND sMaskHi<>(SB), X14, X14
	VPAND sMaskTop<>(SB), X13, X13
	VPOR X14, X12, X12
	VPOR X13, X12, X9
	VPMOVZXBD X9, Y12
	VMOVDQU Y12, 0(SP)
	VPSLLD $16, Y12, Y12
	VMOVDQU Y12, 32(SP)
	VPSRLDQ $8, X9, X12
	VPMOVZXBW X12, X12
	VPUNPCKLWD X12, X12, X13
	VPUNPCKHWD X12, X12, X12
	VINSERTI128 $1, X12, Y13, Y13
	VPMADDWD 256(DX), Y13, Y13
	HSUM8V(Y13, X13, X12)
	VCVTDQ2PS X13, X13
	VCVTPH2PS (BX), X14
	VBROADCASTSS 288(DX), X15
	VMULPS X15, X14, X14
	VMOVSHDUP X14, X15
	VMULSS X13, X15, X15
	VSUBSS X15, X1, X1

	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	K2CHUNK(0)
	K2CHUNK(1)
	K2CHUNK(2)
	K2CHUNK(3)
	K2LANES
	VBROADCASTSS X14, Y15
	VMULPS Y15, Y8, Y8
	VADDPS Y8, Y0, Y0

	ADDQ $144, BX
	ADDQ $320, DX
	DECQ CX
	JNZ  q42sb

	CHAIN8(Y0, X0, X1, X2)
	VMOVSS X1, (DI)
	ADDQ $4, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  q42row
	VZEROUPPER
	RET

// Q6GROUP2 adds group g's products: levels in L (q, unsigned), activations
// at 32g, their pair corrections at 256+32g; the scale pair of the group
// (low lane: sub-block 2g, high lane: 2g+1) made from the widened scales in
// the frame.
#define Q6GROUP2(L, g, toff) \
	VPMADDUBSW (32*(g))(DX), L, Y7 \
	VPSUBW (256+32*(g))(DX), Y7, Y7 \
	VMOVDQU q6a2Idx<>+(32*(g))(SB), Y8 \
	VPERMD (toff)(SP), Y8, Y8 \
	VPMADDWD Y8, Y7, Y9 \
	VPADDD Y9, Y2, Y2 \
	VPSLLD $16, Y8, Y8 \
	VPMADDWD Y8, Y7, Y9 \
	VPADDD Y9, Y3, Y3

// Q6HALF2 unpacks and multiplies groups 4h..4h+3 (ql at qlo, qh at qho).
#define Q6HALF2(qlo, qho, g, toff) \
	VMOVDQU (qlo)(BX), Y4 \
	VPSHUFB Y10, Y4, Y4 \
	VMOVDQU ((qlo)+32)(BX), Y5 \
	VPSHUFB Y10, Y5, Y5 \
	VMOVDQU (qho)(BX), Y6 \
	VPSHUFB Y10, Y6, Y6 \
	VPAND Y11, Y4, Y13 \
	VPSLLW $4, Y6, Y14 \
	VPAND Y12, Y14, Y14 \
	VPOR Y14, Y13, Y13 \
	Q6GROUP2(Y13, g, toff) \
	VPAND Y11, Y5, Y13 \
	VPSLLW $2, Y6, Y14 \
	VPAND Y12, Y14, Y14 \
	VPOR Y14, Y13, Y13 \
	Q6GROUP2(Y13, (g+1), toff) \
	VPSRLW $4, Y4, Y13 \
	VPAND Y11, Y13, Y13 \
	VPAND Y12, Y6, Y14 \
	VPOR Y14, Y13, Y13 \
	Q6GROUP2(Y13, (g+2), toff) \
	VPSRLW $4, Y5, Y13 \
	VPAND Y11, Y13, Y13 \
	VPSRLW $2, Y6, Y14 \
	VPAND Y12, Y14, Y14 \
	VPOR Y14, Y13, Y13 \
	Q6GROUP2(Y13, (g+3), toff)

// func q6KAVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)
//
// As q6KAVX512, on the k6a layout.
TEXT ·q6KAVX2(SB), NOSPLIT, $64-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nsb+40(FP), R11
	VMOVDQU pi16x2<>(SB), Y10
	VPBROADCASTD nibble4<>(SB), Y11
	VPBROADCASTD bits45<>(SB), Y12

q62row:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS Y0, Y0, Y0

q62sb:
	PREFETCHT0 2048(BX)
	PREFETCHT0 2112(BX)
	PREFETCHT0 2176(BX)
	PREFETCHT0 2240(BX)
	// The 16 scales, sign-extended to words, zero-extended to dwords.
	VPMOVSXBW 192(BX), Y4
	VPMOVZXWD X4, Y5
	VEXTRACTI128 $1, Y4, X4
	VPMOVZXWD X4, Y4
	VMOVDQU Y5, 0(SP)
	VMOVDQU Y4, 32(SP)
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	Q6HALF2(0, 128, 0, 0)
	Q6HALF2(64, 160, 4, 32)
	K2LANES
	MOVWLZX 208(BX), AX
	VMOVD AX, X9
	VCVTPH2PS X9, X9
	VMULSS 512(DX), X9, X9
	VBROADCASTSS X9, Y9
	VMULPS Y9, Y8, Y8
	VADDPS Y8, Y0, Y0

	ADDQ $210, BX
	ADDQ $576, DX
	DECQ CX
	JNZ  q62sb

	VXORPS X1, X1, X1
	CHAIN8(Y0, X0, X1, X2)
	VMOVSS X1, (DI)
	ADDQ $4, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  q62row
	VZEROUPPER
	RET
