package quant

import (
	"math"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

func TestIQ4NLSize(t *testing.T) {
	if ggml.IQ4_NL.TypeSize() != sizeIQ4_NL || ggml.IQ4_NL.BlockSize() != legacyBlock {
		t.Errorf("IQ4_NL: size constant %d per %d values, ggml table says %d per %d",
			sizeIQ4_NL, legacyBlock, ggml.IQ4_NL.TypeSize(), ggml.IQ4_NL.BlockSize())
	}
}

func TestIQ4NLFixture(t *testing.T) { checkKernelFixture(t, "iq4_nl", ggml.IQ4_NL) }

func TestIQ4NLIndex(t *testing.T) {
	for _, c := range []struct {
		x    float32
		want uint8
	}{
		{-200, 0},
		{-127, 0},
		{-115.5, 1}, // tie between -127 and -104: the upper level
		{-115.6, 0},
		{0, 8},    // nearer to 1 than to -10
		{-4.5, 8}, // tie between -10 and 1
		{-4.6, 7},
		{113, 15},
		{1e9, 15},
		{float32(math.NaN()), 15},
	} {
		if got := iq4nlIndex(c.x); got != c.want {
			t.Errorf("iq4nlIndex(%v) = %d, want %d", c.x, got, c.want)
		}
	}
	// Against a linear search for the nearest level.
	for x := float32(-140); x <= 140; x += 0.25 {
		best := 0
		for i, v := range iq4nlValues {
			if math.Abs(float64(x-float32(v))) <= math.Abs(float64(x-float32(iq4nlValues[best]))) {
				best = i
			}
		}
		if got := iq4nlIndex(x); int(got) != best {
			t.Fatalf("iq4nlIndex(%v) = %d, nearest level is %d", x, got, best)
		}
	}
}

// TestIQ4NLRoundTrip bounds the error by half the widest gap between
// levels (24, between 89 and 113) in units of the chosen scale, the clamp
// beyond ±127 levels, and FP16 rounding of the scale.
func TestIQ4NLRoundTrip(t *testing.T) {
	f, _ := Lookup(ggml.IQ4_NL)
	for r, row := range randomRows(20, 10, 512) {
		q := make([]byte, rowBytes(t, ggml.IQ4_NL, len(row)))
		f.Quantize(row, q)
		y := make([]float32, len(row))
		f.Dequantize(q, y)
		for b := 0; b < len(row); b += legacyBlock {
			x := row[b : b+legacyBlock]
			_, amax := signedMax(x)
			d := math.Abs(float64(half(q[b/legacyBlock*sizeIQ4_NL:])))
			limit := math.Max(12*d, float64(amax)-127*d) + 127*(d*0x1p-11+0x1p-25)
			for i := range x {
				if err := math.Abs(float64(y[b+i]) - float64(x[i])); err > limit*1.0001 {
					t.Fatalf("row %d value %d: %v -> %v, error %g > %g", r, b+i, x[i], y[b+i], err, limit)
				}
			}
			// The scale search keeps the largest value within a few levels
			// of the outermost one, so the scale is never far off.
			if d > 0 && (d*127 < 0.8*float64(amax) || d*127 > 1.3*float64(amax)) {
				t.Errorf("row %d block %d: scale %g for amax %g", r, b/legacyBlock, d, amax)
			}
		}
	}
}

// TestIQ4NLZeroBlock: an all-zero block gets scale 0 and every index at the
// level nearest to zero (1, index 8), as ggml writes it.
func TestIQ4NLZeroBlock(t *testing.T) {
	f, _ := Lookup(ggml.IQ4_NL)
	q := make([]byte, sizeIQ4_NL)
	f.Quantize(make([]float32, legacyBlock), q)
	for i, v := range q {
		want := byte(0x88)
		if i < 2 {
			want = 0
		}
		if v != want {
			t.Fatalf("byte %d = %#02x, want %#02x", i, v, want)
		}
	}
}
