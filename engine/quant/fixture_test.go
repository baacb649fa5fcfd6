package quant

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/kiln-llm/kiln/internal/golden"
)

// f32 is a float32 that parses from JSON as float32 directly, so the golden
// values (printed in shortest round-trip form) keep their exact bits.
type f32 float32

func (v *f32) UnmarshalJSON(b []byte) error {
	x, err := strconv.ParseFloat(string(b), 32)
	if err != nil {
		return err
	}
	*v = f32(x)
	return nil
}

// kernelFixture is one kernels/<type>.json file: llama.cpp's quantization of
// the eight input rows, their dequantization, the activation conversion of x
// and the dot products.
type kernelFixture struct {
	Type           string   `json:"type"`
	TypeID         int      `json:"ggml_type_id"`
	BlockSize      int      `json:"block_size"`
	TypeSize       int      `json:"type_size"`
	RowSize        int      `json:"row_size"`
	NPerRow        int      `json:"n_per_row"`
	QuantHex       []string `json:"quant_hex"`
	Dequant        [][]f32  `json:"dequant"`
	VecDotType     string   `json:"vec_dot_type"`
	VecDotTypeID   int      `json:"vec_dot_type_id"`
	XVecDotHex     string   `json:"x_vec_dot_hex"`
	XVecDotDequant []f32    `json:"x_vec_dot_dequant"`
	VecDot         []f32    `json:"vec_dot"`
}

type kernelInputs struct {
	Weights [][]f32 `json:"weights"`
	X       []f32   `json:"x"`
}

func loadJSON(t testing.TB, v any, rel ...string) {
	t.Helper()
	b, err := os.ReadFile(golden.Path(t, rel...))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %v", rel, err)
	}
}

// loadKernel returns the fixture for a type name such as "q4_k".
func loadKernel(t testing.TB, name string) *kernelFixture {
	var k kernelFixture
	loadJSON(t, &k, "kernels", name+".json")
	return &k
}

// loadInputs returns the float rows and the activation vector every kernel
// fixture was computed from.
func loadInputs(t testing.TB) (weights [][]float32, x []float32) {
	var in kernelInputs
	loadJSON(t, &in, "kernels", "inputs.json")
	for _, r := range in.Weights {
		weights = append(weights, toF32(r))
	}
	return weights, toF32(in.X)
}

func toF32(v []f32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
