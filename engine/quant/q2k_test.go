package quant

import "testing"

// TestQ2KLayout builds blocks by hand from the layout comment on
// q2KTypeSize and checks which value each field moves.
func TestQ2KLayout(t *testing.T) {
	y := make([]float32, qkK)
	newBlock := func() []byte {
		blk := make([]byte, q2KTypeSize)
		for j := range 16 {
			blk[j] = 1 // scale 1, min 0
		}
		blk[80], blk[81] = kHalfOne&0xff, kHalfOne>>8 // d = 1
		blk[82], blk[83] = kHalfOne&0xff, kHalfOne>>8 // dmin = 1
		return blk
	}
	for h := range 2 {
		for l := range 32 {
			for k := range 4 {
				blk := newBlock()
				blk[16+32*h+l] = 3 << (2 * k)
				dequantizeQ2K(blk, y)
				kExpectOnly(t, "qs", y, 128*h+32*k+l, 3, 0)
			}
		}
	}
	// Sub-block j: scale in the low nibble, min in the high nibble.
	for j := range 16 {
		blk := newBlock()
		blk[j] = 5<<4 | 2
		for i := range 64 {
			blk[16+i] = 0x55 // every quant 1
		}
		dequantizeQ2K(blk, y)
		for i, v := range y {
			want := float32(1)
			if i/16 == j {
				want = 2 - 5
			}
			if v != want {
				t.Fatalf("sub-block %d: y[%d] = %v, want %v", j, i, v, want)
			}
		}
	}
}
