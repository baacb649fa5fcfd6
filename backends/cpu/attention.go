package cpu

import (
	"math"

	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/quant"
)

// Attention implements backends.Backend the way llama.cpp's non-flash CPU
// path computes it: q is rounded to half precision and dotted with each key
// in double; scores are scaled, soft-maxed with ggml's 4-wide exp and
// double sum; the probabilities are rounded to half precision and dotted with
// each value column in double.
func (c *CPU) Attention(out, q []float32, k, v []uint16, n, pos0 int, a backends.Attention) {
	if c.fastAttention(a) {
		c.attentionLanes(out, q, k, v, n, pos0, a)
		return
	}
	hd := a.HeadDim
	padded := (pos0 + n + 3) &^ 3
	threads := c.pool.threads
	if len(c.prob) < threads*padded {
		c.prob = make([]float32, threads*padded)
		c.f16 = make([]uint16, threads*max(padded, hd))
	}
	if len(c.acc) < threads*hd {
		c.acc = make([]float64, threads*hd)
	}
	c.at = attention{out: out, q: q, k: k, v: v, n: n, pos0: pos0, a: a}
	jobs := n * a.Heads
	c.pool.run(jobs, max(1, jobs/(4*threads)), c.atRows)
	c.at = attention{}
}

// attention is one Attention call's operands.
type attention struct {
	out, q  []float32
	k, v    []uint16
	n, pos0 int
	a       backends.Attention
	blocks  int // lane blocks per KV head (vector form)
}

// attentionRows computes the query rows (token, head) [lo, hi) of the
// current attention on thread worker.
func (c *CPU) attentionRows(worker, lo, hi int) {
	at := &c.at
	a, q, k, v, out := at.a, at.q, at.k, at.v, at.out
	hd := a.HeadDim
	kvStride := a.KVHeads * hd
	group := a.Heads / a.KVHeads
	padded := (at.pos0 + at.n + 3) &^ 3
	prob := c.prob[worker*padded : (worker+1)*padded]
	h16 := c.f16[worker*max(padded, hd) : (worker+1)*max(padded, hd)]
	acc := c.acc[worker*hd : (worker+1)*hd]
	for job := lo; job < hi; job++ {
		t, h := job/a.Heads, job%a.Heads
		kvh := h / group
		pos := at.pos0 + t
		qh := q[(t*a.Heads+h)*hd : (t*a.Heads+h+1)*hd]
		for i, x := range qh {
			h16[i] = quant.FP32ToFP16(x)
		}
		maxScore := float32(math.Inf(-1))
		for j := 0; j <= pos; j++ {
			kr := k[j*kvStride+kvh*hd : j*kvStride+(kvh+1)*hd]
			var s float64
			for i := range kr {
				s += float64(quant.FP16ToFP32(kr[i]) * quant.FP16ToFP32(h16[i]))
			}
			sc := float32(s) * a.Scale
			prob[j] = sc
			if sc > maxScore {
				maxScore = sc
			}
		}
		softmaxInPlace(prob[:padded], pos+1, maxScore)
		for i := range acc {
			acc[i] = 0
		}
		for j := 0; j <= pos; j++ {
			p := quant.FP16ToFP32(quant.FP32ToFP16(prob[j]))
			vr := v[j*kvStride+kvh*hd : j*kvStride+(kvh+1)*hd]
			for i := range vr {
				acc[i] += float64(quant.FP16ToFP32(vr[i]) * p)
			}
		}
		o := out[(t*a.Heads+h)*hd : (t*a.Heads+h+1)*hd]
		for i := range o {
			o[i] = float32(acc[i])
		}
	}
}

// softmaxInPlace turns the first live scores of p into probabilities; the
// rest of p (masked positions, up to a multiple of 4) becomes zero. It
// follows ggml_vec_soft_max_f32's SSE2 path: exp four lanes at a time, each
// group summed in float as (l0+l1)+(l2+l3), the groups summed in double.
func softmaxInPlace(p []float32, live int, max float32) {
	var sum float64
	for i := 0; i < len(p); i += 4 {
		for l := i; l < i+4; l++ {
			if l < live {
				p[l] = vExpf(p[l] - max)
			} else {
				p[l] = 0
			}
		}
		sum += float64((p[i] + p[i+1]) + (p[i+2] + p[i+3]))
	}
	scale := float32(1 / sum)
	for i := 0; i < live; i++ {
		p[i] *= scale
	}
}
