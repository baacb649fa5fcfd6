package quantize

import (
	"fmt"

	"github.com/kiln-llm/kiln/engine/gguf"
)

// fileSource reads a parsed GGUF. Its tensor bytes are used in place (no
// copy) through view.
type fileSource struct{ f *gguf.File }

func (s fileSource) Metadata() []gguf.KV        { return s.f.KV }
func (s fileSource) Tensors() []gguf.TensorInfo { return s.f.Tensors }

func (s fileSource) ReadRows(i int, first int64, dst []byte) error {
	data, err := s.view(i)
	if err != nil {
		return err
	}
	t := &s.f.Tensors[i]
	row, err := t.Type.RowSize(t.Dims[0])
	if err != nil {
		return fmt.Errorf("quantize: tensor %q: %w", t.Name, err)
	}
	start := first * row
	if first < 0 || start > int64(len(data)) || int64(len(dst)) > int64(len(data))-start {
		return fmt.Errorf("quantize: tensor %q: rows from %d (%d bytes) beyond its %d bytes", t.Name, first, len(dst), len(data))
	}
	copy(dst, data[start:])
	return nil
}

// view returns tensor i's bytes after checking that they lie inside the
// file: the File's fields are exported, so its tensor table may have been
// changed since Parse checked it.
func (s fileSource) view(i int) ([]byte, error) {
	t := &s.f.Tensors[i]
	size := int64(len(s.f.Bytes()))
	start := s.f.DataOffset + t.Offset
	if s.f.Bytes() == nil {
		return nil, fmt.Errorf("quantize: tensor %q: the file is closed", t.Name)
	}
	if t.Offset < 0 || t.Size < 0 || start < s.f.DataOffset || start > size || t.Size > size-start {
		return nil, fmt.Errorf("quantize: tensor %q: data [%d, +%d) beyond end of file (size %d)", t.Name, start, t.Size, size)
	}
	return s.f.TensorData(t), nil
}

// metadata looks keys up in a list of pairs.
type metadata []gguf.KV

func (m metadata) lookup(key string) (gguf.Value, bool) {
	for _, kv := range m {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return gguf.Value{}, false
}

func (m metadata) str(key string) (string, bool) {
	v, _ := m.lookup(key)
	s, ok := v.Any().(string)
	return s, ok
}

// uint returns a non-negative integer value of any integer type, or the
// first element of an integer array (llama.cpp's per-layer hyper-parameters
// such as head_count may be arrays; the rules use layer 0).
func (m metadata) uint(key string) (uint64, bool) {
	v, ok := m.lookup(key)
	if !ok {
		return 0, false
	}
	switch x := v.Any().(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8:
		return nonNegative(int64(x))
	case int16:
		return nonNegative(int64(x))
	case int32:
		return nonNegative(int64(x))
	case int64:
		return nonNegative(x)
	case []uint32:
		if len(x) > 0 {
			return uint64(x[0]), true
		}
	case []int32:
		if len(x) > 0 {
			return nonNegative(int64(x[0]))
		}
	}
	return 0, false
}

func nonNegative(x int64) (uint64, bool) { return uint64(x), x >= 0 }
