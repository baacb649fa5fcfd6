package model

import (
	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// Qwen3 is the Qwen 3 dense architecture: Llama with an RMSNorm on each
// head of q and k before the NeoX-style rotary embedding, and no biases.
type Qwen3 struct {
	cfg *Config
	b   backends.Backend

	TokenEmbd  *backends.Matrix `gguf:"token_embd.weight"`
	Layers     []Qwen3Layer     `gguf:"blk"`
	OutputNorm []float32        `gguf:"output_norm.weight"`
	Output     *backends.Matrix `gguf:"output.weight,alt=token_embd.weight"`
}

// Qwen3Layer is one transformer block.
type Qwen3Layer struct {
	AttnNorm []float32        `gguf:"attn_norm.weight"`
	Wq       *backends.Matrix `gguf:"attn_q.weight"`
	QNorm    []float32        `gguf:"attn_q_norm.weight"`
	Wk       *backends.Matrix `gguf:"attn_k.weight"`
	KNorm    []float32        `gguf:"attn_k_norm.weight"`
	Wv       *backends.Matrix `gguf:"attn_v.weight"`
	Wo       *backends.Matrix `gguf:"attn_output.weight"`
	FFNNorm  []float32        `gguf:"ffn_norm.weight"`
	WGate    *backends.Matrix `gguf:"ffn_gate.weight"`
	WUp      *backends.Matrix `gguf:"ffn_up.weight"`
	WDown    *backends.Matrix `gguf:"ffn_down.weight"`
}

func init() { Loaders["qwen3"] = loadQwen3 }

func loadQwen3(f *gguf.File, c *Config, b backends.Backend) (Model, error) {
	m := &Qwen3{cfg: c, b: b}
	if err := loadWeights(f, "", m, c.Layers); err != nil {
		return nil, err
	}
	c.Vocab = m.TokenEmbd.Rows
	c.RoPE.NeoX = true
	err := validateDecoder(c, m.TokenEmbd, m.Output, m.OutputNorm, func(i int) ([]shape, map[string][]float32) {
		l := &m.Layers[i]
		return decoderShapes(c, l.Wq, l.Wk, l.Wv, l.Wo, l.WGate, l.WUp, l.WDown),
			map[string][]float32{"attn_norm.weight": l.AttnNorm, "ffn_norm.weight": l.FFNNorm,
				"attn_q_norm.weight": l.QNorm, "attn_k_norm.weight": l.KNorm}
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Config implements Model.
func (m *Qwen3) Config() *Config { return m.cfg }

// Bytes implements Model.
func (m *Qwen3) Bytes() int64 {
	n := weightBytes(m.Output)
	for _, l := range m.Layers {
		n += weightBytes(l.Wq, l.Wk, l.Wv, l.Wo, l.WGate, l.WUp, l.WDown)
	}
	return n
}

func (m *Qwen3) pass(s *Scratch, chunks []Chunk) {
	c, b := m.cfg, m.b
	bt := begin(s, c, m.TokenEmbd, chunks)
	for li := range m.Layers {
		l := &m.Layers[li]

		b.RMSNorm(bt.xb, bt.x, l.AttnNorm, c.Dim, c.Eps)
		b.MatMul(bt.q, l.Wq, bt.xb, bt.n)
		b.RMSNorm(bt.q, bt.q, l.QNorm, c.HeadDim, c.Eps) // per head
		b.MatMul(bt.k, l.Wk, bt.xb, bt.n)
		b.RMSNorm(bt.k, bt.k, l.KNorm, c.HeadDim, c.Eps) // per head
		b.MatMul(bt.v, l.Wv, bt.xb, bt.n)
		bt.rope(b, c)
		bt.attend(b, li, l.Wo)

		bt.feedForward(b, c, l.FFNNorm, l.WGate, l.WUp, l.WDown)
	}
	bt.finish(b, s, c, m.OutputNorm, m.Output)
}
