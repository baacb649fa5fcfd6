package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/quant"
)

// randomMatrix quantizes rows×cols normal values to t.
func randomMatrix(t testing.TB, rng *rand.Rand, typ ggml.Type, rows, cols int) *backends.Matrix {
	f, _ := quant.Lookup(typ)
	rb, err := typ.RowSize(int64(cols))
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, int(rb)*rows)
	row := make([]float32, cols)
	for r := range rows {
		for i := range row {
			row[i] = float32(rng.NormFloat64())
		}
		f.Quantize(row, data[r*int(rb):(r+1)*int(rb)])
	}
	m, err := backends.NewMatrix("w", typ, rows, cols, data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMatMulSwiGLUMatchesSeparateOps checks the fused feed-forward op
// against MatMul, MatMul and a per-row SwiGLU, bit for bit: every kernel
// family (tiled, one-token fast, ggml's scalar dot, float), token counts
// on both sides of a tile, rows that end in a scalar tail, thread counts
// that split rows unevenly, and a gate and up of different types.
func TestMatMulSwiGLUMatchesSeparateOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const cols = 512
	for _, tc := range []struct {
		gate, up ggml.Type
		rows     int
	}{
		{ggml.Q4_K, ggml.Q4_K, 320}, {ggml.Q8_0, ggml.Q8_0, 300}, {ggml.Q6_K, ggml.Q6_K, 258},
		{ggml.Q4_1, ggml.Q4_1, 130}, {ggml.F16, ggml.F16, 66}, {ggml.F32, ggml.F32, 38},
		{ggml.Q4_0, ggml.Q4_0, 302}, {ggml.Q4_K, ggml.Q6_K, 64},
	} {
		gate := randomMatrix(t, rng, tc.gate, tc.rows, cols)
		up := randomMatrix(t, rng, tc.up, tc.rows, cols)
		for _, threads := range []int{1, 3} {
			c := New(threads)
			for _, n := range []int{1, 3, 16, 41} {
				t.Run(fmt.Sprintf("%v-%v/rows%d/t%d/n%d", tc.gate, tc.up, tc.rows, threads, n), func(t *testing.T) {
					x := make([]float32, n*cols)
					for i := range x {
						x[i] = float32(rng.NormFloat64())
					}
					g := make([]float32, n*tc.rows)
					u := make([]float32, n*tc.rows)
					c.MatMul(g, gate, x, n)
					c.MatMul(u, up, x, n)
					want := make([]float32, n*tc.rows)
					for r := 0; r < n; r++ {
						// ggml gates each row on its own: the scalar
						// tail is the last rows%4 columns of every row.
						c.SwiGLU(want[r*tc.rows:(r+1)*tc.rows], g[r*tc.rows:(r+1)*tc.rows], u[r*tc.rows:(r+1)*tc.rows])
					}
					got := make([]float32, n*tc.rows)
					c.MatMulSwiGLU(got, gate, up, x, n)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("token %d row %d: fused %v, separate %v", i/tc.rows, i%tc.rows, got[i], want[i])
						}
					}
				})
			}
			c.Close()
		}
	}
}
