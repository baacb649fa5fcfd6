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

// batch is a Scratch's buffers cut to the rows of one Forward call: the
// tokens of every chunk, one after another.
type batch struct {
	n                int // rows, all chunks together
	chunks           []Chunk
	x, xb, att       []float32
	q, k, v          []float32
	gate             []float32
	attn             backends.Attention
	dim, qDim, kvDim int
}

// begin lays the pass's views over the scratch buffers and embeds every
// token into the residual stream.
func begin(s *Scratch, c *Config, embd *backends.Matrix, chunks []Chunk) *batch {
	n := 0
	for i := range chunks {
		n += len(chunks[i].Tokens)
	}
	dim, qDim, kvDim := c.Dim, c.Heads*c.HeadDim, c.KVDim()
	// q, k, v and the attention output during attention; the gated
	// feed-forward activations after it.
	w := s.work
	q, w := w[:n*qDim], w[n*qDim:]
	k, w := w[:n*kvDim], w[n*kvDim:]
	v, w := w[:n*kvDim], w[n*kvDim:]
	att := w[:n*qDim]
	bt := &s.view
	*bt = batch{
		n: n, chunks: chunks, dim: dim, qDim: qDim, kvDim: kvDim,
		x: s.x[:n*dim], xb: s.xb[:n*dim], att: att, q: q, k: k, v: v,
		gate: s.work[:n*c.FFN],
		attn: backends.Attention{Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim,
			Scale: 1 / float32(math.Sqrt(float64(c.HeadDim)))},
	}
	row := 0
	for _, ch := range chunks {
		embed(bt.x[row*dim:], embd, ch.Tokens)
		row += len(ch.Tokens)
	}
	return bt
}

// rope rotates q and k of every chunk by its own positions.
func (bt *batch) rope(b backends.Backend, c *Config) {
	row := 0
	for _, ch := range bt.chunks {
		n := len(ch.Tokens)
		b.RoPE(bt.q[row*bt.qDim:(row+n)*bt.qDim], n, c.Heads, c.HeadDim, ch.Pos, &c.RoPE)
		b.RoPE(bt.k[row*bt.kvDim:(row+n)*bt.kvDim], n, c.KVHeads, c.HeadDim, ch.Pos, &c.RoPE)
		row += n
	}
}

// attend stores each chunk's keys and values in layer li of its cache,
// attends over everything that sequence has cached, then projects all rows
// with wo and adds the result to x.
func (bt *batch) attend(b backends.Backend, li int, wo *backends.Matrix) {
	row := 0
	for _, ch := range bt.chunks {
		n, end := len(ch.Tokens), ch.Pos+len(ch.Tokens)
		kc, vc := ch.Cache.Slot(li, ch.Pos, n)
		b.StoreF16(kc, bt.k[row*bt.kvDim:(row+n)*bt.kvDim])
		b.StoreF16(vc, bt.v[row*bt.kvDim:(row+n)*bt.kvDim])
		b.Attention(bt.att[row*bt.qDim:(row+n)*bt.qDim], bt.q[row*bt.qDim:(row+n)*bt.qDim],
			ch.Cache.Keys(li, end), ch.Cache.Values(li, end), n, ch.Pos, bt.attn)
		row += n
	}
	b.MatMul(bt.xb, wo, bt.att, bt.n)
	b.Add(bt.x, bt.xb)
}

// feedForward adds down · (silu(gate · norm(x)) * up · norm(x)) to x.
func (bt *batch) feedForward(b backends.Backend, c *Config, norm []float32, gate, up, down *backends.Matrix) {
	b.RMSNorm(bt.xb, bt.x, norm, bt.dim, c.Eps)
	b.MatMulSwiGLU(bt.gate, gate, up, bt.xb, bt.n)
	b.MatMul(bt.xb, down, bt.gate, bt.n)
	b.Add(bt.x, bt.xb)
}

// finish commits every chunk to its cache, then runs the final norm and the
// classifier on the rows that need logits (all of an All chunk's, the last
// of the others) in one product, and hands each chunk its rows. Chunks that
// asked for hidden states get their normed rows instead.
func (bt *batch) finish(b backends.Backend, s *Scratch, c *Config, norm []float32, out *backends.Matrix) {
	// The normed rows go to xb: no block reads it any more.
	normed := bt.xb
	rows, row := 0, 0
	for _, ch := range bt.chunks {
		n := len(ch.Tokens)
		ch.Cache.Commit(ch.Pos + n)
		if ch.Hidden != nil {
			b.RMSNorm(ch.Hidden[:n*c.Dim], bt.x[row*c.Dim:(row+n)*c.Dim], norm, c.Dim, c.Eps)
		}
		if ch.Hidden != nil || ch.Logits == nil {
			row += n
			continue
		}
		first := row + n - 1
		if ch.All {
			first = row
		}
		k := row + n - first
		b.RMSNorm(normed[rows*c.Dim:(rows+k)*c.Dim], bt.x[first*c.Dim:(row+n)*c.Dim], norm, c.Dim, c.Eps)
		rows += k
		row += n
	}
	if need := rows * c.Vocab; cap(s.outLogits) < need {
		s.outLogits = make([]float32, need)
	}
	if rows == 0 {
		return
	}
	logits := s.outLogits[:rows*c.Vocab]
	b.MatMul(logits, out, normed[:rows*c.Dim], rows)
	for _, ch := range bt.chunks {
		if ch.Hidden != nil || ch.Logits == nil {
			continue
		}
		k := 1
		if ch.All {
			k = len(ch.Tokens)
		}
		copy(ch.Logits[:k*c.Vocab], logits[:k*c.Vocab])
		logits = logits[k*c.Vocab:]
	}
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
