package quant

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// BenchmarkKernelRows measures one thread streaming a weight matrix larger
// than the last-level cache through a fast path (bytes/s: weights read),
// against the scalar kernel.
func BenchmarkKernelRows(b *testing.B) {
	benchKernelRows(b, 2048, 32768) // 64 MiB of Q8_0, 36 MiB of Q4_K
}

// BenchmarkKernelRowsHot is BenchmarkKernelRows on a matrix that stays in
// the core's cache (256 rows: 288 KiB of Q4_K, 544 KiB of Q8_0), so that it
// measures the kernel's arithmetic rather than the memory's bandwidth.
func BenchmarkKernelRowsHot(b *testing.B) {
	benchKernelRows(b, 2048, 256)
}

func benchKernelRows(b *testing.B, cols, rows int) {
	for _, typ := range []ggml.Type{ggml.Q4_0, ggml.Q5_0, ggml.Q8_0, ggml.Q4_K, ggml.Q5_K, ggml.Q6_K} {
		f, _ := Lookup(typ)
		rng := rand.New(rand.NewPCG(1, 2))
		rb, _ := typ.RowSize(int64(cols))
		w := make([]byte, rows*int(rb))
		for i := range w {
			w[i] = byte(rng.Uint32())
		}
		for o := 0; o < len(w); o += typ.TypeSize() {
			for _, h := range halfOffsets[typ] {
				w[o+h], w[o+h+1] = 0, 0x10
			}
		}
		x := make([]float32, cols)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		out := make([]float32, rows)
		if k := Kernel(typ); k != nil {
			b.Run(typ.String()+"/"+k.Name, func(b *testing.B) {
				act := make([]byte, k.ActSize(cols))
				k.Quantize(x, act)
				b.SetBytes(int64(len(w)))
				cpu := startCPU()
				for b.Loop() {
					k.Rows(out, w, int(rb), act, cols)
				}
				cpu.report(b, len(w))
			})
		}
		b.Run(typ.String()+"/scalar", func(b *testing.B) {
			vf, _ := Lookup(f.VecDotType)
			xq := make([]byte, rowBytes(b, f.VecDotType, cols))
			vf.Quantize(x, xq)
			b.SetBytes(int64(len(w)))
			cpu := startCPU()
			for b.Loop() {
				for r := range rows {
					out[r] = f.VecDot(cols, w[r*int(rb):(r+1)*int(rb)], xq)
				}
			}
			cpu.report(b, len(w))
		})
	}
}

// BenchmarkKernelTile measures one thread multiplying weight matrices of
// the 1B models' shapes with a 512-token prompt through a tiled fast path,
// as the CPU backend cuts the work (128 rows at a time, every token block
// for each); the metric is giga multiply-accumulates per CPU second.
func BenchmarkKernelTile(b *testing.B) {
	const ntok, chunk = 512, 128
	for _, typ := range []ggml.Type{ggml.Q4_0, ggml.Q5_0, ggml.Q8_0, ggml.Q4_K, ggml.Q5_K, ggml.Q6_K} {
		k := Kernel(typ)
		if k == nil || k.Tile == nil {
			continue
		}
		for _, shape := range [][2]int{{2048, 2048}, {2048, 8192}} {
			rows, cols := shape[0], shape[1]
			rng := rand.New(rand.NewPCG(1, 2))
			w := randomWeights(rng, typ, rows, cols)
			rb := len(w) / rows
			x := make([]float32, ntok*cols)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			bs := k.TileActSize(cols)
			act := make([]byte, ntok/TileTokens*bs)
			for blk := range ntok / TileTokens {
				k.TileQuantize(x[blk*TileTokens*cols:], cols, TileTokens, act[blk*bs:])
			}
			out := make([]float32, ntok*rows)
			b.Run(fmt.Sprintf("%s/%s/%dx%d", typ, k.Name, rows, cols), func(b *testing.B) {
				cpu := startCPU()
				for b.Loop() {
					for r := 0; r < rows; r += chunk {
						for blk := range ntok / TileTokens {
							k.Tile(out[blk*TileTokens*rows+r:], rows, w[r*rb:], rb, chunk, act[blk*bs:], cols, TileTokens)
						}
					}
				}
				cpu.reportUnit(b, float64(cols*rows*ntok)/1e9, "GMAC/cpu-s")
			})
		}
	}
}
