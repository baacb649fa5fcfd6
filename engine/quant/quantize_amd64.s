#include "textflag.h"

// Vector forms of the activation conversions (quantizeQ8K, quantizeQ8_0),
// exact for finite input: the same float operations per value, the
// rounding done by the same trick (Q8_K) or emulated exactly (Q8_0's
// roundf). A block holding NaN or an infinity is left to the scalar code,
// whose handling of them depends on the order of its comparisons.

// permQS (sigma32 within each 32-byte half of a 64-byte vector), bytes80
// and the float and int32 constants (absMaskF, magicF, ...) are in
// tables_amd64.s: the AVX2 conversions of avx2tile_amd64.s use them too.

// VPERMT2Q indices: the even qwords of two vectors.
DATA evenQ<>+0(SB)/8, $0x0000000000000000
DATA evenQ<>+8(SB)/8, $0x0000000000000002
DATA evenQ<>+16(SB)/8, $0x0000000000000004
DATA evenQ<>+24(SB)/8, $0x0000000000000006
DATA evenQ<>+32(SB)/8, $0x0000000000000008
DATA evenQ<>+40(SB)/8, $0x000000000000000a
DATA evenQ<>+48(SB)/8, $0x000000000000000c
DATA evenQ<>+56(SB)/8, $0x000000000000000e
GLOBL evenQ<>(SB), RODATA|NOPTR, $64
DATA ones8<>+0(SB)/4, $0x01010101
GLOBL ones8<>(SB), RODATA|NOPTR, $4

// HMAXPS leaves the max of the 16 floats of z in every lane of z.
#define HMAXPS(z, t) \
	VSHUFF32X4 $0x4E, z, z, t \
	VMAXPS t, z, z \
	VSHUFF32X4 $0xB1, z, z, t \
	VMAXPS t, z, z \
	VPERMILPS $0x4E, z, t \
	VMAXPS t, z, z \
	VPERMILPS $0xB1, z, t \
	VMAXPS t, z, z

// Q8KQUANT16 quantizes the 16 floats of z: min(127, nearest_int(iscale*z))
// with ggml's nearest_int (the 1.5*2^23 trick), truncated to bytes in x.
#define Q8KQUANT16(z, x) \
	VMULPS Z30, z, z \
	VADDPS.BCST ·magicF(SB), z, z \
	VPANDD.BCST ·mantMask(SB), z, z \
	VPSUBD.BCST ·mantHalf(SB), z, z \
	VPMINSD.BCST ·i127(SB), z, z \
	VPMOVDB z, x

// func quantQ8KAVX512(x *float32, out *byte, pairs *int16) bool
//
// quantizeQ8K of one 256-value block into a Q8_K block (d, quants, bsums)
// whose quants are in sigma32 order within each group of 32; with pairs
// non-nil, also the 128 words 32*(q[2i]+q[2i+1]) of those reordered quants.
// It returns false, writing nothing, if the block is not all finite.
TEXT ·quantQ8KAVX512(SB), NOSPLIT, $0-25
	MOVQ x+0(FP), SI
	MOVQ out+8(FP), DI
	MOVQ pairs+16(FP), DX
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VMOVUPS 256(SI), Z4
	VMOVUPS 320(SI), Z5
	VMOVUPS 384(SI), Z6
	VMOVUPS 448(SI), Z7
	VMOVUPS 512(SI), Z8
	VMOVUPS 576(SI), Z9
	VMOVUPS 640(SI), Z10
	VMOVUPS 704(SI), Z11
	VMOVUPS 768(SI), Z12
	VMOVUPS 832(SI), Z13
	VMOVUPS 896(SI), Z14
	VMOVUPS 960(SI), Z15

	// |x| and its max; an infinity or NaN leaves it to the scalar code.
	VANDPS.BCST ·absMaskF(SB), Z0, Z16
	VANDPS.BCST ·absMaskF(SB), Z1, Z17
	VANDPS.BCST ·absMaskF(SB), Z2, Z18
	VANDPS.BCST ·absMaskF(SB), Z3, Z19
	VANDPS.BCST ·absMaskF(SB), Z4, Z20
	VANDPS.BCST ·absMaskF(SB), Z5, Z21
	VANDPS.BCST ·absMaskF(SB), Z6, Z22
	VANDPS.BCST ·absMaskF(SB), Z7, Z23
	VMAXPS Z16, Z17, Z24
	VMAXPS Z18, Z19, Z25
	VMAXPS Z20, Z21, Z26
	VMAXPS Z22, Z23, Z27
	VMAXPS Z24, Z25, Z24
	VMAXPS Z26, Z27, Z26
	VMAXPS Z24, Z26, Z31
	VANDPS.BCST ·absMaskF(SB), Z8, Z16
	VANDPS.BCST ·absMaskF(SB), Z9, Z17
	VANDPS.BCST ·absMaskF(SB), Z10, Z18
	VANDPS.BCST ·absMaskF(SB), Z11, Z19
	VANDPS.BCST ·absMaskF(SB), Z12, Z20
	VANDPS.BCST ·absMaskF(SB), Z13, Z21
	VANDPS.BCST ·absMaskF(SB), Z14, Z22
	VANDPS.BCST ·absMaskF(SB), Z15, Z23
	VMAXPS Z16, Z17, Z24
	VMAXPS Z18, Z19, Z25
	VMAXPS Z20, Z21, Z26
	VMAXPS Z22, Z23, Z27
	VMAXPS Z24, Z25, Z24
	VMAXPS Z26, Z27, Z26
	VMAXPS Z24, Z26, Z24
	VMAXPS Z24, Z31, Z31
	// VMAXPS drops NaN only in one operand order; check finiteness directly.
	VFPCLASSPSZ $0x99, Z0, K1
	VFPCLASSPSZ $0x99, Z1, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z2, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z3, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z4, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z5, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z6, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z7, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z8, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z9, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z10, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z11, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z12, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z13, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z14, K2
	KORW K2, K1, K1
	VFPCLASSPSZ $0x99, Z15, K2
	KORW K2, K1, K1
	KORTESTW K1, K1
	JNZ  q8knotfinite
	HMAXPS(Z31, Z16)

	// amax == 0: an all-zero block.
	VXORPS X16, X16, X16
	VUCOMISS X16, X31
	JNE  q8kfind
	VPXORD Z16, Z16, Z16
	VMOVDQU64 Z16, 0(DI)
	VMOVDQU64 Z16, 64(DI)
	VMOVDQU64 Z16, 128(DI)
	VMOVDQU64 Z16, 192(DI)
	VMOVDQU64 Y16, 256(DI)
	MOVL $0, 288(DI)
	TESTQ DX, DX
	JZ   q8kok
	VMOVDQU64 Z16, 0(DX)
	VMOVDQU64 Z16, 64(DX)
	VMOVDQU64 Z16, 128(DX)
	VMOVDQU64 Z16, 192(DX)
	JMP  q8kok

q8kfind:
	// The first value of largest magnitude, with its sign.
	XORQ BX, BX

q8kscan:
	VMOVUPS (SI)(BX*4), Z16
	VANDPS.BCST ·absMaskF(SB), Z16, Z16
	VCMPPS $0, Z31, Z16, K1
	KMOVW K1, AX
	TESTL AX, AX
	JNZ  q8kfound
	ADDQ $16, BX
	JMP  q8kscan

q8kfound:
	TZCNTL AX, AX
	ADDQ AX, BX
	VMOVSS (SI)(BX*4), X16
	VMOVSS ·fm127(SB), X17
	VDIVSS X16, X17, X17 // iscale = -127/vmax
	VMOVSS ·f1(SB), X18
	VDIVSS X17, X18, X18 // d = 1/iscale
	VMOVSS X18, 0(DI)
	VBROADCASTSS X17, Z30

	Q8KQUANT16(Z0, X0)
	Q8KQUANT16(Z1, X1)
	Q8KQUANT16(Z2, X2)
	Q8KQUANT16(Z3, X3)
	Q8KQUANT16(Z4, X4)
	Q8KQUANT16(Z5, X5)
	Q8KQUANT16(Z6, X6)
	Q8KQUANT16(Z7, X7)
	Q8KQUANT16(Z8, X8)
	Q8KQUANT16(Z9, X9)
	Q8KQUANT16(Z10, X10)
	Q8KQUANT16(Z11, X11)
	Q8KQUANT16(Z12, X12)
	Q8KQUANT16(Z13, X13)
	Q8KQUANT16(Z14, X14)
	Q8KQUANT16(Z15, X15)
	// Four vectors of 64 quants in order.
	VINSERTI32X4 $1, X1, Z0, Z0
	VINSERTI32X4 $2, X2, Z0, Z0
	VINSERTI32X4 $3, X3, Z0, Z0
	VINSERTI32X4 $1, X5, Z4, Z4
	VINSERTI32X4 $2, X6, Z4, Z4
	VINSERTI32X4 $3, X7, Z4, Z4
	VINSERTI32X4 $1, X9, Z8, Z8
	VINSERTI32X4 $2, X10, Z8, Z8
	VINSERTI32X4 $3, X11, Z8, Z8
	VINSERTI32X4 $1, X13, Z12, Z12
	VINSERTI32X4 $2, X14, Z12, Z12
	VINSERTI32X4 $3, X15, Z12, Z12

	// bsums: bytes made unsigned (+128), summed 8 at a time (VPSADBW),
	// pairs of those added, the 16 sums gathered and the offset taken off.
	VPXORD Z20, Z20, Z20
	VPXORD.BCST ·bytes80(SB), Z0, Z16
	VPSADBW Z20, Z16, Z16
	VPSHUFD $0x4E, Z16, Z21
	VPADDQ Z21, Z16, Z16
	VPXORD.BCST ·bytes80(SB), Z4, Z17
	VPSADBW Z20, Z17, Z17
	VPSHUFD $0x4E, Z17, Z21
	VPADDQ Z21, Z17, Z17
	VPXORD.BCST ·bytes80(SB), Z8, Z18
	VPSADBW Z20, Z18, Z18
	VPSHUFD $0x4E, Z18, Z21
	VPADDQ Z21, Z18, Z18
	VPXORD.BCST ·bytes80(SB), Z12, Z19
	VPSADBW Z20, Z19, Z19
	VPSHUFD $0x4E, Z19, Z21
	VPADDQ Z21, Z19, Z19
	VMOVDQU64 evenQ<>(SB), Z21
	VPERMT2Q Z17, Z21, Z16
	VMOVDQU64 evenQ<>(SB), Z21
	VPERMT2Q Z19, Z21, Z18
	VPMOVQW Z16, X16
	VPMOVQW Z18, X18
	VINSERTI32X4 $1, X18, Y16, Y16
	VPBROADCASTD ·w2048(SB), Y21
	VPSUBW Y21, Y16, Y16
	VMOVDQU64 Y16, 260(DI)

	// The quants in sigma32 order.
	VMOVDQU64 ·permQS(SB), Z21
	VPERMB Z0, Z21, Z0
	VPERMB Z4, Z21, Z4
	VPERMB Z8, Z21, Z8
	VPERMB Z12, Z21, Z12
	VMOVDQU64 Z0, 4(DI)
	VMOVDQU64 Z4, 68(DI)
	VMOVDQU64 Z8, 132(DI)
	VMOVDQU64 Z12, 196(DI)
	TESTQ DX, DX
	JZ   q8kok
	VPBROADCASTD ones8<>(SB), Z22
	VPMADDUBSW Z0, Z22, Z0
	VPMADDUBSW Z4, Z22, Z4
	VPMADDUBSW Z8, Z22, Z8
	VPMADDUBSW Z12, Z22, Z12
	VPSLLW $5, Z0, Z0
	VPSLLW $5, Z4, Z4
	VPSLLW $5, Z8, Z8
	VPSLLW $5, Z12, Z12
	VMOVDQU64 Z0, 0(DX)
	VMOVDQU64 Z4, 64(DX)
	VMOVDQU64 Z8, 128(DX)
	VMOVDQU64 Z12, 192(DX)

q8kok:
	MOVB $1, ret+24(FP)
	VZEROUPPER
	RET

q8knotfinite:
	MOVB $0, ret+24(FP)
	VZEROUPPER
	RET

// func quantQ8_0AVX512(x *float32, nb int, q *byte, d *float32, sum *int32) int
//
// quantizeQ8_0 of nb consecutive 32-value blocks: the 32 int8 quants of
// block i at q[32i:], its FP16 scale widened back to float32 at d[i] and
// the sum of its quants at sum[i]. roundf is emulated exactly: truncate,
// then step away from zero where the remainder is at least one half. It
// stops at the first block that is not all finite and returns its index
// (nb when all were done).
TEXT ·quantQ8_0AVX512(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ nb+8(FP), CX
	MOVQ q+16(FP), DI
	MOVQ d+24(FP), DX
	MOVQ sum+32(FP), R8
	XORQ R9, R9

q80blk:
	CMPQ R9, CX
	JGE  q80all
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z1
	VFPCLASSPSZ $0x99, Z0, K1
	VFPCLASSPSZ $0x99, Z1, K2
	KORTESTW K2, K1
	JNZ  q80stop
	VANDPS.BCST ·absMaskF(SB), Z0, Z2
	VANDPS.BCST ·absMaskF(SB), Z1, Z3
	VMAXPS Z2, Z3, Z2
	HMAXPS(Z2, Z3)
	VDIVSS ·f127(SB), X2, X4 // d = amax/127
	VXORPS X5, X5, X5
	VUCOMISS X5, X4
	JEQ  q80zero
	VMOVSS ·f1(SB), X5
	VDIVSS X4, X5, X5 // id = 1/d
q80zero:
	VBROADCASTSS X5, Z5
	VCVTPS2PH $0, X4, X6
	VCVTPH2PS X6, X6
	VMOVSS X6, (DX)(R9*4)

	// roundf(v*id): truncate, then +-1 where |v*id - trunc| >= 0.5.
	VMULPS Z5, Z0, Z0
	VMULPS Z5, Z1, Z1
	VRNDSCALEPS $3, Z0, Z6
	VRNDSCALEPS $3, Z1, Z7
	VSUBPS Z6, Z0, Z8
	VSUBPS Z7, Z1, Z9
	VANDPS.BCST ·absMaskF(SB), Z8, Z8
	VANDPS.BCST ·absMaskF(SB), Z9, Z9
	VCMPPS.BCST $0x1D, ·fHalf(SB), Z8, K1 // >= 0.5
	VCMPPS.BCST $0x1D, ·fHalf(SB), Z9, K2
	VANDPS.BCST ·signMask(SB), Z0, Z10
	VANDPS.BCST ·signMask(SB), Z1, Z11
	VORPS.BCST ·f1(SB), Z10, Z10 // copysign(1, x)
	VORPS.BCST ·f1(SB), Z11, Z11
	VADDPS Z10, Z6, K1, Z6
	VADDPS Z11, Z7, K2, Z7
	VCVTTPS2DQ Z6, Z6
	VCVTTPS2DQ Z7, Z7
	VPMOVDB Z6, X8
	VPMOVDB Z7, X9
	VMOVDQU X8, 0(DI)
	VMOVDQU X9, 16(DI)
	VPADDD Z7, Z6, Z6
	VEXTRACTI64X4 $1, Z6, Y7
	VPADDD Y7, Y6, Y6
	VEXTRACTI32X4 $1, Y6, X7
	VPADDD X7, X6, X6
	VPSHUFD $0x4E, X6, X7
	VPADDD X7, X6, X6
	VPSHUFD $0xB1, X6, X7
	VPADDD X7, X6, X6
	VMOVD X6, (R8)(R9*4)
	ADDQ $128, SI
	ADDQ $32, DI
	INCQ R9
	JMP  q80blk

q80stop:
q80all:
	MOVQ R9, ret+40(FP)
	VZEROUPPER
	RET
