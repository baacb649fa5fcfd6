package quant

import (
	"fmt"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// DequantizeRow expands len(dst) values of type t from src. It returns an
// error, and writes nothing, when t has no kernels, len(dst) is not a whole
// number of t's blocks, or src is not exactly the bytes those values occupy.
func DequantizeRow(t ggml.Type, src []byte, dst []float32) error {
	f, err := rowFormat(t, len(dst), len(src))
	if err != nil {
		return fmt.Errorf("quant: dequantize: %w", err)
	}
	if f.Dequantize == nil {
		return fmt.Errorf("quant: dequantize: %s has no dequantization", t)
	}
	f.Dequantize(src, dst)
	return nil
}

// QuantizeRow writes the reference quantization of src, as type t, into dst.
// It returns an error, and writes nothing, when t has no kernels, len(src) is
// not a whole number of t's blocks, or dst is not exactly the bytes the row
// needs.
func QuantizeRow(t ggml.Type, src []float32, dst []byte) error {
	f, err := rowFormat(t, len(src), len(dst))
	if err != nil {
		return fmt.Errorf("quant: quantize: %w", err)
	}
	if f.Quantize == nil {
		return fmt.Errorf("quant: quantize: %s has no quantizer", t)
	}
	f.Quantize(src, dst)
	return nil
}

// rowFormat looks up t and checks that n values of it occupy exactly size
// bytes.
func rowFormat(t ggml.Type, n, size int) (*Format, error) {
	f, ok := Lookup(t)
	if !ok {
		return nil, fmt.Errorf("type %s is not supported", t)
	}
	want, err := t.RowSize(int64(n))
	if err != nil {
		return nil, err
	}
	if int64(size) != want {
		return nil, fmt.Errorf("%d values of %s take %d bytes, got %d", n, t, want, size)
	}
	return f, nil
}
