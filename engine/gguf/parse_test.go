package gguf

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// raw assembles GGUF bytes field by field, so a test can write exactly the
// malformed file it needs.
type raw struct{ bytes.Buffer }

func (r *raw) u32(x uint32) *raw { binary.Write(&r.Buffer, binary.LittleEndian, x); return r }
func (r *raw) u64(x uint64) *raw { binary.Write(&r.Buffer, binary.LittleEndian, x); return r }
func (r *raw) str(s string) *raw { r.u64(uint64(len(s))); r.WriteString(s); return r }
func (r *raw) pad(n int) *raw    { r.Write(make([]byte, n)); return r }
func (r *raw) padTo(n int) *raw  { return r.pad(n - r.Len()) }

// header starts a version 3 file with the given counts.
func header(nTensors, nKV uint64) *raw {
	r := &raw{}
	r.WriteString("GGUF")
	return r.u32(3).u64(nTensors).u64(nKV)
}

// kvU32 appends a uint32 key-value pair.
func (r *raw) kvU32(key string, v uint32) *raw {
	return r.str(key).u32(uint32(TypeUint32)).u32(v)
}

// tensor appends a tensor info.
func (r *raw) tensor(name string, typ ggml.Type, offset uint64, dims ...uint64) *raw {
	r.str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		r.u64(d)
	}
	return r.u32(uint32(typ)).u64(offset)
}

// data pads to 32 and appends n bytes of tensor data.
func (r *raw) data(n int) *raw {
	r.pad((32 - r.Len()%32) % 32)
	return r.pad(n)
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("x", 64)
	for _, tc := range []struct {
		name string
		file []byte
		want string // substring of the error; every error starts with "gguf: "
	}{
		{"empty", nil, "too short for the GGUF magic"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), `bad magic "GGML"`},
		{"short header", []byte("GGUF\x03\x00\x00\x00\x00"), "too short for the 24-byte header"},
		{"version 0", func() []byte { r := header(0, 0); r.Bytes()[4] = 0; return r.Bytes() }(), "bad version 0"},
		{"version 1", func() []byte { r := header(0, 0); r.Bytes()[4] = 1; return r.Bytes() }(), "unsupported version 1"},
		{"version 4", func() []byte { r := header(0, 0); r.Bytes()[4] = 4; return r.Bytes() }(), "unsupported version 4"},
		{"big-endian", func() []byte { r := header(0, 0); b := r.Bytes(); b[4], b[7] = 0, 3; return b }(), "big-endian"},
		{"kv count 2^60", header(0, 1<<60).Bytes(), "key-value count 1152921504606846976 is impossible"},
		{"kv count -1", header(0, math.MaxUint64).Bytes(), "key-value count"},
		{"tensor count 2^60", header(1<<60, 0).Bytes(), "tensor count 1152921504606846976 is impossible"},
		{"tensor count vs kv count", header(1, 1).kvU32("a", 1).pad(8).Bytes(), "tensor count 1 is impossible"},
		{"key length huge", header(0, 1).u64(1 << 62).pad(8).Bytes(), "key-value pair 0: key length 4611686018427387904 at offset 24 exceeds"},
		{"key truncated", header(0, 1).u64(20).pad(6).Bytes(), "key-value pair 0: key length 20"},
		{"empty key", header(0, 1).str("").u32(uint32(TypeUint8)).pad(2).Bytes(), "key-value pair 0: key at offset 24 is empty"},
		{"duplicate key", header(0, 2).kvU32("a.b", 1).kvU32("a.b", 2).Bytes(), `key "a.b" appears twice (pairs 0 and 1)`},
		{"invalid value type", header(0, 1).str("k").u32(13).pad(4).Bytes(), `key "k": invalid value type 13`},
		{"value truncated", header(0, 1).str("k").u32(uint32(TypeUint64)).pad(4).Bytes(), `key "k": uint64 value at offset 37 needs 8 bytes, but only 4 remain`},
		{"string value huge", header(0, 1).str("k").u32(uint32(TypeString)).u64(1 << 40).Bytes(), `key "k": string length 1099511627776`},
		{"array length huge", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeUint32)).u64(1 << 61).pad(8).Bytes(),
			`key "k": array of 2305843009213693952 uint32s`},
		{"string array length huge", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(3).u64(0).u64(0).Bytes(),
			`key "k": array of 3 strings`},
		{"string element too long", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(2).str("ab").u64(99).pad(8).Bytes(),
			`key "k": string 1 length 99`},
		{"array element type invalid", header(0, 1).str("k").u32(uint32(TypeArray)).u32(77).u64(0).Bytes(), `key "k": invalid array element type 77`},
		{"arrays nested too deep", func() []byte {
			r := header(0, 1).str("k").u32(uint32(TypeArray))
			for range 9 {
				r.u32(uint32(TypeArray)).u64(1)
			}
			return r.u32(uint32(TypeUint8)).u64(0).Bytes()
		}(), "arrays nested deeper than 8"},
		{"alignment not uint32", header(0, 1).str("general.alignment").u32(uint32(TypeUint64)).u64(64).Bytes(), `key "general.alignment" has type uint64, want uint32`},
		{"alignment 0", header(0, 1).kvU32("general.alignment", 0).Bytes(), "alignment 0 is not a power of 2"},
		{"alignment 48", header(0, 1).kvU32("general.alignment", 48).Bytes(), "alignment 48 is not a power of 2"},
		{"tensor name too long", header(1, 0).tensor(long, ggml.F32, 0, 1).data(32).Bytes(), "name is 64 bytes, ggml allows at most 63"},
		{"tensor name huge", header(1, 0).u64(1 << 50).pad(32).Bytes(), "tensor 0: name length 1125899906842624"},
		{"0 dims", header(1, 0).tensor("t", ggml.F32, 0).pad(40).Bytes(), `tensor "t": 0 dimensions, want 1 to 4`},
		{"5 dims", header(1, 0).tensor("t", ggml.F32, 0, 1, 1, 1, 1, 1).data(32).Bytes(), `tensor "t": 5 dimensions`},
		{"negative dim", header(1, 0).tensor("t", ggml.F32, 0, 4, math.MaxUint64).data(32).Bytes(), `tensor "t": dimension 1 is negative (-1)`},
		{"element overflow", header(1, 0).tensor("t", ggml.F32, 0, 1<<32, 1<<32).data(32).Bytes(), `tensor "t": shape [4294967296 4294967296] has more than 2^63-1 elements`},
		{"byte overflow", header(1, 0).tensor("t", ggml.F64, 0, 1<<31, 1<<31).data(32).Bytes(), `tensor "t": 4611686018427387904 elements of F64 do not fit`},
		{"unknown type", header(1, 0).tensor("blk.0.x", 99, 0, 32).data(32).Bytes(), `tensor "blk.0.x": unknown tensor type 99`},
		{"removed type", header(1, 0).tensor("t", 4, 0, 32).data(32).Bytes(), `tensor "t": unknown tensor type 4`},
		{"partial block", header(1, 0).tensor("t", ggml.Q4_0, 0, 16).data(32).Bytes(), `tensor "t": row of 16 elements is not a multiple of the Q4_0 block size 32`},
		{"duplicate tensor", header(2, 0).tensor("t", ggml.F32, 0, 8).tensor("t", ggml.F32, 32, 8).data(64).Bytes(), `tensor "t" appears twice (tensors 0 and 1)`},
		{"misaligned offset", header(1, 0).tensor("t", ggml.F32, 8, 8).data(64).Bytes(), `tensor "t": offset 8 is not a multiple of the alignment 32`},
		{"data beyond end", header(1, 0).tensor("blk.3.ffn_up.weight", ggml.F32, 32, 100).data(400).Bytes(),
			`tensor "blk.3.ffn_up.weight": data [128, 528) beyond end of file (size 496)`},
		{"offset beyond end", header(1, 0).tensor("t", ggml.F32, 1<<62, 1).data(32).Bytes(), `tensor "t": data [4611686018427387968, 4611686018427387972) beyond end of file (size 96)`},
		{"offset past int64", header(1, 0).tensor("t", ggml.F32, 1<<63, 1).data(32).Bytes(), `tensor "t": offset 9223372036854775808 beyond end of file`},
		{"data section missing", header(1, 0).tensor("t", ggml.F32, 0, 0).Bytes(), "data section at offset 64 begins beyond end of file (size 57)"},
		{"tensor info truncated", header(1, 0).str("t").u32(4).u64(4).u64(4).pad(32).Bytes()[:58],
			`tensor "t": dimension at offset 53 needs 8 bytes, but only 5 remain (file size 58)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.file)
			if err == nil {
				t.Fatalf("Parse succeeded (%d KVs, %d tensors), want error containing %q", len(f.KV), len(f.Tensors), tc.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "gguf: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q\nwant prefix \"gguf: \" and %q", msg, tc.want)
			}
		})
	}
}

// Edge cases that gguf.cpp accepts, and so must Parse.
func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  []byte
		check func(t *testing.T, f *File)
	}{
		{"version 2", func() []byte { r := header(0, 0); r.Bytes()[4] = 2; return r.Bytes() }(), func(t *testing.T, f *File) {
			if f.Version != 2 {
				t.Errorf("version %d", f.Version)
			}
		}},
		{"no padding after metadata without tensors", header(0, 1).kvU32("a", 7).Bytes(), func(t *testing.T, f *File) {
			if v, _ := f.Uint("a"); v != 7 || f.DataOffset != 64 {
				t.Errorf("a = %d, data offset %d", v, f.DataOffset)
			}
		}},
		{"zero-sized tensor", header(1, 0).tensor("empty", ggml.Q4_K, 0, 0, 5).data(0).Bytes(), func(t *testing.T, f *File) {
			ti, _ := f.Tensor("empty")
			if ti.Size != 0 || ti.Elements() != 0 || len(f.TensorData(ti)) != 0 {
				t.Errorf("size %d, elements %d", ti.Size, ti.Elements())
			}
		}},
		{"any non-zero byte is true", append(header(0, 1).str("b").u32(uint32(TypeBool)).Bytes(), 0x7f), func(t *testing.T, f *File) {
			if b, ok := f.Bool("b"); !b || !ok {
				t.Errorf("Bool = %v, %v; want true", b, ok)
			}
		}},
		{"alignment 64", header(1, 1).kvU32("general.alignment", 64).tensor("t", ggml.F32, 64, 2).padTo(128 + 64 + 8).Bytes(), func(t *testing.T, f *File) {
			ti := &f.Tensors[0]
			if f.Alignment != 64 || f.DataOffset != 128 || ti.Offset != 64 || len(f.TensorData(ti)) != 8 {
				t.Errorf("alignment %d, data offset %d, tensor offset %d", f.Alignment, f.DataOffset, ti.Offset)
			}
		}},
		{"tensors out of order and with gaps", header(2, 0).tensor("b", ggml.F32, 64, 8).tensor("a", ggml.F32, 0, 4).data(96).Bytes(), func(t *testing.T, f *File) {
			a, _ := f.Tensor("a")
			b, _ := f.Tensor("b")
			if a.Size != 16 || b.Size != 32 || f.Tensors[0].Name != "b" {
				t.Errorf("a %+v, b %+v", a, b)
			}
		}},
		{"nested arrays", func() []byte {
			r := header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeArray)).u64(2)
			r.u32(uint32(TypeInt16)).u64(2).pad(4)
			return r.u32(uint32(TypeString)).u64(1).str("hi").Bytes()
		}(), func(t *testing.T, f *File) {
			v, _ := f.Lookup("k")
			inner := v.Any().([]Value)
			if len(inner) != 2 || inner[0].ElemType != TypeInt16 || inner[1].Any().([]string)[0] != "hi" || v.String() != "[2 arrays]" {
				t.Errorf("nested = %v", v)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, f)
		})
	}
}

// Every truncation of a valid file must fail cleanly.
func TestParseTruncated(t *testing.T) {
	b := NewBuilder()
	mustSet(t, b, "general.architecture", "llama")
	mustSet(t, b, "tokens", []string{"a", "bc", ""})
	mustSet(t, b, "scores", []float32{1, 2, 3})
	mustSet(t, b, "nested", []Value{mustValue(t, []bool{true}), mustValue(t, []uint64{1, 2})})
	if err := b.AddTensor("w", ggml.Q8_0, []int64{32, 2}, make([]byte, 68)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	f, err := Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	// The padding after the last tensor is optional, as for gguf.cpp.
	end := f.DataOffset + f.Tensors[0].Size
	for n := range int(end) {
		if _, err := Parse(full[:n]); err == nil {
			t.Errorf("Parse of the first %d of %d bytes succeeded", n, len(full))
		}
	}
}
