#include "textflag.h"

// The constant tables that several of the package's amd64 assembly files
// (and the macros of fast_amd64.h) read, defined once as package symbols
// (·name). A table that only one file reads stays in that file, local to
// it (name<>).

// ---- The AVX-512 K-quant kernels (kquants_amd64.s, q5ktile_amd64.s,
// quantize_amd64.s; T4LEVELS, T4SCALES, T4SPREAD and T6HALF of
// fast_amd64.h).

// sigma32 within each 32-byte half of a 64-byte load (see fastlayout.go).

DATA ·permQS+0(SB)/8, $0x1911090118100800
DATA ·permQS+8(SB)/8, $0x1b130b031a120a02
DATA ·permQS+16(SB)/8, $0x1d150d051c140c04
DATA ·permQS+24(SB)/8, $0x1f170f071e160e06
DATA ·permQS+32(SB)/8, $0x3931292138302820
DATA ·permQS+40(SB)/8, $0x3b332b233a322a22
DATA ·permQS+48(SB)/8, $0x3d352d253c342c24
DATA ·permQS+56(SB)/8, $0x3f372f273e362e26
GLOBL ·permQS(SB), RODATA|NOPTR, $64

// The GF(2) affine matrix for VGF2P8AFFINEQB that moves bits 4-7 of each
// byte to 0-3 (one per qword: a whole vector, or the first qword
// broadcast).

DATA ·gfHigh+0(SB)/8, $0x1020408000000000
DATA ·gfHigh+8(SB)/8, $0x1020408000000000
DATA ·gfHigh+16(SB)/8, $0x1020408000000000
DATA ·gfHigh+24(SB)/8, $0x1020408000000000
DATA ·gfHigh+32(SB)/8, $0x1020408000000000
DATA ·gfHigh+40(SB)/8, $0x1020408000000000
DATA ·gfHigh+48(SB)/8, $0x1020408000000000
DATA ·gfHigh+56(SB)/8, $0x1020408000000000
GLOBL ·gfHigh(SB), RODATA|NOPTR, $64

// Unpacking of the 12-byte Q4_K scales (see kScaleMin) into
// [sc0..sc7, m0..m7]: two byte shuffles and three masks (T4SCALES, and the
// AVX2 kernels' copies of its steps).

DATA ·q4ShufA+0(SB)/8, $0x0b0a090803020100
DATA ·q4ShufA+8(SB)/8, $0x0b0a090807060504
GLOBL ·q4ShufA(SB), RODATA|NOPTR, $16

DATA ·q4ShufB+0(SB)/8, $0x0302010080808080
DATA ·q4ShufB+8(SB)/8, $0x0706050480808080
GLOBL ·q4ShufB(SB), RODATA|NOPTR, $16

DATA ·q4MaskLo+0(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA ·q4MaskLo+8(SB)/8, $0x000000003f3f3f3f
GLOBL ·q4MaskLo(SB), RODATA|NOPTR, $16

DATA ·q4MaskHi+0(SB)/8, $0x0000000000000000
DATA ·q4MaskHi+8(SB)/8, $0x0f0f0f0f00000000
GLOBL ·q4MaskHi(SB), RODATA|NOPTR, $16

DATA ·q4MaskTop+0(SB)/8, $0x3030303000000000
DATA ·q4MaskTop+8(SB)/8, $0x3030303000000000
GLOBL ·q4MaskTop(SB), RODATA|NOPTR, $16

// VPERMB indices (odd bytes zeroed by mask) that make, for sub-blocks
// (2p, 2p+1) of two rows, dwords of word pairs (sc_2p, sc_2p+1): q4TPair+64*p
// (T4SPREAD).

DATA ·q4TPair+0(SB)/8, $0x0101000001010000
DATA ·q4TPair+8(SB)/8, $0x0101000001010000
DATA ·q4TPair+16(SB)/8, $0x0101000001010000
DATA ·q4TPair+24(SB)/8, $0x0101000001010000
DATA ·q4TPair+32(SB)/8, $0x1111101011111010
DATA ·q4TPair+40(SB)/8, $0x1111101011111010
DATA ·q4TPair+48(SB)/8, $0x1111101011111010
DATA ·q4TPair+56(SB)/8, $0x1111101011111010
DATA ·q4TPair+64(SB)/8, $0x0303020203030202
DATA ·q4TPair+72(SB)/8, $0x0303020203030202
DATA ·q4TPair+80(SB)/8, $0x0303020203030202
DATA ·q4TPair+88(SB)/8, $0x0303020203030202
DATA ·q4TPair+96(SB)/8, $0x1313121213131212
DATA ·q4TPair+104(SB)/8, $0x1313121213131212
DATA ·q4TPair+112(SB)/8, $0x1313121213131212
DATA ·q4TPair+120(SB)/8, $0x1313121213131212
DATA ·q4TPair+128(SB)/8, $0x0505040405050404
DATA ·q4TPair+136(SB)/8, $0x0505040405050404
DATA ·q4TPair+144(SB)/8, $0x0505040405050404
DATA ·q4TPair+152(SB)/8, $0x0505040405050404
DATA ·q4TPair+160(SB)/8, $0x1515141415151414
DATA ·q4TPair+168(SB)/8, $0x1515141415151414
DATA ·q4TPair+176(SB)/8, $0x1515141415151414
DATA ·q4TPair+184(SB)/8, $0x1515141415151414
DATA ·q4TPair+192(SB)/8, $0x0707060607070606
DATA ·q4TPair+200(SB)/8, $0x0707060607070606
DATA ·q4TPair+208(SB)/8, $0x0707060607070606
DATA ·q4TPair+216(SB)/8, $0x0707060607070606
DATA ·q4TPair+224(SB)/8, $0x1717161617171616
DATA ·q4TPair+232(SB)/8, $0x1717161617171616
DATA ·q4TPair+240(SB)/8, $0x1717161617171616
DATA ·q4TPair+248(SB)/8, $0x1717161617171616
GLOBL ·q4TPair(SB), RODATA|NOPTR, $256

// 0..15 as int32, for the scatter indices of a token block.

DATA ·iota16+0(SB)/8, $0x0000000100000000
DATA ·iota16+8(SB)/8, $0x0000000300000002
DATA ·iota16+16(SB)/8, $0x0000000500000004
DATA ·iota16+24(SB)/8, $0x0000000700000006
DATA ·iota16+32(SB)/8, $0x0000000900000008
DATA ·iota16+40(SB)/8, $0x0000000b0000000a
DATA ·iota16+48(SB)/8, $0x0000000d0000000c
DATA ·iota16+56(SB)/8, $0x0000000f0000000e
GLOBL ·iota16(SB), RODATA|NOPTR, $64

// ---- The legacy quants (legacy_amd64.s, avx2_amd64.s).

// Byte offsets of the FP16 scales of eight consecutive Q8_0 blocks.

DATA ·q80dIdx+0(SB)/4, $0
DATA ·q80dIdx+4(SB)/4, $34
DATA ·q80dIdx+8(SB)/4, $68
DATA ·q80dIdx+12(SB)/4, $102
DATA ·q80dIdx+16(SB)/4, $136
DATA ·q80dIdx+20(SB)/4, $170
DATA ·q80dIdx+24(SB)/4, $204
DATA ·q80dIdx+28(SB)/4, $238
GLOBL ·q80dIdx(SB), RODATA|NOPTR, $32

// VPERMD indices 0 4 1 5 2 6 3 7. The reduction of four 2-block vectors
// leaves block sums in the order 0 2 4 6 1 3 5 7; this puts them back in
// block order (legacy_amd64.s). It also undoes the lane interleave of
// VPACKSSDW/VPACKSSWB (the AVX2 quantizeQ8_0 of avx2tile_amd64.s).

DATA ·blk8Order+0(SB)/4, $0
DATA ·blk8Order+4(SB)/4, $4
DATA ·blk8Order+8(SB)/4, $1
DATA ·blk8Order+12(SB)/4, $5
DATA ·blk8Order+16(SB)/4, $2
DATA ·blk8Order+20(SB)/4, $6
DATA ·blk8Order+24(SB)/4, $3
DATA ·blk8Order+28(SB)/4, $7
GLOBL ·blk8Order(SB), RODATA|NOPTR, $32

// ---- The AVX2 kernels (avx2_amd64.s, avx2k_amd64.s, avx2rows_amd64.s,
// avx2tile_amd64.s, q5ktile_amd64.s).

// sigma32 (fastlayout.go) of a 32-byte load in two steps: VPERMD gathers
// the dwords that hold values 0-3, 8-11, 16-19, 24-27 into the low lane
// (the rest into the high one), then VPSHUFB transposes each lane's 4x4
// bytes.

DATA ·sigDwords+0(SB)/8, $0x0000000200000000
DATA ·sigDwords+8(SB)/8, $0x0000000600000004
DATA ·sigDwords+16(SB)/8, $0x0000000300000001
DATA ·sigDwords+24(SB)/8, $0x0000000700000005
GLOBL ·sigDwords(SB), RODATA|NOPTR, $32

DATA ·sigBytes+0(SB)/8, $0x0d0905010c080400
DATA ·sigBytes+8(SB)/8, $0x0f0b07030e0a0602
DATA ·sigBytes+16(SB)/8, $0x0d0905010c080400
DATA ·sigBytes+24(SB)/8, $0x0f0b07030e0a0602
GLOBL ·sigBytes(SB), RODATA|NOPTR, $32

// For one 16-byte half of a Q4_K chunk broadcast to both lanes: dword k
// (k < 8) = bytes k, k+8, k, k+8 (the k4v order; the low nibbles make the
// first word, the high nibbles the second).

DATA ·k4vShuf+0(SB)/8, $0x0901090108000800
DATA ·k4vShuf+8(SB)/8, $0x0b030b030a020a02
DATA ·k4vShuf+16(SB)/8, $0x0d050d050c040c04
DATA ·k4vShuf+24(SB)/8, $0x0f070f070e060e06
GLOBL ·k4vShuf(SB), RODATA|NOPTR, $32

// ---- Constants broadcast from 32 bits (VPBROADCASTD, or .BCST).

// 0x0f bytes: the low nibble of each byte.

DATA ·nib4+0(SB)/4, $0x0f0f0f0f
GLOBL ·nib4(SB), RODATA|NOPTR, $4

// 0x10 bytes: bit 4, the fifth bit of a Q5_0 or Q5_K level.

DATA ·bits4+0(SB)/4, $0x10101010
GLOBL ·bits4(SB), RODATA|NOPTR, $4

// 0x30 bytes: bits 4 and 5, the high two bits of a Q6_K level.

DATA ·bits45+0(SB)/4, $0x30303030
GLOBL ·bits45(SB), RODATA|NOPTR, $4

// 0x80 bytes: the +128 of the unsigned activations.

DATA ·bytes80+0(SB)/4, $0x80808080
GLOBL ·bytes80(SB), RODATA|NOPTR, $4

// int16 ones: VPMADDWD with them adds the words of each dword.

DATA ·ones16+0(SB)/4, $0x00010001
GLOBL ·ones16(SB), RODATA|NOPTR, $4

// The float32 and int32 constants of the activation conversions
// (quantize_amd64.s, and their AVX2 forms in avx2tile_amd64.s).

DATA ·absMaskF+0(SB)/4, $0x7fffffff
GLOBL ·absMaskF(SB), RODATA|NOPTR, $4

DATA ·magicF+0(SB)/4, $0x4b400000 // 12582912 = 1.5*2^23
GLOBL ·magicF(SB), RODATA|NOPTR, $4

DATA ·mantMask+0(SB)/4, $0x007fffff
GLOBL ·mantMask(SB), RODATA|NOPTR, $4

DATA ·mantHalf+0(SB)/4, $0x00400000
GLOBL ·mantHalf(SB), RODATA|NOPTR, $4

DATA ·i127+0(SB)/4, $127
GLOBL ·i127(SB), RODATA|NOPTR, $4

DATA ·f127+0(SB)/4, $0x42fe0000 // 127
GLOBL ·f127(SB), RODATA|NOPTR, $4

DATA ·fm127+0(SB)/4, $0xc2fe0000 // -127
GLOBL ·fm127(SB), RODATA|NOPTR, $4

DATA ·f1+0(SB)/4, $0x3f800000
GLOBL ·f1(SB), RODATA|NOPTR, $4

DATA ·fHalf+0(SB)/4, $0x3f000000
GLOBL ·fHalf(SB), RODATA|NOPTR, $4

DATA ·signMask+0(SB)/4, $0x80000000
GLOBL ·signMask(SB), RODATA|NOPTR, $4

DATA ·w2048+0(SB)/4, $0x08000800
GLOBL ·w2048(SB), RODATA|NOPTR, $4
