package cpu

import (
	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/quant"
)

// gluRows is the most gate rows a thread computes before it gates them:
// the up product of those rows, for a tile's tokens, waits in its own
// per-thread buffer (gluRows × quant.TileTokens floats, 8 KiB).
const gluRows = tileRows

// MatMulSwiGLU implements backends.Backend. The activations are converted
// once for both matrices; each thread computes a strip of gate rows into
// out and the same strip of up rows into a small buffer of its own, then
// gates the strip while both are in cache. Every value is the one MatMul
// and SwiGLU give: the dot products are the same calls, and the gate of
// each value is chosen by its column in the row as ggml_vec_swiglu_f32
// chooses it.
func (c *CPU) MatMulSwiGLU(out []float32, gate, up *backends.Matrix, x []float32, n int) {
	if up.Type != gate.Type || up.Rows != gate.Rows || up.Cols != gate.Cols {
		// Mixed types would need two conversions of x. llama.cpp's
		// recipes give gate and up one type, so for an odd file the
		// plain ops with a buffer do.
		need := n * up.Rows
		if cap(c.upOut) < need {
			c.upOut = make([]float32, need)
		}
		c.MatMul(out, gate, x, n)
		c.MatMul(c.upOut[:need], up, x, n)
		for t := range n {
			row := out[t*gate.Rows : (t+1)*gate.Rows]
			c.swigluColumns(row, row, c.upOut[t*up.Rows:(t+1)*up.Rows], 0, gate.Rows)
		}
		return
	}
	if len(c.gluTmp) == 0 {
		c.gluTmp = make([]float32, c.pool.threads*gluRows*quant.TileTokens)
	}
	c.convert(matMul{out: out, w: gate, x: x, n: n, up: up})
	grain := c.rowGrain(gate.Rows)
	if c.mm.tiled {
		grain = c.tileGrain(gate.Rows)
	}
	c.pool.run(gate.Rows, grain, c.mmGLU)
	c.mm = matMul{}
}

// matMulSwiGLU computes and gates rows [lo, hi) of the current product, in
// strips of at most gluRows.
func (c *CPU) matMulSwiGLU(worker, lo, hi int) {
	m := &c.mm
	gate, up := m.w, m.up
	rows, cols := gate.Rows, gate.Cols
	tmp := c.gluTmp[worker*gluRows*quant.TileTokens : (worker+1)*gluRows*quant.TileTokens]
	for r0 := lo; r0 < hi; r0 += gluRows {
		r1 := min(r0+gluRows, hi)
		k := r1 - r0
		g, u := gate.Data[r0*gate.RowBytes:], up.Data[r0*up.RowBytes:]
		if m.tiled {
			for t0 := 0; t0 < m.n; t0 += quant.TileTokens {
				nt := min(quant.TileTokens, m.n-t0)
				act := m.act[t0/quant.TileTokens*m.actRow:][:m.actRow]
				m.fast.Tile(m.out[t0*rows+r0:], rows, g, gate.RowBytes, k, act, cols, nt)
				m.fast.Tile(tmp, k, u, up.RowBytes, k, act, cols, nt)
				for t := range nt {
					row := m.out[(t0+t)*rows+r0 : (t0+t)*rows+r1]
					c.swigluColumns(row, row, tmp[t*k:(t+1)*k], r0, rows)
				}
			}
			continue
		}
		for t := range m.n {
			act := m.act[t*m.actRow : (t+1)*m.actRow]
			row := m.out[t*rows+r0 : t*rows+r1]
			if m.fast != nil {
				m.fast.Rows(row, g, gate.RowBytes, act, cols)
				m.fast.Rows(tmp[:k], u, up.RowBytes, act, cols)
			} else {
				dot := gate.Format.VecDot
				for r := range k {
					row[r] = dot(cols, gate.Data[(r0+r)*gate.RowBytes:(r0+r+1)*gate.RowBytes], act)
					tmp[r] = dot(cols, up.Data[(r0+r)*up.RowBytes:(r0+r+1)*up.RowBytes], act)
				}
			}
			c.swigluColumns(row, row, tmp[:k], r0, rows)
		}
	}
}

// swigluColumns sets out = silu(gate) * up for columns [col0,
// col0+len(out)) of rows rowLen wide, as ggml_vec_swiglu_f32 does a whole
// row: the vector silu for all but the rowLen%4 last columns of the row,
// the scalar one for those.
func (c *CPU) swigluColumns(out, gate, up []float32, col0, rowLen int) {
	vec := min(max(rowLen&^3-col0, 0), len(out))
	i := 0
	if c.vec != nil && vec >= 16 {
		i = vec &^ 15
		c.vec.swiglu(&out[0], &gate[0], &up[0], i)
	}
	for ; i < vec; i++ {
		out[i] = vSilu(gate[i]) * up[i]
	}
	for ; i < len(out); i++ {
		out[i] = siluScalar(gate[i]) * up[i]
	}
}
