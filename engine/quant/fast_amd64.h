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

