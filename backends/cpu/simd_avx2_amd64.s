#include "textflag.h"

// The AVX2 forms of the vector kernels of simd_amd64.s, for CPUs without
// AVX-512 (Haswell and Zen 1 to 3 and later; they need FMA and F16C too).
// They take and leave the same data in the same layouts, and compute, lane
// by lane, the same float operations: every product and sum rounded on its
// own, fused multiply-adds only where the product is exact (two
// half-precision values, or a half and a half-rounded probability), so
// that the single rounding of the FMA is the rounding of the sum alone.
// Without mask registers, the lanes past a query row's live keys are
// cleared with a compare and an AND, and the exponential's scaled lanes
// chosen with VBLENDVPS; without embedded broadcasts, the constants are
// stored eight (or four) wide.

// SPLAT8 defines sym as 32 bytes holding the 8-byte value v four times.
#define SPLAT8(sym, v) \
	DATA sym+0(SB)/8, $v \
	DATA sym+8(SB)/8, $v \
	DATA sym+16(SB)/8, $v \
	DATA sym+24(SB)/8, $v \
	GLOBL sym(SB), RODATA|NOPTR, $32

SPLAT8(x8R<>, 0x4b4000004b400000)       // 0x1.8p23
SPLAT8(x8Log2e<>, 0x3fb8aa3b3fb8aa3b)   // 0x1.715476p+0
SPLAT8(x8Ln2Hi<>, 0x3f3172003f317200)   // 0x1.62e4p-1
SPLAT8(x8Ln2Lo<>, 0x35bfbe8e35bfbe8e)   // 0x1.7f7d1cp-20
SPLAT8(x8C1<>, 0x3c0720103c072010)      // 0x1.0e4020p-7
SPLAT8(x8C2<>, 0x3d2b9f173d2b9f17)      // 0x1.573e2ep-5
SPLAT8(x8C3<>, 0x3e2aaf333e2aaf33)      // 0x1.555e66p-3
SPLAT8(x8C4<>, 0x3efffedb3efffedb)      // 0x1.fffdb6p-2
SPLAT8(x8C5<>, 0x3f7ffff63f7ffff6)      // 0x1.ffffecp-1
SPLAT8(x8One<>, 0x3f8000003f800000)     // 1.0
SPLAT8(x8Zero<>, 0x0000000000000000)
SPLAT8(x8AbsMask<>, 0x7fffffff7fffffff)
SPLAT8(x8C126<>, 0x42fc000042fc0000)    // 126
SPLAT8(x8C192<>, 0x4340000043400000)    // 192
SPLAT8(x8G82<>, 0x8200000082000000)
SPLAT8(x8S7f<>, 0x7f0000007f000000)
SPLAT8(x8NegInf<>, 0xff800000ff800000)
SPLAT8(x8Int1<>, 0x0000000100000001)    // int32 1
SPLAT8(x4OneD<>, 0x3ff0000000000000)    // 1.0 (double)

// VEXPF8 sets r to ggml_v_expf(x) for 8 lanes, as vExpf and simd_amd64.s's
// VEXPF: every product and sum rounded on its own; the lanes whose
// |n| > 126 take the scaled path. Clobbers x (it ends as j) z n b e k u t.
#define VEXPF8(x, r, z, n, b, e, k, u, t) \
	VMULPS x8Log2e<>(SB), x, z \
	VADDPS x8R<>(SB), z, z \
	VSUBPS x8R<>(SB), z, n \
	VMULPS x8Ln2Hi<>(SB), n, t \
	VSUBPS t, x, b \
	VMULPS x8Ln2Lo<>(SB), n, t \
	VSUBPS t, b, b \
	VPSLLD $23, z, e \
	VPADDD x8One<>(SB), e, k \
	VMULPS b, b, u \
	VMULPS x8C1<>(SB), b, t \
	VADDPS x8C2<>(SB), t, t \
	VMULPS x8C3<>(SB), b, z \
	VADDPS x8C4<>(SB), z, z \
	VMULPS u, t, t \
	VADDPS z, t, t \
	VMULPS u, t, t \
	VMULPS x8C5<>(SB), b, z \
	VADDPS z, t, x \
	VMULPS k, x, r \
	VADDPS k, r, r \
	VANDPS x8AbsMask<>(SB), n, u \
	VCMPPS $0x1E, x8C126<>(SB), u, b \
	VCMPPS $0x12, x8Zero<>(SB), n, k \
	VANDPS x8G82<>(SB), k, k \
	VPADDD x8S7f<>(SB), k, z \
	VPSUBD k, e, e \
	VMULPS x, e, t \
	VADDPS e, t, t \
	VMULPS z, t, t \
	VMULPS z, z, z \
	VBLENDVPS b, t, r, r \
	VCMPPS $0x1E, x8C192<>(SB), u, b \
	VBLENDVPS b, z, r, r

// func swigluAVX2(out, gate, up *float32, n int)
//
// out = silu(gate) * up, silu(x) = x / (1 + expf(0 - x)) as ggml_v_silu;
// n is a multiple of 16 (as for swigluAVX512), taken 8 at a time.
TEXT ·swigluAVX2(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y15, Y15, Y15

swiglu:
	VMOVUPS (SI), Y9
	VSUBPS Y9, Y15, Y0
	VEXPF8(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8)
	VADDPS x8One<>(SB), Y1, Y1
	VDIVPS Y1, Y9, Y1
	VMULPS (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  swiglu
	VZEROUPPER
	RET

// func cvtF16F64AVX2(dst *float64, src *uint16, rows, hd, srcStride int)
//
// Widens rows rows of hd (a multiple of 16) half-precision values, srcStride
// values apart, into consecutive rows of doubles.
TEXT ·cvtF16F64AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ hd+24(FP), R8
	MOVQ srcStride+32(FP), R9
	SHLQ $1, R9

cvtrow:
	MOVQ SI, BX
	MOVQ R8, DX

cvtcol:
	VCVTPH2PS 0(BX), X0
	VCVTPH2PS 8(BX), X1
	VCVTPH2PS 16(BX), X2
	VCVTPH2PS 24(BX), X3
	VCVTPS2PD X0, Y0
	VCVTPS2PD X1, Y1
	VCVTPS2PD X2, Y2
	VCVTPS2PD X3, Y3
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	ADDQ $32, BX
	ADDQ $128, DI
	SUBQ $16, DX
	JNZ  cvtcol
	ADDQ R9, SI
	DECQ CX
	JNZ  cvtrow
	VZEROUPPER
	RET

// func attnScoresAVX2(s *float32, kd *float64, nk int, qT *float64, hd int, scale float32)
//
// As attnScoresAVX512: s[8*key+lane] = float32(sum over i in order of
// k[i]*q[i]) * scale, four keys at a time, each key's 8 lanes in two
// vectors of 4 doubles.
TEXT ·attnScoresAVX2(SB), NOSPLIT, $0-44
	MOVQ s+0(FP), DI
	MOVQ kd+8(FP), SI
	MOVQ nk+16(FP), CX
	MOVQ qT+24(FP), DX
	MOVQ hd+32(FP), R8
	VBROADCASTSS scale+40(FP), Y15
	MOVQ R8, R9
	SHLQ $3, R9
	LEAQ (R9)(R9*2), R13

sc4:
	CMPQ CX, $4
	JLT  sc1
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ DX, BX
	MOVQ SI, R10
	MOVQ R8, R11

sc4i:
	VMOVUPD 0(BX), Y8
	VMOVUPD 32(BX), Y9
	VBROADCASTSD (R10), Y10
	VBROADCASTSD (R10)(R9*1), Y11
	VBROADCASTSD (R10)(R9*2), Y12
	VBROADCASTSD (R10)(R13*1), Y13
	VFMADD231PD Y10, Y8, Y0
	VFMADD231PD Y10, Y9, Y1
	VFMADD231PD Y11, Y8, Y2
	VFMADD231PD Y11, Y9, Y3
	VFMADD231PD Y12, Y8, Y4
	VFMADD231PD Y12, Y9, Y5
	VFMADD231PD Y13, Y8, Y6
	VFMADD231PD Y13, Y9, Y7
	ADDQ $64, BX
	ADDQ $8, R10
	DECQ R11
	JNZ  sc4i
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VINSERTF128 $1, X1, Y0, Y0
	VMULPS Y15, Y0, Y0
	VMOVUPS Y0, 0(DI)
	VCVTPD2PSY Y2, X2
	VCVTPD2PSY Y3, X3
	VINSERTF128 $1, X3, Y2, Y2
	VMULPS Y15, Y2, Y2
	VMOVUPS Y2, 32(DI)
	VCVTPD2PSY Y4, X4
	VCVTPD2PSY Y5, X5
	VINSERTF128 $1, X5, Y4, Y4
	VMULPS Y15, Y4, Y4
	VMOVUPS Y4, 64(DI)
	VCVTPD2PSY Y6, X6
	VCVTPD2PSY Y7, X7
	VINSERTF128 $1, X7, Y6, Y6
	VMULPS Y15, Y6, Y6
	VMOVUPS Y6, 96(DI)
	ADDQ $128, DI
	LEAQ (SI)(R9*4), SI
	SUBQ $4, CX
	JMP  sc4

sc1:
	TESTQ CX, CX
	JZ    scdone
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	MOVQ DX, BX
	MOVQ SI, R10
	MOVQ R8, R11

sc1i:
	VBROADCASTSD (R10), Y10
	VFMADD231PD 0(BX), Y10, Y0
	VFMADD231PD 32(BX), Y10, Y1
	ADDQ $64, BX
	ADDQ $8, R10
	DECQ R11
	JNZ  sc1i
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VINSERTF128 $1, X1, Y0, Y0
	VMULPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ R9, SI
	DECQ CX
	JMP  sc1

scdone:
	VZEROUPPER
	RET

// SMEXP8 replaces the scores of one key (8 lanes, at off(BX)) with
// ggml_v_expf(s - max) (Y15), zero in the lanes (Y14: live counts) that
// the key (Y13) is past, and moves on to the next key; the result is left
// in Y1 too.
#define SMEXP8(off) \
	VMOVUPS off(BX), Y0 \
	VSUBPS Y15, Y0, Y0 \
	VEXPF8(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8) \
	VPCMPGTD Y13, Y14, Y2 \
	VANDPS Y2, Y1, Y1 \
	VMOVUPS Y1, off(BX) \
	VPADDD x8Int1<>(SB), Y13, Y13

// func attnSoftmaxAVX2(s *float32, p *float64, nkeys int, live *int32)
//
// As attnSoftmaxAVX512: the softmax of each of 8 lanes of s ([key][lane]
// scores, rows allocated to a multiple of 4 keys) over its first
// live[lane] keys, as softmaxInPlace, one key (8 lanes) per vector: the
// max, taken in key order; ggml_v_expf of each score minus it; groups of 4
// keys summed in float as (p0+p1)+(p2+p3) and the groups in double (lanes
// 0-3 and 4-7 in two vectors); the scale float32(1/sum). p receives each
// probability rounded to half precision, as a double ([key][lane]); the
// keys past a lane's live count get 0.
TEXT ·attnSoftmaxAVX2(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), SI
	MOVQ p+8(FP), DI
	MOVQ nkeys+16(FP), CX
	MOVQ live+24(FP), AX
	VMOVDQU (AX), Y14
	VMOVUPS x8NegInf<>(SB), Y15

	// The max over each lane's live keys: where the key is live and the
	// score greater (the scalar code's test), the score.
	MOVQ SI, BX
	VPXOR Y13, Y13, Y13
	MOVQ CX, DX

smax:
	VMOVUPS (BX), Y0
	VMAXPS Y15, Y0, Y1
	VPCMPGTD Y13, Y14, Y2
	VBLENDVPS Y2, Y1, Y15, Y15
	VPADDD x8Int1<>(SB), Y13, Y13
	ADDQ $32, BX
	DECQ DX
	JNZ  smax

	// exp(s - max), zero past live, and the sum by groups of 4 keys.
	VXORPD Y12, Y12, Y12
	VXORPD Y11, Y11, Y11
	MOVQ SI, BX
	VPXOR Y13, Y13, Y13
	MOVQ CX, DX

sexp:
	SMEXP8(0)
	VMOVAPS Y1, Y10
	SMEXP8(32)
	VADDPS Y1, Y10, Y10
	SMEXP8(64)
	VMOVAPS Y1, Y9
	SMEXP8(96)
	VADDPS Y1, Y9, Y9
	VADDPS Y9, Y10, Y10
	VCVTPS2PD X10, Y0
	VADDPD Y0, Y12, Y12
	VEXTRACTF128 $1, Y10, X10
	VCVTPS2PD X10, Y0
	VADDPD Y0, Y11, Y11
	ADDQ $128, BX
	SUBQ $4, DX
	JGT  sexp

	// Scale, round to half precision, widen.
	VMOVUPD x4OneD<>(SB), Y0
	VDIVPD Y12, Y0, Y1
	VDIVPD Y11, Y0, Y2
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VINSERTF128 $1, X2, Y1, Y1
	MOVQ SI, BX

sscale:
	VMULPS (BX), Y1, Y0
	VCVTPS2PH $0, Y0, X0
	VCVTPH2PS X0, Y0
	VCVTPS2PD X0, Y2
	VEXTRACTF128 $1, Y0, X3
	VCVTPS2PD X3, Y3
	VMOVUPD Y2, 0(DI)
	VMOVUPD Y3, 32(DI)
	ADDQ $32, BX
	ADDQ $64, DI
	DECQ CX
	JNZ  sscale
	VZEROUPPER
	RET

// func attnPVAVX2(acc *float64, vd *float64, p *float64, nk, hd int)
//
// As attnPVAVX512: acc[i] += vd[key][i] * p[8*key] for key < nk in order,
// i < hd (a multiple of 32), 32 dims at a time.
TEXT ·attnPVAVX2(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ vd+8(FP), SI
	MOVQ p+16(FP), DX
	MOVQ nk+24(FP), CX
	MOVQ hd+32(FP), R9
	SHLQ $3, R9
	XORQ R10, R10

pvdim:
	VMOVUPD 0(DI)(R10*1), Y0
	VMOVUPD 32(DI)(R10*1), Y1
	VMOVUPD 64(DI)(R10*1), Y2
	VMOVUPD 96(DI)(R10*1), Y3
	VMOVUPD 128(DI)(R10*1), Y4
	VMOVUPD 160(DI)(R10*1), Y5
	VMOVUPD 192(DI)(R10*1), Y6
	VMOVUPD 224(DI)(R10*1), Y7
	LEAQ (SI)(R10*1), BX
	MOVQ DX, R11
	MOVQ CX, R12

pvkey:
	VBROADCASTSD (R11), Y8
	VFMADD231PD 0(BX), Y8, Y0
	VFMADD231PD 32(BX), Y8, Y1
	VFMADD231PD 64(BX), Y8, Y2
	VFMADD231PD 96(BX), Y8, Y3
	VFMADD231PD 128(BX), Y8, Y4
	VFMADD231PD 160(BX), Y8, Y5
	VFMADD231PD 192(BX), Y8, Y6
	VFMADD231PD 224(BX), Y8, Y7
	ADDQ R9, BX
	ADDQ $64, R11
	DECQ R12
	JNZ  pvkey
	VMOVUPD Y0, 0(DI)(R10*1)
	VMOVUPD Y1, 32(DI)(R10*1)
	VMOVUPD Y2, 64(DI)(R10*1)
	VMOVUPD Y3, 96(DI)(R10*1)
	VMOVUPD Y4, 128(DI)(R10*1)
	VMOVUPD Y5, 160(DI)(R10*1)
	VMOVUPD Y6, 192(DI)(R10*1)
	VMOVUPD Y7, 224(DI)(R10*1)
	ADDQ $256, R10
	CMPQ R10, R9
	JLT  pvdim
	VZEROUPPER
	RET
