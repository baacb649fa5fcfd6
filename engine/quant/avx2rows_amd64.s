#include "textflag.h"
#include "fast_amd64.h"

// More AVX2 one-token kernels (no AVX-512): Q4_0, Q5_0, Q5_K, F16 and BF16.
// Each does its AVX-512 counterpart's arithmetic in 256-bit vectors: the
// integer sums exact, the float steps in the scalar kernel's order.
// nib4, bits4, ones16, sigDwords and sigBytes (sigma32 order from 32 bytes
// in order) and the Q4_K scale unpacking (q4ShufA..q4MaskTop) are in
// tables_amd64.s; HSUM8V is in fast_amd64.h.

// Q5_0's 32 high bits to 32 bytes: byte k takes byte k/8 of the broadcast
// mask (VPSHUFB), then bit k%8 of it is tested.

DATA a2qhBytes<>+0(SB)/8, $0x0000000000000000
DATA a2qhBytes<>+8(SB)/8, $0x0101010101010101
DATA a2qhBytes<>+16(SB)/8, $0x0202020202020202
DATA a2qhBytes<>+24(SB)/8, $0x0303030303030303
GLOBL a2qhBytes<>(SB), RODATA|NOPTR, $32

// The same for a pair of blocks (l8p), one in each lane: bits 0-15 (Lo)
// and bits 16-31 (Hi) of each.

DATA a2qhLo<>+0(SB)/8, $0x0000000000000000
DATA a2qhLo<>+8(SB)/8, $0x0101010101010101
DATA a2qhLo<>+16(SB)/8, $0x0000000000000000
DATA a2qhLo<>+24(SB)/8, $0x0101010101010101
GLOBL a2qhLo<>(SB), RODATA|NOPTR, $32

DATA a2qhHi<>+0(SB)/8, $0x0202020202020202
DATA a2qhHi<>+8(SB)/8, $0x0303030303030303
DATA a2qhHi<>+16(SB)/8, $0x0202020202020202
DATA a2qhHi<>+24(SB)/8, $0x0303030303030303
GLOBL a2qhHi<>(SB), RODATA|NOPTR, $32

DATA a2qhBits<>+0(SB)/8, $0x8040201008040201
GLOBL a2qhBits<>(SB), RODATA|NOPTR, $8

// The Q4_0 and Q5_0 kernels take the blocks of a whole group of eight in
// pairs (l8p layout): one 256-bit vector holds the first 16 levels of both
// blocks, another the last 16, so that VPMADDUBSW, a VPADDW of the two
// (the pair sums stay within 4*31*128) and VPMADDWD leave a vector of four
// partial sums of each block. PAIR2 and QUAD2 reduce the four vectors to
// the eight block sums in the order 0 2 4 6 1 3 5 7, the order of the
// layout's block sums and scales.
#define PAIR2(a, b, t) \
	VPUNPCKLDQ b, a, t \
	VPUNPCKHDQ b, a, a \
	VPADDD t, a, a
#define QUAD2(a, b, t) \
	VPUNPCKLQDQ b, a, t \
	VPUNPCKHQDQ b, a, a \
	VPADDD t, a, a

// LEGPDOT leaves in acc the four partial sums of each block of pair i,
// its levels in Y4 (first halves) and Y5 (second halves).
#define LEGPDOT(i, acc) \
	VPMADDUBSW (64*(i))(DX), Y4, Y4 \
	VPMADDUBSW (64*(i)+32)(DX), Y5, Y5 \
	VPADDW Y5, Y4, Y4 \
	VPMADDWD Y14, Y4, acc

// Q40PAIR: the levels (q, 0..15) of the Q4_0 blocks 2i and 2i+1 at P.
#define Q40PAIR(i, acc, P) \
	VMOVDQU (36*(i)+2)P, X4 \
	VINSERTI128 $1, (36*(i)+20)P, Y4, Y4 \
	VPSRLW $4, Y4, Y5 \
	VPAND Y15, Y4, Y4 \
	VPAND Y15, Y5, Y5 \
	LEGPDOT(i, acc)

// Q50BITS sets bit 4 of the levels in L where the bit of qh that VPSHUFB
// with sel picks from Y13 (a block's qh in each lane) is set.
#define Q50BITS(sel, L) \
	VPSHUFB sel, Y13, Y2 \
	VPAND Y10, Y2, Y2 \
	VPCMPEQB Y10, Y2, Y2 \
	VPAND Y3, Y2, Y2 \
	VPOR Y2, L, L

// Q50PAIR: the levels (q, 0..31) of the Q5_0 blocks 2i and 2i+1 at P,
// the fifth bit of value k from bit k of qh.
#define Q50PAIR(i, acc, P) \
	VMOVDQU (44*(i)+6)P, X4 \
	VINSERTI128 $1, (44*(i)+28)P, Y4, Y4 \
	VPSRLW $4, Y4, Y5 \
	VPAND Y15, Y4, Y4 \
	VPAND Y15, Y5, Y5 \
	VPBROADCASTD (44*(i)+2)P, Y13 \
	VPBROADCASTD (44*(i)+24)P, Y2 \
	VPBLENDD $0xF0, Y2, Y13, Y13 \
	Q50BITS(Y11, Y4) \
	Q50BITS(Y12, Y5) \
	LEGPDOT(i, acc)

// LEGGROUP2 leaves the integer sums of the eight blocks of the group at P
// in Y6 (order 0 2 4 6 1 3 5 7; clobbers Y4, Y5, Y7, Y8).
#define LEGGROUP2(PAIR, P) \
	PAIR(0, Y6, P) \
	PAIR(1, Y7, P) \
	PAIR2(Y6, Y7, Y4) \
	PAIR(2, Y7, P) \
	PAIR(3, Y8, P) \
	PAIR2(Y7, Y8, Y4) \
	QUAD2(Y6, Y7, Y4)

// LEGDW2 loads the FP16 scales of the group's eight blocks (of size bs at
// P), order 0 2 4 6 1 3 5 7, as floats in Y9, two to a 32-bit load
// (cheaper than a gather): the dword that ends with block b+2's scale, its
// low word replaced by block b's. Clobbers AX, R13.
#define LEGDW2(bs, P) \
	MOVL (2*(bs)-2)P, AX \
	MOVW (0)P, AX \
	MOVL (6*(bs)-2)P, R13 \
	MOVW (4*(bs))P, R13 \
	SHLQ $32, R13 \
	ORQ  R13, AX \
	VMOVQ AX, X9 \
	MOVL (3*(bs)-2)P, AX \
	MOVW (bs)P, AX \
	MOVL (7*(bs)-2)P, R13 \
	MOVW (5*(bs))P, R13 \
	SHLQ $32, R13 \
	ORQ  R13, AX \
	VPINSRQ $1, AX, X9, X9 \
	VCVTPH2PS X9, Y9

// CHAIN8P adds the eight block values of yv (order 0 2 4 6 1 3 5 7) to S
// one after the other in block order, as the scalar loop does, through the
// frame at off (loads rather than shuffles).
#define CHAIN8P(yv, off, S) \
	VMOVUPS yv, (off)(SP) \
	VADDSS (off)(SP), S, S \
	VADDSS (off+16)(SP), S, S \
	VADDSS (off+4)(SP), S, S \
	VADDSS (off+20)(SP), S, S \
	VADDSS (off+8)(SP), S, S \
	VADDSS (off+24)(SP), S, S \
	VADDSS (off+12)(SP), S, S \
	VADDSS (off+28)(SP), S, S

// Q40GROUP2 adds the group at P to the row's sum S:
// sumf += float(sumi)*dw*dy, block after block.
#define Q40GROUP2(P, S, off) \
	LEGGROUP2(Q40PAIR, P) \
	VMOVDQU 256(DX), Y7 \
	VPSLLD $3, Y7, Y7 \
	VPSUBD Y7, Y6, Y6 \
	VCVTDQ2PS Y6, Y6 \
	LEGDW2(18, P) \
	VMULPS Y9, Y6, Y6 \
	VMULPS 288(DX), Y6, Y6 \
	CHAIN8P(Y6, off, S)

// Q50GROUP2: sumf += (dw*dy) * float(sumi).
#define Q50GROUP2(P, S, off) \
	LEGGROUP2(Q50PAIR, P) \
	VMOVDQU 256(DX), Y7 \
	VPSLLD $4, Y7, Y7 \
	VPSUBD Y7, Y6, Y6 \
	VCVTDQ2PS Y6, Y6 \
	LEGDW2(22, P) \
	VMULPS 288(DX), Y9, Y9 \
	VMULPS Y9, Y6, Y6 \
	CHAIN8P(Y6, off, S)

// The blocks of a last, partial group (l8 order) one at a time.
// Q40LEVELS leaves the 32 levels of the Q4_0 block at P in Y4: low nibbles
// (values 0-15) in the low lane, high in the high; Q50LEVELS those of a
// Q5_0 block.
#define Q40LEVELS(P) \
	VMOVDQU (2)P, X4 \
	VPSRLW $4, X4, X5 \
	VINSERTI128 $1, X5, Y4, Y4 \
	VPAND Y15, Y4, Y4

#define Q50LEVELS(P) \
	VMOVDQU (6)P, X4 \
	VPSRLW $4, X4, X5 \
	VINSERTI128 $1, X5, Y4, Y4 \
	VPAND Y15, Y4, Y4 \
	VPBROADCASTD (2)P, Y13 \
	Q50BITS(a2qhBytes<>(SB), Y4)

// LEGTAIL2 leaves in X6, as a float, the block's exact integer sum: the
// levels in Y4 times the activations at (AX), less (1<<shift) times the
// activations' sum (at 256(R13)).
#define LEGTAIL2(shift) \
	VPMADDUBSW (AX), Y4, Y5 \
	VPMADDWD Y14, Y5, Y6 \
	HSUM8V(Y6, X6, X7) \
	VMOVD 256(R13), X7 \
	VPSLLD $shift, X7, X7 \
	VPSUBD X7, X6, X6 \
	VCVTDQ2PS X6, X6

#define Q40TAIL2(P, S) \
	Q40LEVELS(P) \
	LEGTAIL2(3) \
	VPBROADCASTW (0)P, X7 \
	VCVTPH2PS X7, X7 \
	VMULSS X7, X6, X6 \
	VMULSS 288(R13), X6, X6 \
	VADDSS X6, S, S

#define Q50TAIL2(P, S) \
	Q50LEVELS(P) \
	LEGTAIL2(4) \
	VPBROADCASTW (0)P, X7 \
	VCVTPH2PS X7, X7 \
	VMULSS 288(R13), X7, X7 \
	VMULSS X7, X6, X6 \
	VADDSS X6, S, S

// func q4_0AVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)
//
// As q4_0AVX512, on the l8p layout: ggml_vec_dot_q4_0_q8_0_generic per
// row, sumf += float(sumi)*dw*dy (that order), block after block; the
// levels kept as q in 0..15 and 8*sum(y) taken off the integer sum.
TEXT ·q4_0AVX2(SB), NOSPLIT, $64-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nb+40(FP), R11
	VPBROADCASTD ·ones16(SB), Y14
	VPBROADCASTD ·nib4(SB), Y15
	// The rows two at a time, A at BX and B at BX+R12, so that their
	// sequential float sums (X0, X1) overlap; a last odd row runs as both.
q40r:
	MOVQ R9, R12
	CMPQ R8, $1
	JNE  q40pair
	XORQ R12, R12

q40pair:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS X0, X0, X0
	VXORPS X1, X1, X1

q40g:
	CMPQ CX, $8
	JLT  q40t
	PREFETCHT0 2048(BX)
	PREFETCHT0 2112(BX)
	PREFETCHT0 2176(BX)
	PREFETCHT0 2048(BX)(R12*1)
	PREFETCHT0 2112(BX)(R12*1)
	PREFETCHT0 2176(BX)(R12*1)
	Q40GROUP2((BX), X0, 0)
	Q40GROUP2((BX)(R12*1), X1, 32)
	ADDQ $144, BX
	ADDQ $320, DX
	SUBQ $8, CX
	JMP  q40g

q40t:
	TESTQ CX, CX
	JZ    q40done
	MOVQ  DX, AX
	MOVQ  DX, R13

q40tb:
	Q40TAIL2((BX), X0)
	Q40TAIL2((BX)(R12*1), X1)
	ADDQ $18, BX
	ADDQ $32, AX
	ADDQ $4, R13
	DECQ CX
	JNZ  q40tb

q40done:
	VMOVSS X0, (DI)
	CMPQ R8, $1
	JEQ  q40end
	VMOVSS X1, 4(DI)
	ADDQ $8, DI
	LEAQ (SI)(R9*2), SI
	SUBQ $2, R8
	JNZ  q40r

q40end:
	VZEROUPPER
	RET

// func q5_0AVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nb int)
//
// As q5_0AVX512, on the l8p layout: ggml_vec_dot_q5_0_q8_0_generic per
// row, sumf += (dw*dy) * float(sumi), block after block; the levels kept
// as q in 0..31 and 16*sum(y) taken off the integer sum.
TEXT ·q5_0AVX2(SB), NOSPLIT, $64-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nb+40(FP), R11
	VPBROADCASTD ·ones16(SB), Y14
	VPBROADCASTD ·nib4(SB), Y15
	VMOVDQU a2qhLo<>(SB), Y11
	VMOVDQU a2qhHi<>(SB), Y12
	VPBROADCASTQ a2qhBits<>(SB), Y10
	VPBROADCASTD ·bits4(SB), Y3
	// The rows two at a time, A at BX and B at BX+R12, so that their
	// sequential float sums (X0, X1) overlap; a last odd row runs as both.
q50r:
	MOVQ R9, R12
	CMPQ R8, $1
	JNE  q50pair
	XORQ R12, R12

q50pair:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS X0, X0, X0
	VXORPS X1, X1, X1

q50g:
	CMPQ CX, $8
	JLT  q50t
	PREFETCHT0 2048(BX)
	PREFETCHT0 2112(BX)
	PREFETCHT0 2176(BX)
	PREFETCHT0 2048(BX)(R12*1)
	PREFETCHT0 2112(BX)(R12*1)
	PREFETCHT0 2176(BX)(R12*1)
	Q50GROUP2((BX), X0, 0)
	Q50GROUP2((BX)(R12*1), X1, 32)
	ADDQ $176, BX
	ADDQ $320, DX
	SUBQ $8, CX
	JMP  q50g

q50t:
	TESTQ CX, CX
	JZ    q50done
	MOVQ  DX, AX
	MOVQ  DX, R13

q50tb:
	Q50TAIL2((BX), X0)
	Q50TAIL2((BX)(R12*1), X1)
	ADDQ $22, BX
	ADDQ $32, AX
	ADDQ $4, R13
	DECQ CX
	JNZ  q50tb

q50done:
	VMOVSS X0, (DI)
	CMPQ R8, $1
	JEQ  q50end
	VMOVSS X1, 4(DI)
	ADDQ $8, DI
	LEAQ (SI)(R9*2), SI
	SUBQ $2, R8
	JNZ  q50r

q50end:
	VZEROUPPER
	RET

// K5SUB adds sub-block j's products (levels in L, sigma32 order,
// activations at off) to the eight class lanes in Y2; the sub-block's scale
// is in both words of the dword at 4*j(SP).
#define K5SUB(L, off, j) \
	VPMADDUBSW (off)(DX), L, Y7 \
	VPBROADCASTD (4*(j))(SP), Y8 \
	VPMADDWD Y8, Y7, Y7 \
	VPADDD Y7, Y2, Y2

// K5CHUNK unpacks 32-byte chunk c of qs (sub-blocks 2c, 2c+1) in sigma32
// order, sets bit 4 of each level from bit 2c (2c+1) of its qh byte (the
// reordered qh in Y9, shifted by opl $nl (oph $nh) to bit 4), and adds the
// products.
#define K5CHUNK(c, opl, nl, oph, nh) \
	VPERMD (48+32*(c))(BX), Y13, Y4 \
	VPSHUFB Y10, Y4, Y4 \
	VPAND Y11, Y4, Y5 \
	VPSRLW $4, Y4, Y6 \
	VPAND Y11, Y6, Y6 \
	opl $nl, Y9, Y7 \
	VPAND Y15, Y7, Y7 \
	VPOR Y7, Y5, Y5 \
	oph $nh, Y9, Y8 \
	VPAND Y15, Y8, Y8 \
	VPOR Y8, Y6, Y6 \
	K5SUB(Y5, (64*(c)), (2*(c))) \
	K5SUB(Y6, (64*(c)+32), (2*(c)+1))

// func q5KAVX2(out *float32, rows int, w *byte, rowBytes int, act *byte, nsb int)
//
// ggml_vec_dot_q5_K_q8_K_generic per row, as q5KAVX512, on the k4s layout.
// The levels are put in sigma32 order by a dword permute (VPERMD, across
// the lanes: dwords 0 2 4 6 1 3 5 7, so that each lane holds four values of
// each of its four classes) and a 4x4 byte transpose in each lane
// (VPSHUFB); VPMADDUBSW then adds two values of one class, and VPMADDWD
// with the scale in both words the two pairs: dword l is lane l of ggml's
// eight integer lanes.
TEXT ·q5KAVX2(SB), NOSPLIT, $32-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ act+32(FP), R10
	MOVQ nsb+40(FP), R11
	VMOVDQU ·sigBytes(SB), Y10
	VMOVDQU ·sigDwords(SB), Y13
	VPBROADCASTD ·nib4(SB), Y11
	VPBROADCASTD ·bits4(SB), Y15

q5kr:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	VXORPS Y0, Y0, Y0 // the eight float lanes
	VXORPS X1, X1, X1 // the mins' running sum

q5ks:
	PREFETCHT0 2048(BX)
	PREFETCHT0 2112(BX)
	PREFETCHT0 2176(BX)
	// X9 = [sc0..sc7, m0..m7]; the scales, doubled to dwords, to the frame.
	VMOVDQU 4(BX), X9
	VPSHUFB ·q4ShufA(SB), X9, X12
	VPSHUFB ·q4ShufB(SB), X9, X7
	VPSRLW $4, X12, X14
	VPSRLW $2, X7, X7
	VPAND ·q4MaskLo(SB), X12, X12
	VPAND ·q4MaskHi(SB), X14, X14
	VPAND ·q4MaskTop(SB), X7, X7
	VPOR X14, X12, X12
	VPOR X7, X12, X9
	VPMOVZXBW X9, X12
	VPUNPCKLWD X12, X12, X7
	VPUNPCKHWD X12, X12, X12
	VMOVDQU X7, 0(SP)
	VMOVDQU X12, 16(SP)
	// sumf -= (dmin*yd) * float(sum of the bsum pairs times the mins)
	VPSRLDQ $8, X9, X12
	VPMOVZXBW X12, X12
	VPMADDWD 256(DX), X12, X12
	VPSHUFD $0x4E, X12, X7
	VPADDD X7, X12, X12
	VPSHUFD $0xB1, X12, X7
	VPADDD X7, X12, X12
	VCVTDQ2PS X12, X12
	VCVTPH2PS (BX), X14
	VBROADCASTSS 288(DX), X7
	VMULPS X7, X14, X14
	VMOVSHDUP X14, X7
	VMULSS X12, X7, X7
	VSUBSS X7, X1, X1

	// The eight integer lanes, then sums[l] += (d*yd) * float(lane l).
	VPERMD 16(BX), Y13, Y9
	VPSHUFB Y10, Y9, Y9
	VPXOR Y2, Y2, Y2
	K5CHUNK(0, VPSLLW, 4, VPSLLW, 3)
	K5CHUNK(1, VPSLLW, 2, VPSLLW, 1)
	K5CHUNK(2, VPSRLW, 0, VPSRLW, 1)
	K5CHUNK(3, VPSRLW, 2, VPSRLW, 3)
	VCVTDQ2PS Y2, Y2
	VBROADCASTSS X14, Y12
	VMULPS Y12, Y2, Y2
	VADDPS Y2, Y0, Y0

	ADDQ $176, BX
	ADDQ $320, DX
	DECQ CX
	JNZ  q5ks

	CHAIN8(Y0, X0, X1, X2)
	VMOVSS X1, (DI)
	ADDQ $4, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  q5kr
	VZEROUPPER
	RET

// The F16 / BF16 kernels sum the exact double products in 32 lanes,
// element i in lane i mod 32: Y0..Y7 hold lanes 4k..4k+3, k = 0..7, which
// are exactly the lanes of f16DotAVX512's Z0..Z3 (two Y each), and FLTSUM
// adds them up in that kernel's order, so the two give the same bits.
#define FLTSUM \
	VADDPD Y2, Y0, Y0 \
	VADDPD Y3, Y1, Y1 \
	VADDPD Y6, Y4, Y4 \
	VADDPD Y7, Y5, Y5 \
	VADDPD Y4, Y0, Y0 \
	VADDPD Y5, Y1, Y1 \
	VADDPD Y1, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPD X1, X0, X0 \
	VPERMILPD $1, X0, X1 \
	VADDSD X1, X0, X0

#define FLTZERO \
	VXORPD Y0, Y0, Y0 \
	VXORPD Y1, Y1, Y1 \
	VXORPD Y2, Y2, Y2 \
	VXORPD Y3, Y3, Y3 \
	VXORPD Y4, Y4, Y4 \
	VXORPD Y5, Y5, Y5 \
	VXORPD Y6, Y6, Y6 \
	VXORPD Y7, Y7, Y7

// F16X8 adds the eight products of the halves at woff(BX) and the doubles
// at aoff(DX) to acc0 (the first four) and acc1.
#define F16X8(woff, aoff, acc0, acc1, t0, x0, t1, x1) \
	VCVTPH2PS woff(BX), t0 \
	VEXTRACTF128 $1, t0, x1 \
	VCVTPS2PD x0, t0 \
	VCVTPS2PD x1, t1 \
	VFMADD231PD aoff(DX), t0, acc0 \
	VFMADD231PD (aoff+32)(DX), t1, acc1

// func f16DotAVX2(out *float64, rows int, w *byte, rowBytes int, x *float64, n int)
//
// As f16DotAVX512: for each row, the double sum of w[i]*x[i] for i < n (a
// multiple of 32), the weights half precision, the activations their
// half-rounded values as doubles.
TEXT ·f16DotAVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ x+32(FP), R10
	MOVQ n+40(FP), R11

f16r:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	FLTZERO

f16c:
	PREFETCHT0 8192(BX)
	F16X8(0, 0, Y0, Y1, Y8, X8, Y9, X9)
	F16X8(16, 64, Y2, Y3, Y10, X10, Y11, X11)
	F16X8(32, 128, Y4, Y5, Y12, X12, Y13, X13)
	F16X8(48, 192, Y6, Y7, Y14, X14, Y15, X15)
	ADDQ $64, BX
	ADDQ $256, DX
	SUBQ $32, CX
	JNZ  f16c

	FLTSUM
	VMOVSD X0, (DI)
	ADDQ $8, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  f16r
	VZEROUPPER
	RET

// BF16X8 adds the eight products of the bfloat16 values at woff(BX) and the
// doubles at aoff(DX) to acc0 (the first four) and acc1: interleaved with
// zero words (X15) they are their float32 values.
#define BF16X8(woff, aoff, acc0, acc1, t0, x0, t1, x1) \
	VMOVDQU woff(BX), x0 \
	VPUNPCKHWD x0, X15, x1 \
	VPUNPCKLWD x0, X15, x0 \
	VCVTPS2PD x0, t0 \
	VCVTPS2PD x1, t1 \
	VFMADD231PD aoff(DX), t0, acc0 \
	VFMADD231PD (aoff+32)(DX), t1, acc1

// func bf16DotAVX2(out *float64, rows int, w *byte, rowBytes int, x *float64, n int)
//
// As f16DotAVX2 for bfloat16 weights.
TEXT ·bf16DotAVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ rowBytes+24(FP), R9
	MOVQ x+32(FP), R10
	MOVQ n+40(FP), R11
	VPXOR X15, X15, X15

bf16r:
	MOVQ SI, BX
	MOVQ R10, DX
	MOVQ R11, CX
	FLTZERO

bf16c:
	PREFETCHT0 8192(BX)
	BF16X8(0, 0, Y0, Y1, Y8, X8, Y9, X9)
	BF16X8(16, 64, Y2, Y3, Y10, X10, Y11, X11)
	BF16X8(32, 128, Y4, Y5, Y12, X12, Y13, X13)
	BF16X8(48, 192, Y6, Y7, Y8, X8, Y9, X9)
	ADDQ $64, BX
	ADDQ $256, DX
	SUBQ $32, CX
	JNZ  bf16c

	FLTSUM
	VMOVSD X0, (DI)
	ADDQ $8, DI
	ADDQ R9, SI
	DECQ R8
	JNZ  bf16r
	VZEROUPPER
	RET
