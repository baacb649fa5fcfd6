package quant

import "testing"

// kExpectOnly checks that y[idx] == want and every other value == rest.
func kExpectOnly(t *testing.T, what string, y []float32, idx int, want, rest float32) {
	t.Helper()
	for i, v := range y {
		if i == idx && v != want || i != idx && v != rest {
			t.Fatalf("%s: y[%d] = %v (want %v at %d, %v elsewhere)", what, i, v, want, idx, rest)
		}
	}
}

const kHalfOne = 0x3c00 // FP16 1.0

// TestQ4KLayout builds blocks by hand from the layout comment on
// q4KTypeSize and checks which value each field moves.
func TestQ4KLayout(t *testing.T) {
	y := make([]float32, qkK)
	for c := range 4 {
		for l := range 32 {
			for hi := range 2 {
				blk := make([]byte, q4KTypeSize)
				blk[0], blk[1] = kHalfOne&0xff, kHalfOne>>8 // d = 1
				for j := range 8 {
					kPackScaleMin(j, blk[4:16], 1, 0)
				}
				blk[16+32*c+l] = 5 << (4 * hi)
				dequantizeQ4K(blk, y)
				kExpectOnly(t, "quant", y, 64*c+32*hi+l, 5, 0)
			}
		}
	}
	// Sub-block j's scale and min: d = dmin = 1, every quant 1.
	for j := range 8 {
		blk := make([]byte, q4KTypeSize)
		blk[0], blk[1], blk[2], blk[3] = kHalfOne&0xff, kHalfOne>>8, kHalfOne&0xff, kHalfOne>>8
		kPackScaleMin(j, blk[4:16], 7, 3)
		for i := range 128 {
			blk[16+i] = 0x11
		}
		dequantizeQ4K(blk, y)
		for i, v := range y {
			want := float32(0)
			if i/32 == j {
				want = 7 - 3
			}
			if v != want {
				t.Fatalf("sub-block %d: y[%d] = %v, want %v", j, i, v, want)
			}
		}
	}
}
