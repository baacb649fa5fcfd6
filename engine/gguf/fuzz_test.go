package gguf

import (
	"bytes"
	"runtime/metrics"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/internal/golden"
)

// fuzzSeeds returns small valid files: one with every value type and a few
// tensor types, and the metadata of a golden model (its whole vocabulary)
// with two of its tensors.
func fuzzSeeds(f *testing.F) [][]byte {
	b := NewBuilder()
	for k, v := range map[string]any{
		"general.architecture": "llama", "u8": uint8(1), "i8": int8(-1), "u16": uint16(2), "i16": int16(-2),
		"u32": uint32(3), "i32": int32(-3), "f32": float32(0.5), "bool": true, "u64": uint64(4), "i64": int64(-4),
		"f64": 0.25, "strs": []string{"<s>", "▁a", ""}, "f32s": []float32{1, 2}, "nested": []Value{{Type: TypeArray, ElemType: TypeInt8, v: []int8{1}}},
	} {
		if err := b.Set(k, v); err != nil {
			f.Fatal(err)
		}
	}
	b.AddTensor("a", ggml.F32, []int64{2, 2}, make([]byte, 16))
	b.AddTensor("q", ggml.Q4_0, []int64{32}, make([]byte, 18))
	var small bytes.Buffer
	if _, err := b.WriteTo(&small); err != nil {
		f.Fatal(err)
	}

	g, err := Open(golden.Path(f, "models", "llama-q4_k_m.gguf"))
	if err != nil {
		f.Fatal(err)
	}
	defer g.Close()
	gb := NewBuilder()
	for _, kv := range g.KV {
		gb.Set(kv.Key, kv.Value)
	}
	for _, name := range []string{"output_norm.weight", "blk.1.attn_v.weight"} {
		ti, _ := g.Tensor(name)
		gb.AddTensor(ti.Name, ti.Type, ti.Dims, g.TensorData(ti))
	}
	var meta bytes.Buffer
	if _, err := gb.WriteTo(&meta); err != nil {
		f.Fatal(err)
	}
	return [][]byte{small.Bytes(), meta.Bytes()}
}

// heapAllocated reads the bytes allocated so far without stopping the world.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// FuzzParse checks that no input panics, that what Parse accepts Builder
// writes back identically (for files laid out as gguf_write does), and that
// memory use stays proportional to the input, whatever counts it claims.
func FuzzParse(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
		for _, n := range []int{0, 3, 4, 8, 23, 24, 40, 100, len(seed) / 2, len(seed) - 1} {
			if n < len(seed) {
				f.Add(seed[:n])
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := heapAllocated()
		file, err := Parse(data)
		// The decoded structures cost a small multiple of their encoded
		// size (a 14-byte key-value pair becomes a KV, a map entry and a
		// boxed value); a count taken on trust would cost far more.
		if used, limit := heapAllocated()-before, uint64(32*len(data)+1<<20); used > limit {
			t.Fatalf("Parse of %d bytes allocated %d bytes (limit %d)", len(data), used, limit)
		}
		if err != nil {
			if file != nil {
				t.Fatal("non-nil File with an error")
			}
			return
		}
		for i := range file.Tensors {
			ti := &file.Tensors[i]
			if int64(len(file.TensorData(ti))) != ti.Size {
				t.Fatalf("tensor %q: view of %d bytes, size %d", ti.Name, len(file.TensorData(ti)), ti.Size)
			}
			file.Tensor(ti.Name)
		}
		for _, kv := range file.KV {
			_ = kv.Value.String()
			file.Lookup(kv.Key)
		}
		// A file without tensors may declare an alignment of up to 2^31,
		// which the writer would honour with that much padding.
		if !packed(file) || file.Alignment > 1<<16 {
			return
		}
		var out bytes.Buffer
		if _, err := rebuild(t, file).WriteTo(&out); err != nil {
			t.Fatalf("rewriting a parsed file: %v", err)
		}
		if _, err := Parse(out.Bytes()); err != nil {
			t.Fatalf("rewritten file does not parse: %v", err)
		}
	})
}

// packed reports whether f's tensors lie as gguf_write puts them: in order,
// each padded to the alignment. Only then does rewriting preserve offsets.
func packed(f *File) bool {
	var off int64
	for _, t := range f.Tensors {
		if t.Offset != off {
			return false
		}
		off += alignUp(t.Size, f.Alignment)
	}
	return true
}
