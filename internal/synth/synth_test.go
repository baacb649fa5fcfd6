package synth

import (
	"bytes"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/quantize"
	"github.com/kiln-llm/kiln/engine/tokenizer"
)

// write synthesizes c with recipe and parses the result.
func write(t *testing.T, c Config, recipe string, threads int) (*gguf.File, []byte) {
	t.Helper()
	m, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := m.Write(&buf, quantize.Options{Recipe: recipe, Threads: threads}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f, buf.Bytes()
}

func tiny(arch string) Config {
	c := Presets["tiny"]
	c.Arch = arch
	switch arch {
	case "qwen2":
		c.Tied, c.QKVBias, c.RopeBase = true, true, 1e6
	case "qwen3":
		c.HeadDim, c.RopeBase = 128, 1e6 // 4 heads of 128 in a 256-wide model
	}
	return c
}

// Every architecture's tiny model loads in the engine, its tokenizer
// round-trips text, and greedy generation gives finite logits and a
// varied continuation.
func TestEngineRuns(t *testing.T) {
	for _, arch := range []string{"llama", "qwen2", "qwen3"} {
		for _, recipe := range []string{"F32", "Q4_K_M"} {
			t.Run(arch+"/"+recipe, func(t *testing.T) {
				f, _ := write(t, tiny(arch), recipe, 0)
				// One thread: this tests the weights, not the backend's pool.
				e, err := engine.Load(f, engine.Options{Threads: 1, Context: 64})
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				text := "The quick brown fox jumps over the lazy dog."
				ids := e.Tokenizer.Encode(text, true, false)
				if got := e.Tokenizer.Decode(ids, true, false); got != text {
					t.Errorf("decode(encode(%q)) = %q", text, got)
				}
				seq := e.NewSequence()
				seen := map[int32]bool{}
				for step := range 16 {
					if err := seq.Eval(ids, nil); err != nil {
						t.Fatal(err)
					}
					best := int32(0)
					for i, v := range seq.Logits() {
						if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
							t.Fatalf("step %d: logit %d is %v", step, i, v)
						}
						if v > seq.Logits()[best] {
							best = int32(i)
						}
					}
					seen[best] = true
					ids = []int32{best}
				}
				if len(seen) < 3 {
					t.Errorf("16 greedy steps produced only %d distinct tokens", len(seen))
				}
			})
		}
	}
}

// The bytes depend on the seed only: not on the thread count or the run.
func TestDeterministic(t *testing.T) {
	_, a := write(t, tiny("qwen2"), "Q4_K_M", 1)
	_, b := write(t, tiny("qwen2"), "Q4_K_M", 3)
	if !bytes.Equal(a, b) {
		t.Errorf("1 and 3 threads give different files")
	}
	c := tiny("qwen2")
	c.Seed++
	_, d := write(t, c, "Q4_K_M", 0)
	if bytes.Equal(a, d) {
		t.Errorf("another seed gives the same file")
	}
}

// The weights have the scales the testdata README gives.
func TestScales(t *testing.T) {
	c := tiny("qwen2")
	c.Dim, c.Heads, c.KVHeads, c.FFN = 512, 8, 2, 1024
	f, _ := write(t, c, "F32", 0)
	for _, tc := range []struct {
		name      string
		mean, std float64
	}{
		{"token_embd.weight", 0, 4 / math.Sqrt(512)},
		{"blk.0.attn_q.weight", 0, 1.5 / math.Sqrt(512)},
		{"blk.1.attn_v.weight", 0, 3 / math.Sqrt(512)},
		{"blk.0.ffn_down.weight", 0, 1.5 / math.Sqrt(1024)},
		{"blk.0.attn_norm.weight", 1, 0.1},
		{"blk.0.attn_q.bias", 0, 0.5},
	} {
		ti, ok := f.Tensor(tc.name)
		if !ok {
			t.Fatalf("no %s", tc.name)
		}
		vals := make([]float32, ti.Elements())
		if err := quantizeF32(f.TensorData(ti), vals); err != nil {
			t.Fatal(err)
		}
		var sum, sq float64
		for _, v := range vals {
			sum += float64(v)
		}
		mean := sum / float64(len(vals))
		for _, v := range vals {
			sq += (float64(v) - mean) * (float64(v) - mean)
		}
		std := math.Sqrt(sq / float64(len(vals)))
		tol := 5 * tc.std / math.Sqrt(float64(len(vals)))
		if math.Abs(mean-tc.mean) > tol || math.Abs(std/tc.std-1) > 0.05 {
			t.Errorf("%s: mean %.4f std %.4f, want %.4f and %.4f", tc.name, mean, std, tc.mean, tc.std)
		}
	}
}

func quantizeF32(b []byte, dst []float32) error {
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
	}
	return nil
}

// The vocabularies have the requested size and layout, unique tokens, and
// merges whose parts and result are all tokens.
func TestVocabulary(t *testing.T) {
	for _, tc := range []struct {
		family       string
		size         int
		bos, eos     int
		bosText, eot string
	}{
		{"llama3", 128256, 128000, 128009, "<|begin_of_text|>", "<|eot_id|>"},
		{"qwen2", 151936, 151643, 151645, "<|endoftext|>", "<|im_end|>"},
		{"llama3", 1024, 768, 777, "<|begin_of_text|>", "<|eot_id|>"},
		{"qwen2", 1024, 1002, 1004, "<|endoftext|>", "<|im_end|>"},
	} {
		v, err := newVocabulary(tc.family, tc.size, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.tokens) != tc.size || len(v.types) != tc.size {
			t.Errorf("%s %d: %d tokens, %d types", tc.family, tc.size, len(v.tokens), len(v.types))
		}
		if int(v.bos) != tc.bos || int(v.eos) != tc.eos || v.tokens[v.bos] != tc.bosText || v.tokens[v.eos] != tc.eot {
			t.Errorf("%s %d: bos %d %q, eos %d %q", tc.family, tc.size, v.bos, v.tokens[v.bos], v.eos, v.tokens[v.eos])
		}
		ids := map[string]bool{}
		for _, s := range v.tokens {
			if ids[s] {
				t.Fatalf("%s %d: token %q twice", tc.family, tc.size, s)
			}
			ids[s] = true
		}
		for i, mg := range v.merges {
			a, b, ok := strings.Cut(mg, " ")
			if !ok || !ids[a] || !ids[b] || !ids[a+b] || v.tokens[256+i] != a+b {
				t.Fatalf("%s %d: merge %d %q is not a merge of two tokens into token %d", tc.family, tc.size, i, mg, 256+i)
			}
		}
	}
	if _, err := newVocabulary("llama3", 500, 1); err == nil {
		t.Errorf("a 500-token Llama 3 vocabulary has no room for the 256 specials; want an error")
	}
}

// The full-size vocabularies load in the tokenizer and encode English in
// fewer tokens than bytes, specials included.
func TestVocabularyTokenizer(t *testing.T) {
	for _, name := range []string{"llama1b", "qwen05b"} {
		m, err := New(Presets[name])
		if err != nil {
			t.Fatal(err)
		}
		tok, err := tokenizer.New(vocabOf(t, m))
		if err != nil {
			t.Fatal(err)
		}
		text := "Well, Prince, so Genoa and Lucca are now just family estates of the Buonapartes."
		ids := tok.Encode(text, false, false)
		if len(ids) >= len(text)*3/4 {
			t.Errorf("%s: %d tokens for %d bytes", name, len(ids), len(text))
		}
		if got := tok.Decode(ids, false, false); got != text {
			t.Errorf("%s: round trip gives %q", name, got)
		}
		special := "<|im_start|>"
		if name == "llama1b" {
			special = "<|start_header_id|>"
		}
		if ids := tok.Encode(special, false, true); len(ids) != 1 {
			t.Errorf("%s: %s is %d tokens, want 1", name, special, len(ids))
		}
	}
}

// vocabOf reads the tokenizer keys of m's metadata.
func vocabOf(t *testing.T, m *Model) *tokenizer.Vocab {
	t.Helper()
	b := gguf.NewBuilder()
	for _, kv := range m.Metadata() {
		if err := b.Set(kv.Key, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	v, err := tokenizer.VocabFromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The presets have the parameter counts of the models they imitate, and
// their Q4_K_M mixtures the tensor types the testdata README lists.
func TestPresets(t *testing.T) {
	for name, want := range map[string]float64{"llama1b": 1.236e9, "qwen05b": 0.494e9} {
		m, err := New(Presets[name])
		if err != nil {
			t.Fatal(err)
		}
		if p := float64(m.Params()); math.Abs(p/want-1) > 0.01 {
			t.Errorf("%s: %.4g parameters, want about %.4g", name, p, want)
		}
	}
}

// Writing streams: the memory allocated while quantizing a model is a
// small fraction of its F32 size.
func TestStreaming(t *testing.T) {
	c := Config{Arch: "llama", Dim: 1024, Layers: 2, Heads: 8, KVHeads: 8, FFN: 4096, Vocab: 8192, Seed: 1}
	m, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep, err := m.Write(discard{}, quantize.Options{Recipe: "Q8_0"})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(rep.Before/8) {
		t.Errorf("allocated %d bytes while quantizing %d bytes of F32", alloc, rep.Before)
	}
	for _, tr := range rep.Tensors {
		if tr.To != ggml.Q8_0 && tr.To != ggml.F32 {
			t.Errorf("%s: %v", tr.Name, tr.To)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestBadConfig(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Arch = "gemma" }, `unknown architecture "gemma"`},
		{func(c *Config) { c.KVHeads = 3 }, "not a multiple of 3 KV heads"},
		{func(c *Config) { c.Dim = 250 }, "not a multiple of 4 heads"},
		{func(c *Config) { c.Vocab = 300 }, "at least 512 tokens"},
		{func(c *Config) { c.Layers = 0 }, "must all be positive"},
		{func(c *Config) { c.Dim = 1 << 20 }, "larger than any real model"},
	} {
		c := Presets["tiny"]
		tc.edit(&c)
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
