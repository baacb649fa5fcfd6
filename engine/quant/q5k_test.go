package quant

import "testing"

// TestQ5KLayout builds blocks by hand from the layout comment on
// q5KTypeSize and checks which value each quant bit moves.
func TestQ5KLayout(t *testing.T) {
	y := make([]float32, qkK)
	newBlock := func() []byte {
		blk := make([]byte, q5KTypeSize)
		blk[0], blk[1] = kHalfOne&0xff, kHalfOne>>8
		for j := range 8 {
			kPackScaleMin(j, blk[4:16], 1, 0)
		}
		return blk
	}
	for l := range 32 {
		for b := range 8 {
			blk := newBlock()
			blk[16+l] = 1 << b
			dequantizeQ5K(blk, y)
			kExpectOnly(t, "qh", y, 32*b+l, 16, 0)
		}
		for c := range 4 {
			for hi := range 2 {
				blk := newBlock()
				blk[48+32*c+l] = 9 << (4 * hi)
				dequantizeQ5K(blk, y)
				kExpectOnly(t, "qs", y, 64*c+32*hi+l, 9, 0)
			}
		}
	}
}
