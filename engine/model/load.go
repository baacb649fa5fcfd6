package model

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/quant"
)

// loadWeights fills the fields of the struct dst points to from the tensors
// their `gguf` tags name, relative to prefix:
//
//	Wq   *backends.Matrix `gguf:"attn_q.weight"`                  // 2-D weight
//	Bq   []float32        `gguf:"attn_q.bias,optional"`           // 1-D, may be absent
//	Out  *backends.Matrix `gguf:"output.weight,alt=token_embd.weight"` // tied fallback
//	Blk  []Layer          `gguf:"blk"`                            // blk.0., blk.1., ...
//
// Matrices alias the mapped file; F32 vectors alias it too, other vector
// types are expanded to float32.
func loadWeights(f *gguf.File, prefix string, dst any, layers int) error {
	rv := reflect.ValueOf(dst).Elem()
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		field := rt.Field(i)
		tag, ok := field.Tag.Lookup("gguf")
		if !ok {
			continue
		}
		parts := strings.Split(tag, ",")
		name, optional, alt := parts[0], false, ""
		for _, p := range parts[1:] {
			switch {
			case p == "optional":
				optional = true
			case strings.HasPrefix(p, "alt="):
				alt = strings.TrimPrefix(p, "alt=")
			}
		}
		fv := rv.Field(i)
		if fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct {
			s := reflect.MakeSlice(fv.Type(), layers, layers)
			for l := 0; l < layers; l++ {
				if err := loadWeights(f, fmt.Sprintf("%s%s.%d.", prefix, name, l), s.Index(l).Addr().Interface(), 0); err != nil {
					return err
				}
			}
			fv.Set(s)
			continue
		}
		t, ok := f.Tensor(prefix + name)
		if !ok && alt != "" {
			t, ok = f.Tensor(prefix + alt)
		}
		if !ok {
			if optional {
				continue
			}
			return fmt.Errorf("model: tensor %q missing", prefix+name)
		}
		switch fv.Interface().(type) {
		case *backends.Matrix:
			m, err := matrix(f, t)
			if err != nil {
				return err
			}
			fv.Set(reflect.ValueOf(m))
		case []float32:
			v, err := vector(f, t)
			if err != nil {
				return err
			}
			fv.Set(reflect.ValueOf(v))
		default:
			return fmt.Errorf("model: field %s has no loader", field.Name)
		}
	}
	return nil
}

func matrix(f *gguf.File, t *gguf.TensorInfo) (*backends.Matrix, error) {
	if len(t.Dims) != 2 {
		return nil, fmt.Errorf("model: tensor %q: %d dimensions, want 2", t.Name, len(t.Dims))
	}
	return backends.NewMatrix(t.Name, t.Type, int(t.Dims[1]), int(t.Dims[0]), f.TensorData(t))
}

func vector(f *gguf.File, t *gguf.TensorInfo) ([]float32, error) {
	if len(t.Dims) != 1 {
		return nil, fmt.Errorf("model: tensor %q: %d dimensions, want 1", t.Name, len(t.Dims))
	}
	data := f.TensorData(t)
	n := int(t.Dims[0])
	if t.Type == ggml.F32 && uintptr(unsafe.Pointer(unsafe.SliceData(data)))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(data))), n), nil
	}
	fm, ok := quant.Lookup(t.Type)
	if !ok {
		return nil, fmt.Errorf("model: tensor %q: type %s is not supported", t.Name, t.Type)
	}
	out := make([]float32, n)
	fm.Dequantize(data, out)
	return out, nil
}

// checkShape reports a weight whose shape does not match the configuration.
func checkShape(m *backends.Matrix, rows, cols int) error {
	if m.Rows != rows || m.Cols != cols {
		return fmt.Errorf("model: tensor %q is %d×%d, want %d×%d", m.Name, m.Cols, m.Rows, cols, rows)
	}
	return nil
}

func checkLen(name string, v []float32, n int) error {
	if v != nil && len(v) != n {
		return fmt.Errorf("model: tensor %q has %d values, want %d", name, len(v), n)
	}
	return nil
}

// embed copies the rows of the embedding table for tokens into x.
func embed(x []float32, table *backends.Matrix, tokens []int32) {
	dim := table.Cols
	for i, tok := range tokens {
		table.Format.Dequantize(table.Row(int(tok)), x[i*dim:(i+1)*dim])
	}
}
