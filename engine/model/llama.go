package model

import (
	"fmt"

	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// Llama is the Llama 2/3 architecture (also Mistral and tolstoy-4m): RMSNorm,
// rotary embeddings on adjacent pairs, grouped-query attention, SwiGLU, and
// an output matrix that may be tied to the token embedding.
type Llama struct {
	cfg *Config
	b   backends.Backend

	TokenEmbd  *backends.Matrix `gguf:"token_embd.weight"`
	Layers     []LlamaLayer     `gguf:"blk"`
	OutputNorm []float32        `gguf:"output_norm.weight"`
	Output     *backends.Matrix `gguf:"output.weight,alt=token_embd.weight"`
	RopeFreqs  []float32        `gguf:"rope_freqs.weight,optional"`
}

// LlamaLayer is one transformer block.
type LlamaLayer struct {
	AttnNorm []float32        `gguf:"attn_norm.weight"`
	Wq       *backends.Matrix `gguf:"attn_q.weight"`
	Wk       *backends.Matrix `gguf:"attn_k.weight"`
	Wv       *backends.Matrix `gguf:"attn_v.weight"`
	Wo       *backends.Matrix `gguf:"attn_output.weight"`
	FFNNorm  []float32        `gguf:"ffn_norm.weight"`
	WGate    *backends.Matrix `gguf:"ffn_gate.weight"`
	WUp      *backends.Matrix `gguf:"ffn_up.weight"`
	WDown    *backends.Matrix `gguf:"ffn_down.weight"`
}

func init() { Loaders["llama"] = loadLlama }

func loadLlama(f *gguf.File, c *Config, b backends.Backend) (Model, error) {
	m := &Llama{cfg: c, b: b}
	if err := loadWeights(f, "", m, c.Layers); err != nil {
		return nil, err
	}
	c.Vocab = m.TokenEmbd.Rows
	err := validateDecoder(c, m.TokenEmbd, m.Output, m.OutputNorm, func(i int) ([]shape, map[string][]float32) {
		l := &m.Layers[i]
		return decoderShapes(c, l.Wq, l.Wk, l.Wv, l.Wo, l.WGate, l.WUp, l.WDown),
			map[string][]float32{"attn_norm.weight": l.AttnNorm, "ffn_norm.weight": l.FFNNorm}
	})
	if err != nil {
		return nil, err
	}
	if m.RopeFreqs != nil {
		if len(m.RopeFreqs) < c.RoPE.Dims/2 {
			return nil, fmt.Errorf("model: rope_freqs.weight has %d values, want %d", len(m.RopeFreqs), c.RoPE.Dims/2)
		}
		c.RoPE.FreqFactors = m.RopeFreqs
	}
	return m, nil
}

// Config implements Model.
func (m *Llama) Config() *Config { return m.cfg }

// Bytes implements Model.
func (m *Llama) Bytes() int64 {
	n := weightBytes(m.Output)
	for _, l := range m.Layers {
		n += weightBytes(l.Wq, l.Wk, l.Wv, l.Wo, l.WGate, l.WUp, l.WDown)
	}
	return n
}

func (m *Llama) pass(s *Scratch, chunks []Chunk) {
	c, b := m.cfg, m.b
	bt := begin(s, c, m.TokenEmbd, chunks)
	for li := range m.Layers {
		l := &m.Layers[li]

		b.RMSNorm(bt.xb, bt.x, l.AttnNorm, c.Dim, c.Eps)
		b.MatMul(bt.q, l.Wq, bt.xb, bt.n)
		b.MatMul(bt.k, l.Wk, bt.xb, bt.n)
		b.MatMul(bt.v, l.Wv, bt.xb, bt.n)
		bt.rope(b, c)
		bt.attend(b, li, l.Wo)

		bt.feedForward(b, c, l.FFNNorm, l.WGate, l.WUp, l.WDown)
	}
	bt.finish(b, s, c, m.OutputNorm, m.Output)
}
