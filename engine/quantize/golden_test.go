package quantize

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/quant"
	"github.com/kiln-llm/kiln/internal/golden"
)

// quantizeFile quantizes the golden file at rel with o and parses the result.
func quantizeFile(t *testing.T, o Options, rel ...string) (*gguf.File, []byte, *Report) {
	t.Helper()
	src, err := gguf.Open(golden.Path(t, rel...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	var buf bytes.Buffer
	rep, err := File(src, &buf, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Written != int64(buf.Len()) {
		t.Errorf("report says %d bytes written, buffer holds %d", rep.Written, buf.Len())
	}
	out, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	return out, buf.Bytes(), rep
}

// sameFile compares got with the golden file at rel: metadata in order,
// every tensor's name, shape, type, offset and bytes, then the whole file.
func sameFile(t *testing.T, got *gguf.File, gotBytes []byte, rel ...string) {
	t.Helper()
	want, err := gguf.Open(golden.Path(t, rel...))
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	if len(got.KV) != len(want.KV) {
		t.Errorf("%d metadata pairs, want %d", len(got.KV), len(want.KV))
	}
	for i := range min(len(got.KV), len(want.KV)) {
		g, w := got.KV[i], want.KV[i]
		if g.Key != w.Key || g.Value.Type != w.Value.Type || !reflect.DeepEqual(g.Value.Any(), w.Value.Any()) {
			t.Errorf("metadata pair %d: %s = %v, want %s = %v", i, g.Key, g.Value, w.Key, w.Value)
		}
	}
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	for i := range got.Tensors {
		g, w := &got.Tensors[i], &want.Tensors[i]
		if g.Name != w.Name || g.Type != w.Type || !reflect.DeepEqual(g.Dims, w.Dims) || g.Offset != w.Offset {
			t.Errorf("tensor %d: %s %v %v at %d, want %s %v %v at %d", i, g.Name, g.Type, g.Dims, g.Offset, w.Name, w.Type, w.Dims, w.Offset)
			continue
		}
		if !bytes.Equal(got.TensorData(g), want.TensorData(w)) {
			t.Errorf("tensor %s (%v): bytes differ", g.Name, g.Type)
		}
	}
	if !bytes.Equal(gotBytes, want.Bytes()) {
		t.Errorf("whole file differs: %d bytes, want %d", len(gotBytes), len(want.Bytes()))
	}
}

// --pure with each type reproduces llama-quantize --pure byte for byte.
func TestGoldenPure(t *testing.T) {
	for _, typ := range []string{"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "F16", "BF16"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			got, raw, _ := quantizeFile(t, Options{Recipe: typ, Pure: true}, "models", "llama-f32.gguf")
			sameFile(t, got, raw, "models", "llama-"+lower(typ)+".gguf")
		})
	}
}

// The Q4_K_M mixture reproduces llama-quantize's: Q6_K for output and for
// blk.1's attn_v and ffn_down, Q4_K elsewhere.
func TestGoldenQ4KM(t *testing.T) {
	got, raw, rep := quantizeFile(t, Options{Recipe: "q4_k_m"}, "models", "llama-f32.gguf")
	sameFile(t, got, raw, "models", "llama-q4_k_m.gguf")
	if rep.FileType != 15 || rep.Fallbacks != 0 {
		t.Errorf("report: file type %d, %d fallbacks; want 15 and 0", rep.FileType, rep.Fallbacks)
	}
}

// The trained tolstoy model has tied embeddings and 4 layers: token_embd
// takes the output's Q6_K and use_more_bits picks blk.2 and blk.3 (7*4/8 =
// 3) for the Q6_K attn_v and ffn_down.
func TestGoldenTolstoy(t *testing.T) {
	for _, recipe := range []string{"Q8_0", "Q4_K_M"} {
		t.Run(recipe, func(t *testing.T) {
			t.Parallel()
			got, raw, _ := quantizeFile(t, Options{Recipe: recipe}, "trained", "tolstoy-4m-f32.gguf")
			sameFile(t, got, raw, "trained", "tolstoy-4m-"+lower(recipe)+".gguf")
		})
	}
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

// Every golden model, planned from its own tensor table taken as F32,
// gets the tensor types, order and metadata order llama.cpp gave it. This
// covers the tied qwen2 and the qwen3 files, whose F32 sources are not
// shipped.
func TestGoldenPlans(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(golden.Dir(t), "models", "*.gguf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden models: %v", err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".gguf")
		recipe := strings.ToUpper(name[strings.IndexByte(name, '-')+1:])
		if recipe == "F32" {
			continue // the source, in convert_hf_to_gguf's order
		}
		t.Run(name, func(t *testing.T) {
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			src := &memSource{kv: f.KV}
			for _, ti := range f.Tensors {
				src.tensors = append(src.tensors, gguf.TensorInfo{Name: ti.Name, Dims: ti.Dims, Type: ggml.F32, Size: 4 * ti.Elements()})
			}
			p, err := newPlan(src, Options{Recipe: recipe, Pure: recipe != "Q4_K_M"})
			if err != nil {
				t.Fatal(err)
			}
			for i, tr := range p.report.Tensors {
				w := f.Tensors[i]
				if tr.Name != w.Name || tr.To != w.Type || !reflect.DeepEqual(tr.Dims, w.Dims) {
					t.Errorf("tensor %d: %s %v %v, want %s %v %v", i, tr.Name, tr.To, tr.Dims, w.Name, w.Type, w.Dims)
				}
			}
			n := len(f.KV)
			if f.KV[n-2].Key != "general.quantization_version" || f.KV[n-1].Key != "general.file_type" {
				t.Errorf("golden file ends with %s, %s", f.KV[n-2].Key, f.KV[n-1].Key)
			}
			ft, _ := f.Uint("general.file_type")
			if uint64(p.recipe.ftype) != ft {
				t.Errorf("file type %d, golden %d", p.recipe.ftype, ft)
			}
		})
	}
}

// Quantizing a file to the type it already has copies it: llama.cpp's
// output is a fixed point of its own quantizer.
func TestGoldenFixedPoint(t *testing.T) {
	for _, typ := range []string{"F16", "BF16", "Q8_0", "Q4_K_M"} {
		t.Run(typ, func(t *testing.T) {
			name := "llama-" + lower(typ) + ".gguf"
			got, raw, rep := quantizeFile(t, Options{Recipe: typ, Pure: typ != "Q4_K_M"}, "models", name)
			sameFile(t, got, raw, "models", name)
			for _, tr := range rep.Tensors {
				if tr.From != tr.To || tr.Before != tr.After {
					t.Errorf("%s: %v (%d bytes) became %v (%d bytes)", tr.Name, tr.From, tr.Before, tr.To, tr.After)
				}
			}
		})
	}
}

// An F16 or BF16 source is widened to F32 exactly, then quantized.
func TestGoldenHalfSource(t *testing.T) {
	for _, src := range []string{"llama-f16.gguf", "llama-bf16.gguf"} {
		t.Run(src, func(t *testing.T) {
			in, err := gguf.Open(golden.Path(t, "models", src))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			got, _, _ := quantizeFile(t, Options{Recipe: "Q4_0"}, "models", src)
			for _, name := range []string{"blk.1.ffn_down.weight", "token_embd.weight"} {
				ti, _ := in.Tensor(name)
				vals := make([]float32, ti.Elements())
				if err := quant.DequantizeRow(ti.Type, in.TensorData(ti), vals); err != nil {
					t.Fatal(err)
				}
				want := make([]byte, ti.Elements()/32*18)
				if err := quant.QuantizeRow(ggml.Q4_0, vals, want); err != nil {
					t.Fatal(err)
				}
				gt, _ := got.Tensor(name)
				if gt.Type != ggml.Q4_0 || !bytes.Equal(got.TensorData(gt), want) {
					t.Errorf("%s: %v, bytes equal %v; want Q4_0 of the widened values", name, gt.Type, bytes.Equal(got.TensorData(gt), want))
				}
			}
		})
	}
}
