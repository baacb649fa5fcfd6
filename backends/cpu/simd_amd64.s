#include "textflag.h"

// Vector kernels of the CPU backend. Each computes, lane by lane, exactly
// the float operations of the scalar Go code it replaces (and so of ggml's
// reference build): no fused multiply-adds except where the product is
// exact (products of two half-precision values fit a double, and a float),
// so that the single rounding of the FMA is the rounding of the sum alone.

DATA expR<>+0(SB)/4, $0x4b400000 // 0x1.8p23
GLOBL expR<>(SB), RODATA|NOPTR, $4
DATA expLog2e<>+0(SB)/4, $0x3fb8aa3b // 0x1.715476p+0
GLOBL expLog2e<>(SB), RODATA|NOPTR, $4
DATA expLn2Hi<>+0(SB)/4, $0x3f317200 // 0x1.62e4p-1
GLOBL expLn2Hi<>(SB), RODATA|NOPTR, $4
DATA expLn2Lo<>+0(SB)/4, $0x35bfbe8e // 0x1.7f7d1cp-20
GLOBL expLn2Lo<>(SB), RODATA|NOPTR, $4
DATA expC1<>+0(SB)/4, $0x3c072010 // 0x1.0e4020p-7
GLOBL expC1<>(SB), RODATA|NOPTR, $4
DATA expC2<>+0(SB)/4, $0x3d2b9f17 // 0x1.573e2ep-5
GLOBL expC2<>(SB), RODATA|NOPTR, $4
DATA expC3<>+0(SB)/4, $0x3e2aaf33 // 0x1.555e66p-3
GLOBL expC3<>(SB), RODATA|NOPTR, $4
DATA expC4<>+0(SB)/4, $0x3efffedb // 0x1.fffdb6p-2
GLOBL expC4<>(SB), RODATA|NOPTR, $4
DATA expC5<>+0(SB)/4, $0x3f7ffff6 // 0x1.ffffecp-1
GLOBL expC5<>(SB), RODATA|NOPTR, $4
DATA oneF<>+0(SB)/4, $0x3f800000
GLOBL oneF<>(SB), RODATA|NOPTR, $4
DATA zeroF<>+0(SB)/4, $0
GLOBL zeroF<>(SB), RODATA|NOPTR, $4
DATA absMask<>+0(SB)/4, $0x7fffffff
GLOBL absMask<>(SB), RODATA|NOPTR, $4
DATA c126<>+0(SB)/4, $0x42fc0000 // 126
GLOBL c126<>(SB), RODATA|NOPTR, $4
DATA c192<>+0(SB)/4, $0x43400000 // 192
GLOBL c192<>(SB), RODATA|NOPTR, $4
DATA g82<>+0(SB)/4, $0x82000000
GLOBL g82<>(SB), RODATA|NOPTR, $4
DATA s7f<>+0(SB)/4, $0x7f000000
GLOBL s7f<>(SB), RODATA|NOPTR, $4
DATA negInf<>+0(SB)/4, $0xff800000
GLOBL negInf<>(SB), RODATA|NOPTR, $4
DATA oneD<>+0(SB)/8, $0x3ff0000000000000
GLOBL oneD<>(SB), RODATA|NOPTR, $8
// Key index of each lane of a 2-key vector: [0 x8, 1 x8].
DATA keyIdx<>+0(SB)/8, $0
DATA keyIdx<>+8(SB)/8, $0
DATA keyIdx<>+16(SB)/8, $0
DATA keyIdx<>+24(SB)/8, $0
DATA keyIdx<>+32(SB)/8, $0x0000000100000001
DATA keyIdx<>+40(SB)/8, $0x0000000100000001
DATA keyIdx<>+48(SB)/8, $0x0000000100000001
DATA keyIdx<>+56(SB)/8, $0x0000000100000001
GLOBL keyIdx<>(SB), RODATA|NOPTR, $64

// VEXPF sets r to ggml_v_expf(x) for 16 lanes, as vExpf: every product and
// sum rounded on its own; the lanes whose |n| > 126 take the scaled path.
// Clobbers z n b e k u t j, K2, K3.
#define VEXPF(x, r, z, n, b, e, k, u, t, j) \
	VMULPS.BCST expLog2e<>(SB), x, z \
	VADDPS.BCST expR<>(SB), z, z \
	VSUBPS.BCST expR<>(SB), z, n \
	VMULPS.BCST expLn2Hi<>(SB), n, t \
	VSUBPS t, x, b \
	VMULPS.BCST expLn2Lo<>(SB), n, t \
	VSUBPS t, b, b \
	VPSLLD $23, z, e \
	VPADDD.BCST oneF<>(SB), e, k \
	VMULPS b, b, u \
	VMULPS.BCST expC1<>(SB), b, t \
	VADDPS.BCST expC2<>(SB), t, t \
	VMULPS.BCST expC3<>(SB), b, z \
	VADDPS.BCST expC4<>(SB), z, z \
	VMULPS u, t, t \
	VADDPS z, t, t \
	VMULPS u, t, t \
	VMULPS.BCST expC5<>(SB), b, z \
	VADDPS z, t, j \
	VMULPS k, j, r \
	VADDPS k, r, r \
	VANDPS.BCST absMask<>(SB), n, u \
	VCMPPS.BCST $0x1E, c126<>(SB), u, K2 \
	VCMPPS.BCST $0x12, zeroF<>(SB), n, K3 \
	VPBROADCASTD.Z g82<>(SB), K3, k \
	VPADDD.BCST s7f<>(SB), k, z \
	VPSUBD k, e, e \
	VMULPS j, e, t \
	VADDPS e, t, t \
	VMULPS z, t, t \
	VMULPS z, z, z \
	VCMPPS.BCST $0x1E, c192<>(SB), u, K3 \
	VMOVAPS t, K2, r \
	VMOVAPS z, K3, r

// func swigluAVX512(out, gate, up *float32, n int)
//
// out = silu(gate) * up, silu(x) = x / (1 + expf(0 - x)) as ggml_v_silu;
// n is a multiple of 16.
TEXT ·swigluAVX512(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Z20, Z20, Z20

swiglu:
	VMOVUPS (SI), Z0
	VSUBPS Z0, Z20, Z1
	VEXPF(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10)
	VADDPS.BCST oneF<>(SB), Z2, Z2
	VDIVPS Z2, Z0, Z2
	VMULPS (DX), Z2, Z2
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  swiglu
	VZEROUPPER
	RET

// func cvtF16F64AVX512(dst *float64, src *uint16, rows, hd, srcStride int)
//
// Widens rows rows of hd (a multiple of 16) half-precision values, srcStride
// values apart, into consecutive rows of doubles.
TEXT ·cvtF16F64AVX512(SB), NOSPLIT, $0-40
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
	VCVTPH2PS (BX), Z0
	VCVTPS2PD Y0, Z1
	VEXTRACTF64X4 $1, Z0, Y2
	VCVTPS2PD Y2, Z2
	VMOVUPD Z1, (DI)
	VMOVUPD Z2, 64(DI)
	ADDQ $32, BX
	ADDQ $128, DI
	SUBQ $16, DX
	JNZ  cvtcol
	ADDQ R9, SI
	DECQ CX
	JNZ  cvtrow
	VZEROUPPER
	RET

// func attnScoresAVX512(s *float32, kd *float64, nk int, qT *float64, hd int, scale float32)
//
// For each of nk keys (rows of hd doubles in kd) and each of 8 query lanes
// (qT: hd rows of 8 doubles), s[8*key+lane] = float32(sum over i in order
// of k[i]*q[i]) * scale: the double accumulation of ggml's F16 dot product,
// eight keys at a time.
TEXT ·attnScoresAVX512(SB), NOSPLIT, $0-44
	MOVQ s+0(FP), DI
	MOVQ kd+8(FP), SI
	MOVQ nk+16(FP), CX
	MOVQ qT+24(FP), DX
	MOVQ hd+32(FP), R8
	VBROADCASTSS scale+40(FP), Y31
	MOVQ R8, R9
	SHLQ $3, R9
	LEAQ (R9)(R9*2), R13

sc8:
	CMPQ CX, $8
	JLT  sc1
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3
	VXORPD Z4, Z4, Z4
	VXORPD Z5, Z5, Z5
	VXORPD Z6, Z6, Z6
	VXORPD Z7, Z7, Z7
	MOVQ DX, BX
	MOVQ SI, R10
	LEAQ (SI)(R9*4), R12
	MOVQ R8, R11

sc8i:
	VMOVUPD (BX), Z8
	VFMADD231PD.BCST (R10), Z8, Z0
	VFMADD231PD.BCST (R10)(R9*1), Z8, Z1
	VFMADD231PD.BCST (R10)(R9*2), Z8, Z2
	VFMADD231PD.BCST (R10)(R13*1), Z8, Z3
	VFMADD231PD.BCST (R12), Z8, Z4
	VFMADD231PD.BCST (R12)(R9*1), Z8, Z5
	VFMADD231PD.BCST (R12)(R9*2), Z8, Z6
	VFMADD231PD.BCST (R12)(R13*1), Z8, Z7
	ADDQ $64, BX
	ADDQ $8, R10
	ADDQ $8, R12
	DECQ R11
	JNZ  sc8i
	VCVTPD2PS Z0, Y0
	VMULPS Y31, Y0, Y0
	VMOVUPS Y0, 0(DI)
	VCVTPD2PS Z1, Y1
	VMULPS Y31, Y1, Y1
	VMOVUPS Y1, 32(DI)
	VCVTPD2PS Z2, Y2
	VMULPS Y31, Y2, Y2
	VMOVUPS Y2, 64(DI)
	VCVTPD2PS Z3, Y3
	VMULPS Y31, Y3, Y3
	VMOVUPS Y3, 96(DI)
	VCVTPD2PS Z4, Y4
	VMULPS Y31, Y4, Y4
	VMOVUPS Y4, 128(DI)
	VCVTPD2PS Z5, Y5
	VMULPS Y31, Y5, Y5
	VMOVUPS Y5, 160(DI)
	VCVTPD2PS Z6, Y6
	VMULPS Y31, Y6, Y6
	VMOVUPS Y6, 192(DI)
	VCVTPD2PS Z7, Y7
	VMULPS Y31, Y7, Y7
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	LEAQ (SI)(R9*8), SI
	SUBQ $8, CX
	JMP  sc8

sc1:
	TESTQ CX, CX
	JZ    scdone
	VXORPD Z0, Z0, Z0
	MOVQ DX, BX
	MOVQ SI, R10
	MOVQ R8, R11

sc1i:
	VMOVUPD (BX), Z8
	VFMADD231PD.BCST (R10), Z8, Z0
	ADDQ $64, BX
	ADDQ $8, R10
	DECQ R11
	JNZ  sc1i
	VCVTPD2PS Z0, Y0
	VMULPS Y31, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ R9, SI
	DECQ CX
	JMP  sc1

scdone:
	VZEROUPPER
	RET

// func attnSoftmaxAVX512(s *float32, p *float64, nkeys int, live *int32)
//
// Softmax of each of 8 lanes (query rows) of s ([key][lane] scores, rows
// allocated to a multiple of 4 keys) over its first live[lane] keys, as
// softmaxInPlace: the max, ggml_v_expf of each score minus it, groups of 4
// keys summed in float as (p0+p1)+(p2+p3) and the groups in double, then
// the scale float32(1/sum). p receives each probability rounded to half
// precision, as a double ([key][lane], rows to a multiple of 2 keys); the
// keys past a lane's live count get 0.
TEXT ·attnSoftmaxAVX512(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), SI
	MOVQ p+8(FP), DI
	MOVQ nkeys+16(FP), CX
	MOVQ live+24(FP), AX
	VMOVDQU32 (AX), Y20
	VINSERTI64X4 $1, Y20, Z20, Z20
	VMOVDQU32 keyIdx<>(SB), Z21
	MOVL $2, AX
	VPBROADCASTD AX, Z22
	VBROADCASTSS negInf<>(SB), Z23

	// The max over each lane's live keys.
	MOVQ SI, BX
	VMOVDQA32 Z21, Z24
	MOVQ CX, DX

smax:
	VPCMPD $1, Z20, Z24, K1
	VMOVUPS (BX), Z0
	VMAXPS Z23, Z0, K1, Z23
	VPADDD Z22, Z24, Z24
	ADDQ $64, BX
	SUBQ $2, DX
	JGT  smax
	VEXTRACTF64X4 $1, Z23, Y0
	VMAXPS Y0, Y23, Y23
	VINSERTF64X4 $1, Y23, Z23, Z23

	// exp(s - max), zero past live, and the sum by groups of 4 keys.
	VXORPD Z25, Z25, Z25
	MOVQ SI, BX
	VMOVDQA32 Z21, Z24
	MOVQ CX, DX

sexp:
	VPCMPD $1, Z20, Z24, K4
	VPADDD Z22, Z24, Z24
	VPCMPD $1, Z20, Z24, K5
	VPADDD Z22, Z24, Z24
	VMOVUPS (BX), Z0
	VSUBPS Z23, Z0, Z0
	VEXPF(Z0, Z1, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10)
	VMOVAPS.Z Z1, K4, Z1
	VMOVUPS Z1, (BX)
	VMOVUPS 64(BX), Z0
	VSUBPS Z23, Z0, Z0
	VEXPF(Z0, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10)
	VMOVAPS.Z Z2, K5, Z2
	VMOVUPS Z2, 64(BX)
	VEXTRACTF64X4 $1, Z1, Y3
	VADDPS Y3, Y1, Y1
	VEXTRACTF64X4 $1, Z2, Y3
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y1, Y1
	VCVTPS2PD Y1, Z1
	VADDPD Z1, Z25, Z25
	ADDQ $128, BX
	SUBQ $4, DX
	JGT  sexp

	// Scale, round to half precision, widen.
	VBROADCASTSD oneD<>(SB), Z0
	VDIVPD Z25, Z0, Z0
	VCVTPD2PS Z0, Y26
	VINSERTF64X4 $1, Y26, Z26, Z26
	MOVQ SI, BX
	MOVQ CX, DX

sscale:
	VMULPS (BX), Z26, Z0
	VCVTPS2PH $0, Z0, Y1
	VCVTPH2PS Y1, Z0
	VCVTPS2PD Y0, Z1
	VMOVUPD Z1, (DI)
	VEXTRACTF64X4 $1, Z0, Y2
	VCVTPS2PD Y2, Z2
	VMOVUPD Z2, 64(DI)
	ADDQ $64, BX
	ADDQ $128, DI
	SUBQ $2, DX
	JGT  sscale
	VZEROUPPER
	RET

// func attnPVAVX512(acc *float64, vd *float64, p *float64, nk, hd int)
//
// acc[i] += vd[key][i] * p[8*key] for key < nk in order, i < hd (a
// multiple of 64): one query row's weighted sum of values, dims across the
// lanes, 64 at a time.
TEXT ·attnPVAVX512(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ vd+8(FP), SI
	MOVQ p+16(FP), DX
	MOVQ nk+24(FP), CX
	MOVQ hd+32(FP), R9
	SHLQ $3, R9
	XORQ R10, R10

pvdim:
	VMOVUPD 0(DI)(R10*1), Z0
	VMOVUPD 64(DI)(R10*1), Z1
	VMOVUPD 128(DI)(R10*1), Z2
	VMOVUPD 192(DI)(R10*1), Z3
	VMOVUPD 256(DI)(R10*1), Z4
	VMOVUPD 320(DI)(R10*1), Z5
	VMOVUPD 384(DI)(R10*1), Z6
	VMOVUPD 448(DI)(R10*1), Z7
	LEAQ (SI)(R10*1), BX
	MOVQ DX, R11
	MOVQ CX, R12

pvkey:
	VBROADCASTSD (R11), Z8
	VFMADD231PD 0(BX), Z8, Z0
	VFMADD231PD 64(BX), Z8, Z1
	VFMADD231PD 128(BX), Z8, Z2
	VFMADD231PD 192(BX), Z8, Z3
	VFMADD231PD 256(BX), Z8, Z4
	VFMADD231PD 320(BX), Z8, Z5
	VFMADD231PD 384(BX), Z8, Z6
	VFMADD231PD 448(BX), Z8, Z7
	ADDQ R9, BX
	ADDQ $64, R11
	DECQ R12
	JNZ  pvkey
	VMOVUPD Z0, 0(DI)(R10*1)
	VMOVUPD Z1, 64(DI)(R10*1)
	VMOVUPD Z2, 128(DI)(R10*1)
	VMOVUPD Z3, 192(DI)(R10*1)
	VMOVUPD Z4, 256(DI)(R10*1)
	VMOVUPD Z5, 320(DI)(R10*1)
	VMOVUPD Z6, 384(DI)(R10*1)
	VMOVUPD Z7, 448(DI)(R10*1)
	ADDQ $512, R10
	CMPQ R10, R9
	JLT  pvdim
	VZEROUPPER
	RET
