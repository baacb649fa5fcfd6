package quant

import (
	"math"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

func TestLegacySizes(t *testing.T) {
	for _, c := range []struct {
		typ  ggml.Type
		size int
	}{
		{ggml.Q4_0, sizeQ4_0},
		{ggml.Q4_1, sizeQ4_1},
		{ggml.Q5_0, sizeQ5_0},
		{ggml.Q5_1, sizeQ5_1},
		{ggml.Q8_0, sizeQ8_0},
		{ggml.Q8_1, sizeQ8_1},
	} {
		if c.typ.TypeSize() != c.size || c.typ.BlockSize() != legacyBlock {
			t.Errorf("%s: size constant %d per %d values, ggml table says %d per %d",
				c.typ, c.size, legacyBlock, c.typ.TypeSize(), c.typ.BlockSize())
		}
	}
}

func TestLegacyFixtures(t *testing.T) {
	for _, c := range []struct {
		name string
		typ  ggml.Type
	}{
		{"q8_0", ggml.Q8_0},
		{"q4_0", ggml.Q4_0},
		{"q4_1", ggml.Q4_1},
		{"q5_0", ggml.Q5_0},
		{"q5_1", ggml.Q5_1},
	} {
		t.Run(c.name, func(t *testing.T) { checkKernelFixture(t, c.name, c.typ) })
	}
}

// TestLegacyRoundTrip bounds the reconstruction error of each block by the
// format's step: half a step for round-to-nearest, a whole step for the
// clamped extreme of Q4_0/Q5_0, plus the FP16 rounding of d and m.
func TestLegacyRoundTrip(t *testing.T) {
	for _, c := range []struct {
		typ ggml.Type
		// bound returns the largest error allowed in a block of x.
		bound func(x []float32) float64
	}{
		{ggml.Q8_0, symmetricBound(127, 0.5)},
		{ggml.Q8_1, symmetricBound(127, 0.5)},
		{ggml.Q4_0, symmetricBound(8, 1)},
		{ggml.Q5_0, symmetricBound(16, 1)},
		{ggml.Q4_1, offsetBound(15)},
		{ggml.Q5_1, offsetBound(31)},
	} {
		for r, row := range randomRows(uint64(c.typ)+100, 10, 512) {
			y := roundTrip(t, c.typ, row)
			for b := 0; b < len(row); b += legacyBlock {
				x := row[b : b+legacyBlock]
				limit := c.bound(x)
				for i := range x {
					if err := math.Abs(float64(y[b+i]) - float64(x[i])); err > limit {
						t.Fatalf("%s row %d value %d: %v -> %v, error %g > bound %g",
							c.typ, r, b+i, x[i], y[b+i], err, limit)
					}
				}
			}
		}
	}
}

// symmetricBound is for d*q with the largest magnitude at nmax steps.
func symmetricBound(nmax, steps float64) func([]float32) float64 {
	return func(x []float32) float64 {
		_, amax := signedMax(x)
		d := float64(amax) / nmax
		// FP16 d: relative error 2^-11 on up to nmax steps; below FP16's
		// normal range the scale itself is off by up to 2^-25.
		return steps*d*1.0001 + nmax*(d*0x1p-11+0x1p-25)
	}
}

// offsetBound is for d*q + m with the block's range in nmax steps.
func offsetBound(nmax float64) func([]float32) float64 {
	return func(x []float32) float64 {
		lo, hi := minMax(x)
		d := float64(hi-lo) / nmax
		return 0.5*d*1.0001 + nmax*(d*0x1p-11+0x1p-25) + math.Abs(float64(lo))*0x1p-11 + 0x1p-25
	}
}

// TestQ8Rounding pins the activation quantizers' roundf: a value exactly
// halfway between two steps goes away from zero, unlike nearest_int.
func TestQ8Rounding(t *testing.T) {
	x := make([]float32, legacyBlock)
	x[0] = 127 // d = 1
	x[1] = 2.5
	x[2] = -2.5
	x[3] = 0.5
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q8_1} {
		f, _ := Lookup(typ)
		q := make([]byte, typ.TypeSize())
		f.Quantize(x, q)
		qs := q[typ.TypeSize()-legacyBlock:]
		if got := [4]int8{int8(qs[0]), int8(qs[1]), int8(qs[2]), int8(qs[3])}; got != [4]int8{127, 3, -3, 1} {
			t.Errorf("%s: quants %v, want [127 3 -3 1]", typ, got)
		}
	}
}

// TestQ8_1Sum checks s = d*sum(q) and the Kiln-only Q8_1 dot product against
// the dequantized rows.
func TestQ8_1Sum(t *testing.T) {
	f, _ := Lookup(ggml.Q8_1)
	rows := randomRows(7, 2, 256)
	a := make([]byte, rowBytes(t, ggml.Q8_1, 256))
	b := make([]byte, len(a))
	f.Quantize(rows[0], a)
	f.Quantize(rows[1], b)
	da, db := make([]float32, 256), make([]float32, 256)
	f.Dequantize(a, da)
	f.Dequantize(b, db)
	var want float64
	for i := range da {
		want += float64(da[i]) * float64(db[i])
	}
	if got := f.VecDot(256, a, b); math.Abs(float64(got)-want) > 1e-5*math.Abs(want)+1e-30 {
		t.Errorf("VecDot = %v, want %v", got, want)
	}
	for blk := 0; blk < 256/legacyBlock; blk++ {
		q := a[blk*sizeQ8_1 : (blk+1)*sizeQ8_1]
		var sum int
		for _, v := range q[4:] {
			sum += int(int8(v))
		}
		// s uses the unrounded d, not the FP16 one stored beside it.
		d := absMax(rows[0][blk*legacyBlock:(blk+1)*legacyBlock]) / 127
		if got, want := half(q[2:]), FP16ToFP32(FP32ToFP16(float32(sum)*d)); got != want {
			t.Errorf("block %d: s = %v, want %v", blk, got, want)
		}
	}
}
