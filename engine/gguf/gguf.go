// Package gguf reads and writes GGUF, the file format of llama.cpp models:
// a header, typed key-value metadata, a table of tensor infos and the
// tensor data, each tensor aligned.
//
// The reader takes every bound from the size of the bytes it is given and
// checks before it allocates, mirroring the validation of ggml's gguf.cpp,
// so that a truncated or hostile file gives an error rather than a panic or
// a huge allocation. Tensor data is never copied: TensorData returns a view
// into the (usually memory-mapped) file. Versions 2 and 3, little-endian,
// are supported.
//
// The writer, Builder, lays a file out as ggml's gguf_write does, so that
// copying a file written by ggml through Parse and Builder reproduces it byte
// for byte; the same calls always give the same bytes.
package gguf

import (
	"fmt"
	"math"

	"github.com/kiln-llm/kiln/internal/mmap"
)

// KV is one metadata key-value pair.
type KV struct {
	Key   string
	Value Value
}

// File is a parsed GGUF file.
type File struct {
	Version   uint32
	KV        []KV         // in file order
	Tensors   []TensorInfo // in file order
	Alignment int64        // general.alignment, or 32 when absent
	// DataOffset is the absolute offset of the tensor data section: the end
	// of the tensor infos rounded up to Alignment. In a file without
	// tensors that ends before the padding, it lies past the end.
	DataOffset int64

	data    []byte
	keys    map[string]int // index into KV
	tensors map[string]int // index into Tensors
	closer  interface{ Close() error }
}

// Open maps the GGUF file at path read-only and parses it. The tensor data
// is not read until it is used; Close unmaps it.
func Open(path string) (*File, error) {
	m, err := mmap.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	f, err := parse(m.Bytes())
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("gguf: %s: %w", path, err)
	}
	f.closer = m
	return f, nil
}

// Close releases the mapping made by Open; after it, tensor views must not
// be used. For a File from Parse it does nothing.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	c := f.closer
	f.closer, f.data = nil, nil
	return c.Close()
}

// Bytes returns the whole GGUF file.
func (f *File) Bytes() []byte { return f.data }

// Lookup returns the value of key.
func (f *File) Lookup(key string) (Value, bool) {
	i, ok := f.keys[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// String returns the string value of key.
func (f *File) String(key string) (string, bool) {
	v, _ := f.Lookup(key)
	s, ok := v.v.(string)
	return s, ok
}

// Uint returns the value of key if it is an integer of any GGUF type holding
// a non-negative value.
func (f *File) Uint(key string) (uint64, bool) {
	v, _ := f.Lookup(key)
	return v.asUint64()
}

// Int returns the value of key if it is an integer of any GGUF type whose
// value fits in an int64.
func (f *File) Int(key string) (int64, bool) {
	v, _ := f.Lookup(key)
	return v.asInt64()
}

// Float returns the value of key if it is a float32 or float64, or an
// integer converted to float64.
func (f *File) Float(key string) (float64, bool) {
	v, _ := f.Lookup(key)
	switch x := v.v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case uint64:
		return float64(x), true
	}
	if i, ok := v.asInt64(); ok {
		return float64(i), true
	}
	return 0, false
}

// Bool returns the value of key if it is a bool.
func (f *File) Bool(key string) (bool, bool) {
	v, _ := f.Lookup(key)
	b, ok := v.v.(bool)
	return b, ok
}

// Strings returns the value of key if it is an array of strings. An array
// read from the file is copied out of it on each call; one set by hand is
// shared and must not be modified.
func (f *File) Strings(key string) ([]string, bool) {
	v, _ := f.Lookup(key)
	switch s := v.v.(type) {
	case stringArray:
		return s.strings(), true
	case []string:
		return s, true
	}
	return nil, false
}

// Float32s returns the value of key if it is an array of float32 (shared
// with the File; do not modify it), or a float64 array converted.
func (f *File) Float32s(key string) ([]float32, bool) {
	v, _ := f.Lookup(key)
	switch s := v.v.(type) {
	case []float32:
		return s, true
	case []float64:
		out := make([]float32, len(s))
		for i, x := range s {
			out[i] = float32(x)
		}
		return out, true
	}
	return nil, false
}

// Int32s returns the value of key if it is an array of int32 (shared with
// the File; do not modify it), or an array of another integer type whose
// every element fits in an int32, converted.
func (f *File) Int32s(key string) ([]int32, bool) {
	v, _ := f.Lookup(key)
	switch s := v.v.(type) {
	case []int32:
		return s, true
	case []uint8:
		return convertInts(s)
	case []int8:
		return convertInts(s)
	case []uint16:
		return convertInts(s)
	case []int16:
		return convertInts(s)
	case []uint32:
		return convertInts(s)
	case []uint64:
		out := make([]int32, len(s))
		for i, x := range s {
			if x > math.MaxInt32 {
				return nil, false
			}
			out[i] = int32(x)
		}
		return out, true
	case []int64:
		return convertInts(s)
	}
	return nil, false
}

func convertInts[T uint8 | int8 | uint16 | int16 | uint32 | int64](s []T) ([]int32, bool) {
	out := make([]int32, len(s))
	for i, x := range s {
		if int64(x) < math.MinInt32 || int64(x) > math.MaxInt32 {
			return nil, false
		}
		out[i] = int32(x)
	}
	return out, true
}

// Architecture returns general.architecture ("llama", "qwen2", …), or "" when
// the file does not say.
func (f *File) Architecture() string {
	s, _ := f.String("general.architecture")
	return s
}

// Tensor returns the info of the tensor called name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensors[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns t's bytes as a view into the file, without copying.
// t must be one of f.Tensors (Parse checked its bounds); it is nil after
// Close. The view is read-only when the file is memory-mapped.
func (f *File) TensorData(t *TensorInfo) []byte {
	if f.data == nil {
		return nil
	}
	start := f.DataOffset + t.Offset
	return f.data[start : start+t.Size : start+t.Size]
}
