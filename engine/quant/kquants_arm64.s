#include "textflag.h"

// Dot products of one Q4_K or Q6_K weight row with one Q8_K activation
// row, for arm64 with NEON (fast_arm64.go); the missing mnemonics are WORDs
// with their GNU spelling, as in legacy_arm64.s.
//
// The scalar kernels keep eight integer lanes (element index mod 8), scale
// each lane to float separately and add the lanes at the end, so the lane
// an integer product lands in changes the float result. SMULL/SMLAL2 over
// 16 values add value l and l+8 into 16-bit lane l, exactly the scalar
// lane; SMLAL by a scale element then widens into two int32x4 (lanes 0-3,
// 4-7). SDOT sums four adjacent bytes, which belong to four different
// lanes: matching the scalar lanes would take a byte permute (TBL) of the
// weights per 16 bytes, as many instructions as SDOT saves, so these use
// the plain NEON form on every arm64 CPU.
//
// Registers: R0 weights, R1 activations, R2 super-blocks left; V26, V27
// the eight float lane sums; F28 the running sum (Q4_K's min correction);
// V31 0x0F bytes.

// SUMLANES adds the eight lane sums in V26 (lanes 0-3) and V27 (4-7) to
// F28 one after the other, as kSumLanes does.
#define SUMLANES \
	FADDS F26, F28, F28 \
	VDUP  V26.S[1], V16.S4 \
	FADDS F16, F28, F28 \
	VDUP  V26.S[2], V16.S4 \
	FADDS F16, F28, F28 \
	VDUP  V26.S[3], V16.S4 \
	FADDS F16, F28, F28 \
	FADDS F27, F28, F28 \
	VDUP  V27.S[1], V16.S4 \
	FADDS F16, F28, F28 \
	VDUP  V27.S[2], V16.S4 \
	FADDS F16, F28, F28 \
	VDUP  V27.S[3], V16.S4 \
	FADDS F16, F28, F28

// func q4KDotNEON(w, x *byte, nsb int) float32
//
// ggml_vec_dot_q4_K_q8_K_generic. Per super-block: d*yd and dmin*yd; the
// 6-bit scales and mins unpacked with 32-bit masks; the min correction
// sum((bsum[2j]+bsum[2j+1])*m[j]) exact in int32; the lanes.
TEXT ·q4KDotNEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nsb+16(FP), R2
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16
	VMOVI $15, V31.B16
	CBZ  R2, q4Kdone

q4Kblock:
	FMOVS (R1), F1
	MOVHU (R0), R3
	FMOVS R3, F2
	FCVTHS F2, F2
	FMULS F1, F2, F2              // d*yd
	MOVHU 2(R0), R3
	FMOVS R3, F3
	FCVTHS F3, F3
	FMULS F1, F3, F3              // dmin*yd

	// Scales and mins (get_scale_min_k4) from the 12 bytes as three words
	// u0 u1 u2: scales 0-3 = u0&0x3f.., 4-7 = u2&0x0f.. | (u0>>6&0x03..)<<4;
	// mins 0-3 = u1&0x3f.., 4-7 = u2>>4&0x0f.. | (u1>>6&0x03..)<<4.
	MOVWU 4(R0), R5
	MOVWU 8(R0), R6
	MOVWU 12(R0), R7
	LSRW  $4, R7, R8
	ANDW  $0x0f0f0f0f, R8, R8
	LSRW  $6, R6, R9
	ANDW  $0x03030303, R9, R9
	ORRW  R9<<4, R8, R8           // mins 4-7
	ANDW  $0x3f3f3f3f, R6, R10    // mins 0-3
	ANDW  $0x0f0f0f0f, R7, R11
	LSRW  $6, R5, R12
	ANDW  $0x03030303, R12, R12
	ORRW  R12<<4, R11, R11        // scales 4-7
	ANDW  $0x3f3f3f3f, R5, R5     // scales 0-3
	VMOV  R5, V15.S[0]
	VMOV  R11, V15.S[1]
	VUXTL V15.B8, V15.H8          // V15: the eight scales, 16-bit
	VMOV  R10, V14.S[0]
	VMOV  R8, V14.S[1]
	VUXTL V14.B8, V14.H8          // V14: the eight mins

	ADD   $260, R1, R13
	VLD1  (R13), [V20.H8, V21.H8]
	VADDP V21.H8, V20.H8, V22.H8  // bsum[2j]+bsum[2j+1]
	WORD $0x0e6ec2d7	// smull v23.4s, v22.4h, v14.4h
	WORD $0x4e6e82d7	// smlal2 v23.4s, v22.8h, v14.8h
	VADDV V23.S4, V23
	VMOV  V23.S[0], R9
	SCVTFWS R9, F4
	FMULS F3, F4, F4
	FSUBS F4, F28, F28            // sumf -= dmin*yd*sumi

	VEOR  V24.B16, V24.B16, V24.B16
	VEOR  V25.B16, V25.B16, V25.B16
	ADD   $16, R0, R14
	ADD   $4, R1, R15

	// Sub-blocks 0 (low nibbles of 32 bytes) and 1 (high nibbles).
	VLD1.P 32(R14), [V0.B16, V1.B16]
	VLD1.P 64(R15), [V4.B16, V5.B16, V6.B16, V7.B16]
	VAND  V31.B16, V0.B16, V8.B16
	VAND  V31.B16, V1.B16, V9.B16
	VUSHR $4, V0.B16, V10.B16
	VUSHR $4, V1.B16, V11.B16
	WORD $0x0e24c10c	// smull v12.8h, v8.8b, v4.8b
	WORD $0x4e24810c	// smlal2 v12.8h, v8.16b, v4.16b
	WORD $0x0e25812c	// smlal v12.8h, v9.8b, v5.8b
	WORD $0x4e25812c	// smlal2 v12.8h, v9.16b, v5.16b
	WORD $0x0e26c14d	// smull v13.8h, v10.8b, v6.8b
	WORD $0x4e26814d	// smlal2 v13.8h, v10.16b, v6.16b
	WORD $0x0e27816d	// smlal v13.8h, v11.8b, v7.8b
	WORD $0x4e27816d	// smlal2 v13.8h, v11.16b, v7.16b
	WORD $0x0f4f2198	// smlal v24.4s, v12.4h, v15.h[0]
	WORD $0x4f4f2199	// smlal2 v25.4s, v12.8h, v15.h[0]
	WORD $0x0f5f21b8	// smlal v24.4s, v13.4h, v15.h[1]
	WORD $0x4f5f21b9	// smlal2 v25.4s, v13.8h, v15.h[1]

	// Sub-blocks 2 (low nibbles of 32 bytes) and 3 (high nibbles).
	VLD1.P 32(R14), [V0.B16, V1.B16]
	VLD1.P 64(R15), [V4.B16, V5.B16, V6.B16, V7.B16]
	VAND  V31.B16, V0.B16, V8.B16
	VAND  V31.B16, V1.B16, V9.B16
	VUSHR $4, V0.B16, V10.B16
	VUSHR $4, V1.B16, V11.B16
	WORD $0x0e24c10c	// smull v12.8h, v8.8b, v4.8b
	WORD $0x4e24810c	// smlal2 v12.8h, v8.16b, v4.16b
	WORD $0x0e25812c	// smlal v12.8h, v9.8b, v5.8b
	WORD $0x4e25812c	// smlal2 v12.8h, v9.16b, v5.16b
	WORD $0x0e26c14d	// smull v13.8h, v10.8b, v6.8b
	WORD $0x4e26814d	// smlal2 v13.8h, v10.16b, v6.16b
	WORD $0x0e27816d	// smlal v13.8h, v11.8b, v7.8b
	WORD $0x4e27816d	// smlal2 v13.8h, v11.16b, v7.16b
	WORD $0x0f6f2198	// smlal v24.4s, v12.4h, v15.h[2]
	WORD $0x4f6f2199	// smlal2 v25.4s, v12.8h, v15.h[2]
	WORD $0x0f7f21b8	// smlal v24.4s, v13.4h, v15.h[3]
	WORD $0x4f7f21b9	// smlal2 v25.4s, v13.8h, v15.h[3]

	// Sub-blocks 4 (low nibbles of 32 bytes) and 5 (high nibbles).
	VLD1.P 32(R14), [V0.B16, V1.B16]
	VLD1.P 64(R15), [V4.B16, V5.B16, V6.B16, V7.B16]
	VAND  V31.B16, V0.B16, V8.B16
	VAND  V31.B16, V1.B16, V9.B16
	VUSHR $4, V0.B16, V10.B16
	VUSHR $4, V1.B16, V11.B16
	WORD $0x0e24c10c	// smull v12.8h, v8.8b, v4.8b
	WORD $0x4e24810c	// smlal2 v12.8h, v8.16b, v4.16b
	WORD $0x0e25812c	// smlal v12.8h, v9.8b, v5.8b
	WORD $0x4e25812c	// smlal2 v12.8h, v9.16b, v5.16b
	WORD $0x0e26c14d	// smull v13.8h, v10.8b, v6.8b
	WORD $0x4e26814d	// smlal2 v13.8h, v10.16b, v6.16b
	WORD $0x0e27816d	// smlal v13.8h, v11.8b, v7.8b
	WORD $0x4e27816d	// smlal2 v13.8h, v11.16b, v7.16b
	WORD $0x0f4f2998	// smlal v24.4s, v12.4h, v15.h[4]
	WORD $0x4f4f2999	// smlal2 v25.4s, v12.8h, v15.h[4]
	WORD $0x0f5f29b8	// smlal v24.4s, v13.4h, v15.h[5]
	WORD $0x4f5f29b9	// smlal2 v25.4s, v13.8h, v15.h[5]

	// Sub-blocks 6 (low nibbles of 32 bytes) and 7 (high nibbles).
	VLD1.P 32(R14), [V0.B16, V1.B16]
	VLD1.P 64(R15), [V4.B16, V5.B16, V6.B16, V7.B16]
	VAND  V31.B16, V0.B16, V8.B16
	VAND  V31.B16, V1.B16, V9.B16
	VUSHR $4, V0.B16, V10.B16
	VUSHR $4, V1.B16, V11.B16
	WORD $0x0e24c10c	// smull v12.8h, v8.8b, v4.8b
	WORD $0x4e24810c	// smlal2 v12.8h, v8.16b, v4.16b
	WORD $0x0e25812c	// smlal v12.8h, v9.8b, v5.8b
	WORD $0x4e25812c	// smlal2 v12.8h, v9.16b, v5.16b
	WORD $0x0e26c14d	// smull v13.8h, v10.8b, v6.8b
	WORD $0x4e26814d	// smlal2 v13.8h, v10.16b, v6.16b
	WORD $0x0e27816d	// smlal v13.8h, v11.8b, v7.8b
	WORD $0x4e27816d	// smlal2 v13.8h, v11.16b, v7.16b
	WORD $0x0f6f2998	// smlal v24.4s, v12.4h, v15.h[6]
	WORD $0x4f6f2999	// smlal2 v25.4s, v12.8h, v15.h[6]
	WORD $0x0f7f29b8	// smlal v24.4s, v13.4h, v15.h[7]
	WORD $0x4f7f29b9	// smlal2 v25.4s, v13.8h, v15.h[7]

	// sums[l] += d*yd * float(aux[l]): two roundings, as kAddLanes.
	WORD $0x4e21db18	// scvtf v24.4s, v24.4s
	WORD $0x4e21db39	// scvtf v25.4s, v25.4s
	WORD $0x4f829318	// fmul v24.4s, v24.4s, v2.s[0]
	WORD $0x4f829339	// fmul v25.4s, v25.4s, v2.s[0]
	WORD $0x4e38d75a	// fadd v26.4s, v26.4s, v24.4s
	WORD $0x4e39d77b	// fadd v27.4s, v27.4s, v25.4s
	ADD   $144, R0
	ADD   $292, R1
	SUBS  $1, R2
	BNE   q4Kblock

q4Kdone:
	SUMLANES
	FMOVS F28, ret+24(FP)
	RET

// func q6KDotNEON(w, x *byte, nsb int) float32
//
// ggml_vec_dot_q6_K_q8_K_generic: levels (ql | qh<<4) - 32 in 16-value
// sub-blocks, each with its signed 8-bit scale.
TEXT ·q6KDotNEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nsb+16(FP), R2
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16
	VMOVI $15, V31.B16
	VMOVI $0x30, V30.B16
	VMOVI $32, V29.B16
	CBZ  R2, q6Kdone

q6Kblock:
	FMOVS (R1), F1
	MOVHU 208(R0), R3
	FMOVS R3, F17
	FCVTHS F17, F17
	FMULS F1, F17, F17            // d*yd
	ADD   $192, R0, R4
	VLD1  (R4), [V16.B16]
	WORD $0x0f08a60e	// sxtl v14.8h, v16.8b
	WORD $0x4f08a60f	// sxtl2 v15.8h, v16.16b
	VEOR  V24.B16, V24.B16, V24.B16
	VEOR  V25.B16, V25.B16, V25.B16
	MOVD  R0, R5
	ADD   $128, R0, R6
	ADD   $4, R1, R7

	// Half 0: values 0-127, sub-blocks 0-7.
	VLD1.P 64(R5), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P 32(R6), [V4.B16, V5.B16]
	VLD1.P 64(R7), [V8.B16, V9.B16, V10.B16, V11.B16]
	// Sub-block 0.
	VAND  V31.B16, V0.B16, V12.B16
	VSHL  $4, V4.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e28c18d	// smull v13.8h, v12.8b, v8.8b
	WORD $0x4e28818d	// smlal2 v13.8h, v12.16b, v8.16b
	WORD $0x0f4e21b8	// smlal v24.4s, v13.4h, v14.h[0]
	WORD $0x4f4e21b9	// smlal2 v25.4s, v13.8h, v14.h[0]
	// Sub-block 1.
	VAND  V31.B16, V1.B16, V12.B16
	VSHL  $4, V5.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e29c18d	// smull v13.8h, v12.8b, v9.8b
	WORD $0x4e29818d	// smlal2 v13.8h, v12.16b, v9.16b
	WORD $0x0f5e21b8	// smlal v24.4s, v13.4h, v14.h[1]
	WORD $0x4f5e21b9	// smlal2 v25.4s, v13.8h, v14.h[1]
	// Sub-block 2.
	VAND  V31.B16, V2.B16, V12.B16
	VSHL  $2, V4.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e2ac18d	// smull v13.8h, v12.8b, v10.8b
	WORD $0x4e2a818d	// smlal2 v13.8h, v12.16b, v10.16b
	WORD $0x0f6e21b8	// smlal v24.4s, v13.4h, v14.h[2]
	WORD $0x4f6e21b9	// smlal2 v25.4s, v13.8h, v14.h[2]
	// Sub-block 3.
	VAND  V31.B16, V3.B16, V12.B16
	VSHL  $2, V5.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e2bc18d	// smull v13.8h, v12.8b, v11.8b
	WORD $0x4e2b818d	// smlal2 v13.8h, v12.16b, v11.16b
	WORD $0x0f7e21b8	// smlal v24.4s, v13.4h, v14.h[3]
	WORD $0x4f7e21b9	// smlal2 v25.4s, v13.8h, v14.h[3]
	VLD1.P 64(R7), [V8.B16, V9.B16, V10.B16, V11.B16]
	// Sub-block 4.
	VUSHR $4, V0.B16, V12.B16
	VAND  V30.B16, V4.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e28c18d	// smull v13.8h, v12.8b, v8.8b
	WORD $0x4e28818d	// smlal2 v13.8h, v12.16b, v8.16b
	WORD $0x0f4e29b8	// smlal v24.4s, v13.4h, v14.h[4]
	WORD $0x4f4e29b9	// smlal2 v25.4s, v13.8h, v14.h[4]
	// Sub-block 5.
	VUSHR $4, V1.B16, V12.B16
	VAND  V30.B16, V5.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e29c18d	// smull v13.8h, v12.8b, v9.8b
	WORD $0x4e29818d	// smlal2 v13.8h, v12.16b, v9.16b
	WORD $0x0f5e29b8	// smlal v24.4s, v13.4h, v14.h[5]
	WORD $0x4f5e29b9	// smlal2 v25.4s, v13.8h, v14.h[5]
	// Sub-block 6.
	VUSHR $4, V2.B16, V12.B16
	VUSHR $2, V4.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e2ac18d	// smull v13.8h, v12.8b, v10.8b
	WORD $0x4e2a818d	// smlal2 v13.8h, v12.16b, v10.16b
	WORD $0x0f6e29b8	// smlal v24.4s, v13.4h, v14.h[6]
	WORD $0x4f6e29b9	// smlal2 v25.4s, v13.8h, v14.h[6]
	// Sub-block 7.
	VUSHR $4, V3.B16, V12.B16
	VUSHR $2, V5.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e2bc18d	// smull v13.8h, v12.8b, v11.8b
	WORD $0x4e2b818d	// smlal2 v13.8h, v12.16b, v11.16b
	WORD $0x0f7e29b8	// smlal v24.4s, v13.4h, v14.h[7]
	WORD $0x4f7e29b9	// smlal2 v25.4s, v13.8h, v14.h[7]

	// Half 1: values 128-255, sub-blocks 8-15.
	VLD1.P 64(R5), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P 32(R6), [V4.B16, V5.B16]
	VLD1.P 64(R7), [V8.B16, V9.B16, V10.B16, V11.B16]
	// Sub-block 8.
	VAND  V31.B16, V0.B16, V12.B16
	VSHL  $4, V4.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e28c18d	// smull v13.8h, v12.8b, v8.8b
	WORD $0x4e28818d	// smlal2 v13.8h, v12.16b, v8.16b
	WORD $0x0f4f21b8	// smlal v24.4s, v13.4h, v15.h[0]
	WORD $0x4f4f21b9	// smlal2 v25.4s, v13.8h, v15.h[0]
	// Sub-block 9.
	VAND  V31.B16, V1.B16, V12.B16
	VSHL  $4, V5.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e29c18d	// smull v13.8h, v12.8b, v9.8b
	WORD $0x4e29818d	// smlal2 v13.8h, v12.16b, v9.16b
	WORD $0x0f5f21b8	// smlal v24.4s, v13.4h, v15.h[1]
	WORD $0x4f5f21b9	// smlal2 v25.4s, v13.8h, v15.h[1]
	// Sub-block 10.
	VAND  V31.B16, V2.B16, V12.B16
	VSHL  $2, V4.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e2ac18d	// smull v13.8h, v12.8b, v10.8b
	WORD $0x4e2a818d	// smlal2 v13.8h, v12.16b, v10.16b
	WORD $0x0f6f21b8	// smlal v24.4s, v13.4h, v15.h[2]
	WORD $0x4f6f21b9	// smlal2 v25.4s, v13.8h, v15.h[2]
	// Sub-block 11.
	VAND  V31.B16, V3.B16, V12.B16
	VSHL  $2, V5.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e2bc18d	// smull v13.8h, v12.8b, v11.8b
	WORD $0x4e2b818d	// smlal2 v13.8h, v12.16b, v11.16b
	WORD $0x0f7f21b8	// smlal v24.4s, v13.4h, v15.h[3]
	WORD $0x4f7f21b9	// smlal2 v25.4s, v13.8h, v15.h[3]
	VLD1.P 64(R7), [V8.B16, V9.B16, V10.B16, V11.B16]
	// Sub-block 12.
	VUSHR $4, V0.B16, V12.B16
	VAND  V30.B16, V4.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e28c18d	// smull v13.8h, v12.8b, v8.8b
	WORD $0x4e28818d	// smlal2 v13.8h, v12.16b, v8.16b
	WORD $0x0f4f29b8	// smlal v24.4s, v13.4h, v15.h[4]
	WORD $0x4f4f29b9	// smlal2 v25.4s, v13.8h, v15.h[4]
	// Sub-block 13.
	VUSHR $4, V1.B16, V12.B16
	VAND  V30.B16, V5.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e29c18d	// smull v13.8h, v12.8b, v9.8b
	WORD $0x4e29818d	// smlal2 v13.8h, v12.16b, v9.16b
	WORD $0x0f5f29b8	// smlal v24.4s, v13.4h, v15.h[5]
	WORD $0x4f5f29b9	// smlal2 v25.4s, v13.8h, v15.h[5]
	// Sub-block 14.
	VUSHR $4, V2.B16, V12.B16
	VUSHR $2, V4.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e2ac18d	// smull v13.8h, v12.8b, v10.8b
	WORD $0x4e2a818d	// smlal2 v13.8h, v12.16b, v10.16b
	WORD $0x0f6f29b8	// smlal v24.4s, v13.4h, v15.h[6]
	WORD $0x4f6f29b9	// smlal2 v25.4s, v13.8h, v15.h[6]
	// Sub-block 15.
	VUSHR $4, V3.B16, V12.B16
	VUSHR $2, V5.B16, V13.B16
	VAND  V30.B16, V13.B16, V13.B16
	VORR  V13.B16, V12.B16, V12.B16
	VSUB  V29.B16, V12.B16, V12.B16
	WORD $0x0e2bc18d	// smull v13.8h, v12.8b, v11.8b
	WORD $0x4e2b818d	// smlal2 v13.8h, v12.16b, v11.16b
	WORD $0x0f7f29b8	// smlal v24.4s, v13.4h, v15.h[7]
	WORD $0x4f7f29b9	// smlal2 v25.4s, v13.8h, v15.h[7]

	WORD $0x4e21db18	// scvtf v24.4s, v24.4s
	WORD $0x4e21db39	// scvtf v25.4s, v25.4s
	WORD $0x4f919318	// fmul v24.4s, v24.4s, v17.s[0]
	WORD $0x4f919339	// fmul v25.4s, v25.4s, v17.s[0]
	WORD $0x4e38d75a	// fadd v26.4s, v26.4s, v24.4s
	WORD $0x4e39d77b	// fadd v27.4s, v27.4s, v25.4s
	ADD   $210, R0
	ADD   $292, R1
	SUBS  $1, R2
	BNE   q6Kblock

q6Kdone:
	SUMLANES
	FMOVS F28, ret+24(FP)
	RET
