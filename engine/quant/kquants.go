package quant

// The K-quants (Q2_K … Q6_K, and the Q8_K activation type) group 256 values
// into a super-block that carries one or two FP16 super-scales; each 16- or
// 32-value sub-block inside it has a small integer scale (and for Q2_K, Q4_K,
// Q5_K a minimum) expressed in units of those super-scales.
//
// This file holds the helpers the reference quantizers share, mirroring
// ggml-quants.c: nearest_int, make_qx_quants, make_q3_quants,
// make_qkx2_quants and get_scale_min_k4.
//
// Floating point: ggml's reference build has no FMA, so every a*b+c in C is
// two roundings. Go may fuse such an expression (arm64 always, amd64 with
// GOAMD64=v3), even across statements, so every product that feeds an
// addition or subtraction here is wrapped in an explicit float32(...)
// conversion, which the Go spec guarantees rounds and forbids fusing. The
// search in make_qkx2_quants is sensitive to this: a fused build picks
// different scales for Q2_K, Q4_K and Q5_K.

import (
	"encoding/binary"
	"math"

	"github.com/kiln-llm/kiln/engine/ggml"
)

const qkK = ggml.QK_K

// kGroupMaxEps is ggml's GROUP_MAX_EPS: a group whose largest magnitude is
// below it quantizes to all zeros.
const kGroupMaxEps = float32(1e-15)

// kNearestInt rounds f to the nearest integer, ties to even, the way ggml's
// nearest_int does: adding 1.5*2^23 pushes the integer part into the low
// mantissa bits. Like ggml it is meant for |f| <= 4194303; beyond that (or
// for NaN) it returns garbage, which callers clamp as ggml does.
func kNearestInt(f float32) int {
	v := float32(f) + 12582912
	return int(math.Float32bits(v)&0x007fffff) - 0x00400000
}

func kAbs(f float32) float32 {
	return math.Float32frombits(math.Float32bits(f) &^ (1 << 31))
}

func kClamp(v, lo, hi int) int {
	return max(lo, min(hi, v))
}

// kHalf reads the little-endian FP16 at b[0:2] as float32.
func kHalf(b []byte) float32 {
	return FP16ToFP32(binary.LittleEndian.Uint16(b))
}

func kPutHalf(b []byte, f float32) {
	binary.LittleEndian.PutUint16(b, FP32ToFP16(f))
}

// kMakeQX is make_qx_quants with rmse_type 1 and no importance weights (the
// only way the reference quantizers call it: Q6_K). It picks a scale for
// the signed levels -nmax..nmax-1 minimizing the x²-weighted squared error,
// trying 18 perturbations of nmax/max, and stores level+nmax in L.
func kMakeQX(nmax int, x []float32, L []int8) float32 {
	var vmax, amax float32
	for _, v := range x {
		if ax := kAbs(v); ax > amax {
			amax, vmax = ax, v
		}
	}
	if amax < kGroupMaxEps {
		clear(L[:len(x)])
		return 0
	}
	fnmax := float32(nmax)
	iscale := -fnmax / vmax
	var sumlx, suml2 float32
	for i, v := range x {
		l := kClamp(kNearestInt(float32(iscale*v)), -nmax, nmax-1)
		L[i] = int8(l + nmax)
		w := float32(v * v)
		fl := float32(l)
		sumlx += float32(float32(w*v) * fl)
		suml2 += float32(float32(w*fl) * fl)
	}
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fnmax + float32(0.1*float32(is))) / vmax
		sumlx, suml2 = 0, 0
		for _, v := range x {
			l := kClamp(kNearestInt(float32(iscale*v)), -nmax, nmax-1)
			w := float32(v * v)
			fl := float32(l)
			sumlx += float32(float32(w*v) * fl)
			suml2 += float32(float32(w*fl) * fl)
		}
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			for i, v := range x {
				l := kClamp(kNearestInt(float32(iscale*v)), -nmax, nmax-1)
				L[i] = int8(l + nmax)
			}
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	return scale
}

// kMakeQ3 is make_q3_quants with do_rmse set (Q3_K's reference path): a
// first guess from nmax/max, then up to five passes that move one level at
// a time while the x²-weighted fit improves. L receives level+nmax.
func kMakeQ3(nmax int, x []float32, L []int8) float32 {
	var vmax, amax float32
	for _, v := range x {
		if ax := kAbs(v); ax > amax {
			amax, vmax = ax, v
		}
	}
	if amax < kGroupMaxEps {
		clear(L[:len(x)])
		return 0
	}
	iscale := -float32(nmax) / vmax
	var sumlx, suml2 float32
	for i, v := range x {
		l := kClamp(kNearestInt(float32(iscale*v)), -nmax, nmax-1)
		L[i] = int8(l)
		w := float32(v * v)
		fl := float32(l)
		sumlx += float32(float32(w*v) * fl)
		suml2 += float32(float32(w*fl) * fl)
	}
	for range 5 {
		changed := 0
		for i, v := range x {
			w := float32(v * v)
			li := float32(L[i])
			slx := sumlx - float32(float32(w*v)*li)
			if slx <= 0 {
				continue
			}
			sl2 := suml2 - float32(float32(w*li)*li)
			nl := kClamp(kNearestInt(float32(v*sl2)/slx), -nmax, nmax-1)
			if nl == int(L[i]) {
				continue
			}
			fl := float32(nl)
			slx += float32(float32(w*v) * fl)
			sl2 += float32(float32(w*fl) * fl)
			if sl2 > 0 && float32(float32(slx*slx)*suml2) > float32(float32(sumlx*sumlx)*sl2) {
				L[i] = int8(nl)
				sumlx, suml2 = slx, sl2
				changed++
			}
		}
		if changed == 0 {
			break
		}
	}
	for i := range x {
		L[i] += int8(nmax)
	}
	if suml2 > 0 {
		return sumlx / suml2
	}
	return 0
}

// kMakeQKX2 is make_qkx2_quants: it fits x ≈ scale*L - theMin with L in
// 0..nmax, starting from the min/max range and trying nstep+1 candidate
// inverse scales (rmin + rdelta*is + nmax)/(max-min), each refined by a
// weighted least-squares solve for scale and min. useMAD selects absolute
// instead of squared error. laux is scratch of len(x).
func kMakeQKX2(nmax int, x, weights []float32, L, laux []uint8, rmin, rdelta float32, nstep int, useMAD bool) (scale, theMin float32) {
	n := len(x)
	weights, L, laux = weights[:n], L[:n], laux[:n] // one bounds check here
	vmin, vmax := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < vmin {
			vmin = x[i]
		}
		if x[i] > vmax {
			vmax = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if vmin > 0 {
		vmin = 0
	}
	if vmax == vmin {
		clear(L[:n])
		return 0, -vmin
	}
	fnmax := float32(nmax)
	iscale := fnmax / (vmax - vmin)
	scale = 1 / iscale
	var bestErr float32
	for i, v := range x {
		l := kClamp(kNearestInt(float32(iscale*(v-vmin))), 0, nmax)
		L[i] = uint8(l)
		diff := float32(scale*float32(l)) + vmin - v
		if useMAD {
			diff = kAbs(diff)
		} else {
			diff = float32(diff * diff)
		}
		bestErr += float32(weights[i] * diff)
	}
	if nstep < 1 {
		return scale, -vmin
	}
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + fnmax) / (vmax - vmin)
		var sumL, sumL2, sumXL float32
		for i, v := range x {
			l := kClamp(kNearestInt(float32(iscale*(v-vmin))), 0, nmax)
			laux[i] = uint8(l)
			w := weights[i]
			fl := float32(l)
			wl := float32(w * fl)
			sumL += wl
			sumL2 += float32(wl * fl)
			sumXL += float32(wl * v)
		}
		d := float32(sumW*sumL2) - float32(sumL*sumL)
		if !(d > 0) {
			continue
		}
		thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / d
		thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / d
		if thisMin > 0 {
			thisMin = 0
			thisScale = sumXL / sumL2
		}
		var curErr float32
		for i, v := range x {
			diff := float32(thisScale*float32(laux[i])) + thisMin - v
			if useMAD {
				diff = kAbs(diff)
			} else {
				diff = float32(diff * diff)
			}
			curErr += float32(weights[i] * diff)
		}
		if curErr < bestErr {
			copy(L[:n], laux[:n])
			bestErr = curErr
			scale = thisScale
			vmin = thisMin
		}
	}
	return scale, -vmin
}

// kScaleMin unpacks the 6-bit scale and min of sub-block j (0..7) from the
// 12-byte scales field of Q4_K/Q5_K (ggml's get_scale_min_k4). Bytes 0..3
// hold scales 0..3 and bytes 4..7 mins 0..3 in their low 6 bits; bytes 8..11
// hold the low nibbles of scale (low half) and min (high half) of 4..7, whose
// top two bits sit in the spare high bits of bytes 0..7.
func kScaleMin(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xF | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// kPackScaleMin is the inverse of kScaleMin for the quantizers: it ORs the
// 6-bit ls and lm of sub-block j into the zeroed 12-byte q.
func kPackScaleMin(j int, q []byte, ls, lm uint8) {
	if j < 4 {
		q[j] = ls
		q[j+4] = lm
		return
	}
	q[j+4] = ls&0xF | (lm&0xF)<<4
	q[j-4] |= (ls >> 4) << 6
	q[j] |= (lm >> 4) << 6
}

// kQuantizeScalesMins turns the eight float sub-block scales and mins of a
// Q4_K/Q5_K super-block into the 6-bit packed scales and the FP16 d and dmin
// at blk[0:4], as quantize_row_q4_K_ref/q5_K_ref do.
func kQuantizeScalesMins(blk []byte, scales, mins *[8]float32) {
	var maxScale, maxMin float32
	for j := range 8 {
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	sc := blk[4:16]
	clear(sc)
	for j := range 8 {
		// ggml stores nearest_int into a uint8 before clamping, so a
		// negative value wraps and then clamps to 63.
		ls := min(63, uint8(kNearestInt(float32(invScale*scales[j]))))
		lm := min(63, uint8(kNearestInt(float32(invMin*mins[j]))))
		kPackScaleMin(j, sc, ls, lm)
	}
	kPutHalf(blk[0:], maxScale/63)
	kPutHalf(blk[2:], maxMin/63)
}

// kSubBlockWeights fills w with the Q4_K/Q5_K weights for one 32-value
// sub-block: the RMS of the sub-block plus |x|.
func kSubBlockWeights(x []float32, w *[32]float32) {
	var sumX2 float32
	for _, v := range x {
		sumX2 += float32(v * v)
	}
	avX := float32(math.Sqrt(float64(sumX2 / 32)))
	for l, v := range x {
		w[l] = avX + kAbs(v)
	}
}

// kRequantizeAsym recomputes the levels of a Q4_K/Q5_K super-block from the
// stored (rounded) d, dmin and 6-bit scales, clamped to 0..nmax. Sub-blocks
// whose scale rounds to zero keep the levels make_qkx2_quants chose.
func kRequantizeAsym(blk []byte, x []float32, L *[qkK]uint8, nmax int) {
	d := kHalf(blk[0:])
	dmin := kHalf(blk[2:])
	for j := range 8 {
		sc, m := kScaleMin(j, blk[4:16])
		ds := d * float32(sc)
		if ds == 0 {
			continue
		}
		dm := dmin * float32(m)
		for ii := range 32 {
			L[32*j+ii] = uint8(kClamp(kNearestInt((x[32*j+ii]+dm)/ds), 0, nmax))
		}
	}
}

// kQ8KBlock reads the scale, quants and 16-value group sums of one Q8_K
// block.
func kQ8KBlock(b []byte) (d float32, qs []byte, bsums []byte) {
	return math.Float32frombits(binary.LittleEndian.Uint32(b)), b[4 : 4+qkK], b[4+qkK : q8KTypeSize]
}

func kBsum(bsums []byte, j int) int32 {
	return int32(int16(binary.LittleEndian.Uint16(bsums[2*j:])))
}

// kDotLanes16 adds sc times the products of 16 Q8_K quants y and weight
// levels a into the eight lanes of aux (lane = index mod 8), the integer
// accumulation of ggml's generic K-quant kernels. The lanes are exact, so
// summing each lane before scaling gives the same int32.
func kDotLanes16(aux *[8]int32, sc int32, y *[16]byte, a *[16]int8) {
	for l := range 8 {
		aux[l] += sc * (int32(int8(y[l]))*int32(a[l]) + int32(int8(y[l+8]))*int32(a[l+8]))
	}
}

// kAddLanes scales the eight integer lanes into the float accumulators, as
// ggml does once per super-block: sums[l] += d*aux[l].
func kAddLanes(sums *[8]float32, d float32, aux *[8]int32) {
	for l := range 8 {
		sums[l] += float32(d * float32(aux[l]))
	}
}

// kSumLanes adds the eight float accumulators to s in lane order.
func kSumLanes(s float32, sums *[8]float32) float32 {
	for l := range 8 {
		s += sums[l]
	}
	return s
}
