#include "textflag.h"
#include "fast_amd64.h"

// The AVX2 one-token kernels for Q4_K (k4s activation layout,
// avx2rows_amd64.go) and Q6_K (k6, fastlayout.go). Both put each 32-byte
// load of weights in sigma32 order (fastlayout.go) before unpacking it, as
// q5KAVX2 does: a dword permute across the lanes (VPERMD: dwords
// 0 2 4 6 | 1 3 5 7), then a 4x4 byte transpose in each lane (VPSHUFB).
// Dword l then holds values l, l+8, l+16, l+24 of a 32-value group, so
// VPMADDUBSW adds two products of one lane class and VPMADDWD the two
// pairs, each word with its own scale: the dwords are ggml's eight integer
// lanes, and the float steps that follow are the scalar kernel's.
// sigDwords, sigBytes (sigma32 in two steps), nib4 and bits45 are in
// tables_amd64.s.

// The Q4_K scale unpacking (as kquants_amd64.s), one row in each lane.

DATA k4ShufA<>+0(SB)/8, $0x0b0a090803020100
DATA k4ShufA<>+8(SB)/8, $0x0b0a090807060504
DATA k4ShufA<>+16(SB)/8, $0x0b0a090803020100
DATA k4ShufA<>+24(SB)/8, $0x0b0a090807060504
GLOBL k4ShufA<>(SB), RODATA|NOPTR, $32

DATA k4ShufB<>+0(SB)/8, $0x0302010080808080
DATA k4ShufB<>+8(SB)/8, $0x0706050480808080
DATA k4ShufB<>+16(SB)/8, $0x0302010080808080
DATA k4ShufB<>+24(SB)/8, $0x0706050480808080
GLOBL k4ShufB<>(SB), RODATA|NOPTR, $32

DATA k4MaskLo<>+0(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA k4MaskLo<>+8(SB)/8, $0x000000003f3f3f3f
DATA k4MaskLo<>+16(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA k4MaskLo<>+24(SB)/8, $0x000000003f3f3f3f
GLOBL k4MaskLo<>(SB), RODATA|NOPTR, $32

DATA k4MaskHi<>+0(SB)/8, $0x0000000000000000
DATA k4MaskHi<>+8(SB)/8, $0x0f0f0f0f00000000
DATA k4MaskHi<>+16(SB)/8, $0x0000000000000000
DATA k4MaskHi<>+24(SB)/8, $0x0f0f0f0f00000000
GLOBL k4MaskHi<>(SB), RODATA|NOPTR, $32

DATA k4MaskTop<>+0(SB)/8, $0x3030303000000000
DATA k4MaskTop<>+8(SB)/8, $0x3030303000000000
DATA k4MaskTop<>+16(SB)/8, $0x3030303000000000
DATA k4MaskTop<>+24(SB)/8, $0x3030303000000000
GLOBL k4MaskTop<>(SB), RODATA|NOPTR, $32

// K4PREP readies the super-block at wo(BX) (row A) and wo(AX) (row B),
// activations at ao(DX), in the frame buffer at R13: the scales, each in
// both words of a dword (A's sub-blocks 0-3 at 0, B's at 16, A's 4-7 at
// 32, B's at 48), and d*yd, dmin*yd of A at 64, of B at 80; and takes the
// mins' share off the running sums in Y2 (A's in float 1, B's in float 5):
// sumf -= (dmin*yd) * float(sum over j of m_j times sub-block j's sum).
#define K4PREP(wo, ao) \
	VMOVDQU (wo+4)(BX), X5 \
	VINSERTI128 $1, (wo+4)(AX), Y5, Y5 \
	VPSHUFB k4ShufA<>(SB), Y5, Y6 \
	VPSHUFB k4ShufB<>(SB), Y5, Y7 \
	VPSRLW $4, Y6, Y8 \
	VPSRLW $2, Y7, Y7 \
	VPAND k4MaskLo<>(SB), Y6, Y6 \
	VPAND k4MaskHi<>(SB), Y8, Y8 \
	VPAND k4MaskTop<>(SB), Y7, Y7 \
	VPOR Y8, Y6, Y6 \
	VPOR Y7, Y6, Y6 \
	VPXOR Y7, Y7, Y7 \
	VPUNPCKLBW Y7, Y6, Y8 \
	VPUNPCKHBW Y7, Y6, Y9 \
	VPUNPCKLWD Y8, Y8, Y7 \
	VPUNPCKHWD Y8, Y8, Y8 \
	VMOVDQU Y7, 0(R13) \
	VMOVDQU Y8, 32(R13) \
	VBROADCASTI128 (ao+256)(DX), Y12 \
	VPMADDWD Y12, Y9, Y9 \
	VPSHUFD $0x4E, Y9, Y12 \
	VPADDD Y12, Y9, Y9 \
	VPSHUFD $0xB1, Y9, Y12 \
	VPADDD Y12, Y9, Y9 \
	VCVTDQ2PS Y9, Y9 \
	VMOVD (wo)(BX), X12 \
	VPINSRD $2, (wo)(AX), X12, X12 \
	VCVTPH2PS X12, Y12 \
	VBROADCASTSS (ao+288)(DX), Y14 \
	VMULPS Y14, Y12, Y12 \
	VMOVUPS Y12, 64(R13) \
	VMULPS Y9, Y12, Y9 \
	VSUBPS Y9, Y2, Y2

// K4CHUNK adds the products of 32-byte chunk c of both rows (sub-blocks 2c
// and 2c+1, the low and the high nibbles) to Y3 (row A) and Y4 (row B);
// the sub-blocks' scales are at a0, a1 (row A) and b0, b1 (row B) in the
// frame buffer at R12.
#define K4CHUNK(c, a0, a1, b0, b1) \
	VPERMD (16+32*(c))(BX), Y13, Y5 \
	VPERMD (16+32*(c))(AX), Y13, Y8 \
	VPSHUFB Y10, Y5, Y5 \
	VPSHUFB Y10, Y8, Y8 \
	VPAND Y11, Y5, Y6 \
	VPAND Y11, Y8, Y9 \
	VPSRLW $4, Y5, Y5 \
	VPSRLW $4, Y8, Y8 \
	VPAND Y11, Y5, Y5 \
	VPAND Y11, Y8, Y8 \
	VPMADDUBSW (64*(c))(DX), Y6, Y6 \
	VPMADDUBSW (64*(c))(DX), Y9, Y9 \
	VPBROADCASTD (a0)(R12), Y7 \
	VPBROADCASTD (b0)(R12), Y12 \
	VPMADDWD Y7, Y6, Y6 \
	VPMADDWD Y12, Y9, Y9 \
	VPADDD Y6, Y3, Y3 \
	VPADDD Y9, Y4, Y4 \
	VPMADDUBSW (64*(c)+32)(DX), Y5, Y5 \
	VPMADDUBSW (64*(c)+32)(DX), Y8, Y8 \
	VPBROADCASTD (a1)(R12), Y7 \
	VPBROADCASTD (b1)(R12), Y12 \
	VPMADDWD Y7, Y5, Y5 \
	VPMADDWD Y12, Y8, Y8 \
	VPADDD Y5, Y3, Y3 \
	VPADDD Y8, Y4, Y4

// func q4KAVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)
//
// ggml_vec_dot_q4_K_q8_K_generic for each row, two rows (A at BX, B at AX)
// at a time: they share the scale unpacking, the mins' reduction and the
// float conversions, and their dependency chains overlap. A last, lone row
// is taken as its own pair and stored once. Per super-block:
// sumf -= (dmin*yd) * float(sumi of the mins), then sums[l] += (d*yd) *
// float(lane l); at the end of a row, sumf + sums[0] + ... + sums[7] in
// that order. The next super-block's scales are unpacked (into the other
// half of the frame) before this one's products, which then need not wait
// for them.
TEXT ·q4KAVX2(SB), NOSPLIT, $192-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nsb+40(FP), R11
	VMOVDQU ·sigDwords(SB), Y13
	VMOVDQU ·sigBytes(SB), Y10
	VPBROADCASTD ·nib4(SB), Y11

q4kpair:
	MOVQ SI, BX
	LEAQ (SI)(R9*1), AX
	CMPQ R8, $1
	JNE  q4ktwo
	MOVQ SI, AX

q4ktwo:
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS Y0, Y0, Y0 // row A's eight float lanes
	VXORPS Y1, Y1, Y1 // row B's
	VXORPS Y2, Y2, Y2 // the mins' running sums
	LEAQ 0(SP), R13
	K4PREP(0, 0)
	MOVQ R13, R12
	LEAQ 96(SP), R13

q4ksb:
	PREFETCHT0 8192(BX)
	PREFETCHT0 8256(BX)
	PREFETCHT0 8320(BX)
	PREFETCHT0 8192(AX)
	PREFETCHT0 8256(AX)
	PREFETCHT0 8320(AX)
	CMPQ CX, $1
	JEQ  q4kprod
	K4PREP(144, 320)

q4kprod:
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	K4CHUNK(0, 0, 4, 16, 20)
	K4CHUNK(1, 8, 12, 24, 28)
	K4CHUNK(2, 32, 36, 48, 52)
	K4CHUNK(3, 40, 44, 56, 60)
	// sums[l] += (d*yd) * float(lane l)
	VCVTDQ2PS Y3, Y3
	VBROADCASTSS 64(R12), Y14
	VMULPS Y14, Y3, Y3
	VADDPS Y3, Y0, Y0
	VCVTDQ2PS Y4, Y4
	VBROADCASTSS 80(R12), Y15
	VMULPS Y15, Y4, Y4
	VADDPS Y4, Y1, Y1

	XCHGQ R12, R13
	ADDQ $144, BX
	ADDQ $144, AX
	ADDQ $320, DX
	DECQ CX
	JNZ  q4ksb

	VMOVSHDUP Y2, Y3
	VEXTRACTF128 $1, Y3, X4
	CHAIN8(Y0, X0, X3, X5)
	VMOVSS X3, (DI)
	CMPQ R8, $1
	JEQ  q4kdone
	CHAIN8(Y1, X1, X4, X5)
	VMOVSS X4, 4(DI)
	ADDQ $8, DI
	LEAQ (SI)(R9*2), SI
	SUBQ $2, R8
	JNZ  q4kpair

q4kdone:
	VZEROUPPER
	RET

// K6GROUP adds group g's products (levels q+32 in L, sigma32 order) to
// acc: VPMADDUBSW, the correction 32*(pair of activations) off each word
// (k6), then VPMADDWD with the group's pair of scales (its first and last
// 16 values), the dword at 4g(SP).
#define K6GROUP(L, g, acc) \
	VPMADDUBSW (32*(g))(DX), L, L \
	VPSUBW (256+32*(g))(DX), L, L \
	VPBROADCASTD (4*(g))(SP), Y7 \
	VPMADDWD Y7, L, L \
	VPADDD L, acc, acc

// K6HALF unpacks and multiplies groups g..g+3 (ql at qlo, qh at qho).
#define K6HALF(qlo, qho, g, acc) \
	VPERMD (qlo)(BX), Y13, Y2 \
	VPSHUFB Y10, Y2, Y2 \
	VPERMD ((qlo)+32)(BX), Y13, Y3 \
	VPSHUFB Y10, Y3, Y3 \
	VPERMD (qho)(BX), Y13, Y4 \
	VPSHUFB Y10, Y4, Y4 \
	VPAND Y11, Y2, Y5 \
	VPSLLW $4, Y4, Y6 \
	VPAND Y12, Y6, Y6 \
	VPOR Y6, Y5, Y5 \
	K6GROUP(Y5, g, acc) \
	VPAND Y11, Y3, Y5 \
	VPSLLW $2, Y4, Y6 \
	VPAND Y12, Y6, Y6 \
	VPOR Y6, Y5, Y5 \
	K6GROUP(Y5, (g+1), acc) \
	VPSRLW $4, Y2, Y5 \
	VPAND Y11, Y5, Y5 \
	VPAND Y12, Y4, Y6 \
	VPOR Y6, Y5, Y5 \
	K6GROUP(Y5, (g+2), acc) \
	VPSRLW $4, Y3, Y5 \
	VPAND Y11, Y5, Y5 \
	VPSRLW $2, Y4, Y6 \
	VPAND Y12, Y6, Y6 \
	VPOR Y6, Y5, Y5 \
	K6GROUP(Y5, (g+3), acc)

// func q6KAVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)
//
// ggml_vec_dot_q6_K_q8_K_generic for each row (as q6KAVX512). In sigma32
// order the two words of a dword of VPMADDUBSW's products come from the
// two 16-value halves of a group, so one VPMADDWD applies both their
// scales.
TEXT ·q6KAVX2(SB), NOSPLIT, $32-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nsb+40(FP), R11
	VMOVDQU ·sigDwords(SB), Y13
	VMOVDQU ·sigBytes(SB), Y10
	VPBROADCASTD ·nib4(SB), Y11
	VPBROADCASTD ·bits45(SB), Y12

q6krow:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS Y0, Y0, Y0

q6ksb:
	PREFETCHT0 8192(BX)
	PREFETCHT0 8256(BX)
	PREFETCHT0 8320(BX)
	PREFETCHT0 8384(BX)
	// The 16 scales as words: dword g is group g's pair.
	VPMOVSXBW 192(BX), Y8
	VMOVDQU Y8, 0(SP)
	VPXOR Y1, Y1, Y1
	VPXOR Y9, Y9, Y9
	K6HALF(0, 128, 0, Y1)
	K6HALF(64, 160, 4, Y9)
	// sums[l] += (d*yd) * float(lane l)
	VPADDD Y9, Y1, Y1
	VCVTDQ2PS Y1, Y1
	MOVWLZX 208(BX), AX
	VMOVD AX, X8
	VCVTPH2PS X8, X8
	VMULSS 512(DX), X8, X8
	VBROADCASTSS X8, Y8
	VMULPS Y8, Y1, Y1
	VADDPS Y1, Y0, Y0

	ADDQ $210, BX
	ADDQ $576, DX
	DECQ CX
	JNZ  q6ksb

	VXORPS X1, X1, X1
	CHAIN8(Y0, X0, X1, X2)
	VMOVSS X1, (DI)
	ADDQ $4, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  q6krow
	VZEROUPPER
	RET
