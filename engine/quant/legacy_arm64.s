#include "textflag.h"

// Dot products of one Q8_0 or Q4_0 weight row with one Q8_0 activation row,
// for arm64 (fast_arm64.go). The Go assembler has no mnemonics for the
// widening multiplies (SMULL, SMLAL2), pairwise adds (SADDLP, SADALP,
// SADDLV) or SDOT, so those are WORDs, each with its GNU mnemonic.
//
// Per block the integer sum is exact in any order (at most 32 products of
// 8-bit values; the 16-bit partial sums of two products stay within
// ±32512), so NEON and SDOT give the scalar kernel's int32; the float part
// is the scalar kernel's, one rounding per operation in its order (FMULS,
// then FADDS: never a fused multiply-add).
//
// Registers: R0 weights, R1 activations, R2 blocks left, F28 the sum.

// func q8_0DotNEON(w, x *byte, nb int) float32
//
// ggml_vec_dot_q8_0_q8_0_generic: sumf += float(sumi) * (dw*dy).
TEXT ·q8_0DotNEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nb+16(FP), R2
	VEOR V28.B16, V28.B16, V28.B16
	CBZ  R2, q8_0DotNEONdone

q8_0DotNEONloop:
	MOVHU (R0), R3
	MOVHU (R1), R4
	ADD   $2, R0, R5
	ADD   $2, R1, R6
	VLD1  (R5), [V0.B16, V1.B16]
	VLD1  (R6), [V2.B16, V3.B16]
	WORD $0x0e22c004	// smull v4.8h, v0.8b, v2.8b
	WORD $0x4e228004	// smlal2 v4.8h, v0.16b, v2.16b
	WORD $0x0e23c025	// smull v5.8h, v1.8b, v3.8b
	WORD $0x4e238025	// smlal2 v5.8h, v1.16b, v3.16b
	WORD $0x4e602886	// saddlp v6.4s, v4.8h
	WORD $0x4e6068a6	// sadalp v6.4s, v5.8h
	VADDV V6.S4, V6
	VMOV  V6.S[0], R7
	SCVTFWS R7, F7
	FMOVS R3, F8
	FCVTHS F8, F8
	FMOVS R4, F9
	FCVTHS F9, F9
	FMULS F9, F8, F8
	FMULS F8, F7, F7
	FADDS F7, F28, F28
	ADD   $34, R0
	ADD   $34, R1
	SUBS  $1, R2
	BNE   q8_0DotNEONloop

q8_0DotNEONdone:
	FMOVS F28, ret+24(FP)
	RET

// func q8_0DotSDOT(w, x *byte, nb int) float32
//
// ggml_vec_dot_q8_0_q8_0_generic: sumf += float(sumi) * (dw*dy).
TEXT ·q8_0DotSDOT(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nb+16(FP), R2
	VEOR V28.B16, V28.B16, V28.B16
	CBZ  R2, q8_0DotSDOTdone

q8_0DotSDOTloop:
	MOVHU (R0), R3
	MOVHU (R1), R4
	ADD   $2, R0, R5
	ADD   $2, R1, R6
	VLD1  (R5), [V0.B16, V1.B16]
	VLD1  (R6), [V2.B16, V3.B16]
	VEOR  V6.B16, V6.B16, V6.B16
	WORD $0x4e829406	// sdot v6.4s, v0.16b, v2.16b
	WORD $0x4e839426	// sdot v6.4s, v1.16b, v3.16b
	VADDV V6.S4, V6
	VMOV  V6.S[0], R7
	SCVTFWS R7, F7
	FMOVS R3, F8
	FCVTHS F8, F8
	FMOVS R4, F9
	FCVTHS F9, F9
	FMULS F9, F8, F8
	FMULS F8, F7, F7
	FADDS F7, F28, F28
	ADD   $34, R0
	ADD   $34, R1
	SUBS  $1, R2
	BNE   q8_0DotSDOTloop

q8_0DotSDOTdone:
	FMOVS F28, ret+24(FP)
	RET

// func q4_0DotNEON(w, x *byte, nb int) float32
//
// ggml_vec_dot_q4_0_q8_0_generic: sumf += float(sumi) * dw * dy, left to
// right; the low nibbles are values 0-15 of the block, the high ones 16-31.
TEXT ·q4_0DotNEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nb+16(FP), R2
	VEOR V28.B16, V28.B16, V28.B16
	VMOVI $15, V31.B16
	VMOVI $8, V30.B16
	CBZ  R2, q4_0DotNEONdone

q4_0DotNEONloop:
	MOVHU (R0), R3
	MOVHU (R1), R4
	ADD   $2, R0, R5
	ADD   $2, R1, R6
	VLD1  (R5), [V0.B16]
	VLD1  (R6), [V2.B16, V3.B16]
	VAND  V31.B16, V0.B16, V1.B16
	VUSHR $4, V0.B16, V0.B16
	VSUB  V30.B16, V1.B16, V1.B16
	VSUB  V30.B16, V0.B16, V0.B16
	WORD $0x0e22c024	// smull v4.8h, v1.8b, v2.8b
	WORD $0x4e228024	// smlal2 v4.8h, v1.16b, v2.16b
	WORD $0x0e238004	// smlal v4.8h, v0.8b, v3.8b
	WORD $0x4e238004	// smlal2 v4.8h, v0.16b, v3.16b
	WORD $0x4e703886	// saddlv s6, v4.8h
	VMOV  V6.S[0], R7
	SCVTFWS R7, F7
	FMOVS R3, F8
	FCVTHS F8, F8
	FMOVS R4, F9
	FCVTHS F9, F9
	FMULS F8, F7, F7
	FMULS F9, F7, F7
	FADDS F7, F28, F28
	ADD   $18, R0
	ADD   $34, R1
	SUBS  $1, R2
	BNE   q4_0DotNEONloop

q4_0DotNEONdone:
	FMOVS F28, ret+24(FP)
	RET

// func q4_0DotSDOT(w, x *byte, nb int) float32
//
// ggml_vec_dot_q4_0_q8_0_generic: sumf += float(sumi) * dw * dy, left to
// right; the low nibbles are values 0-15 of the block, the high ones 16-31.
TEXT ·q4_0DotSDOT(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nb+16(FP), R2
	VEOR V28.B16, V28.B16, V28.B16
	VMOVI $15, V31.B16
	VMOVI $8, V30.B16
	CBZ  R2, q4_0DotSDOTdone

q4_0DotSDOTloop:
	MOVHU (R0), R3
	MOVHU (R1), R4
	ADD   $2, R0, R5
	ADD   $2, R1, R6
	VLD1  (R5), [V0.B16]
	VLD1  (R6), [V2.B16, V3.B16]
	VAND  V31.B16, V0.B16, V1.B16
	VUSHR $4, V0.B16, V0.B16
	VSUB  V30.B16, V1.B16, V1.B16
	VSUB  V30.B16, V0.B16, V0.B16
	VEOR  V6.B16, V6.B16, V6.B16
	WORD $0x4e829426	// sdot v6.4s, v1.16b, v2.16b
	WORD $0x4e839406	// sdot v6.4s, v0.16b, v3.16b
	VADDV V6.S4, V6
	VMOV  V6.S[0], R7
	SCVTFWS R7, F7
	FMOVS R3, F8
	FCVTHS F8, F8
	FMOVS R4, F9
	FCVTHS F9, F9
	FMULS F8, F7, F7
	FMULS F9, F7, F7
	FADDS F7, F28, F28
	ADD   $18, R0
	ADD   $34, R1
	SUBS  $1, R2
	BNE   q4_0DotSDOTloop

q4_0DotSDOTdone:
	FMOVS F28, ret+24(FP)
	RET
