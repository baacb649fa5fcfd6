package quantize

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// smallModel is a 2-layer llama whose token_embd spans several chunks.
func smallModel() *memSource {
	return shape{arch: "llama", dim: 256, layers: 2, heads: 4, kvHeads: 2, ffn: 512, vocab: 1000}.source()
}

// smallFile writes smallModel as an F32 GGUF and parses it.
func smallFile(t *testing.T) *gguf.File {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Write(smallModel(), &buf, Options{Recipe: "F32"}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		recipe string
		edit   func(f *gguf.File)
		want   []string // fragments of the error
	}{
		{"unknown type", "Q8_0", func(f *gguf.File) { tensor(f, "blk.0.attn_k.weight").Type = 99 },
			[]string{`tensor "blk.0.attn_k.weight"`, "unknown tensor type 99"}},
		{"size does not match shape", "Q8_0", func(f *gguf.File) { tensor(f, "blk.0.attn_norm.weight").Size -= 4 },
			[]string{`tensor "blk.0.attn_norm.weight"`, "1020 bytes", "take 1024"}},
		{"row not a whole number of blocks", "Q8_0", func(f *gguf.File) {
			t := tensor(f, "blk.0.attn_output.weight")
			t.Type, t.Dims, t.Size = ggml.Q8_0, []int64{100, 2}, 200
		}, []string{`tensor "blk.0.attn_output.weight"`, "row of 100 values", "Q8_0 block size 32"}},
		{"data beyond the file", "Q8_0", func(f *gguf.File) { tensor(f, "blk.0.attn_q.weight").Offset = 1 << 40 },
			[]string{`tensor "blk.0.attn_q.weight"`, "beyond end of file"}},
		{"already quantized", "Q4_K_M", func(f *gguf.File) {
			t := tensor(f, "blk.0.attn_v.weight")
			t.Type, t.Size = ggml.Q8_0, t.Elements()/32*34
		}, []string{`tensor "blk.0.attn_v.weight"`, "already Q8_0"}},
		{"integer weights", "Q4_0", func(f *gguf.File) { tensor(f, "blk.0.ffn_down.weight").Type = ggml.I32 },
			[]string{`tensor "blk.0.ffn_down.weight"`, "cannot convert type I32 to Q4_0"}},
		{"unknown recipe", "Q4_K_X", nil, []string{`unknown recipe "Q4_K_X"`, "Q4_K_M"}},
		{"no recipe", "", nil, []string{"no recipe given"}},
		{"split model", "Q8_0", func(f *gguf.File) { f.KV = append(f.KV, kv("split.count", uint16(3))) },
			[]string{"split into 3 files"}},
		{"no architecture", "Q4_K_M", func(f *gguf.File) { f.KV = f.KV[1:] },
			[]string{"general.architecture missing"}},
		{"no layer count", "Q4_K_M", func(f *gguf.File) { f.KV = f.KV[:1] },
			[]string{"llama.block_count missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := smallFile(t)
			if tc.edit != nil {
				tc.edit(f)
			}
			var buf bytes.Buffer
			_, err := File(f, &buf, Options{Recipe: tc.recipe})
			if err == nil {
				t.Fatalf("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written before the error; every check should come first", buf.Len())
			}
		})
	}
}

func tensor(f *gguf.File, name string) *gguf.TensorInfo {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i]
		}
	}
	panic("no tensor " + name)
}

func kv(key string, v any) gguf.KV {
	val, err := gguf.ValueOf(v)
	if err != nil {
		panic(err)
	}
	return gguf.KV{Key: key, Value: val}
}

// The GGUF parser already refuses an unknown type or a row that is not a
// whole number of blocks (and derives each size from the shape), so such a
// file never reaches File; the checks above guard Sources built otherwise.
func TestParserRejects(t *testing.T) {
	var buf bytes.Buffer
	b := gguf.NewBuilder()
	if err := b.AddTensor("w", ggml.F32, []int64{32, 1}, make([]byte, 128)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	// The type field follows the name and the two dimensions.
	typeAt := 4 + 4 + 8 + 8 + 8 + 1 + 4 + 16
	for _, tc := range []struct {
		typ  uint32
		dim0 uint64
		want string
	}{
		{99, 32, "unknown tensor type 99"},
		{uint32(ggml.Q8_0), 33, "not a multiple of the Q8_0 block size"},
	} {
		bad := bytes.Clone(raw)
		binary.LittleEndian.PutUint32(bad[typeAt:], tc.typ)
		binary.LittleEndian.PutUint64(bad[typeAt-16:], tc.dim0)
		if _, err := gguf.Parse(bad); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `"w"`) {
			t.Errorf("type %d, row %d: parse error %v, want one naming the tensor and saying %q", tc.typ, tc.dim0, err, tc.want)
		}
	}
}

// Non-finite source values, and values whose scale overflows FP16, fail the
// quantization (as ggml_validate_row_data makes llama.cpp fail), with the
// place named.
func TestNonFinite(t *testing.T) {
	for _, tc := range []struct {
		recipe string
		value  float32
		want   string
	}{
		{"Q4_K_M", float32(math.NaN()), "row 0, value 0 is NaN"},
		{"Q8_0", float32(math.Inf(-1)), "row 0, value 0 is -Inf"},
		{"F16", float32(math.Inf(1)), "is +Inf"},
		{"Q8_0", 1e30, "row 0: a Q8_0 scale overflows FP16"},
		{"F16", 1e30, "row 0, value 0 overflows F16"},
	} {
		src := smallModel()
		src.poison = map[string]float32{"blk.1.ffn_up.weight": tc.value}
		_, err := Write(src, io.Discard, Options{Recipe: tc.recipe})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "blk.1.ffn_up.weight") {
			t.Errorf("%s with %v: error %v, want one naming the tensor and saying %q", tc.recipe, tc.value, err, tc.want)
		}
	}
}

type failingWriter struct{ left int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errors.New("disk full")
	}
	w.left -= len(p)
	return len(p), nil
}

// A failing writer stops the quantization with its error, at any point,
// whatever the thread count.
func TestWriterError(t *testing.T) {
	for _, left := range []int{0, 100, 200 << 10, 1 << 20} {
		for _, threads := range []int{1, 3} {
			_, err := Write(smallModel(), &failingWriter{left: left}, Options{Recipe: "Q8_0", Threads: threads})
			if err == nil || !strings.Contains(err.Error(), "disk full") {
				t.Errorf("writer failing after %d bytes, %d threads: error %v", left, threads, err)
			}
		}
	}
}

// The output does not depend on the thread count, progress counts every
// source byte once, and the report adds up.
func TestDeterministic(t *testing.T) {
	var first []byte
	for _, threads := range []int{1, 2, 3, 8} {
		var buf bytes.Buffer
		var last, total int64
		calls := 0
		rep, err := Write(smallModel(), &buf, Options{Recipe: "Q4_K_M", Threads: threads, Progress: func(done, tot int64) {
			if done < last {
				t.Errorf("progress went back from %d to %d", last, done)
			}
			last, total = done, tot
			calls++
		}})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = buf.Bytes()
		} else if !bytes.Equal(first, buf.Bytes()) {
			t.Errorf("%d threads give other bytes than 1", threads)
		}
		if last != total || total != rep.Before || calls < len(rep.Tensors) {
			t.Errorf("progress ended at %d of %d after %d calls; source has %d bytes", last, total, calls, rep.Before)
		}
		f, err := gguf.Parse(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		var after int64
		for i, tr := range rep.Tensors {
			after += tr.After
			if ti := f.Tensors[i]; ti.Name != tr.Name || ti.Type != tr.To || ti.Size != tr.After {
				t.Errorf("report tensor %d: %s %v %d bytes, file has %s %v %d", i, tr.Name, tr.To, tr.After, ti.Name, ti.Type, ti.Size)
			}
		}
		if after != rep.After || rep.Written != int64(buf.Len()) {
			t.Errorf("report: %d tensor bytes (sum %d), %d written (file %d)", rep.After, after, rep.Written, buf.Len())
		}
	}
}

// FileType and Recipes agree with llama.h.
func TestRecipes(t *testing.T) {
	for name, want := range map[string]uint32{"q4_k_m": 15, "Q4_K": 15, "Q3_K": 12, "Q5_K": 17, "Q8_0": 7, "F16": 1, "BF16": 32, "F32": 0, "Q2_K": 10, "Q6_K": 18} {
		if got, err := FileType(name); err != nil || got != want {
			t.Errorf("FileType(%q) = %d, %v; want %d", name, got, err, want)
		}
	}
	if _, err := FileType("Q2_K_S"); err == nil {
		t.Errorf("Q2_K_S needs an importance matrix and must not be offered")
	}
	if n := len(Recipes()); n != len(recipes) {
		t.Errorf("Recipes lists %d names", n)
	}
}

// A source's general.alignment is kept and honoured (llama.cpp would copy
// the key but still pad to 32 bytes), and trailing dimensions of 1 are
// dropped as gguf_write drops them.
func TestAlignmentAndDims(t *testing.T) {
	src := smallModel()
	src.kv = append(src.kv, kv("general.alignment", uint32(256)))
	src.tensors = append(src.tensors, gguf.TensorInfo{Name: "extra.weight", Dims: []int64{256, 4, 1, 1}, Type: ggml.F32, Size: 4096})
	var buf bytes.Buffer
	if _, err := Write(src, &buf, Options{Recipe: "Q8_0"}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if f.Alignment != 256 || f.DataOffset%256 != 0 {
		t.Errorf("alignment %d, data at %d; want 256", f.Alignment, f.DataOffset)
	}
	for _, ti := range f.Tensors {
		if ti.Offset%256 != 0 {
			t.Errorf("%s at offset %d", ti.Name, ti.Offset)
		}
	}
	if e := tensor(f, "extra.weight"); len(e.Dims) != 2 || e.Type != ggml.Q8_0 {
		t.Errorf("extra.weight: %v %v, want [256 4] Q8_0", e.Dims, e.Type)
	}
}
