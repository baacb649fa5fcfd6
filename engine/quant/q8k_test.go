package quant

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"testing"
)

// TestQ8KActivation checks the Q8_K conversion on its own: the scale maps
// the largest magnitude to ±127, bsums are the group sums, and dequantized
// values are within half a step of the input.
func TestQ8KActivation(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for shape := range 4 {
		x := kRandomRow(rng, 2*qkK, shape)
		q := make([]byte, 2*q8KTypeSize)
		quantizeQ8K(x, q)
		y := make([]float32, len(x))
		dequantizeQ8K(q, y)
		for b := range 2 {
			d, qs, bsums := kQ8KBlock(q[b*q8KTypeSize:])
			for j := range 16 {
				var s int32
				for _, v := range qs[16*j : 16*j+16] {
					s += int32(int8(v))
				}
				if s != kBsum(bsums, j) {
					t.Errorf("shape %d block %d: bsums[%d] = %d, want %d", shape, b, j, kBsum(bsums, j), s)
				}
			}
			for i := b * qkK; i < (b+1)*qkK; i++ {
				if e := math.Abs(float64(y[i] - x[i])); e > 0.5001*math.Abs(float64(d)) {
					t.Fatalf("shape %d: x[%d] = %v dequantizes to %v (d %v)", shape, i, x[i], y[i], d)
				}
			}
		}
	}
	// An all-zero block has d = 0 and no stale group sums.
	q := bytes.Repeat([]byte{0xff}, q8KTypeSize)
	quantizeQ8K(make([]float32, qkK), q)
	if !bytes.Equal(q, make([]byte, q8KTypeSize)) {
		t.Errorf("zero block = %s", hex.EncodeToString(q))
	}
}
