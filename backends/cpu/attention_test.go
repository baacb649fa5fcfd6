package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/quant"
)

// TestAttentionLanesMatchScalar checks the vector attention, at every level
// this CPU runs (not only the one in use), against the scalar one, bit for
// bit, over head shapes, prompt chunks after a cached prefix, single
// decode steps, and scores large enough to reach the exponential's scaled
// path.
func TestAttentionLanesMatchScalar(t *testing.T) {
	c := New(2)
	defer c.Close()
	levels := cpuVecKernels()
	if len(levels) == 0 {
		t.Skip("no vector kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ heads, kvHeads, hd, n, pos0 int }{
		{4, 2, 64, 1, 0}, {4, 2, 64, 1, 37}, {32, 8, 64, 1, 129}, {14, 2, 64, 3, 5},
		{4, 4, 128, 17, 0}, {8, 2, 64, 40, 9}, {16, 8, 128, 1, 300}, {2, 1, 64, 13, 0},
	} {
		for _, qScale := range []float64{1, 40} {
			name := fmt.Sprintf("h%d/kv%d/hd%d/n%d/pos%d/x%g", tc.heads, tc.kvHeads, tc.hd, tc.n, tc.pos0, qScale)
			t.Run(name, func(t *testing.T) {
				a := backends.Attention{Heads: tc.heads, KVHeads: tc.kvHeads, HeadDim: tc.hd,
					Scale: 1 / float32(math.Sqrt(float64(tc.hd)))}
				ctx := tc.pos0 + tc.n
				kvDim := tc.kvHeads * tc.hd
				q := make([]float32, tc.n*tc.heads*tc.hd)
				for i := range q {
					q[i] = float32(rng.NormFloat64() * qScale)
				}
				k := make([]uint16, ctx*kvDim)
				v := make([]uint16, ctx*kvDim)
				for i := range k {
					k[i] = quant.FP32ToFP16(float32(rng.NormFloat64()))
					v[i] = quant.FP32ToFP16(float32(rng.NormFloat64()))
				}
				want := make([]float32, len(q))
				c.vec = nil
				c.Attention(want, q, k, v, tc.n, tc.pos0, a)
				for _, vec := range levels {
					c.vec = vec
					got := make([]float32, len(q))
					c.Attention(got, q, k, v, tc.n, tc.pos0, a)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: output %d (token %d): vector %v, scalar %v",
								vec.name, i, i/(tc.heads*tc.hd), got[i], want[i])
						}
					}
				}
			})
		}
	}
}
