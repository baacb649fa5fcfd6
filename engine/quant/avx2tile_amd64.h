// The AVX2 tile kernels' macros (avx2tile_amd64.s, q5ktile_amd64.s): the
// token blocks' lane accumulators in the frame (KCLEAR, KLANES8, KSUM8,
// KSTORE; frame layout in avx2tile_amd64.s) and Q4_K's levels and chunk
// products in the k4v order (T4LEV, T4CHUNK). VEX encodings and Y0-Y15
// only. A header of its own, not fast_amd64.h: avx2tile_amd64.s has
// T6HALF and T6CORR macros of its own, whose names fast_amd64.h uses.

// TRANSPOSE8 transposes the 8x8 float32 matrix whose rows are Y0..Y7 so
// that Y8+k holds column k. Clobbers Y0..Y7.
#define TRANSPOSE8 \
	VUNPCKLPS Y1, Y0, Y8 \
	VUNPCKHPS Y1, Y0, Y9 \
	VUNPCKLPS Y3, Y2, Y10 \
	VUNPCKHPS Y3, Y2, Y11 \
	VUNPCKLPS Y5, Y4, Y12 \
	VUNPCKHPS Y5, Y4, Y13 \
	VUNPCKLPS Y7, Y6, Y14 \
	VUNPCKHPS Y7, Y6, Y15 \
	VSHUFPS $0x44, Y10, Y8, Y0 \
	VSHUFPS $0xEE, Y10, Y8, Y1 \
	VSHUFPS $0x44, Y11, Y9, Y2 \
	VSHUFPS $0xEE, Y11, Y9, Y3 \
	VSHUFPS $0x44, Y14, Y12, Y4 \
	VSHUFPS $0xEE, Y14, Y12, Y5 \
	VSHUFPS $0x44, Y15, Y13, Y6 \
	VSHUFPS $0xEE, Y15, Y13, Y7 \
	VPERM2F128 $0x20, Y4, Y0, Y8 \
	VPERM2F128 $0x20, Y5, Y1, Y9 \
	VPERM2F128 $0x20, Y6, Y2, Y10 \
	VPERM2F128 $0x20, Y7, Y3, Y11 \
	VPERM2F128 $0x31, Y4, Y0, Y12 \
	VPERM2F128 $0x31, Y5, Y1, Y13 \
	VPERM2F128 $0x31, Y6, Y2, Y14 \
	VPERM2F128 $0x31, Y7, Y3, Y15

// KLANES8 loads the lane accumulators of eight tokens (frame at lanes, 32
// bytes a token) and transposes them: Y8+l holds lane l of each token.
#define KLANES8(lanes) \
	VMOVUPS (lanes+0)(SP), Y0 \
	VMOVUPS (lanes+32)(SP), Y1 \
	VMOVUPS (lanes+64)(SP), Y2 \
	VMOVUPS (lanes+96)(SP), Y3 \
	VMOVUPS (lanes+128)(SP), Y4 \
	VMOVUPS (lanes+160)(SP), Y5 \
	VMOVUPS (lanes+192)(SP), Y6 \
	VMOVUPS (lanes+224)(SP), Y7 \
	TRANSPOSE8

// KSUM8 is kSumLanes for the eight tokens: their sumf in Y0, plus lane 0,
// then lane 1, ..., stored at res in the frame.
#define KSUM8(res) \
	VADDPS Y8, Y0, Y0 \
	VADDPS Y9, Y0, Y0 \
	VADDPS Y10, Y0, Y0 \
	VADDPS Y11, Y0, Y0 \
	VADDPS Y12, Y0, Y0 \
	VADDPS Y13, Y0, Y0 \
	VADDPS Y14, Y0, Y0 \
	VADDPS Y15, Y0, Y0 \
	VMOVUPS Y0, res(SP)

// KCLEAR zeroes the 16 tokens' lane accumulators (frame 0-511).
#define KCLEAR \
	VXORPS Y0, Y0, Y0 \
	VMOVUPS Y0, 0(SP) \
	VMOVUPS Y0, 32(SP) \
	VMOVUPS Y0, 64(SP) \
	VMOVUPS Y0, 96(SP) \
	VMOVUPS Y0, 128(SP) \
	VMOVUPS Y0, 160(SP) \
	VMOVUPS Y0, 192(SP) \
	VMOVUPS Y0, 224(SP) \
	VMOVUPS Y0, 256(SP) \
	VMOVUPS Y0, 288(SP) \
	VMOVUPS Y0, 320(SP) \
	VMOVUPS Y0, 352(SP) \
	VMOVUPS Y0, 384(SP) \
	VMOVUPS Y0, 416(SP) \
	VMOVUPS Y0, 448(SP) \
	VMOVUPS Y0, 480(SP)

// KSTORE copies the ntok results at 640(SP) to out[t*outStride] (DI).
// Clobbers AX, R11-R14.
#define KSTORE(label) \
	MOVQ outStride+8(FP), AX \
	SHLQ $2, AX \
	MOVQ ntok+56(FP), R11 \
	LEAQ 640(SP), R12 \
	MOVQ DI, R13 \
label: \
	MOVL (R12), R14 \
	MOVL R14, (R13) \
	ADDQ $4, R12 \
	ADDQ AX, R13 \
	DECQ R11 \
	JNZ  label

// T4LEV unpacks 16 bytes of a Q4_K chunk (at off) into 32 levels in the
// k4v order. Y12 holds k4vShuf, Y13 the nibble mask.
#define T4LEV(off, V) \
	VBROADCASTI128 off(BX), V \
	VPSHUFB Y12, V, V \
	VPSRLW $4, V, Y14 \
	VPBLENDW $0xAA, Y14, V, V \
	VPAND Y13, V, V

// T4CHUNK adds to Y14 the products of chunk c (levels Y(2c), Y(2c+1),
// scales Sc) with the token's activations at R12.
#define T4CHUNK(c, La, Lb, S) \
	VPMADDUBSW (64*c)(R12), La, Y12 \
	VPMADDUBSW (64*c+32)(R12), Lb, Y13 \
	VPADDW Y13, Y12, Y12 \
	VPMADDWD S, Y12, Y12 \
	VPADDD Y12, Y14, Y14

// T4VSCALES starts a Q4_K-style super-block at BX for the AVX2 tiles:
// the scale and min words to 704(SP), the mins' products of the 16 tokens
// (tokens across the lanes) subtracted from the sums at 512(SP) and
// 544(SP), and d*yd per token to 576(SP). Q4_K and Q5_K keep d, dmin and
// the scales at the same offsets.
#define T4VSCALES \
	VMOVDQU 4(BX), X0 \
	VPSHUFB ·q4ShufA(SB), X0, X1 \
	VPSHUFB ·q4ShufB(SB), X0, X2 \
	VPSRLW $4, X1, X3 \
	VPSRLW $2, X2, X2 \
	VPAND ·q4MaskLo(SB), X1, X1 \
	VPAND ·q4MaskHi(SB), X3, X3 \
	VPAND ·q4MaskTop(SB), X2, X2 \
	VPOR X3, X1, X1 \
	VPOR X2, X1, X1 \
	VPMOVZXBW X1, Y1 \
	VMOVDQU Y1, 704(SP) \
	VPBROADCASTD 720(SP), Y2 \
	VPMADDWD 4096(DX), Y2, Y3 \
	VPMADDWD 4128(DX), Y2, Y4 \
	VPBROADCASTD 724(SP), Y2 \
	VPMADDWD 4160(DX), Y2, Y5 \
	VPADDD Y5, Y3, Y3 \
	VPMADDWD 4192(DX), Y2, Y5 \
	VPADDD Y5, Y4, Y4 \
	VPBROADCASTD 728(SP), Y2 \
	VPMADDWD 4224(DX), Y2, Y5 \
	VPADDD Y5, Y3, Y3 \
	VPMADDWD 4256(DX), Y2, Y5 \
	VPADDD Y5, Y4, Y4 \
	VPBROADCASTD 732(SP), Y2 \
	VPMADDWD 4288(DX), Y2, Y5 \
	VPADDD Y5, Y3, Y3 \
	VPMADDWD 4320(DX), Y2, Y5 \
	VPADDD Y5, Y4, Y4 \
	VCVTDQ2PS Y3, Y3 \
	VCVTDQ2PS Y4, Y4 \
	VCVTPH2PS (BX), X5 \
	VMOVSHDUP X5, X6 \
	VBROADCASTSS X6, Y6 \
	VBROADCASTSS X5, Y5 \
	VMULPS 4352(DX), Y6, Y7 \
	VMULPS Y7, Y3, Y3 \
	VMOVUPS 512(SP), Y7 \
	VSUBPS Y3, Y7, Y7 \
	VMOVUPS Y7, 512(SP) \
	VMULPS 4384(DX), Y6, Y7 \
	VMULPS Y7, Y4, Y4 \
	VMOVUPS 544(SP), Y7 \
	VSUBPS Y4, Y7, Y7 \
	VMOVUPS Y7, 544(SP) \
	VMULPS 4352(DX), Y5, Y7 \
	VMOVUPS Y7, 576(SP) \
	VMULPS 4384(DX), Y5, Y7 \
	VMOVUPS Y7, 608(SP)

// T4VTOKENS multiplies the levels in Y0..Y7 with each token's activations
// and adds (d*yd) * float(lane) to its eight float lanes at 0(SP); label
// names the token loop.
#define T4VTOKENS(label) \
	VPBROADCASTD 704(SP), Y8 \
	VPBROADCASTD 708(SP), Y9 \
	VPBROADCASTD 712(SP), Y10 \
	VPBROADCASTD 716(SP), Y11 \
	MOVQ DX, R12 \
	LEAQ 0(SP), R13 \
	LEAQ 576(SP), R14 \
	MOVQ ntok+56(FP), R11 \
label: \
	VPMADDUBSW 0(R12), Y0, Y12 \
	VPMADDUBSW 32(R12), Y1, Y13 \
	VPADDW Y13, Y12, Y12 \
	VPMADDWD Y8, Y12, Y14 \
	T4CHUNK(1, Y2, Y3, Y9) \
	T4CHUNK(2, Y4, Y5, Y10) \
	T4CHUNK(3, Y6, Y7, Y11) \
	VCVTDQ2PS Y14, Y14 \
	VBROADCASTSS (R14), Y12 \
	VMULPS Y12, Y14, Y14 \
	VADDPS (R13), Y14, Y14 \
	VMOVUPS Y14, (R13) \
	ADDQ $256, R12 \
	ADDQ $32, R13 \
	ADDQ $4, R14 \
	DECQ R11 \
	JNZ  label

// T4VROWEND finishes a row: each token's sum in kSumLanes's order, then
// stored to out (label names the store loop).
#define T4VROWEND(label) \
	KLANES8(0) \
	VMOVUPS 512(SP), Y0 \
	KSUM8(640) \
	KLANES8(256) \
	VMOVUPS 544(SP), Y0 \
	KSUM8(672) \
	KSTORE(label)
