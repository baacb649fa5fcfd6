package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSwiGLUVectorMatchesScalar checks the vector silu (and so the vector
// exp), at every level this CPU runs, against the scalar one, bit for bit,
// over the whole float range: normal activations, values past exp's
// overflow and underflow points, infinities, NaN and denormals, and
// lengths with scalar tails.
func TestSwiGLUVectorMatchesScalar(t *testing.T) {
	c := New(1)
	defer c.Close()
	levels := cpuVecKernels()
	if len(levels) == 0 {
		t.Skip("no vector kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 88.7, -88.7, 89, -89, 103.9, -103.9,
		126.5, -126.5, 150, -150, 200, -200, 1e30, -1e30, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e-40, -1e-40, math.MaxFloat32, -math.MaxFloat32}
	for _, n := range []int{16, 37, 4096 + 7} {
		gate := make([]float32, n)
		up := make([]float32, n)
		for i := range gate {
			switch i % 4 {
			case 0:
				gate[i] = float32(rng.NormFloat64() * 3)
			case 1:
				gate[i] = float32(rng.NormFloat64() * 60)
			case 2:
				gate[i] = math.Float32frombits(rng.Uint32())
			default:
				gate[i] = special[rng.IntN(len(special))]
			}
			up[i] = float32(rng.NormFloat64())
		}
		want := make([]float32, n)
		c.vec = nil
		c.SwiGLU(want, gate, up)
		for _, vec := range levels {
			c.vec = vec
			got := make([]float32, n)
			c.SwiGLU(got, gate, up)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(want[i] != want[i] && got[i] != got[i]) {
					t.Fatalf("%s: n %d, gate[%d] = %v (%#x): vector %v, scalar %v",
						vec.name, n, i, gate[i], math.Float32bits(gate[i]), got[i], want[i])
				}
			}
		}
	}
}
