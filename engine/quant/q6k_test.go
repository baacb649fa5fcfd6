package quant

import "testing"

// TestQ6KLayout builds blocks by hand from the layout comment on
// q6KTypeSize and checks which value each field moves. With all bits zero
// every level is -32.
func TestQ6KLayout(t *testing.T) {
	y := make([]float32, qkK)
	newBlock := func() []byte {
		blk := make([]byte, q6KTypeSize)
		for j := range 16 {
			blk[192+j] = 1
		}
		blk[208], blk[209] = kHalfOne&0xff, kHalfOne>>8
		return blk
	}
	for h := range 2 {
		for l := range 32 {
			// ql: byte 64h+l -> values l, 64+l; byte 64h+32+l -> 32+l, 96+l.
			for _, c := range []struct{ off, hi, val int }{{l, 0, l}, {l, 1, 64 + l}, {32 + l, 0, 32 + l}, {32 + l, 1, 96 + l}} {
				blk := newBlock()
				blk[64*h+c.off] = 3 << (4 * c.hi)
				dequantizeQ6K(blk, y)
				kExpectOnly(t, "ql", y, 128*h+c.val, 3-32, -32)
			}
			for k := range 4 {
				blk := newBlock()
				blk[128+32*h+l] = 2 << (2 * k)
				dequantizeQ6K(blk, y)
				kExpectOnly(t, "qh", y, 128*h+32*k+l, 32-32, -32)
			}
		}
	}
	// Scale j is a signed byte applying to values 16j..16j+15.
	for j := range 16 {
		blk := newBlock()
		blk[192+j] = 0xfe // -2
		dequantizeQ6K(blk, y)
		for i, v := range y {
			want := float32(-32)
			if i/16 == j {
				want = 64
			}
			if v != want {
				t.Fatalf("scale %d: y[%d] = %v, want %v", j, i, v, want)
			}
		}
	}
}
