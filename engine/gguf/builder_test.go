package gguf

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

func mustSet(t *testing.T, b *Builder, key string, v any) {
	t.Helper()
	if err := b.Set(key, v); err != nil {
		t.Fatal(err)
	}
}

func mustValue(t *testing.T, x any) Value {
	t.Helper()
	v, err := ValueOf(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func write(t *testing.T, b *Builder) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := b.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

// Every Go type Set takes must come back from Parse with the same GGUF type
// and value.
func TestBuilderValueTypes(t *testing.T) {
	values := []struct {
		key  string
		v    any
		typ  ValueType
		elem ValueType
	}{
		{"u8", uint8(200), TypeUint8, 0},
		{"i8", int8(-100), TypeInt8, 0},
		{"u16", uint16(60000), TypeUint16, 0},
		{"i16", int16(-30000), TypeInt16, 0},
		{"u32", uint32(4e9), TypeUint32, 0},
		{"i32", int32(-2e9), TypeInt32, 0},
		{"f32", float32(1e-5), TypeFloat32, 0},
		{"bool", true, TypeBool, 0},
		{"str", "héllo", TypeString, 0},
		{"u64", uint64(math.MaxUint64), TypeUint64, 0},
		{"i64", int64(math.MinInt64), TypeInt64, 0},
		{"f64", math.Pi, TypeFloat64, 0},
		{"au8", []uint8{1, 2}, TypeArray, TypeUint8},
		{"ai8", []int8{-1}, TypeArray, TypeInt8},
		{"au16", []uint16{1}, TypeArray, TypeUint16},
		{"ai16", []int16{-1}, TypeArray, TypeInt16},
		{"au32", []uint32{1, 1 << 31}, TypeArray, TypeUint32},
		{"ai32", []int32{-1, 7}, TypeArray, TypeInt32},
		{"af32", []float32{0.5, float32(math.Inf(-1))}, TypeArray, TypeFloat32},
		{"abool", []bool{true, false}, TypeArray, TypeBool},
		{"astr", []string{"", "a", "▁b"}, TypeArray, TypeString},
		{"au64", []uint64{1 << 63}, TypeArray, TypeUint64},
		{"ai64", []int64{-1 << 40}, TypeArray, TypeInt64},
		{"af64", []float64{1e300}, TypeArray, TypeFloat64},
		{"empty", []string{}, TypeArray, TypeString},
		{"nested", []Value{mustValue(t, []int32{1}), mustValue(t, []string{"x"})}, TypeArray, TypeArray},
	}
	b := NewBuilder()
	for _, v := range values {
		mustSet(t, b, v.key, v.v)
	}
	f, err := Parse(write(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.KV) != len(values) {
		t.Fatalf("%d keys, want %d", len(f.KV), len(values))
	}
	for i, want := range values {
		kv := f.KV[i]
		if kv.Key != want.key || kv.Value.Type != want.typ || kv.Value.ElemType != want.elem {
			t.Errorf("pair %d: %s %v/%v, want %s %v/%v", i, kv.Key, kv.Value.Type, kv.Value.ElemType, want.key, want.typ, want.elem)
		}
		if !reflect.DeepEqual(kv.Value.Any(), want.v) {
			t.Errorf("%s = %#v, want %#v", kv.Key, kv.Value.Any(), want.v)
		}
	}
	if _, ok := f.Lookup("general.alignment"); ok {
		t.Error("general.alignment written though never set")
	}
}

func TestBuilderSetOrder(t *testing.T) {
	b := NewBuilder()
	mustSet(t, b, "a", uint32(1))
	mustSet(t, b, "b", "x")
	mustSet(t, b, "c", true)
	mustSet(t, b, "a", "replaced") // in place, even with another type
	b.Delete("b")
	b.Delete("missing")
	mustSet(t, b, "d", int64(4))
	f, err := Parse(write(t, b))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range f.KV {
		keys = append(keys, kv.Key+"="+kv.Value.String())
	}
	if got, want := strings.Join(keys, " "), `a="replaced" c=true d=4`; got != want {
		t.Errorf("keys %s, want %s", got, want)
	}
	if v, ok := f.Lookup("d"); !ok || v.Type != TypeInt64 {
		t.Errorf("d looked up as %v, %v", v, ok)
	}
}

func TestBuilderAlignment(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(b *Builder) error
		alignment int64
		stored    bool
	}{
		{"default", func(b *Builder) error { return nil }, 32, false},
		{"SetAlignment", func(b *Builder) error { b.SetAlignment(64); return nil }, 64, true},
		{"Set", func(b *Builder) error { return b.Set("general.alignment", uint32(128)) }, 128, true},
		{"Set then Delete", func(b *Builder) error {
			b.SetAlignment(256)
			b.Delete("general.alignment")
			return nil
		}, 32, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuilder()
			mustSet(t, b, "x", "y")
			if err := tc.setup(b); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"a", "b", "c"} {
				if err := b.AddTensor(name, ggml.F32, []int64{3}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}); err != nil {
					t.Fatal(err)
				}
			}
			data := write(t, b)
			f, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if f.Alignment != tc.alignment || int64(len(data))%tc.alignment != 0 {
				t.Errorf("alignment %d, file size %d; want alignment %d", f.Alignment, len(data), tc.alignment)
			}
			if _, ok := f.Lookup("general.alignment"); ok != tc.stored {
				t.Errorf("general.alignment stored = %v, want %v", ok, tc.stored)
			}
			for i, ti := range f.Tensors {
				if ti.Offset != int64(i)*tc.alignment || f.TensorData(&ti)[11] != 12 {
					t.Errorf("tensor %s at offset %d", ti.Name, ti.Offset)
				}
			}
		})
	}
}

func TestBuilderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(b *Builder) error
		want string
	}{
		{"int", func(b *Builder) error { return b.Set("k", 3) }, `gguf: key "k": Go type int has no fixed size`},
		{"struct", func(b *Builder) error { return b.Set("k", struct{}{}) }, `gguf: key "k": Go type struct {} has no GGUF type`},
		{"empty key", func(b *Builder) error { return b.Set("", "v") }, "empty metadata key"},
		{"hand-made value", func(b *Builder) error { return b.Set("k", Value{Type: TypeString}) }, `gguf: key "k": string value holds Go type <nil>`},
		{"nested scalar", func(b *Builder) error { return b.Set("k", []Value{mustValue(t, "s")}) }, "element 0 of an array of arrays is a string"},
		{"alignment type", func(b *Builder) error { return b.Set("general.alignment", uint64(64)) }, "has type uint64, want uint32"},
		{"alignment value", func(b *Builder) error { return b.Set("general.alignment", uint32(96)) }, "alignment 96 is not a power of 2"},
		{"SetAlignment", func(b *Builder) error { b.SetAlignment(3); _, err := b.WriteTo(io.Discard); return err }, "alignment 3 is not a power of 2"},
		{"SetVersion", func(b *Builder) error { b.SetVersion(1); _, err := b.WriteTo(io.Discard); return err }, "cannot write version 1"},
		{"data size", func(b *Builder) error { return b.AddTensor("w", ggml.Q4_0, []int64{64}, make([]byte, 35)) }, `tensor "w": 35 bytes of data, want 36`},
		{"duplicate", func(b *Builder) error {
			b.AddTensor("w", ggml.F32, []int64{1}, make([]byte, 4))
			return b.AddTensor("w", ggml.F32, []int64{1}, make([]byte, 4))
		}, `tensor "w" added twice`},
		{"block", func(b *Builder) error { return b.AddTensor("w", ggml.Q4_K, []int64{32}, nil) }, "row of 32 elements is not a multiple of the Q4_K block size 256"},
		{"dims", func(b *Builder) error { return b.AddTensor("w", ggml.F32, nil, nil) }, "0 dimensions"},
		{"negative", func(b *Builder) error { return b.AddTensor("w", ggml.F32, []int64{-1}, nil) }, "dimension 0 is negative"},
		{"overflow", func(b *Builder) error { return b.AddTensor("w", ggml.F32, []int64{1 << 40, 1 << 40}, nil) }, "more than 2^63-1 elements"},
		{"type", func(b *Builder) error { return b.AddTensor("w", 5, []int64{1}, nil) }, "unknown tensor type 5"},
		{"name", func(b *Builder) error { return b.AddTensor(strings.Repeat("n", 64), ggml.F32, []int64{1}, nil) }, "name is 64 bytes"},
		{"short write", func(b *Builder) error {
			b.AddTensorFunc("w", ggml.F32, []int64{4}, func(w io.Writer) error { _, err := w.Write(make([]byte, 15)); return err })
			_, err := b.WriteTo(io.Discard)
			return err
		}, `gguf: tensor "w": write function wrote 15 bytes, want 16`},
		{"long write", func(b *Builder) error {
			b.AddTensorFunc("w", ggml.F32, []int64{4}, func(w io.Writer) error { w.Write(make([]byte, 17)); return nil })
			_, err := b.WriteTo(io.Discard)
			return err
		}, `gguf: tensor "w": write function wrote more than 16 bytes`},
		{"write error", func(b *Builder) error {
			b.AddTensorFunc("w", ggml.F32, []int64{4}, func(w io.Writer) error { return errors.New("disk on fire") })
			_, err := b.WriteTo(io.Discard)
			return err
		}, `gguf: tensor "w": disk on fire`},
		{"writer error", func(b *Builder) error {
			b.AddTensor("w", ggml.F32, []int64{1 << 16}, make([]byte, 1<<18))
			_, err := b.WriteTo(failingWriter{})
			return err
		}, "no space left"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do(NewBuilder())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "gguf: ") {
				t.Errorf("error %v, want one starting with \"gguf: \" and containing %q", err, tc.want)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return 0, errors.New("no space left") }

// Streamed tensors give the same bytes as in-memory ones, and writing twice
// gives the same bytes twice.
func TestBuilderDeterministic(t *testing.T) {
	payload := make([]byte, 4*1000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	build := func(stream bool) *Builder {
		b := NewBuilder()
		mustSet(t, b, "general.architecture", "llama")
		mustSet(t, b, "tokens", []string{"a", "b"})
		b.SetAlignment(64)
		for _, name := range []string{"x", "y"} {
			var err error
			if stream {
				err = b.AddTensorFunc(name, ggml.F32, []int64{10, 100}, func(w io.Writer) error {
					for i := 0; i < len(payload); i += 333 { // odd-sized pieces
						if _, err := w.Write(payload[i:min(i+333, len(payload))]); err != nil {
							return err
						}
					}
					return nil
				})
			} else {
				err = b.AddTensor(name, ggml.F32, []int64{10, 100}, payload)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		return b
	}
	b := build(false)
	first, second := write(t, b), write(t, b)
	streamed := write(t, build(true))
	if !bytes.Equal(first, second) || !bytes.Equal(first, streamed) {
		t.Fatal("outputs differ")
	}
	f, err := Parse(first)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := f.Tensor("y")
	if !bytes.Equal(f.TensorData(y), payload) || y.Offset != 4032 || y.Rows() != 100 || y.RowLen() != 10 {
		t.Errorf("tensor y: offset %d, dims %v", y.Offset, y.Dims)
	}
}
