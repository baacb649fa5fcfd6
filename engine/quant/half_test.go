package quant

import (
	"math"
	"testing"
)

// TestFP16RoundTrip checks every half value converts to float32 and back to
// itself (NaN payloads aside) and that rounding is to nearest, ties to even.
func TestFP16RoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := FP16ToFP32(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if got := FP32ToFP16(f); got != uint16(h) {
			t.Fatalf("half %#04x -> %v -> %#04x", h, f, got)
		}
	}
	cases := []struct {
		in   float32
		want uint16
	}{
		{1 + 1.0/2048, 0x3c00},                  // tie between 1 and next: even (1)
		{1 + 3.0/2048, 0x3c02},                  // tie: rounds up to even
		{65520, 0x7c00},                         // overflows to +inf
		{float32(math.Copysign(0, -1)), 0x8000}, // signed zero
		{5.960464477539063e-8, 1},               // smallest subnormal
		{2.9802322387695312e-8, 0},              // half of it: tie to even (0)
	}
	for _, c := range cases {
		if got := FP32ToFP16(c.in); got != c.want {
			t.Errorf("FP32ToFP16(%v) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}

func TestBF16(t *testing.T) {
	cases := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3f80},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie: even
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie: even (up)
		{math.Float32frombits(0x3f808001), 0x3f81},
	}
	for _, c := range cases {
		if got := FP32ToBF16(c.in); got != c.want {
			t.Errorf("FP32ToBF16(%v) = %#04x, want %#04x", c.in, got, c.want)
		}
		if back := BF16ToFP32(c.want); math.Float32bits(back) != uint32(c.want)<<16 {
			t.Errorf("BF16ToFP32(%#04x) = %v", c.want, back)
		}
	}
}
