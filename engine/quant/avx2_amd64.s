#include "textflag.h"
#include "fast_amd64.h"

// The AVX2 fast path (no AVX-512) for one-token products of Q8_0; those of
// Q4_K and Q6_K are in avx2k_amd64.s, the others in avx2rows_amd64.s.
// ones16 and q80dIdx are in tables_amd64.s.

// VPSHUFB that packs the low word of each dword into each lane's low 8 bytes.

DATA lowWords<>+0(SB)/8, $0x0d0c090805040100
DATA lowWords<>+8(SB)/8, $0x8080808080808080
DATA lowWords<>+16(SB)/8, $0x0d0c090805040100
DATA lowWords<>+24(SB)/8, $0x8080808080808080
GLOBL lowWords<>(SB), RODATA|NOPTR, $32

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
	VPBROADCASTD ·ones16(SB), Y14

q82row:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS X0, X0, X0

q82group:
	CMPQ CX, $8
	JLT  q82tail
	PREFETCHT0 8192(BX)
	PREFETCHT0 8256(BX)
	PREFETCHT0 8320(BX)
	PREFETCHT0 8384(BX)
	PREFETCHT0 8448(BX)
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
	VMOVDQU ·q80dIdx(SB), Y7
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
