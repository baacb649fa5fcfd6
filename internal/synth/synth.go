// Package synth makes random-weight models of any llama, qwen2 or qwen3
// shape, for benchmarks and tests that need a model of a real size without
// shipping one. The weights are deterministic (a PCG stream per tensor row,
// seeded by the tensor's name) and scaled so that activations stay in a
// sane range and generation gives no NaNs; the vocabulary is a synthetic
// byte-level BPE that the engine's tokenizer accepts.
//
// A Model is a quantize.Source: its F32 tensors are generated row by row
// as engine/quantize asks for them, so a 1B-parameter model is written in
// any recipe without ever being held in memory.
package synth

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/quantize"
)

// Config is a model shape.
type Config struct {
	Arch     string // llama, qwen2 or qwen3
	Name     string // general.name
	Dim      int    // embedding_length
	Layers   int    // block_count
	Heads    int    // attention.head_count
	KVHeads  int    // attention.head_count_kv
	HeadDim  int    // 0: Dim/Heads
	FFN      int    // feed_forward_length
	Vocab    int    // tokens, and rows of token_embd
	Context  int    // context_length (0: 4096)
	Tied     bool   // no output.weight: the logits use token_embd
	RopeBase float64
	QKVBias  bool    // attn_q/k/v.bias (qwen2)
	Eps      float64 // RMSNorm epsilon (0: 1e-5 for llama, 1e-6 for qwen)
	Seed     uint64
}

// Presets are the benchmark shapes of the testdata README and a tiny model
// for tests.
var Presets = map[string]Config{
	// Llama-3.2-1B: 1.24 B parameters.
	"llama1b": {Arch: "llama", Name: "synth-llama-1b", Dim: 2048, Layers: 16, Heads: 32, KVHeads: 8, FFN: 8192,
		Vocab: 128256, Context: 131072, Tied: true, RopeBase: 5e5, Seed: 1},
	// Qwen2.5-0.5B: 0.49 B parameters; 896-wide rows force llama.cpp's
	// quantization fallbacks.
	"qwen05b": {Arch: "qwen2", Name: "synth-qwen2.5-0.5b", Dim: 896, Layers: 24, Heads: 14, KVHeads: 2, FFN: 4864,
		Vocab: 151936, Context: 32768, Tied: true, RopeBase: 1e6, QKVBias: true, Seed: 2},
	// A Qwen3-0.6B-like shape: q/k norms, head dim 128 with 16 heads of a
	// 1024-wide model.
	"qwen3-06b": {Arch: "qwen3", Name: "synth-qwen3-0.6b", Dim: 1024, Layers: 28, Heads: 16, KVHeads: 8, HeadDim: 128,
		FFN: 3072, Vocab: 151936, Context: 40960, Tied: true, RopeBase: 1e6, Seed: 3},
	// Tiny, for tests: 2 layers, 256 wide, a 1024-token vocabulary.
	"tiny": {Arch: "llama", Name: "synth-tiny", Dim: 256, Layers: 2, Heads: 4, KVHeads: 2, FFN: 768,
		Vocab: 1024, Context: 512, RopeBase: 1e4, Seed: 1},
}

// Model is a synthesized model: metadata and generated tensors.
type Model struct {
	cfg     Config
	kv      []gguf.KV
	tensors []gguf.TensorInfo
	init    []weightInit // per tensor
}

// weightInit says how one tensor's values are drawn: mean + std*N(0,1),
// from a PCG stream per row seeded by seed.
type weightInit struct {
	mean, std float64
	seed      uint64
}

// New checks c and lays out the model.
func New(c Config) (*Model, error) {
	if err := c.fill(); err != nil {
		return nil, err
	}
	m := &Model{cfg: c}
	if err := m.metadata(); err != nil {
		return nil, err
	}
	m.layout()
	return m, nil
}

// Config returns the model's shape with defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// Params returns the number of weights.
func (m *Model) Params() int64 {
	var n int64
	for i := range m.tensors {
		n += m.tensors[i].Elements()
	}
	return n
}

// fill checks the shape and fills in defaults.
func (c *Config) fill() error {
	switch c.Arch {
	case "llama", "qwen2", "qwen3":
	default:
		return fmt.Errorf("synth: unknown architecture %q (llama, qwen2 or qwen3)", c.Arch)
	}
	if c.Dim <= 0 || c.Layers <= 0 || c.Heads <= 0 || c.FFN <= 0 || c.Vocab <= 0 {
		return fmt.Errorf("synth: dim %d, layers %d, heads %d, ffn %d and vocab %d must all be positive", c.Dim, c.Layers, c.Heads, c.FFN, c.Vocab)
	}
	if c.Dim > 1<<16 || c.FFN > 1<<18 || c.Layers > 1024 || c.Vocab > 1<<20 || c.Heads > 1024 {
		return fmt.Errorf("synth: shape dim %d, ffn %d, layers %d, vocab %d, heads %d is larger than any real model", c.Dim, c.FFN, c.Layers, c.Vocab, c.Heads)
	}
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.KVHeads < 0 || c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("synth: %d heads are not a multiple of %d KV heads", c.Heads, c.KVHeads)
	}
	if c.HeadDim == 0 {
		if c.Dim%c.Heads != 0 {
			return fmt.Errorf("synth: dim %d is not a multiple of %d heads; give the head dimension", c.Dim, c.Heads)
		}
		c.HeadDim = c.Dim / c.Heads
	}
	if c.HeadDim <= 0 || c.HeadDim%2 != 0 || c.HeadDim > 1024 {
		return fmt.Errorf("synth: head dimension %d must be even and at most 1024", c.HeadDim)
	}
	if c.Arch == "llama" && c.HeadDim*c.Heads != c.Dim {
		return fmt.Errorf("synth: llama needs heads × head dimension = dim (%d × %d ≠ %d)", c.Heads, c.HeadDim, c.Dim)
	}
	if c.Context == 0 {
		c.Context = 4096
	}
	if c.RopeBase == 0 {
		c.RopeBase = 10000
	}
	if c.Eps == 0 {
		c.Eps = 1e-5
		if c.Arch != "llama" {
			c.Eps = 1e-6
		}
	}
	if c.Name == "" {
		c.Name = "synth-" + c.Arch
	}
	return nil
}

// Metadata returns the GGUF key-value pairs, in the order
// convert_hf_to_gguf writes them.
func (m *Model) Metadata() []gguf.KV { return m.kv }

// Tensors returns the tensor infos, all F32, in convert_hf_to_gguf's order.
func (m *Model) Tensors() []gguf.TensorInfo { return m.tensors }

// ReadRows generates rows of tensor i from row first on into dst as
// little-endian F32. Each row has its own PCG stream, so rows may be made
// in any order and on any goroutine with the same result.
func (m *Model) ReadRows(i int, first int64, dst []byte) error {
	if i < 0 || i >= len(m.tensors) {
		return fmt.Errorf("synth: no tensor %d", i)
	}
	t := &m.tensors[i]
	n := t.Dims[0]
	if first < 0 || int64(len(dst))%(4*n) != 0 || first+int64(len(dst))/(4*n) > t.Rows() {
		return fmt.Errorf("synth: tensor %q: %d bytes from row %d do not fit its %d rows of %d", t.Name, len(dst), first, t.Rows(), n)
	}
	w := m.init[i]
	src := rand.NewPCG(0, 0)
	r := rand.New(src)
	for k := 0; k < len(dst); k += 4 * int(n) {
		src.Seed(w.seed, uint64(first)+uint64(k)/uint64(4*n))
		row := dst[k : k+4*int(n)]
		for j := 0; j < len(row); j += 4 {
			v := float32(w.mean + w.std*r.NormFloat64())
			binary.LittleEndian.PutUint32(row[j:], math.Float32bits(v))
		}
	}
	return nil
}

// Write quantizes the model with o (o.Recipe "F32" writes the source
// itself) and writes the GGUF to w.
func (m *Model) Write(w io.Writer, o quantize.Options) (*quantize.Report, error) {
	return quantize.Write(m, w, o)
}

// seedOf derives a tensor's stream seed from the model seed and its name.
func seedOf(seed uint64, name string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(name))
	return h.Sum64()
}

// add appends an F32 tensor drawn from mean + std*N(0,1).
func (m *Model) add(name string, mean, std float64, dims ...int64) {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	m.tensors = append(m.tensors, gguf.TensorInfo{Name: name, Dims: dims, Type: ggml.F32, Size: 4 * n})
	m.init = append(m.init, weightInit{mean: mean, std: std, seed: seedOf(m.cfg.Seed, name)})
}

// UseTokenizer replaces the synthetic vocabulary with the tokenizer.* keys
// of kv (a real model's, say), in their order. The vocabulary must not
// have more tokens than the model's embedding has rows.
func (m *Model) UseTokenizer(kv []gguf.KV) error {
	var tok []gguf.KV
	n := -1
	for _, p := range kv {
		if strings.HasPrefix(p.Key, "tokenizer.") {
			tok = append(tok, p)
			if p.Key == "tokenizer.ggml.tokens" {
				n = p.Value.Len()
			}
		}
	}
	if n < 0 {
		return fmt.Errorf("synth: no tokenizer.ggml.tokens to copy")
	}
	if n > m.cfg.Vocab {
		return fmt.Errorf("synth: the vocabulary has %d tokens, more than the model's %d embedding rows", n, m.cfg.Vocab)
	}
	keep := m.kv[:0:0]
	for _, p := range m.kv {
		if !strings.HasPrefix(p.Key, "tokenizer.") {
			keep = append(keep, p)
		}
	}
	m.kv = append(keep, tok...)
	return nil
}
