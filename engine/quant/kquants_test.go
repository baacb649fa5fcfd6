package quant

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// kCase is one K-quant format under test: its type, block size constant and
// fixture name.
type kCase struct {
	typ     ggml.Type
	size    int
	fixture string
}

// kTypes lists the K-quant weight formats; kAll adds the Q8_K activation.
var kTypes = []kCase{
	{ggml.Q2_K, q2KTypeSize, "q2_k"},
	{ggml.Q3_K, q3KTypeSize, "q3_k"},
	{ggml.Q4_K, q4KTypeSize, "q4_k"},
	{ggml.Q5_K, q5KTypeSize, "q5_k"},
	{ggml.Q6_K, q6KTypeSize, "q6_k"},
}

var kAll = append(kTypes[:len(kTypes):len(kTypes)], kCase{ggml.Q8_K, q8KTypeSize, ""})

func TestKQuantTypeSize(t *testing.T) {
	for _, k := range kAll {
		typ, size := k.typ, k.size
		if size != typ.TypeSize() || typ.BlockSize() != qkK {
			t.Errorf("%s: block of %d bytes / %d values, ggml says %d / %d", typ, size, qkK, typ.TypeSize(), typ.BlockSize())
		}
		f, ok := Lookup(typ)
		if !ok {
			t.Errorf("%s not registered", typ)
			continue
		}
		if f.VecDotType != ggml.Q8_K || f.Quantize == nil || f.Dequantize == nil {
			t.Errorf("%s: incomplete Format %+v", typ, f)
		}
		if (f.VecDot == nil) != (typ == ggml.Q8_K) {
			t.Errorf("%s: VecDot present = %v", typ, f.VecDot != nil)
		}
	}
}

// TestKQuantFixtures checks every K-quant against llama.cpp's own output on
// the eight fixture rows: quantized bytes, dequantized values and dot
// products with the Q8_K conversion of x, all bit for bit. The dot products
// are exact because the Go kernels keep the integer lanes and the float
// accumulation order of ggml's generic C kernels, and the reference build
// had no FMA to contract them.
func TestKQuantFixtures(t *testing.T) {
	weights, x := loadInputs(t)
	q8 := make([]byte, len(x)/qkK*q8KTypeSize)
	quantizeQ8K(x, q8)
	for _, k := range kTypes {
		t.Run(k.fixture, func(t *testing.T) {
			fx := loadKernel(t, k.fixture)
			f, _ := Lookup(k.typ)
			if fx.TypeID != int(k.typ) || fx.VecDotTypeID != int(ggml.Q8_K) || fx.TypeSize != k.size {
				t.Fatalf("fixture is type %d (size %d, vec_dot %d)", fx.TypeID, fx.TypeSize, fx.VecDotTypeID)
			}
			if want := mustHex(t, fx.XVecDotHex); !bytes.Equal(q8, want) {
				t.Errorf("Q8_K(x) differs at byte %d", kFirstDiff(q8, want))
			}
			n := fx.NPerRow
			for r, row := range weights {
				got := make([]byte, fx.RowSize)
				f.Quantize(row, got)
				want := mustHex(t, fx.QuantHex[r])
				if !bytes.Equal(got, want) {
					i := kFirstDiff(got, want)
					t.Errorf("row %d: quantized bytes differ at %d (block %d offset %d): got %x want %x",
						r, i, i/k.size, i%k.size, got[i], want[i])
				}
				deq := make([]float32, n)
				f.Dequantize(want, deq)
				for i, v := range deq {
					if math.Float32bits(v) != math.Float32bits(float32(fx.Dequant[r][i])) {
						t.Errorf("row %d: dequant[%d] = %v, want %v", r, i, v, fx.Dequant[r][i])
						break
					}
				}
				if got, want := f.VecDot(n, want, q8), float32(fx.VecDot[r]); math.Float32bits(got) != math.Float32bits(want) {
					t.Errorf("row %d: vec_dot = %v, want %v", r, got, want)
				}
			}
		})
	}
}

func kFirstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// kRandomRow draws n values of a few shapes that stress the quantizers.
func kRandomRow(rng *rand.Rand, n int, shape int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch shape {
		case 0: // Gaussian
			x[i] = float32(rng.NormFloat64())
		case 1: // positive offset: mins matter
			x[i] = float32(rng.Float64()*2 + 1)
		case 2: // wide dynamic range across sub-blocks
			x[i] = float32(rng.NormFloat64() * math.Pow(10, float64(i/32%6)-3))
		case 3: // sparse with outliers
			if rng.IntN(16) == 0 {
				x[i] = float32(rng.NormFloat64() * 50)
			}
		}
	}
	return x
}

// TestKQuantRandom checks on random rows that quantize→dequantize stays
// within a per-type fraction of the RMS, that re-quantizing a dequantized
// row reproduces it, and that VecDot equals the float64 dot product of the
// dequantized operands up to float32 accumulation error.
func TestKQuantRandom(t *testing.T) {
	// Relative RMS error allowed on Gaussian rows: about twice what each
	// format achieves, to catch a broken search but not a changed rounding.
	maxRel := map[ggml.Type]float64{
		ggml.Q2_K: 0.40, ggml.Q3_K: 0.22, ggml.Q4_K: 0.12, ggml.Q5_K: 0.06, ggml.Q6_K: 0.03,
	}
	const n = 4 * qkK
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range kTypes {
		f, _ := Lookup(k.typ)
		for shape := range 4 {
			t.Run(fmt.Sprintf("%s/shape%d", k.typ, shape), func(t *testing.T) {
				w := kRandomRow(rng, n, shape)
				x := kRandomRow(rng, n, 0)
				q := make([]byte, n/qkK*k.size)
				f.Quantize(w, q)
				deq := make([]float32, n)
				f.Dequantize(q, deq)
				var se, ss float64
				for i := range w {
					d := float64(deq[i] - w[i])
					se += d * d
					ss += float64(w[i]) * float64(w[i])
				}
				if rel := math.Sqrt(se / ss); shape == 0 && rel > maxRel[k.typ] {
					t.Errorf("relative RMS error %.4f > %.4f", rel, maxRel[k.typ])
				}

				q8 := make([]byte, n/qkK*q8KTypeSize)
				quantizeQ8K(x, q8)
				xd := make([]float32, n)
				dequantizeQ8K(q8, xd)
				var want, mag float64
				for i := range deq {
					p := float64(deq[i]) * float64(xd[i])
					want += p
					mag += math.Abs(p)
				}
				got := float64(f.VecDot(n, q, q8))
				if math.Abs(got-want) > 1e-5*mag {
					t.Errorf("VecDot = %v, float64 dot of dequantized = %v (sum|p| %v)", got, want, mag)
				}
			})
		}
	}
}

func TestKNearestInt(t *testing.T) {
	cases := []struct {
		in   float32
		want int
	}{
		{0, 0}, {0.49999997, 0}, {0.5, 0}, {1.5, 2}, {2.5, 2}, {-0.5, 0}, {-1.5, -2},
		{-2.5, -2}, {3.7, 4}, {-3.7, -4}, {4194303, 4194303}, {-4194303, -4194303},
	}
	for _, c := range cases {
		if got := kNearestInt(c.in); got != c.want {
			t.Errorf("kNearestInt(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestKScaleMinRoundTrip packs every 6-bit scale/min pair in every slot and
// unpacks it again.
func TestKScaleMinRoundTrip(t *testing.T) {
	for v := range 64 {
		var q [12]byte
		for j := range 8 {
			kPackScaleMin(j, q[:], uint8((v+j)&63), uint8((v+3*j+1)&63))
		}
		for j := range 8 {
			sc, m := kScaleMin(j, q[:])
			if sc != uint8((v+j)&63) || m != uint8((v+3*j+1)&63) {
				t.Fatalf("v=%d slot %d: got %d,%d", v, j, sc, m)
			}
		}
	}
}

// TestKQuantEdgeRows quantizes rows that hit the degenerate branches (all
// zero, constant, one huge value, subnormal) and checks they round-trip to
// finite values without panicking.
func TestKQuantEdgeRows(t *testing.T) {
	rows := map[string]func(i int) float32{
		"zero":     func(int) float32 { return 0 },
		"constant": func(int) float32 { return -3 },
		"spike": func(i int) float32 {
			if i == 5 {
				return 1e6
			}
			return 0
		},
		"subnormal": func(i int) float32 { return float32(i%7-3) * 1e-40 },
		"negative":  func(i int) float32 { return -1 - float32(i%13) },
	}
	for name, gen := range rows {
		x := make([]float32, qkK)
		for i := range x {
			x[i] = gen(i)
		}
		for _, k := range kAll {
			f, _ := Lookup(k.typ)
			q := make([]byte, k.size)
			f.Quantize(x, q)
			y := make([]float32, qkK)
			f.Dequantize(q, y)
			for i, v := range y {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Errorf("%s %s: y[%d] = %v", name, k.typ, i, v)
					break
				}
			}
		}
	}
}

const kBenchN = 4096

func BenchmarkKQuantVecDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := kRandomRow(rng, kBenchN, 0)
	q8 := make([]byte, kBenchN/qkK*q8KTypeSize)
	quantizeQ8K(x, q8)
	for _, k := range kTypes {
		f, _ := Lookup(k.typ)
		w := make([]byte, kBenchN/qkK*k.size)
		f.Quantize(kRandomRow(rng, kBenchN, 0), w)
		b.Run(k.typ.String(), func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				f.VecDot(kBenchN, w, q8)
			}
		})
	}
}

// BenchmarkKQuantQuantize reports throughput in bytes of float32 input.
func BenchmarkKQuantQuantize(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := kRandomRow(rng, kBenchN, 0)
	for _, k := range kAll {
		f, _ := Lookup(k.typ)
		q := make([]byte, kBenchN/qkK*k.size)
		b.Run(k.typ.String(), func(b *testing.B) {
			b.SetBytes(4 * kBenchN)
			for b.Loop() {
				f.Quantize(x, q)
			}
		})
	}
}

func BenchmarkKQuantDequantize(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := kRandomRow(rng, kBenchN, 0)
	y := make([]float32, kBenchN)
	for _, k := range kTypes {
		f, _ := Lookup(k.typ)
		q := make([]byte, kBenchN/qkK*k.size)
		f.Quantize(x, q)
		b.Run(k.typ.String(), func(b *testing.B) {
			b.SetBytes(4 * kBenchN)
			for b.Loop() {
				f.Dequantize(q, y)
			}
		})
	}
}
