package tokenizer

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// Byte-level BPE, as llama.cpp's llm_tokenizer_bpe runs it: each word from
// the pre-tokenizer starts as one symbol per byte (per character of its
// GPT-2 byte-to-unicode form), and the adjacent pair with the lowest merge
// rank is merged until no pair has a rank, ties going to the leftmost pair.
//
// We work on raw bytes rather than on the byte-to-unicode form: token texts
// and merges are mapped back to bytes once, at load. A merge part or token
// whose text has a character outside the GPT-2 alphabet can never match a
// symbol (symbols are made of that alphabet only), so it is left out.

type bpeModel struct {
	nTokens int32
	rawIDs  map[string]int32 // raw bytes of a token -> id
	extra   map[string]int32 // merge parts that are not tokens -> part id >= nTokens
	pairs   map[uint64]bpeMerge
	// byteParts is the part id of each one-byte symbol, or -1 if the byte
	// is neither a token nor a merge part.
	byteParts [256]int32
	// fallback is what llama.cpp emits for a byte of a symbol that is not a
	// token: the ids of the one-byte token texts among the UTF-8 bytes of
	// its byte-to-unicode character (usually none, so the byte is lost).
	fallback [256][2]int32
	cache    wordCache
}

type bpeMerge struct {
	rank   int32
	result int32 // part id of the merged symbol
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func newBPE(t *Tokenizer, merges []string) (*bpeModel, error) {
	m := &bpeModel{
		nTokens: int32(len(t.tokens)),
		rawIDs:  make(map[string]int32, len(t.tokens)),
		extra:   map[string]int32{},
		pairs:   make(map[uint64]bpeMerge, len(merges)),
	}
	var buf []byte
	for id, s := range t.tokens {
		var ok bool
		if buf, ok = decodeByteLevel(s, buf[:0]); ok {
			m.rawIDs[string(buf)] = int32(id)
		}
	}
	intern := func(raw []byte) int32 {
		if id, ok := m.rawIDs[string(raw)]; ok {
			return id
		}
		if id, ok := m.extra[string(raw)]; ok {
			return id
		}
		id := m.nTokens + int32(len(m.extra))
		m.extra[string(raw)] = id
		return id
	}
	var a, b []byte
	for rank, w := range merges {
		// llama.cpp splits at the first space after the first byte; a line
		// without one becomes the pair ("", ""), which matches nothing.
		sp := strings.IndexByte(w[min(1, len(w)):], ' ')
		if sp < 0 {
			continue
		}
		sp += min(1, len(w))
		var okA, okB bool
		a, okA = decodeByteLevel(w[:sp], a[:0])
		b, okB = decodeByteLevel(w[sp+1:], b[:0])
		if !okA || !okB || len(a) == 0 || len(b) == 0 {
			continue
		}
		pa, pb := intern(a), intern(b)
		k := pairKey(pa, pb)
		if _, dup := m.pairs[k]; dup {
			continue // the first rank of a pair wins (unordered_map::emplace)
		}
		m.pairs[k] = bpeMerge{rank: int32(rank), result: intern(append(a, b...))}
	}
	for c := range 256 {
		m.byteParts[c] = -1
		if id, ok := m.rawIDs[string([]byte{byte(c)})]; ok {
			m.byteParts[c] = id
		} else if id, ok := m.extra[string([]byte{byte(c)})]; ok {
			m.byteParts[c] = id
		}
		m.fallback[c] = [2]int32{-1, -1}
		n := 0
		for _, y := range []byte(string(byteToRune[c])) {
			if id, ok := t.ids[string([]byte{y})]; ok && n < 2 {
				m.fallback[c][n] = id
				n++
			}
		}
	}
	m.cache.init()
	return m, nil
}

// decodeByteLevel maps a token text in GPT-2's byte-to-unicode alphabet to
// the bytes it stands for, appending to buf; ok is false if a character is
// outside the alphabet.
func decodeByteLevel(s string, buf []byte) ([]byte, bool) {
	for _, r := range s {
		b, ok := runeToByte[r]
		if !ok {
			return buf, false
		}
		buf = append(buf, b)
	}
	return buf, true
}

type bpeSymbol struct {
	start, n   int32
	prev, next int32
	part       int32
}

type bpeBigram struct {
	rank        int32
	left, right int32
	size        int32
	result      int32
}

func (a *bpeBigram) before(b *bpeBigram) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.left < b.left)
}

// encodeWord appends the ids of one pre-tokenized word (raw bytes).
func (t *Tokenizer) encodeWord(e *encoder, w string, out []int32) []int32 {
	m := t.bpe
	if t.pre.ignoreMerges {
		if id, ok := m.rawIDs[w]; ok {
			return append(out, id)
		}
	}
	if len(w) == 1 {
		if p := m.byteParts[w[0]]; p >= 0 && p < m.nTokens {
			return append(out, p)
		}
	}
	cacheable := len(w) <= maxCachedWord
	if cacheable {
		if ids, ok := m.cache.get(w); ok {
			return append(out, ids...)
		}
	}
	n0 := len(out)
	out = t.mergeWord(e, w, out)
	if cacheable {
		m.cache.put(w, out[n0:])
	}
	return out
}

func (t *Tokenizer) mergeWord(e *encoder, w string, out []int32) []int32 {
	m := t.bpe
	syms := e.bpeSyms[:0]
	for i := 0; i < len(w); i++ {
		syms = append(syms, bpeSymbol{start: int32(i), n: 1, prev: int32(i - 1), next: int32(i + 1), part: m.byteParts[w[i]]})
	}
	syms[len(syms)-1].next = -1
	h := e.bpeHeap[:0]
	for i := 1; i < len(syms); i++ {
		h = m.addBigram(h, syms, int32(i-1), int32(i))
	}
	for len(h) > 0 {
		var b bpeBigram
		b, h = bpePop(h)
		l, r := &syms[b.left], &syms[b.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue // outdated: one side changed since it was pushed
		}
		l.n += r.n
		l.part = b.result
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		h = m.addBigram(h, syms, l.prev, b.left)
		h = m.addBigram(h, syms, b.left, l.next)
	}
	for i := int32(0); i != -1; i = syms[i].next {
		s := &syms[i]
		if s.part >= 0 && s.part < m.nTokens {
			out = append(out, s.part)
			continue
		}
		for _, c := range []byte(w[s.start : s.start+s.n]) {
			for _, id := range m.fallback[c] {
				if id >= 0 {
					out = append(out, id)
				}
			}
		}
	}
	e.bpeSyms, e.bpeHeap = syms, h
	return out
}

func (m *bpeModel) addBigram(h []bpeBigram, syms []bpeSymbol, l, r int32) []bpeBigram {
	if l < 0 || r < 0 {
		return h
	}
	pl, pr := syms[l].part, syms[r].part
	if pl < 0 || pr < 0 {
		return h
	}
	mg, ok := m.pairs[pairKey(pl, pr)]
	if !ok {
		return h
	}
	h = append(h, bpeBigram{rank: mg.rank, left: l, right: r, size: syms[l].n + syms[r].n, result: mg.result})
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h[i].before(&h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func bpePop(h []bpeBigram) (bpeBigram, []bpeBigram) {
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1].before(&h[c]) {
			c++
		}
		if !h[c].before(&h[i]) {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	return top, h
}

// wordCache remembers the ids of recent words. It is a direct-mapped table
// of atomic pointers: lookups take no lock, and a collision simply replaces
// the older entry, which bounds its size.
type wordCache struct {
	seed  maphash.Seed
	slots []atomic.Pointer[cacheEntry]
}

type cacheEntry struct {
	word string
	ids  []int32
}

const (
	cacheSlots    = 1 << 15
	maxCachedWord = 64
)

func (c *wordCache) init() {
	c.seed = maphash.MakeSeed()
	c.slots = make([]atomic.Pointer[cacheEntry], cacheSlots)
}

func (c *wordCache) get(w string) ([]int32, bool) {
	e := c.slots[maphash.String(c.seed, w)&(cacheSlots-1)].Load()
	if e == nil || e.word != w {
		return nil, false
	}
	return e.ids, true
}

func (c *wordCache) put(w string, ids []int32) {
	e := &cacheEntry{word: strings.Clone(w), ids: append([]int32(nil), ids...)}
	c.slots[maphash.String(c.seed, w)&(cacheSlots-1)].Store(e)
}
