package quant

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// checkKernelFixture compares the kernels registered for typ with llama.cpp's
// output in kernels/<name>.json, bit for bit:
//   - Quantize(weights[r]) must equal quant_hex[r];
//   - Dequantize(quant_hex[r]) must equal dequant[r];
//   - the VecDotType's Quantize of x must equal x_vec_dot_hex (and its
//     Dequantize x_vec_dot_dequant, where ggml has a to_float);
//   - VecDot(quant_hex[r], x_vec_dot_hex) must equal vec_dot[r] exactly:
//     the scalar kernels add in the same order as ggml's generic C, so no
//     tolerance is needed.
func checkKernelFixture(t *testing.T, name string, typ ggml.Type) {
	t.Helper()
	k := loadKernel(t, name)
	weights, x := loadInputs(t)

	f, ok := Lookup(typ)
	if !ok {
		t.Fatalf("%s not registered", typ)
	}
	if k.TypeID != int(typ) || k.TypeSize != typ.TypeSize() || k.BlockSize != typ.BlockSize() {
		t.Fatalf("fixture %s: id %d size %d block %d, table says %d/%d/%d",
			name, k.TypeID, k.TypeSize, k.BlockSize, typ, typ.TypeSize(), typ.BlockSize())
	}
	vt, ok := ggml.ParseType(k.VecDotType)
	if !ok || vt != f.VecDotType || k.VecDotTypeID != int(vt) {
		t.Fatalf("vec_dot_type: fixture %q (%d), registered %s", k.VecDotType, k.VecDotTypeID, f.VecDotType)
	}
	vf, ok := Lookup(vt)
	if !ok {
		t.Fatalf("vec dot type %s not registered", vt)
	}

	n := len(x)
	xq := make([]byte, rowBytes(t, vt, n))
	vf.Quantize(x, xq)
	want := mustHex(t, k.XVecDotHex)
	if i := firstByteDiff(xq, want); i >= 0 {
		t.Errorf("%s quantization of x differs at byte %d (block %d): got %s, want %s",
			vt, i, i/vt.TypeSize(), blockHex(xq, i, vt), blockHex(want, i, vt))
	}
	if len(k.XVecDotDequant) > 0 {
		got := make([]float32, n)
		vf.Dequantize(want, got)
		compareBits(t, vt.String()+" dequantize(x)", got, toF32(k.XVecDotDequant))
	}

	for r, w := range weights {
		if len(w) != n || k.NPerRow != n {
			t.Fatalf("row %d has %d values, x has %d, n_per_row %d", r, len(w), n, k.NPerRow)
		}
		golden := mustHex(t, k.QuantHex[r])
		if len(golden) != k.RowSize || k.RowSize != rowBytes(t, typ, n) {
			t.Fatalf("row %d: %d bytes, row_size %d", r, len(golden), k.RowSize)
		}

		q := make([]byte, k.RowSize)
		f.Quantize(w, q)
		if i := firstByteDiff(q, golden); i >= 0 {
			t.Errorf("row %d: quantize differs at byte %d (block %d): got %s, want %s",
				r, i, i/typ.TypeSize(), blockHex(q, i, typ), blockHex(golden, i, typ))
		}

		deq := make([]float32, n)
		f.Dequantize(golden, deq)
		compareBits(t, "row "+strconv.Itoa(r)+" dequantize", deq, toF32(k.Dequant[r]))

		got := f.VecDot(n, golden, want)
		if wantDot := float32(k.VecDot[r]); math.Float32bits(got) != math.Float32bits(wantDot) {
			t.Errorf("row %d: vec_dot = %v (%#08x), want %v (%#08x)",
				r, got, math.Float32bits(got), wantDot, math.Float32bits(wantDot))
		}
	}
}

func rowBytes(t testing.TB, typ ggml.Type, n int) int {
	t.Helper()
	s, err := typ.RowSize(int64(n))
	if err != nil {
		t.Fatal(err)
	}
	return int(s)
}

func firstByteDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// blockHex shows the whole block that holds byte i.
func blockHex(b []byte, i int, typ ggml.Type) string {
	s := i / typ.TypeSize() * typ.TypeSize()
	e := min(len(b), s+typ.TypeSize())
	if s >= e {
		return "(end)"
	}
	return hex.EncodeToString(b[s:e])
}

func compareBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s: value %d = %v, want %v", what, i, got[i], want[i])
			return
		}
	}
}

// randomRows returns rows of n values with a mix of shapes: normal, shifted
// uniform, tiny, with outliers, and all-equal blocks.
func randomRows(seed uint64, count, n int) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 0x6b696c6e))
	rows := make([][]float32, count)
	for r := range rows {
		row := make([]float32, n)
		scale := float32(math.Pow(10, rng.Float64()*6-4))
		for i := range row {
			switch r % 5 {
			case 0:
				row[i] = float32(rng.NormFloat64()) * scale
			case 1:
				row[i] = (float32(rng.Float64())*2 - 1 + 0.5) * scale
			case 2:
				row[i] = float32(rng.NormFloat64()) * 1e-3
			case 3:
				row[i] = float32(rng.NormFloat64()) * scale
				if rng.IntN(50) == 0 {
					row[i] *= 100
				}
			case 4:
				row[i] = float32(i/32%3-1) * scale
			}
		}
		rows[r] = row
	}
	return rows
}

// roundTrip quantizes and dequantizes x with typ's registered kernels.
func roundTrip(t testing.TB, typ ggml.Type, x []float32) []float32 {
	t.Helper()
	f, ok := Lookup(typ)
	if !ok {
		t.Fatalf("%s not registered", typ)
	}
	q := make([]byte, rowBytes(t, typ, len(x)))
	f.Quantize(x, q)
	y := make([]float32, len(x))
	f.Dequantize(q, y)
	return y
}
