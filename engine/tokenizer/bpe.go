package tokenizer

import (
	"hash/maphash"
	"runtime"
	"strings"
	"sync"
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
	extra   map[string]int32 // merge parts that are not tokens -> part id >= nTokens
	pairs   pairTable
	// byteParts is the part id of each one-byte symbol (the token of its
	// byte-level character), or -1 if that character is neither a token
	// nor a merge part.
	byteParts [256]int32
	// fallback is what llama.cpp emits for a byte of a symbol that is not a
	// token: the ids of the one-byte token texts among the UTF-8 bytes of
	// its byte-level character (usually none, so the byte is lost).
	fallback [256][2]int32
	cache    wordCache
}

type bpeMerge struct {
	rank   int32
	result int32 // part id of the merged symbol
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// Symbols are identified by "part ids": the id of the token whose text is
// the symbol's byte-level form, or an id past the vocabulary for the few
// merge parts that are not tokens. A symbol's part id after a merge is the
// merge's result, so merging needs no string work at all.
// resolveMerges looks up the three strings of every merge ("a b" and the
// result ab) as token ids; -1 marks a string that is not a token, and
// [-2 -2 -2] a line llama.cpp would not split. These hash lookups, which
// mostly miss the CPU cache, are most of the load time, so they run on all
// cores, and each result id is first guessed as the one after the previous
// merge's (right for about half the merges of a BPE vocabulary).
func resolveMerges(t *Tokenizer, merges []string) [][3]int32 {
	parts := make([][3]int32, len(merges))
	workers := min(runtime.GOMAXPROCS(0), 1+len(merges)/20000)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			prev := int32(-1)
			lo, hi := w*len(merges)/workers, (w+1)*len(merges)/workers
			for i := lo; i < hi; i++ {
				parts[i] = [3]int32{-2, -2, -2}
				a, b, ok := splitMerge(merges[i])
				if !ok {
					continue
				}
				res := prev + 1
				if g := t.Token(res); len(g) != len(a)+len(b) || g[:len(a)] != a || g[len(a):] != b {
					buf = append(append(buf[:0], a...), b...)
					res = t.lookup(string(buf))
				}
				parts[i] = [3]int32{t.lookup(a), t.lookup(b), res}
				if res >= 0 {
					prev = res
				}
			}
		}()
	}
	wg.Wait()
	return parts
}

// newBPE builds the merge table from the resolved merges.
func newBPE(t *Tokenizer, merges []string, parts [][3]int32) (*bpeModel, error) {
	m := &bpeModel{
		nTokens: int32(len(t.tokens)),
		extra:   map[string]int32{},
		pairs:   newPairTable(len(merges)),
	}
	part := func(s string) int32 {
		if id, ok := m.extra[s]; ok {
			return id
		}
		id := m.nTokens + int32(len(m.extra))
		m.extra[s] = id
		return id
	}
	for rank, p := range parts {
		if p[0] == -2 {
			continue
		}
		if p[0] < 0 || p[1] < 0 || p[2] < 0 {
			// A merge part that is not a token: rare, done by string.
			a, b, _ := splitMerge(merges[rank])
			if p[0] < 0 {
				p[0] = part(a)
			}
			if p[1] < 0 {
				p[1] = part(b)
			}
			if p[2] < 0 {
				p[2] = part(a + b)
			}
		}
		// The first rank of a pair wins (unordered_map::emplace).
		m.pairs.putNew(pairKey(p[0], p[1]), bpeMerge{rank: int32(rank), result: p[2]})
	}
	for c := range 256 {
		m.byteParts[c] = -1
		if id, ok := t.index.get(byteLevel[c]); ok {
			m.byteParts[c] = id
		} else if id, ok := m.extra[byteLevel[c]]; ok {
			m.byteParts[c] = id
		}
		m.fallback[c] = [2]int32{-1, -1}
		n := 0
		for _, y := range []byte(byteLevel[c]) {
			if id, ok := t.index.getBytes([]byte{y}); ok {
				m.fallback[c][n] = id
				n++
			}
		}
	}
	m.cache.init()
	return m, nil
}

// splitMerge splits a merge line as llama.cpp does, at the first space
// after the first byte; a line without one becomes the pair ("", ""),
// which matches nothing, so ok is false.
func splitMerge(w string) (a, b string, ok bool) {
	start := min(1, len(w))
	sp := strings.IndexByte(w[start:], ' ')
	if sp < 0 {
		return "", "", false
	}
	sp += start
	a, b = w[:sp], w[sp+1:]
	return a, b, a != "" && b != ""
}

func (t *Tokenizer) lookup(s string) int32 {
	if id, ok := t.index.get(s); ok {
		return id
	}
	return -1
}

// pairTable maps a pair of part ids to its merge: open addressing with
// linear probing, which loads and looks up several times faster than a
// map for the 280k merges of a large vocabulary.
type pairTable struct {
	slots []pairSlot
	shift uint
}

// pairSlot holds key+1, so that the zero slot (fresh from make) is empty.
type pairSlot struct {
	key1 uint64
	val  bpeMerge
}

func newPairTable(n int) pairTable {
	bits := uint(4)
	for 1<<bits < n+n/2 {
		bits++
	}
	return pairTable{slots: make([]pairSlot, 1<<bits), shift: 64 - bits}
}

func (p *pairTable) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> p.shift }

func (p *pairTable) get(k uint64) (bpeMerge, bool) {
	mask := uint64(len(p.slots) - 1)
	for i := p.slot(k); ; i = (i + 1) & mask {
		switch p.slots[i].key1 {
		case k + 1:
			return p.slots[i].val, true
		case 0:
			return bpeMerge{}, false
		}
	}
}

// putNew adds k unless it is present. The table is sized for all merges,
// so it never fills.
func (p *pairTable) putNew(k uint64, v bpeMerge) {
	mask := uint64(len(p.slots) - 1)
	i := p.slot(k)
	for ; p.slots[i].key1 != 0; i = (i + 1) & mask {
		if p.slots[i].key1 == k+1 {
			return
		}
	}
	p.slots[i] = pairSlot{k + 1, v}
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
	if id, ok := t.wholeWord(e, w); ok {
		out = append(out, id)
	} else {
		out = t.mergeWord(e, w, out)
	}
	if cacheable {
		m.cache.put(w, out[n0:])
	}
	return out
}

// wholeWord implements ignore_merges (Llama 3, tekken): a word that is a
// token is that token, whatever the merges would make of it.
func (t *Tokenizer) wholeWord(e *encoder, w string) (int32, bool) {
	if !t.pre.ignoreMerges {
		return 0, false
	}
	e.level = appendByteLevel(e.level[:0], w)
	id, ok := t.index.getBytes(e.level)
	return id, ok
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
	mg, ok := m.pairs.get(pairKey(pl, pr))
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

func (c *wordCache) getBytes(w []byte) ([]int32, bool) {
	e := c.slots[maphash.Bytes(c.seed, w)&(cacheSlots-1)].Load()
	if e == nil || e.word != string(w) {
		return nil, false
	}
	return e.ids, true
}

func (c *wordCache) put(w string, ids []int32) {
	e := &cacheEntry{word: strings.Clone(w), ids: append([]int32(nil), ids...)}
	c.slots[maphash.String(c.seed, w)&(cacheSlots-1)].Store(e)
}
