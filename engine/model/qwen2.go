package model

import (
	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// Qwen2 is the Qwen 2 / 2.5 architecture: Llama with biases on the q, k and
// v projections and NeoX-style rotary embeddings (rotating dimension i with
// i+d/2), usually with the output tied to the token embedding.
type Qwen2 struct {
	cfg *Config
	b   backends.Backend

	TokenEmbd  *backends.Matrix `gguf:"token_embd.weight"`
	Layers     []Qwen2Layer     `gguf:"blk"`
	OutputNorm []float32        `gguf:"output_norm.weight"`
	Output     *backends.Matrix `gguf:"output.weight,alt=token_embd.weight"`
}

// Qwen2Layer is one transformer block.
type Qwen2Layer struct {
	AttnNorm []float32        `gguf:"attn_norm.weight"`
	Wq       *backends.Matrix `gguf:"attn_q.weight"`
	Bq       []float32        `gguf:"attn_q.bias"`
	Wk       *backends.Matrix `gguf:"attn_k.weight"`
	Bk       []float32        `gguf:"attn_k.bias"`
	Wv       *backends.Matrix `gguf:"attn_v.weight"`
	Bv       []float32        `gguf:"attn_v.bias"`
	Wo       *backends.Matrix `gguf:"attn_output.weight"`
	FFNNorm  []float32        `gguf:"ffn_norm.weight"`
	WGate    *backends.Matrix `gguf:"ffn_gate.weight"`
	WUp      *backends.Matrix `gguf:"ffn_up.weight"`
	WDown    *backends.Matrix `gguf:"ffn_down.weight"`
}

func init() { Loaders["qwen2"] = loadQwen2 }

func loadQwen2(f *gguf.File, c *Config, b backends.Backend) (Model, error) {
	m := &Qwen2{cfg: c, b: b}
	if err := loadWeights(f, "", m, c.Layers); err != nil {
		return nil, err
	}
	c.Vocab = m.TokenEmbd.Rows
	c.RoPE.NeoX = true
	err := validateDecoder(c, m.TokenEmbd, m.Output, m.OutputNorm, func(i int) ([]shape, map[string][]float32) {
		l := &m.Layers[i]
		return decoderShapes(c, l.Wq, l.Wk, l.Wv, l.Wo, l.WGate, l.WUp, l.WDown),
			map[string][]float32{"attn_norm.weight": l.AttnNorm, "ffn_norm.weight": l.FFNNorm,
				"attn_q.bias": l.Bq, "attn_k.bias": l.Bk, "attn_v.bias": l.Bv}
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Config implements Model.
func (m *Qwen2) Config() *Config { return m.cfg }

// Bytes implements Model.
func (m *Qwen2) Bytes() int64 {
	n := weightBytes(m.Output)
	for _, l := range m.Layers {
		n += weightBytes(l.Wq, l.Wk, l.Wv, l.Wo, l.WGate, l.WUp, l.WDown)
	}
	return n
}

func (m *Qwen2) pass(s *Scratch, chunks []Chunk) {
	c, b := m.cfg, m.b
	bt := begin(s, c, m.TokenEmbd, chunks)
	for li := range m.Layers {
		l := &m.Layers[li]

		b.RMSNorm(bt.xb, bt.x, l.AttnNorm, c.Dim, c.Eps)
		b.MatMul(bt.q, l.Wq, bt.xb, bt.n)
		b.AddBias(bt.q, l.Bq)
		b.MatMul(bt.k, l.Wk, bt.xb, bt.n)
		b.AddBias(bt.k, l.Bk)
		b.MatMul(bt.v, l.Wv, bt.xb, bt.n)
		b.AddBias(bt.v, l.Bv)
		bt.rope(b, c)
		bt.attend(b, li, l.Wo)

		bt.feedForward(b, c, l.FFNNorm, l.WGate, l.WUp, l.WDown)
	}
	bt.finish(b, s, c, m.OutputNorm, m.Output)
}
