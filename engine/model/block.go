package model

import (
	"fmt"
	"math"

	"github.com/kiln-llm/kiln/backends"
)

// The pieces every llama-like architecture shares, called from each
// architecture's Forward so that the differences between them stay visible
// there: the batch views of the scratch buffers, attention over the cache
// with the output projection, the SwiGLU feed-forward block and the
// classifier.

// batch is a State's scratch buffers cut to n tokens.
type batch struct {
	n                int
	x, xb, att       []float32
	q, k, v          []float32
	gate, up, hb     []float32
	attn             backends.Attention
	dim, qDim, kvDim int
}

// begin checks that n tokens fit at pos and embeds them into the residual
// stream.
func begin(s *State, c *Config, embd *backends.Matrix, tokens []int32, pos int) (*batch, error) {
	n := len(tokens)
	if n == 0 || n > s.Batch {
		return nil, fmt.Errorf("model: batch of %d tokens (max %d)", n, s.Batch)
	}
	if err := s.Cache.Reserve(pos, n); err != nil {
		return nil, err
	}
	dim, qDim, kvDim := c.Dim, c.Heads*c.HeadDim, c.KVDim()
	bt := &s.view
	*bt = batch{
		n: n, dim: dim, qDim: qDim, kvDim: kvDim,
		x: s.x[:n*dim], xb: s.xb[:n*dim], att: s.xb2[:n*qDim],
		q: s.q[:n*qDim], k: s.k[:n*kvDim], v: s.v[:n*kvDim],
		gate: s.gate[:n*c.FFN], up: s.up[:n*c.FFN], hb: s.hb[:n*c.FFN],
		attn: backends.Attention{Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim,
			Scale: 1 / float32(math.Sqrt(float64(c.HeadDim)))},
	}
	return bt, embed(bt.x, embd, tokens)
}

// attend stores this batch's keys and values in layer li's cache, attends
// over everything cached, projects with wo and adds the result to x.
func (bt *batch) attend(b backends.Backend, s *State, li, pos int, wo *backends.Matrix) {
	kc, vc := s.Cache.Slot(li, pos, bt.n)
	b.StoreF16(kc, bt.k)
	b.StoreF16(vc, bt.v)
	b.Attention(bt.att, bt.q, s.Cache.Keys(li, pos+bt.n), s.Cache.Values(li, pos+bt.n), bt.n, pos, bt.attn)
	b.MatMul(bt.xb, wo, bt.att, bt.n)
	b.Add(bt.x, bt.xb)
}

// feedForward adds down · (silu(gate · norm(x)) * up · norm(x)) to x.
func (bt *batch) feedForward(b backends.Backend, c *Config, norm []float32, gate, up, down *backends.Matrix) {
	b.RMSNorm(bt.xb, bt.x, norm, bt.dim, c.Eps)
	b.MatMul(bt.gate, gate, bt.xb, bt.n)
	b.MatMul(bt.up, up, bt.xb, bt.n)
	b.SwiGLU(bt.hb, bt.gate, bt.up)
	b.MatMul(bt.xb, down, bt.hb, bt.n)
	b.Add(bt.x, bt.xb)
}

// finish commits the batch to the cache and writes the logits of every token
// (all) or of the last one.
func (bt *batch) finish(b backends.Backend, s *State, c *Config, pos int, norm []float32, out *backends.Matrix, logits []float32, all bool) {
	s.Cache.Commit(pos + bt.n)
	if all {
		b.RMSNorm(bt.xb, bt.x, norm, c.Dim, c.Eps)
		b.MatMul(logits[:bt.n*c.Vocab], out, bt.xb, bt.n)
		return
	}
	b.RMSNorm(s.last, bt.x[(bt.n-1)*c.Dim:], norm, c.Dim, c.Eps)
	b.MatMul(logits[:c.Vocab], out, s.last, 1)
}

// shape is one expected weight shape.
type shape struct {
	m          *backends.Matrix
	rows, cols int
}

// validateDecoder checks the shapes every llama-like model shares.
func validateDecoder(c *Config, embd, out *backends.Matrix, outNorm []float32, layer func(i int) ([]shape, map[string][]float32)) error {
	if err := checkShape(embd, c.Vocab, c.Dim); err != nil {
		return err
	}
	if err := checkShape(out, c.Vocab, c.Dim); err != nil {
		return err
	}
	if err := checkLen("output_norm.weight", outNorm, c.Dim); err != nil {
		return err
	}
	for i := 0; i < c.Layers; i++ {
		shapes, vecs := layer(i)
		for _, s := range shapes {
			if err := checkShape(s.m, s.rows, s.cols); err != nil {
				return err
			}
		}
		for name, v := range vecs {
			want := c.Dim
			switch name {
			case "attn_q.bias":
				want = c.Heads * c.HeadDim
			case "attn_k.bias", "attn_v.bias":
				want = c.KVDim()
			case "attn_q_norm.weight", "attn_k_norm.weight":
				want = c.HeadDim
			}
			if err := checkLen(fmt.Sprintf("blk.%d.%s", i, name), v, want); err != nil {
				return err
			}
		}
	}
	return nil
}

// decoderShapes are the matrix shapes of a llama-like block.
func decoderShapes(c *Config, wq, wk, wv, wo, gate, up, down *backends.Matrix) []shape {
	qDim, kvDim := c.Heads*c.HeadDim, c.KVDim()
	return []shape{
		{wq, qDim, c.Dim}, {wk, kvDim, c.Dim}, {wv, kvDim, c.Dim}, {wo, c.Dim, qDim},
		{gate, c.FFN, c.Dim}, {up, c.FFN, c.Dim}, {down, c.Dim, c.FFN},
	}
}

// weightBytes sums the sizes of matrices.
func weightBytes(ms ...*backends.Matrix) int64 {
	var n int64
	for _, m := range ms {
		if m != nil {
			n += int64(len(m.Data))
		}
	}
	return n
}
