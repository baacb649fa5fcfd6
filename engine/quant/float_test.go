package quant

import (
	"math"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

func TestFloatSizes(t *testing.T) {
	for _, c := range []struct {
		typ  ggml.Type
		size int
	}{
		{ggml.F32, sizeF32},
		{ggml.F16, sizeF16},
		{ggml.BF16, sizeBF16},
	} {
		if c.typ.TypeSize() != c.size || c.typ.BlockSize() != 1 {
			t.Errorf("%s: size constant %d, ggml table says %d bytes per %d values",
				c.typ, c.size, c.typ.TypeSize(), c.typ.BlockSize())
		}
	}
}

func TestFloatFixtures(t *testing.T) {
	for _, c := range []struct {
		name string
		typ  ggml.Type
	}{
		{"f16", ggml.F16},
		{"bf16", ggml.BF16},
	} {
		t.Run(c.name, func(t *testing.T) { checkKernelFixture(t, c.name, c.typ) })
	}
}

// TestF32 has no llama.cpp fixture (there is nothing to quantize); it checks
// the round trip is the identity and the dot product's order: float
// products summed in float64 from first to last.
func TestF32(t *testing.T) {
	f, _ := Lookup(ggml.F32)
	weights, x := loadInputs(t)
	xb := make([]byte, len(x)*sizeF32)
	f.Quantize(x, xb)
	for r, w := range weights {
		wb := make([]byte, len(w)*sizeF32)
		f.Quantize(w, wb)
		back := make([]float32, len(w))
		f.Dequantize(wb, back)
		compareBits(t, "f32 round trip", back, w)

		var sum float64
		for i := range w {
			sum += float64(w[i] * x[i])
		}
		if got, want := f.VecDot(len(w), wb, xb), float32(sum); got != want {
			t.Errorf("row %d: VecDot = %v, want %v", r, got, want)
		}
	}
}

func TestFloatRoundTrip(t *testing.T) {
	for _, c := range []struct {
		typ ggml.Type
		rel float64 // half an ulp of the format, relative
	}{
		{ggml.F16, 0x1p-11},
		{ggml.BF16, 0x1p-8},
	} {
		for r, row := range randomRows(uint64(c.typ), 10, 256) {
			y := roundTrip(t, c.typ, row)
			for i := range row {
				err := math.Abs(float64(y[i]) - float64(row[i]))
				// Below F16's normal range the absolute spacing (2^-24)
				// governs instead.
				if err > c.rel*math.Abs(float64(row[i])) && err > 0x1p-25 {
					t.Fatalf("%s row %d value %d: %v -> %v", c.typ, r, i, row[i], y[i])
				}
			}
		}
	}
}
