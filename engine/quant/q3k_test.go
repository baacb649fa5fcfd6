package quant

import "testing"

// TestQ3KLayout builds blocks by hand from the layout comment on
// q3KTypeSize and checks which value each field moves.
func TestQ3KLayout(t *testing.T) {
	y := make([]float32, qkK)
	// setScale stores the 6-bit raw scale s (the value used is s-32).
	setScale := func(blk []byte, j int, s byte) {
		sc := blk[96:108]
		sh := 4 * uint(j/8)
		sc[j%8] = sc[j%8]&^(0xF<<sh) | (s&0xF)<<sh
		sh = 2 * uint(j/4)
		sc[8+j%4] = sc[8+j%4]&^(3<<sh) | (s>>4)<<sh
	}
	newBlock := func() []byte {
		blk := make([]byte, q3KTypeSize)
		for l := range 32 {
			blk[l] = 0xff // high bit set: q = low bits, no -4
		}
		for j := range 16 {
			setScale(blk, j, 33)
		}
		blk[108], blk[109] = kHalfOne&0xff, kHalfOne>>8
		return blk
	}
	for l := range 32 {
		for b := range 8 {
			blk := newBlock()
			blk[l] &^= 1 << b
			dequantizeQ3K(blk, y)
			kExpectOnly(t, "hmask", y, 32*b+l, -4, 0)
		}
		for h := range 2 {
			for k := range 4 {
				blk := newBlock()
				blk[32+32*h+l] = 2 << (2 * k)
				dequantizeQ3K(blk, y)
				kExpectOnly(t, "qs", y, 128*h+32*k+l, 2, 0)
			}
		}
	}
	for j := range 16 {
		blk := newBlock()
		for i := range 64 {
			blk[32+i] = 0x55 // every quant 1
		}
		setScale(blk, j, 32-7)
		dequantizeQ3K(blk, y)
		for i, v := range y {
			want := float32(1)
			if i/16 == j {
				want = -7
			}
			if v != want {
				t.Fatalf("scale %d: y[%d] = %v, want %v", j, i, v, want)
			}
		}
	}
}
