package gguf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/internal/golden"
)

// goldenModels lists every model GGUF in the golden folder.
func goldenModels(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(golden.Dir(t), "models", "*.gguf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden models found: %v", err)
	}
	return paths
}

// Every tensor's type must be the one llama.cpp reported when it made the
// golden (the tensor_types field of <name>.golden.json).
func TestGoldenTensorTypes(t *testing.T) {
	for _, path := range goldenModels(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".gguf")
		t.Run(name, func(t *testing.T) {
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			raw, err := os.ReadFile(strings.TrimSuffix(path, ".gguf") + ".golden.json")
			if err != nil {
				t.Fatal(err)
			}
			var g struct {
				TensorTypes map[string]string `json:"tensor_types"`
			}
			if err := json.Unmarshal(raw, &g); err != nil {
				t.Fatal(err)
			}
			if len(f.Tensors) != len(g.TensorTypes) {
				t.Errorf("%d tensors, golden lists %d", len(f.Tensors), len(g.TensorTypes))
			}
			for _, ti := range f.Tensors {
				if want := g.TensorTypes[ti.Name]; ti.Type.String() != want {
					t.Errorf("tensor %q: type %v, golden says %q", ti.Name, ti.Type, want)
				}
				if len(f.TensorData(&ti)) != int(ti.Size) {
					t.Errorf("tensor %q: %d bytes of data, want %d", ti.Name, len(f.TensorData(&ti)), ti.Size)
				}
			}
			if f.Version != 3 || f.Alignment != 32 || f.DataOffset%32 != 0 {
				t.Errorf("version %d, alignment %d, data offset %d; want 3, 32 and a multiple of 32", f.Version, f.Alignment, f.DataOffset)
			}
		})
	}
}

func TestGoldenLlamaF32(t *testing.T) {
	f, err := Open(golden.Path(t, "models", "llama-f32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	if got := f.Architecture(); got != "llama" {
		t.Errorf("Architecture() = %q, want llama", got)
	}
	for _, tc := range []struct {
		key  string
		want uint64
	}{
		{"llama.embedding_length", 256},
		{"llama.block_count", 2},
		{"llama.feed_forward_length", 768},
		{"llama.attention.head_count", 4},
		{"llama.attention.head_count_kv", 2},
		{"llama.context_length", 512},
		{"llama.rope.dimension_count", 64},
		{"tokenizer.ggml.bos_token_id", 1},
		{"tokenizer.ggml.eos_token_id", 2},
	} {
		if got, ok := f.Uint(tc.key); !ok || got != tc.want {
			t.Errorf("Uint(%q) = %d, %v; want %d", tc.key, got, ok, tc.want)
		}
		if got, ok := f.Int(tc.key); !ok || got != int64(tc.want) {
			t.Errorf("Int(%q) = %d, %v; want %d", tc.key, got, ok, tc.want)
		}
	}
	if eps, ok := f.Float("llama.attention.layer_norm_rms_epsilon"); !ok || float32(eps) != 1e-5 {
		t.Errorf("rms epsilon = %v, %v; want 1e-5", eps, ok)
	}
	if theta, ok := f.Float("llama.rope.freq_base"); !ok || theta != 10000 {
		t.Errorf("rope.freq_base = %v, %v; want 10000", theta, ok)
	}
	if m, ok := f.String("tokenizer.ggml.model"); !ok || m != "llama" {
		t.Errorf("tokenizer.ggml.model = %q, %v", m, ok)
	}
	if b, ok := f.Bool("tokenizer.ggml.add_bos_token"); !ok || !b {
		t.Errorf("add_bos_token = %v, %v; want true", b, ok)
	}
	tokens, ok := f.Strings("tokenizer.ggml.tokens")
	if !ok || len(tokens) != 1024 {
		t.Fatalf("tokenizer.ggml.tokens: %d strings, %v; want 1024", len(tokens), ok)
	}
	// README: ids 0-2 are <unk>, <s>, </s>, then the 256 byte tokens.
	for id, want := range map[int]string{0: "<unk>", 1: "<s>", 2: "</s>", 3: "<0x00>", 258: "<0xFF>"} {
		if tokens[id] != want {
			t.Errorf("token %d = %q, want %q", id, tokens[id], want)
		}
	}
	scores, ok := f.Float32s("tokenizer.ggml.scores")
	if !ok || len(scores) != 1024 || scores[258] != 0 || scores[259] != -1 || scores[1023] != -(1023-258) {
		t.Errorf("scores: ok=%v len=%d; want 0 below id 259 and -(id-258) after", ok, len(scores))
	}
	types, ok := f.Int32s("tokenizer.ggml.token_type")
	if !ok || len(types) != 1024 || types[3] != 6 { // 6 = BYTE
		t.Errorf("token_type: ok=%v len=%d", ok, len(types))
	}

	if len(f.Tensors) != 2+2*9+1 {
		t.Errorf("%d tensors, want 21", len(f.Tensors))
	}
	for _, ti := range f.Tensors {
		want := ggml.F32
		if ti.Type != want {
			t.Errorf("tensor %q: type %v, want F32", ti.Name, ti.Type)
		}
	}
	q, ok := f.Tensor("blk.0.attn_k.weight")
	if !ok {
		t.Fatal("blk.0.attn_k.weight missing")
	}
	// 2 KV heads of 64 = 128 rows of 256.
	if q.RowLen() != 256 || q.Rows() != 128 || q.Elements() != 256*128 || q.Size != 256*128*4 {
		t.Errorf("attn_k: dims %v, rows %d, size %d", q.Dims, q.Rows(), q.Size)
	}
	if _, ok := f.Tensor("nope"); ok {
		t.Error(`Tensor("nope") found`)
	}
	if _, ok := f.Uint("general.architecture"); ok {
		t.Error("Uint of a string key succeeded")
	}
}

// The vocab-only GGUFs carry the big string arrays (and no tensors).
func TestGoldenVocabs(t *testing.T) {
	for _, tc := range []struct {
		file           string
		arch, pre      string
		tokens, merges int
	}{
		{"llama3-bpe.vocab.gguf.gz", "llama", "llama-bpe", 128256, 280147},
		{"llama3-qwen2pre.vocab.gguf.gz", "qwen2", "qwen2", 128256, 280147},
		{"gemma2-spm.vocab.gguf.gz", "gemma2", "default", 256000, 0},
		{"llama-2-tiny-random.gguf", "llama", "", 32000, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := golden.Path(t, "tokenizer", tc.file)
			if strings.HasSuffix(path, ".gz") {
				path = golden.Gunzip(t, "tokenizer", tc.file)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Architecture() != tc.arch {
				t.Errorf("architecture %q, want %q", f.Architecture(), tc.arch)
			}
			if pre, _ := f.String("tokenizer.ggml.pre"); tc.pre != "" && pre != tc.pre {
				t.Errorf("pre %q, want %q", pre, tc.pre)
			}
			tokens, _ := f.Strings("tokenizer.ggml.tokens")
			merges, _ := f.Strings("tokenizer.ggml.merges")
			if len(tokens) != tc.tokens || len(merges) != tc.merges {
				t.Fatalf("%d tokens and %d merges, want %d and %d", len(tokens), len(merges), tc.tokens, tc.merges)
			}
			if tc.merges > 0 {
				// README: special tokens start at 128000; merges are in rank order.
				if tokens[128000] != "<|begin_of_text|>" || merges[0] != "Ġ Ġ" {
					t.Errorf("token 128000 = %q, merge 0 = %q", tokens[128000], merges[0])
				}
				if bos, _ := f.Uint("tokenizer.ggml.bos_token_id"); bos != 128000 {
					t.Errorf("bos %d, want 128000", bos)
				}
			}
		})
	}
}
