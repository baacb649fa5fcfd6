// Package model holds one small file per architecture, each a forward pass
// written against backends.Backend that reads top to bottom, plus the
// generic pieces they share: hyper-parameters from GGUF metadata and a
// loader that fills a model struct's weights from tensor names in its tags.
package model

import (
	"fmt"

	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/kv"
)

// Config is an architecture's hyper-parameters, read from `<arch>.*` keys.
type Config struct {
	Arch       string
	Name       string // general.name
	Dim        int    // embedding_length
	Layers     int    // block_count
	Heads      int    // attention.head_count
	KVHeads    int    // attention.head_count_kv
	HeadDim    int    // attention.key_length, or Dim/Heads
	FFN        int    // feed_forward_length
	Vocab      int    // rows of token_embd
	ContextLen int    // context_length the model was trained with
	Eps        float32
	RoPE       backends.RoPE
}

// KVDim is the number of key (or value) values stored per position per layer.
func (c *Config) KVDim() int { return c.KVHeads * c.HeadDim }

// Model is a loaded network.
type Model interface {
	// Config returns the hyper-parameters.
	Config() *Config
	// Bytes is the size of the weights the forward pass reads.
	Bytes() int64
	// pass is one forward pass over chunks that Forward has checked and
	// that fit s.
	pass(s *Scratch, chunks []Chunk)
}

// Chunk is the part of one sequence a Forward call evaluates.
type Chunk struct {
	Cache  *kv.Cache
	Tokens []int32
	Pos    int       // position of Tokens[0]; Cache holds positions [0, Pos)
	All    bool      // logits for every token, not only the last
	Logits []float32 // receives len(Tokens)×vocab (All) or vocab logits; nil: none

	// Hidden, when set, receives the final-normed hidden state of every
	// token (len(Tokens)×dim) instead of logits: what embeddings pool.
	Hidden []float32
}

// ReadConfig reads the hyper-parameters common to llama-like architectures.
func ReadConfig(f *gguf.File) (*Config, error) {
	arch := f.Architecture()
	if arch == "" {
		return nil, fmt.Errorf("model: general.architecture missing")
	}
	c := &Config{Arch: arch}
	c.Name, _ = f.String("general.name")
	var err error
	need := func(key string) int {
		v, ok := f.Uint(arch + "." + key)
		if !ok && err == nil {
			err = fmt.Errorf("model: %s.%s missing", arch, key)
		}
		if v > 1<<24 && err == nil {
			err = fmt.Errorf("model: %s.%s = %d is implausible", arch, key, v)
		}
		return int(v)
	}
	c.Dim = need("embedding_length")
	c.Layers = need("block_count")
	c.Heads = need("attention.head_count")
	c.FFN = need("feed_forward_length")
	if err != nil {
		return nil, err
	}
	// Every block has tensors of its own: a count beyond the file's tensors
	// is corrupt, and the loader would allocate a struct per block first.
	if c.Layers > len(f.Tensors) {
		return nil, fmt.Errorf("model: %s.block_count = %d but the file has only %d tensors", arch, c.Layers, len(f.Tensors))
	}
	c.KVHeads = c.Heads
	if v, ok := f.Uint(arch + ".attention.head_count_kv"); ok {
		c.KVHeads = int(v)
	}
	if c.Heads <= 0 || c.KVHeads <= 0 || c.Heads%c.KVHeads != 0 {
		return nil, fmt.Errorf("model: %d heads and %d KV heads: heads must be a positive multiple of KV heads", c.Heads, c.KVHeads)
	}
	c.HeadDim = c.Dim / c.Heads
	if v, ok := f.Uint(arch + ".attention.key_length"); ok {
		c.HeadDim = int(v)
	}
	if c.HeadDim <= 0 || c.HeadDim%2 != 0 || c.HeadDim > 1024 {
		return nil, fmt.Errorf("model: head dimension %d is not supported", c.HeadDim)
	}
	if v, ok := f.Uint(arch + ".context_length"); ok {
		c.ContextLen = int(v)
	}
	c.Eps = 1e-5
	if v, ok := f.Float(arch + ".attention.layer_norm_rms_epsilon"); ok {
		c.Eps = float32(v)
	}
	c.RoPE = backends.RoPE{Dims: c.HeadDim, Base: 10000, FreqScale: 1}
	if v, ok := f.Uint(arch + ".rope.dimension_count"); ok {
		c.RoPE.Dims = int(v)
	}
	if c.RoPE.Dims <= 0 || c.RoPE.Dims > c.HeadDim || c.RoPE.Dims%2 != 0 {
		return nil, fmt.Errorf("model: rope.dimension_count %d does not fit head dimension %d", c.RoPE.Dims, c.HeadDim)
	}
	if v, ok := f.Float(arch + ".rope.freq_base"); ok {
		c.RoPE.Base = float32(v)
	}
	if st, _ := f.String(arch + ".rope.scaling.type"); st == "linear" {
		if v, ok := f.Float(arch + ".rope.scaling.factor"); ok && v > 0 {
			c.RoPE.FreqScale = float32(1 / v)
		}
	} else if st != "" && st != "none" {
		return nil, fmt.Errorf("model: rope scaling %q is not supported yet", st)
	}
	return c, nil
}

// Scratch is the working memory of one forward pass over up to Batch
// tokens, allocated once and reused for every call (one goroutine at a
// time). Forward runs larger batches as several passes, so Batch is what
// llama.cpp calls the micro-batch: it bounds memory, not what callers may
// submit.
type Scratch struct {
	Batch int

	x, xb []float32 // residual stream; normed input and projection outputs
	// work holds q, k, v and the attention output while a block attends,
	// then the gated feed-forward activations: the two are never live
	// together.
	work      []float32
	outLogits []float32 // logits of the rows that need them, before they are scattered
	parts     []Chunk   // Forward's chunks of the current pass
	view      batch     // the current pass's views of the buffers
}

// NewScratch allocates scratch memory for c and passes of up to batch
// tokens.
func NewScratch(c *Config, batch int) *Scratch {
	batch = max(batch, 1)
	return &Scratch{
		Batch: batch,
		x:     make([]float32, batch*c.Dim),
		xb:    make([]float32, batch*c.Dim),
		work:  make([]float32, batch*workPerToken(c)),
	}
}

// ScratchBytes is the memory NewScratch(c, batch) allocates.
func ScratchBytes(c *Config, batch int) int64 {
	return int64(max(batch, 1)) * int64(2*c.Dim+workPerToken(c)) * 4
}

// workPerToken is the floats per token of Scratch.work: the larger of the
// attention half's q, k, v and output and the feed-forward's activations.
func workPerToken(c *Config) int {
	qDim := c.Heads * c.HeadDim
	return max(2*qDim+2*c.KVDim(), c.FFN)
}

// NewCache allocates the KV cache of one sequence of up to ctx positions.
func NewCache(c *Config, ctx int) *kv.Cache { return kv.New(c.Layers, ctx, c.KVDim()) }

// Loaders maps architecture names to constructors.
var Loaders = map[string]func(f *gguf.File, c *Config, b backends.Backend) (Model, error){}

// Load builds the model for f's architecture, or an error naming an
// architecture Kiln does not support.
func Load(f *gguf.File, b backends.Backend) (Model, error) {
	c, err := ReadConfig(f)
	if err != nil {
		return nil, err
	}
	load, ok := Loaders[c.Arch]
	if !ok {
		return nil, fmt.Errorf("model: architecture %q is not supported (supported: %s)", c.Arch, supportedList())
	}
	return load(f, c, b)
}

func supportedList() string {
	var s string
	for _, a := range []string{"llama", "qwen2", "qwen3"} {
		if _, ok := Loaders[a]; ok {
			if s != "" {
				s += ", "
			}
			s += a
		}
	}
	return s
}
