package cpu

import (
	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/engine/quant"
)

// The vector form of Attention. The query rows that share a KV head (the
// heads of its group, for every token of the call) are taken eight at a
// time, one per lane: their scores against each key are computed together
// (the key's values broadcast, the queries across the lanes), the softmax
// runs across the lanes, and each row's weighted sum of values runs with
// the head dimensions across the lanes. Every lane does the scalar path's
// arithmetic in the scalar path's order, so the results are bit-identical.
// The kernels are c.vec's: AVX-512 holds a block's eight lanes of doubles
// in one vector, AVX2 in two; the layouts are the same.

// laneRows is the number of query rows a lane block holds.
const laneRows = 8

// attnKeys is how many keys are widened to double at a time: a block of
// keys or values (attnKeys rows of up to 128 doubles) stays in the
// first-level cache while every lane uses it.
const attnKeys = 32

// attnScratch is one thread's working memory for lane blocks.
type attnScratch struct {
	qT   []float64 // hd rows of laneRows queries, half-rounded
	s    []float32 // scores, then probabilities: [key][lane]
	p    []float64 // probabilities rounded to half: [key][lane]
	kv   []float64 // attnKeys widened keys or values
	acc  []float64 // laneRows rows of hd sums
	live [laneRows]int32
}

// fastAttention reports whether the vector form handles a.
func (c *CPU) fastAttention(a backends.Attention) bool {
	return c.vec != nil && a.HeadDim%64 == 0 && a.HeadDim <= 256
}

// attentionLanes is Attention through lane blocks.
func (c *CPU) attentionLanes(out, q []float32, k, v []uint16, n, pos0 int, a backends.Attention) {
	group := a.Heads / a.KVHeads
	blocks := (n*group + laneRows - 1) / laneRows
	keys := (pos0 + n + 3) &^ 3
	hd := a.HeadDim
	if len(c.lanes) != c.pool.threads {
		c.lanes = make([]attnScratch, c.pool.threads)
	}
	for i := range c.lanes {
		ws := &c.lanes[i]
		if len(ws.s) < keys*laneRows {
			ws.s = make([]float32, 2*keys*laneRows)
			ws.p = make([]float64, 2*keys*laneRows)
		}
		if len(ws.qT) < hd*laneRows {
			ws.qT = make([]float64, hd*laneRows)
			ws.kv = make([]float64, attnKeys*hd)
			ws.acc = make([]float64, laneRows*hd)
		}
	}
	c.at = attention{out: out, q: q, k: k, v: v, n: n, pos0: pos0, a: a, blocks: blocks}
	// The last blocks (latest tokens, most keys) go first.
	c.pool.run(a.KVHeads*blocks, 1, c.atLanes)
	c.at = attention{}
}

// attentionBlocks runs lane blocks [lo, hi) of the current attention
// (numbered from the last) on thread worker.
func (c *CPU) attentionBlocks(worker, lo, hi int) {
	at := &c.at
	for job := lo; job < hi; job++ {
		idx := at.a.KVHeads*at.blocks - 1 - job
		c.laneBlock(&c.lanes[worker], idx%at.a.KVHeads, idx/at.a.KVHeads)
	}
}

// laneBlock computes query rows [8b, 8b+8) of KV head kvh: row r is head
// kvh*group + r%group of token r/group.
func (c *CPU) laneBlock(ws *attnScratch, kvh, b int) {
	at := &c.at
	a := at.a
	hd, group := a.HeadDim, a.Heads/a.KVHeads
	kvStride := a.KVHeads * hd
	r0 := b * laneRows
	lanes := min(laneRows, at.n*group-r0)
	qT := ws.qT[:hd*laneRows]
	for l := range laneRows {
		if l >= lanes {
			ws.live[l] = 0
			for i := range hd {
				qT[i*laneRows+l] = 0
			}
			continue
		}
		r := r0 + l
		t, h := r/group, kvh*group+r%group
		ws.live[l] = int32(at.pos0 + t + 1)
		for i, x := range at.q[(t*a.Heads+h)*hd : (t*a.Heads+h+1)*hd] {
			qT[i*laneRows+l] = float64(quant.FP16ToFP32(quant.FP32ToFP16(x)))
		}
	}
	nkeys := int(ws.live[lanes-1])

	vk := c.vec
	for j0 := 0; j0 < nkeys; j0 += attnKeys {
		nk := min(attnKeys, nkeys-j0)
		vk.cvtF16F64(&ws.kv[0], &at.k[j0*kvStride+kvh*hd], nk, hd, kvStride)
		vk.attnScores(&ws.s[j0*laneRows], &ws.kv[0], nk, &qT[0], hd, a.Scale)
	}
	vk.attnSoftmax(&ws.s[0], &ws.p[0], nkeys, &ws.live[0])

	acc := ws.acc[:laneRows*hd]
	clear(acc)
	for j0 := 0; j0 < nkeys; j0 += attnKeys {
		nk := min(attnKeys, nkeys-j0)
		vk.cvtF16F64(&ws.kv[0], &at.v[j0*kvStride+kvh*hd], nk, hd, kvStride)
		for l := range lanes {
			if m := min(nk, int(ws.live[l])-j0); m > 0 {
				vk.attnPV(&acc[l*hd], &ws.kv[0], &ws.p[j0*laneRows+l], m, hd)
			}
		}
	}
	for l := range lanes {
		r := r0 + l
		t, h := r/group, kvh*group+r%group
		o := at.out[(t*a.Heads+h)*hd : (t*a.Heads+h+1)*hd]
		for i := range o {
			o[i] = float32(acc[l*hd+i])
		}
	}
}
