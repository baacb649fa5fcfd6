package synth

import (
	"fmt"
	"math"

	"github.com/kiln-llm/kiln/engine/gguf"
)

// pair is one metadata key and its value before conversion.
type pair struct {
	key string
	val any
}

// metadata sets the model's and the tokenizer's keys.
func (m *Model) metadata() error {
	c := &m.cfg
	family := "llama3"
	if c.Arch != "llama" {
		family = "qwen2"
	}
	v, err := newVocabulary(family, c.Vocab, c.Seed)
	if err != nil {
		return err
	}
	a := c.Arch + "."
	pairs := []pair{
		{"general.architecture", c.Arch},
		{"general.type", "model"},
		{"general.name", c.Name},
		{a + "block_count", uint32(c.Layers)},
		{a + "context_length", uint32(c.Context)},
		{a + "embedding_length", uint32(c.Dim)},
		{a + "feed_forward_length", uint32(c.FFN)},
		{a + "attention.head_count", uint32(c.Heads)},
		{a + "attention.head_count_kv", uint32(c.KVHeads)},
		{a + "rope.freq_base", float32(c.RopeBase)},
		{a + "attention.layer_norm_rms_epsilon", float32(c.Eps)},
	}
	if c.Arch == "qwen3" || c.HeadDim*c.Heads != c.Dim {
		pairs = append(pairs, pair{a + "attention.key_length", uint32(c.HeadDim)},
			pair{a + "attention.value_length", uint32(c.HeadDim)})
	}
	if c.Arch == "llama" {
		pairs = append(pairs, pair{a + "rope.dimension_count", uint32(c.HeadDim)}, pair{a + "vocab_size", uint32(c.Vocab)})
	}
	pairs = append(pairs,
		pair{"tokenizer.ggml.model", "gpt2"},
		pair{"tokenizer.ggml.pre", v.pre},
		pair{"tokenizer.ggml.tokens", v.tokens},
		pair{"tokenizer.ggml.token_type", v.types},
		pair{"tokenizer.ggml.merges", v.merges},
		pair{"tokenizer.ggml.bos_token_id", v.bos},
		pair{"tokenizer.ggml.eos_token_id", v.eos})
	if v.pad >= 0 {
		pairs = append(pairs, pair{"tokenizer.ggml.padding_token_id", uint32(v.pad)})
	}
	pairs = append(pairs, pair{"tokenizer.ggml.add_bos_token", v.addBOS}, pair{"tokenizer.chat_template", v.chat})
	for _, p := range pairs {
		if err := m.set(p.key, p.val); err != nil {
			return err
		}
	}
	return nil
}

func (m *Model) set(key string, v any) error {
	val, err := gguf.ValueOf(v)
	if err != nil {
		return fmt.Errorf("synth: key %s: %w", key, err)
	}
	m.kv = append(m.kv, gguf.KV{Key: key, Value: val})
	return nil
}

// layout lists the tensors and how each is drawn. The scales follow the
// testdata README's tiny models, which keep activations sane and logits
// around std 4 at any width:
//   - attn_q, attn_k: std 1.5/sqrt(dim);
//   - attn_v, attn_output and the FFN: g/sqrt(fan_in), g = 1 (qwen2: 3 for
//     attn_v/attn_output, 1.5 for the FFN, which stops a tied model from
//     repeating one token);
//   - token_embd when untied: N(0, 1); output, or token_embd when tied:
//     std 4/sqrt(dim);
//   - norms: 1 + N(0, 0.1); biases: N(0, 0.5).
func (m *Model) layout() {
	c := &m.cfg
	dim, ffn, vocab := int64(c.Dim), int64(c.FFN), int64(c.Vocab)
	qDim, kvDim := int64(c.Heads*c.HeadDim), int64(c.KVHeads*c.HeadDim)
	gAttn, gFFN := 1.0, 1.0
	if c.Arch == "qwen2" {
		gAttn, gFFN = 3, 1.5
	}
	scaled := func(g float64, fanIn int64) float64 { return g / math.Sqrt(float64(fanIn)) }
	qk := 1.5 / math.Sqrt(float64(dim))

	embdStd := 1.0
	if c.Tied {
		embdStd = scaled(4, dim)
	}
	m.add("token_embd.weight", 0, embdStd, dim, vocab)
	for l := range c.Layers {
		b := fmt.Sprintf("blk.%d.", l)
		m.add(b+"attn_norm.weight", 1, 0.1, dim)
		m.add(b+"attn_q.weight", 0, qk, dim, qDim)
		m.add(b+"attn_k.weight", 0, qk, dim, kvDim)
		m.add(b+"attn_v.weight", 0, scaled(gAttn, dim), dim, kvDim)
		if c.QKVBias {
			m.add(b+"attn_q.bias", 0, 0.5, qDim)
			m.add(b+"attn_k.bias", 0, 0.5, kvDim)
			m.add(b+"attn_v.bias", 0, 0.5, kvDim)
		}
		if c.Arch == "qwen3" {
			m.add(b+"attn_q_norm.weight", 1, 0.1, int64(c.HeadDim))
			m.add(b+"attn_k_norm.weight", 1, 0.1, int64(c.HeadDim))
		}
		m.add(b+"attn_output.weight", 0, scaled(gAttn, qDim), qDim, dim)
		m.add(b+"ffn_norm.weight", 1, 0.1, dim)
		m.add(b+"ffn_gate.weight", 0, scaled(gFFN, dim), dim, ffn)
		m.add(b+"ffn_up.weight", 0, scaled(gFFN, dim), dim, ffn)
		m.add(b+"ffn_down.weight", 0, scaled(gFFN, ffn), ffn, dim)
	}
	m.add("output_norm.weight", 1, 0.1, dim)
	if !c.Tied {
		m.add("output.weight", 0, scaled(4, dim), dim, vocab)
	}
}
