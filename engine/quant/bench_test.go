package quant

import (
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// benchWidth is a typical hidden size: one 4096-wide row per operation.
const benchWidth = 4096

// benchTypes are the float, legacy and IQ4_NL formats benchmarked here (the
// K-quants have their own benchmarks).
var benchTypes = []ggml.Type{
	ggml.F32, ggml.F16, ggml.BF16,
	ggml.Q4_0, ggml.Q4_1, ggml.Q5_0, ggml.Q5_1, ggml.Q8_0, ggml.Q8_1,
	ggml.IQ4_NL,
}

// BenchmarkVecDot measures one row-by-activation dot product; bytes/s is the
// weight row streamed.
func BenchmarkVecDot(b *testing.B) {
	rows := randomRows(1, 2, benchWidth)
	for _, typ := range benchTypes {
		b.Run(typ.String(), func(b *testing.B) {
			f, _ := Lookup(typ)
			vf, _ := Lookup(f.VecDotType)
			w := make([]byte, rowBytes(b, typ, benchWidth))
			x := make([]byte, rowBytes(b, f.VecDotType, benchWidth))
			f.Quantize(rows[0], w)
			vf.Quantize(rows[1], x)
			b.SetBytes(int64(len(w)))
			var sink float32
			for b.Loop() {
				sink += f.VecDot(benchWidth, w, x)
			}
			_ = sink
		})
	}
}

// BenchmarkQuantize measures the reference quantizer on one row; bytes/s is
// the float32 input.
func BenchmarkQuantize(b *testing.B) {
	row := randomRows(2, 1, benchWidth)[0]
	for _, typ := range benchTypes {
		b.Run(typ.String(), func(b *testing.B) {
			f, _ := Lookup(typ)
			q := make([]byte, rowBytes(b, typ, benchWidth))
			b.SetBytes(benchWidth * 4)
			for b.Loop() {
				f.Quantize(row, q)
			}
		})
	}
}

// BenchmarkDequantize measures expanding one row to float32; bytes/s is the
// float32 output.
func BenchmarkDequantize(b *testing.B) {
	row := randomRows(3, 1, benchWidth)[0]
	for _, typ := range benchTypes {
		b.Run(typ.String(), func(b *testing.B) {
			f, _ := Lookup(typ)
			q := make([]byte, rowBytes(b, typ, benchWidth))
			f.Quantize(row, q)
			y := make([]float32, benchWidth)
			b.SetBytes(benchWidth * 4)
			for b.Loop() {
				f.Dequantize(q, y)
			}
		})
	}
}
