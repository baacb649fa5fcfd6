package cpu

import (
	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/quant"
)

// matMul is one MatMul call's operands.
type matMul struct {
	out    []float32
	w      *backends.Matrix
	x      []float32
	n      int
	act    []byte
	actRow int
	fast   *quant.MatKernel
	tiled  bool // act holds blocks of quant.TileTokens tokens for fast.Tile
	conv   func(x []float32, dst []byte)
	up     *backends.Matrix // MatMulSwiGLU's second matrix; w is the gate
}

// rowGrain is the smallest share of weight rows a thread takes at a time:
// enough that the split never lands mid-cache-line of output.
const rowGrain = 16

// MatMul implements backends.Backend. Like ggml's mul_mat, it converts every
// activation row to the weight type's vec-dot type once, then computes each
// output as one dot product of a weight row with a converted row. Where the
// CPU has a fast path for the weight type (quant.Kernel) it does the same
// arithmetic with vector instructions on its own activation layout.
func (c *CPU) MatMul(out []float32, w *backends.Matrix, x []float32, n int) {
	c.convert(matMul{out: out, w: w, x: x, n: n})
	if c.mm.tiled {
		c.pool.run(w.Rows, c.tileGrain(w.Rows), c.mmTiles)
	} else {
		c.pool.run(w.Rows, c.rowGrain(w.Rows), c.mmRows)
	}
	c.mm = matMul{}
}

// tileRows is how many weight rows a thread takes at a time in a tiled
// product: each block of converted activations is used by all of them while
// it is in the first-level cache.
const tileRows = 128

// convert makes m the current product and converts its activations:
// through the weight type's tiled kernel where it has one and there is more
// than one token, else row by row to the fast kernel's or ggml's vec-dot
// layout; float32 activations for float32 weights are used as they are.
func (c *CPU) convert(m matMul) {
	cols := m.w.Cols
	k := quant.Kernel(m.w.Type)
	switch {
	case k != nil && k.Tile != nil && m.n > 1:
		blocks := (m.n + quant.TileTokens - 1) / quant.TileTokens
		m.fast, m.tiled, m.actRow = k, true, k.TileActSize(cols)
		m.act = c.actBuffer(blocks * m.actRow)
		c.mm = m
		c.pool.run(blocks, 1, c.mmTConv)
		return
	case k != nil:
		m.fast, m.conv, m.actRow = k, k.Quantize, k.ActSize(cols)
	case m.w.Format.VecDotType != ggml.F32:
		xf, _ := quant.Lookup(m.w.Format.VecDotType)
		rb, _ := m.w.Format.VecDotType.RowSize(int64(cols))
		m.conv, m.actRow = xf.Quantize, int(rb)
	}
	if m.conv == nil {
		m.act, m.actRow = f32Bytes(m.x[:m.n*cols]), cols*4
		c.mm = m
		return
	}
	m.act = c.actBuffer(m.n * m.actRow)
	c.mm = m
	c.pool.run(m.n, 1, c.mmConv)
}

// actBuffer returns n bytes of the converted-activation buffer.
func (c *CPU) actBuffer(n int) []byte {
	if cap(c.act) < n {
		c.act = make([]byte, n)
	}
	return c.act[:n]
}

// rowGrain splits rows among the threads for the one-token kernels: eight
// shares per thread even out uneven progress, in multiples of rowGrain.
func (c *CPU) rowGrain(rows int) int {
	grain := (rows + 8*c.pool.threads - 1) / (8 * c.pool.threads)
	return max(rowGrain, (grain+rowGrain-1)/rowGrain*rowGrain)
}

// tileGrain splits rows among the threads for a tiled product: at most
// tileRows at a time, at least two shares per thread, an even count.
func (c *CPU) tileGrain(rows int) int {
	grain := min(tileRows, (rows+2*c.pool.threads-1)/(2*c.pool.threads))
	return (grain + 1) &^ 1
}

// matMulTileConvert converts token blocks [lo, hi) of the current product.
func (c *CPU) matMulTileConvert(_, lo, hi int) {
	m := &c.mm
	cols := m.w.Cols
	for b := lo; b < hi; b++ {
		t0 := b * quant.TileTokens
		nt := min(quant.TileTokens, m.n-t0)
		m.fast.TileQuantize(m.x[t0*cols:(t0+nt)*cols], cols, nt, m.act[b*m.actRow:(b+1)*m.actRow])
	}
}

// matMulTiles computes weight rows [lo, hi) of the current tiled product
// for every token block.
func (c *CPU) matMulTiles(_, lo, hi int) {
	m := &c.mm
	w, rows := m.w, m.w.Rows
	wr := w.Data[lo*w.RowBytes:]
	for b := 0; b*quant.TileTokens < m.n; b++ {
		t0 := b * quant.TileTokens
		nt := min(quant.TileTokens, m.n-t0)
		m.fast.Tile(m.out[t0*rows+lo:], rows, wr, w.RowBytes, hi-lo, m.act[b*m.actRow:(b+1)*m.actRow], w.Cols, nt)
	}
}

// matMulConvert converts activation rows [lo, hi) of the current product.
func (c *CPU) matMulConvert(_, lo, hi int) {
	m := &c.mm
	cols := m.w.Cols
	for t := lo; t < hi; t++ {
		m.conv(m.x[t*cols:(t+1)*cols], m.act[t*m.actRow:(t+1)*m.actRow])
	}
}

// matMulRows computes weight rows [lo, hi) of the current product for
// every activation row.
func (c *CPU) matMulRows(_, lo, hi int) {
	m := &c.mm
	w, rows, cols := m.w, m.w.Rows, m.w.Cols
	if m.fast != nil {
		wr := w.Data[lo*w.RowBytes:]
		for t := 0; t < m.n; t++ {
			m.fast.Rows(m.out[t*rows+lo:t*rows+hi], wr, w.RowBytes, m.act[t*m.actRow:(t+1)*m.actRow], cols)
		}
		return
	}
	dot := w.Format.VecDot
	for r := lo; r < hi; r++ {
		wr := w.Data[r*w.RowBytes : (r+1)*w.RowBytes]
		for t := 0; t < m.n; t++ {
			m.out[t*rows+r] = dot(cols, wr, m.act[t*m.actRow:(t+1)*m.actRow])
		}
	}
}
