package gguf

import "github.com/kiln-llm/kiln/engine/ggml"

// TensorInfo describes one tensor: its shape, element type and where its
// bytes lie.
type TensorInfo struct {
	Name   string
	Dims   []int64   // ne[0] first (the fastest-varying, a row), 1 to 4 dims
	Type   ggml.Type // element type
	Offset int64     // relative to the start of the data section, as stored
	Size   int64     // bytes: Type.RowSize(Elements())
}

// Elements returns the number of values in the tensor, the product of Dims.
func (t *TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Rows returns the number of rows, the product of Dims[1:].
func (t *TensorInfo) Rows() int64 {
	n := int64(1)
	for _, d := range t.Dims[1:] {
		n *= d
	}
	return n
}

// RowLen returns the number of values in one row, Dims[0].
func (t *TensorInfo) RowLen() int64 { return t.Dims[0] }
