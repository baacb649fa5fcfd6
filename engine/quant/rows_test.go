package quant

import (
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

func TestRowWrappers(t *testing.T) {
	x := randomRows(3, 1, 64)[0]
	for _, typ := range []ggml.Type{ggml.F32, ggml.F16, ggml.BF16, ggml.Q4_0, ggml.Q8_0, ggml.IQ4_NL} {
		q := make([]byte, rowBytes(t, typ, len(x)))
		if err := QuantizeRow(typ, x, q); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		f, _ := Lookup(typ)
		want := make([]byte, len(q))
		f.Quantize(x, want)
		if string(q) != string(want) {
			t.Errorf("%s: QuantizeRow differs from Format.Quantize", typ)
		}
		y := make([]float32, len(x))
		if err := DequantizeRow(typ, q, y); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
}

func TestRowWrapperErrors(t *testing.T) {
	for _, c := range []struct {
		name    string
		typ     ggml.Type
		n, size int
		want    string
	}{
		{"unknown type", ggml.Type(99), 32, 32, "type(99) is not supported"},
		{"no kernels", ggml.I8, 32, 32, "I8 is not supported"},
		{"partial block", ggml.Q4_0, 33, 18, "not a whole number of 32-value blocks"},
		{"short", ggml.Q4_0, 64, 35, "64 values of Q4_0 take 36 bytes, got 35"},
		{"long", ggml.Q8_0, 32, 35, "32 values of Q8_0 take 34 bytes, got 35"},
		{"f16 odd bytes", ggml.F16, 3, 5, "3 values of F16 take 6 bytes, got 5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := make([]float32, c.n)
			src := make([]byte, c.size)
			err := DequantizeRow(c.typ, src, dst)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "quant: dequantize: ") {
				t.Errorf("DequantizeRow: %v, want %q", err, c.want)
			}
			err = QuantizeRow(c.typ, dst, src)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "quant: quantize: ") {
				t.Errorf("QuantizeRow: %v, want %q", err, c.want)
			}
		})
	}
}

// FuzzDequantizeRow feeds arbitrary bytes and shapes: every input either
// errors or dequantizes without panicking.
func FuzzDequantizeRow(f *testing.F) {
	f.Add(uint8(ggml.Q4_0), uint16(32), []byte("0123456789abcdefgh"))
	f.Add(uint8(ggml.F16), uint16(2), []byte{0, 0x7c, 0xff, 0xff})
	f.Add(uint8(ggml.IQ4_NL), uint16(31), make([]byte, 18))
	f.Fuzz(func(t *testing.T, typ uint8, n uint16, src []byte) {
		dst := make([]float32, n)
		if err := DequantizeRow(ggml.Type(typ), src, dst); err != nil {
			return
		}
		q := make([]byte, len(src))
		if err := QuantizeRow(ggml.Type(typ), dst, q); err != nil {
			t.Fatalf("re-quantize of a valid shape failed: %v", err)
		}
	})
}
