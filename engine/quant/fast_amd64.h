// Macros shared by the amd64 fast paths.

// REDUCE8 turns four vectors of 2 blocks x 8 int32 partial sums (a b c d,
// blocks 0-1, 2-3, 4-5, 6-7) into the eight block sums, in the order
// 0 2 4 6 1 3 5 7, in the low 256 bits of a. Clobbers b, c, t1, t2.
#define REDUCE8(a, b, c, d, t1, t2) \
	VPUNPCKLDQ b, a, t1 \
	VPUNPCKHDQ b, a, t2 \
	VPADDD t2, t1, a \
	VPUNPCKLDQ d, c, t1 \
	VPUNPCKHDQ d, c, t2 \
	VPADDD t2, t1, c \
	VPUNPCKLQDQ c, a, t1 \
	VPUNPCKHQDQ c, a, t2 \
	VPADDD t2, t1, a \
	VSHUFI64X2 $0x08, a, a, t1 \
	VSHUFI64X2 $0x0D, a, a, t2 \
	VPADDD t2, t1, a

// CHAIN8 adds the eight floats of ymm v to the scalar sum s one after the
// other, as a scalar loop over blocks does. Clobbers v and t.
#define CHAIN8(yv, xv, s, t) \
	VADDSS xv, s, s \
	VPERMILPS $1, xv, t \
	VADDSS t, s, s \
	VPERMILPS $2, xv, t \
	VADDSS t, s, s \
	VPERMILPS $3, xv, t \
	VADDSS t, s, s \
	VEXTRACTF128 $1, yv, xv \
	VADDSS xv, s, s \
	VPERMILPS $1, xv, t \
	VADDSS t, s, s \
	VPERMILPS $2, xv, t \
	VADDSS t, s, s \
	VPERMILPS $3, xv, t \
	VADDSS t, s, s

// HSUM8 leaves the sum of the eight int32 of ymm v in its lane 0.
#define HSUM8(yv, xv, xt) \
	VEXTRACTI32X4 $1, yv, xt \
	VPADDD xt, xv, xv \
	VPSHUFD $0x4E, xv, xt \
	VPADDD xt, xv, xv \
	VPSHUFD $0xB1, xv, xt \
	VPADDD xt, xv, xv

// HSUM8V is HSUM8 in VEX encodings only, for the AVX2 kernels.
#define HSUM8V(yv, xv, xt) \
	VEXTRACTI128 $1, yv, xt \
	VPADDD xt, xv, xv \
	VPSHUFD $0x4E, xv, xt \
	VPADDD xt, xv, xv \
	VPSHUFD $0xB1, xv, xt \
	VPADDD xt, xv, xv

// TRANSPOSE16 transposes the 16x16 float32 matrix whose rows are Z16..Z31
// (row i in Z16+i) so that Z16+k holds column k, using Z0..Z15.
#define TRANSPOSE16 \
	VUNPCKLPS Z17, Z16, Z0 \
	VUNPCKHPS Z17, Z16, Z1 \
	VUNPCKLPS Z19, Z18, Z2 \
	VUNPCKHPS Z19, Z18, Z3 \
	VUNPCKLPS Z21, Z20, Z4 \
	VUNPCKHPS Z21, Z20, Z5 \
	VUNPCKLPS Z23, Z22, Z6 \
	VUNPCKHPS Z23, Z22, Z7 \
	VUNPCKLPS Z25, Z24, Z8 \
	VUNPCKHPS Z25, Z24, Z9 \
	VUNPCKLPS Z27, Z26, Z10 \
	VUNPCKHPS Z27, Z26, Z11 \
	VUNPCKLPS Z29, Z28, Z12 \
	VUNPCKHPS Z29, Z28, Z13 \
	VUNPCKLPS Z31, Z30, Z14 \
	VUNPCKHPS Z31, Z30, Z15 \
	VSHUFPS $0x44, Z2, Z0, Z16 \
	VSHUFPS $0xEE, Z2, Z0, Z17 \
	VSHUFPS $0x44, Z3, Z1, Z18 \
	VSHUFPS $0xEE, Z3, Z1, Z19 \
	VSHUFPS $0x44, Z6, Z4, Z20 \
	VSHUFPS $0xEE, Z6, Z4, Z21 \
	VSHUFPS $0x44, Z7, Z5, Z22 \
	VSHUFPS $0xEE, Z7, Z5, Z23 \
	VSHUFPS $0x44, Z10, Z8, Z24 \
	VSHUFPS $0xEE, Z10, Z8, Z25 \
	VSHUFPS $0x44, Z11, Z9, Z26 \
	VSHUFPS $0xEE, Z11, Z9, Z27 \
	VSHUFPS $0x44, Z14, Z12, Z28 \
	VSHUFPS $0xEE, Z14, Z12, Z29 \
	VSHUFPS $0x44, Z15, Z13, Z30 \
	VSHUFPS $0xEE, Z15, Z13, Z31 \
	VSHUFF32X4 $0x88, Z20, Z16, Z0 \
	VSHUFF32X4 $0x88, Z21, Z17, Z1 \
	VSHUFF32X4 $0x88, Z22, Z18, Z2 \
	VSHUFF32X4 $0x88, Z23, Z19, Z3 \
	VSHUFF32X4 $0xDD, Z20, Z16, Z4 \
	VSHUFF32X4 $0xDD, Z21, Z17, Z5 \
	VSHUFF32X4 $0xDD, Z22, Z18, Z6 \
	VSHUFF32X4 $0xDD, Z23, Z19, Z7 \
	VSHUFF32X4 $0x88, Z28, Z24, Z8 \
	VSHUFF32X4 $0x88, Z29, Z25, Z9 \
	VSHUFF32X4 $0x88, Z30, Z26, Z10 \
	VSHUFF32X4 $0x88, Z31, Z27, Z11 \
	VSHUFF32X4 $0xDD, Z28, Z24, Z12 \
	VSHUFF32X4 $0xDD, Z29, Z25, Z13 \
	VSHUFF32X4 $0xDD, Z30, Z26, Z14 \
	VSHUFF32X4 $0xDD, Z31, Z27, Z15 \
	VSHUFF32X4 $0x88, Z8, Z0, Z16 \
	VSHUFF32X4 $0x88, Z9, Z1, Z17 \
	VSHUFF32X4 $0x88, Z10, Z2, Z18 \
	VSHUFF32X4 $0x88, Z11, Z3, Z19 \
	VSHUFF32X4 $0x88, Z12, Z4, Z20 \
	VSHUFF32X4 $0x88, Z13, Z5, Z21 \
	VSHUFF32X4 $0x88, Z14, Z6, Z22 \
	VSHUFF32X4 $0x88, Z15, Z7, Z23 \
	VSHUFF32X4 $0xDD, Z8, Z0, Z24 \
	VSHUFF32X4 $0xDD, Z9, Z1, Z25 \
	VSHUFF32X4 $0xDD, Z10, Z2, Z26 \
	VSHUFF32X4 $0xDD, Z11, Z3, Z27 \
	VSHUFF32X4 $0xDD, Z12, Z4, Z28 \
	VSHUFF32X4 $0xDD, Z13, Z5, Z29 \
	VSHUFF32X4 $0xDD, Z14, Z6, Z30 \
	VSHUFF32X4 $0xDD, Z15, Z7, Z31

// The Q4_K tile kernel's steps (kquants_amd64.s; q5ktile_amd64.s uses
// T4SCALES, T4SPREAD and T4TOKEN too). Their tables are package symbols
// (tables_amd64.s), which every file can read.

// T4LEVELS unpacks 32-byte chunk c (sub-blocks 2c, 2c+1) of the two rows
// into [row0 | row1] vectors of levels in sigma32 order. Z13 holds permQS.
#define T4LEVELS(off, lo, hi) \
	VMOVDQU off(SI), Y8 \
	VINSERTI64X4 $1, off(R10), Z8, Z8 \
	VPERMB Z8, Z13, Z8 \
	VPANDD.BCST ·nib4(SB), Z8, lo \
	VGF2P8AFFINEQB.BCST $0, ·gfHigh(SB), Z8, hi

// T4SCALES unpacks the scales and mins of the row at base into X9 =
// [sc0..sc7, m0..m7].
#define T4SCALES(base) \
	VMOVDQU 4(base), X8 \
	VPSHUFB ·q4ShufA(SB), X8, X9 \
	VPSHUFB ·q4ShufB(SB), X8, X10 \
	VPSRLW $4, X9, X11 \
	VPSRLW $2, X10, X10 \
	VPANDD ·q4MaskLo(SB), X9, X9 \
	VPTERNLOGD $0xF8, ·q4MaskHi(SB), X11, X9 \
	VPTERNLOGD $0xF8, ·q4MaskTop(SB), X10, X9

// T4SPREAD makes the scale-pair vector of sub-blocks (2p, 2p+1) in the
// frame, from the two rows' unpacked scales in Z12.
#define T4SPREAD(p) \
	VMOVDQU64 ·q4TPair+(64*p)(SB), Z11 \
	VPERMB.Z Z12, Z11, K1, Z11 \
	VMOVDQU64 Z11, (64*p)(SP)

// T4PAIR adds the products of sub-blocks (2p, 2p+1) for one token
// (activations at off) to acc (T4PAIR0 sets it). Each VPDPBUSD sums four
// products of one lane class; the two sub-blocks' sums (below 2^15) are
// packed as the two words of each dword so that one VPDPWSSD applies both
// scales.
#define T4DOT(off, La, Lb) \
	VBROADCASTI64X4 off(DX), Z8 \
	VBROADCASTI64X4 (off+32)(DX), Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPDPBUSD Z8, La, Z10 \
	VPDPBUSD Z9, Lb, Z11 \
	VPSLLD $16, Z11, Z11 \
	VPBLENDMW Z11, Z10, K3, Z10
#define T4PAIR0(off, La, Lb) \
	T4DOT(off, La, Lb) \
	VPMADDWD 0(SP), Z10, Z13
#define T4PAIR(off, La, Lb, p) \
	T4DOT(off, La, Lb) \
	VPDPWSSD (64*p)(SP), Z10, Z13

// T4TOKEN accumulates token t's super-block into S: for each row, its eight
// lanes += (d*yd) * float(lane).
#define T4TOKEN(t, S) \
	T4PAIR0(256*t, Z0, Z1) \
	T4PAIR(256*t+64, Z2, Z3, 1) \
	T4PAIR(256*t+128, Z4, Z5, 2) \
	T4PAIR(256*t+192, Z6, Z7, 3) \
	VCVTDQ2PS Z13, Z10 \
	VMULPS.BCST (4352+4*t)(DX), Z12, Z11 \
	VMULPS Z11, Z10, Z10 \
	VADDPS Z10, S, S

// T4TILEINIT sets the masks of the Q4_K/Q5_K tiles (K1 even words, K3
// odd words) and zeroes the mins' sums Z14/Z15 and the token sums
// Z16..Z31.
#define T4TILEINIT \
	MOVQ $0x5555555555555555, AX \
	KMOVQ AX, K1 \
	MOVL $0xAAAAAAAA, AX \
	KMOVD AX, K3 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15 \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17 \
	VPXORD Z18, Z18, Z18 \
	VPXORD Z19, Z19, Z19 \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	VPXORD Z22, Z22, Z22 \
	VPXORD Z23, Z23, Z23 \
	VPXORD Z24, Z24, Z24 \
	VPXORD Z25, Z25, Z25 \
	VPXORD Z26, Z26, Z26 \
	VPXORD Z27, Z27, Z27 \
	VPXORD Z28, Z28, Z28 \
	VPXORD Z29, Z29, Z29 \
	VPXORD Z30, Z30, Z30 \
	VPXORD Z31, Z31, Z31

// T4SUPERBLOCK finishes one super-block of a two-row tile whose levels
// are in Z0..Z7 (Z13 free): both rows' scales spread per sub-block, the
// mins' products, tokens across the lanes, subtracted from the sums in
// Z14/Z15, and every token's lanes accumulated into Z16..Z31. The Q4_K and
// Q5_K tiles share it: their super-blocks differ only in how the levels
// are stored, and both keep d, dmin and the scales at offsets 0 and 4.
#define T4SUPERBLOCK \
	T4SCALES(SI) \
	VMOVDQU X9, X12 \
	VPSRLDQ $8, X9, X13 \
	VPMOVZXBW X13, X13 \
	VMOVDQU X13, 576(SP) \
	T4SCALES(R10) \
	VINSERTI32X4 $1, X9, Z12, Z12 \
	VPSRLDQ $8, X9, X13 \
	VPMOVZXBW X13, X13 \
	VMOVDQU X13, 592(SP) \
	T4SPREAD(0) \
	T4SPREAD(1) \
	T4SPREAD(2) \
	T4SPREAD(3) \
	VCVTPH2PS (SI), X12 \
	VCVTPH2PS (R10), X11 \
	VMOVSHDUP X12, X9 \
	VBROADCASTSS X9, Z9 \
	VMOVSHDUP X11, X10 \
	VBROADCASTSS X10, Z10 \
	VMULPS 4352(DX), Z9, Z9 \
	VMULPS 4352(DX), Z10, Z10 \
	VBROADCASTSS X12, Y12 \
	VBROADCASTSS X11, Y11 \
	VINSERTF64X4 $1, Y11, Z12, Z12 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z13, Z13, Z13 \
	VMOVDQU64 4096(DX), Z8 \
	VPDPWSSD.BCST 576(SP), Z8, Z11 \
	VPDPWSSD.BCST 592(SP), Z8, Z13 \
	VMOVDQU64 4160(DX), Z8 \
	VPDPWSSD.BCST 580(SP), Z8, Z11 \
	VPDPWSSD.BCST 596(SP), Z8, Z13 \
	VMOVDQU64 4224(DX), Z8 \
	VPDPWSSD.BCST 584(SP), Z8, Z11 \
	VPDPWSSD.BCST 600(SP), Z8, Z13 \
	VMOVDQU64 4288(DX), Z8 \
	VPDPWSSD.BCST 588(SP), Z8, Z11 \
	VPDPWSSD.BCST 604(SP), Z8, Z13 \
	VCVTDQ2PS Z11, Z11 \
	VMULPS Z9, Z11, Z11 \
	VSUBPS Z11, Z14, Z14 \
	VCVTDQ2PS Z13, Z13 \
	VMULPS Z10, Z13, Z13 \
	VSUBPS Z13, Z15, Z15 \
	T4TOKEN(0, Z16) \
	T4TOKEN(1, Z17) \
	T4TOKEN(2, Z18) \
	T4TOKEN(3, Z19) \
	T4TOKEN(4, Z20) \
	T4TOKEN(5, Z21) \
	T4TOKEN(6, Z22) \
	T4TOKEN(7, Z23) \
	T4TOKEN(8, Z24) \
	T4TOKEN(9, Z25) \
	T4TOKEN(10, Z26) \
	T4TOKEN(11, Z27) \
	T4TOKEN(12, Z28) \
	T4TOKEN(13, Z29) \
	T4TOKEN(14, Z30) \
	T4TOKEN(15, Z31)

// TILESUM8 adds eight vectors to acc in order: after TRANSPOSE16 the
// tiles' kSumLanes, lane sums of all 16 tokens at once.
#define TILESUM8(acc, a, b, c, d, e, f, g, h) \
	VADDPS a, acc, acc \
	VADDPS b, acc, acc \
	VADDPS c, acc, acc \
	VADDPS d, acc, acc \
	VADDPS e, acc, acc \
	VADDPS f, acc, acc \
	VADDPS g, acc, acc \
	VADDPS h, acc, acc

// TILESCATTER0 stores row 0's results Z0 of the 2-row tiles to
// out[t*outStride] for the ntok tokens, leaving the token mask in AX and
// the offsets in Z2 for row 1's store.
#define TILESCATTER0 \
	MOVQ outStride+8(FP), AX \
	VPBROADCASTD AX, Z2 \
	VPMULLD ·iota16(SB), Z2, Z2 \
	MOVQ ntok+56(FP), CX \
	MOVL $1, AX \
	SHLL CX, AX \
	DECL AX \
	KMOVW AX, K2 \
	VSCATTERDPS Z0, K2, (DI)(Z2*4)

// The Q6_K tile kernel's steps (kquants_amd64.s). q6M01..q6M67, bytes20
// and q6TIdx are that file's own tables: only it can use these macros.

// T6HALF unpacks groups 4h..4h+3 of the two rows (ql at qlo, qh at qho)
// into [row0 | row1] vectors of signed levels q-32 in sigma32 order. Z13
// holds permQS.
#define T6HALF(qlo, qhi, qho, L0, L1, L2, L3) \
	VMOVDQU qlo(SI), Y8 \
	VINSERTI64X4 $1, qlo(R10), Z8, Z8 \
	VPERMB Z8, Z13, Z8 \
	VMOVDQU qhi(SI), Y9 \
	VINSERTI64X4 $1, qhi(R10), Z9, Z9 \
	VPERMB Z9, Z13, Z9 \
	VMOVDQU qho(SI), Y10 \
	VINSERTI64X4 $1, qho(R10), Z10, Z10 \
	VPERMB Z10, Z13, Z10 \
	VGF2P8AFFINEQB.BCST $0, q6M01<>(SB), Z10, L0 \
	VPTERNLOGD.BCST $0xF8, ·nib4(SB), Z8, L0 \
	VGF2P8AFFINEQB.BCST $0, q6M23<>(SB), Z10, L1 \
	VPTERNLOGD.BCST $0xF8, ·nib4(SB), Z9, L1 \
	VGF2P8AFFINEQB.BCST $0, ·gfHigh(SB), Z8, L2 \
	VGF2P8AFFINEQB.BCST $0, q6M45<>(SB), Z10, Z11 \
	VPORD Z11, L2, L2 \
	VGF2P8AFFINEQB.BCST $0, ·gfHigh(SB), Z9, L3 \
	VGF2P8AFFINEQB.BCST $0, q6M67<>(SB), Z10, Z11 \
	VPORD Z11, L3, L3 \
	VPSUBB bytes20<>(SB), L0, L0 \
	VPSUBB bytes20<>(SB), L1, L1 \
	VPSUBB bytes20<>(SB), L2, L2 \
	VPSUBB bytes20<>(SB), L3, L3

// T6SPREAD makes the scale-pair vector of group g in the frame from the
// two rows' scales widened in Z15.
#define T6SPREAD(g) \
	VMOVDQU64 q6TIdx<>+(64*g)(SB), Z9 \
	VPERMD Z15, Z9, Z9 \
	VMOVDQU64 Z9, (64*g)(SP)

// T6CORR adds group g's share of the offset correction: the activations
// are stored +128 (unsigned), so each product carries 128 * the levels.
#define T6CORR(L, g) \
	VPMADDUBSW L, Z15, Z9 \
	VPDPWSSD (64*g)(SP), Z9, Z14

#define T6FIRST(off, L, j, acc) \
	VBROADCASTI64X4 off(DX), Z8 \
	VPMADDUBSW L, Z8, Z9 \
	VPMADDWD (64*j)(SP), Z9, acc
#define T6SUB(off, L, j, acc) \
	VBROADCASTI64X4 off(DX), Z8 \
	VPMADDUBSW L, Z8, Z9 \
	VPDPWSSD (64*j)(SP), Z9, acc

// T6TOKEN accumulates token t's super-block into S.
#define T6TOKEN(t, S) \
	T6FIRST(256*t, Z0, 0, Z10) \
	T6FIRST(256*t+32, Z1, 1, Z11) \
	T6SUB(256*t+64, Z2, 2, Z10) \
	T6SUB(256*t+96, Z3, 3, Z11) \
	T6SUB(256*t+128, Z4, 4, Z10) \
	T6SUB(256*t+160, Z5, 5, Z11) \
	T6SUB(256*t+192, Z6, 6, Z10) \
	T6SUB(256*t+224, Z7, 7, Z11) \
	VPADDD Z11, Z10, Z10 \
	VPSUBD Z14, Z10, Z10 \
	VCVTDQ2PS Z10, Z10 \
	VMULPS.BCST (4096+4*t)(DX), Z12, Z11 \
	VMULPS Z11, Z10, Z10 \
	VADDPS Z10, S, S

// The Q8_0 tile kernel's step (legacy_amd64.s): one weight row's block
// (row pointer P) against the block's 16 tokens (Z16..Z23: the quants +128,
// four per token per vector; Z25: the tokens' scales), integer sums in Za,
// the float sum of the blocks so far in Zs. The +128 comes off as
// 128*sum(w), made with the same VPDPBUSD against Z24 (all 0x80).
#define Q80ROW(P, Za, Zs) \
	VPXORD Za, Za, Za \
	VPDPBUSD.BCST 2(P), Z16, Za \
	VPDPBUSD.BCST 6(P), Z17, Za \
	VPDPBUSD.BCST 10(P), Z18, Za \
	VPDPBUSD.BCST 14(P), Z19, Za \
	VPDPBUSD.BCST 18(P), Z20, Za \
	VPDPBUSD.BCST 22(P), Z21, Za \
	VPDPBUSD.BCST 26(P), Z22, Za \
	VPDPBUSD.BCST 30(P), Z23, Za \
	VMOVDQU8 2(P), Y26 \
	VPXORD Y27, Y27, Y27 \
	VPDPBUSD Y26, Y24, Y27 \
	VEXTRACTI32X4 $1, Y27, X28 \
	VPADDD X28, X27, X27 \
	VPSHUFD $0x4E, X27, X28 \
	VPADDD X28, X27, X27 \
	VPSHUFD $0xB1, X27, X28 \
	VPADDD X28, X27, X27 \
	VPBROADCASTD X27, Z27 \
	VPSUBD Z27, Za, Za \
	VPBROADCASTW 0(P), Y28 \
	VCVTPH2PS Y28, Z28 \
	VMULPS Z25, Z28, Z28 \
	VCVTDQ2PS Za, Za \
	VMULPS Z28, Za, Za \
	VADDPS Za, Zs, Zs

// Q80STORE scatters row r's 16 sums (Zs) to out[t*outStride + r], for the
// tokens in K2's copy AX, if the row exists (r < rows in CX).
#define Q80STORE(r, Zs) \
	CMPQ CX, $r \
	JLE  q80tstored \
	KMOVW AX, K2 \
	VSCATTERDPS Zs, K2, (4*r)(DI)(Z29*4)

// Q80STOREALL stores the legacy tiles' results, rows 0..7 in Z8..Z15,
// for the ntok tokens: row 0 always, the others while r < rows.
#define Q80STOREALL \
	MOVQ out+0(FP), DI \
	MOVQ outStride+8(FP), AX \
	VPBROADCASTD AX, Z29 \
	VPMULLD ·iota16(SB), Z29, Z29 \
	MOVQ ntok+56(FP), CX \
	MOVL $1, AX \
	SHLL CX, AX \
	DECL AX \
	MOVQ rows+48(FP), CX \
	KMOVW AX, K2 \
	VSCATTERDPS Z8, K2, (DI)(Z29*4) \
	Q80STORE(1, Z9) \
	Q80STORE(2, Z10) \
	Q80STORE(3, Z11) \
	Q80STORE(4, Z12) \
	Q80STORE(5, Z13) \
	Q80STORE(6, Z14) \
	Q80STORE(7, Z15)

// The Q5_0 / Q4_0 tile kernels' step: as Q80ROW, with the row's block
// first unpacked to 32 signed levels in the frame slot (the weights of
// these types are not whole bytes). LEG50LEVELS / LEG40LEVELS leave them
// in Y26; Z30 holds the permute table, Z29 the nibble select, Z28 0x10.
#define LEG50LEVELS(P) \
	VMOVDQU8.Z 0(P), K4, Y26 \
	VPERMB Y26, Y30, Y26 \
	VGF2P8AFFINEQB $0, Y29, Y26, Y26 \
	KMOVD 2(P), K2 \
	VPADDB Y28, Y26, K2, Y26 \
	VPSUBB Y28, Y26, Y26
#define LEG40LEVELS(P) \
	VMOVDQU8.Z 0(P), K4, Y26 \
	VPERMB Y26, Y30, Y26 \
	VGF2P8AFFINEQB $0, Y29, Y26, Y26 \
	VPSUBB Y31, Y26, Y26

// LEGTDOT stores the levels in Y26 to slot(SP) and leaves in Za each
// token's exact integer sum for the block.
#define LEGTDOT(slot, Za) \
	VMOVDQU8 Y26, slot(SP) \
	VPXORD Za, Za, Za \
	VPDPBUSD.BCST (slot+0)(SP), Z16, Za \
	VPDPBUSD.BCST (slot+4)(SP), Z17, Za \
	VPDPBUSD.BCST (slot+8)(SP), Z18, Za \
	VPDPBUSD.BCST (slot+12)(SP), Z19, Za \
	VPDPBUSD.BCST (slot+16)(SP), Z20, Za \
	VPDPBUSD.BCST (slot+20)(SP), Z21, Za \
	VPDPBUSD.BCST (slot+24)(SP), Z22, Za \
	VPDPBUSD.BCST (slot+28)(SP), Z23, Za \
	VPXORD Y27, Y27, Y27 \
	VPDPBUSD Y26, Y24, Y27 \
	VEXTRACTI32X4 $1, Y27, X26 \
	VPADDD X26, X27, X27 \
	VPSHUFD $0x4E, X27, X26 \
	VPADDD X26, X27, X27 \
	VPSHUFD $0xB1, X27, X26 \
	VPADDD X26, X27, X27 \
	VPBROADCASTD X27, Z27 \
	VPSUBD Z27, Za, Za \
	VCVTDQ2PS Za, Za

// Q50TROW: Q5_0's float step, sumf += (dw*dy) * float(sumi).
#define Q50TROW(P, slot, Za, Zs) \
	LEG50LEVELS(P) \
	LEGTDOT(slot, Za) \
	VPBROADCASTW 0(P), Y27 \
	VCVTPH2PS Y27, Z27 \
	VMULPS Z25, Z27, Z27 \
	VMULPS Z27, Za, Za \
	VADDPS Za, Zs, Zs

// Q40TROW: Q4_0's float step, sumf += float(sumi) * dw * dy in that order.
#define Q40TROW(P, slot, Za, Zs) \
	LEG40LEVELS(P) \
	LEGTDOT(slot, Za) \
	VPBROADCASTW 0(P), Y27 \
	VCVTPH2PS Y27, Z27 \
	VMULPS Z27, Za, Za \
	VMULPS Z25, Za, Za \
	VADDPS Za, Zs, Zs
