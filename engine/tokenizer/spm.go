package tokenizer

import "fmt"

// SentencePiece, as llama.cpp's llm_tokenizer_spm runs it: the text (spaces
// written as U+2581) is cut into UTF-8 characters, then the adjacent pair
// whose concatenation is the best-scoring token is merged, again and again,
// ties going to the leftmost pair. What is left and is not a token falls
// back to byte tokens.

type spmModel struct {
	byteToken [256]int32 // <0xNN>, else the one-byte token, else -1
	// beforeSpace holds the symbols that some token has right before a
	// "▁" (in Llama 2, only "▁" itself). Before any other symbol, a "▁"
	// starts a symbol no token reaches across, so the merges on either
	// side never interact and the text can be cut there (see encodeSPM).
	beforeSpace      map[string]bool
	beforeSpaceASCII [128]bool
	cache            wordCache
}

func newSPM(t *Tokenizer) *spmModel {
	m := &spmModel{beforeSpace: map[string]bool{}}
	for _, s := range t.tokens {
		prev := -1
		for off := 0; off < len(s); {
			n := min(utf8Len(s[off]), len(s)-off)
			if prev >= 0 && s[off:off+n] == "\u2581" {
				if p := s[prev:off]; len(p) == 1 && p[0] < 128 {
					m.beforeSpaceASCII[p[0]] = true
				} else {
					m.beforeSpace[p] = true
				}
			}
			prev = off
			off += n
		}
	}
	m.cache.init()
	const hex = "0123456789ABCDEF"
	for b := range 256 {
		m.byteToken[b] = -1
		if id, ok := t.index.getBytes([]byte{'<', '0', 'x', hex[b>>4], hex[b&15], '>'}); ok {
			m.byteToken[b] = id
		} else if id, ok := t.index.getBytes([]byte{byte(b)}); ok {
			m.byteToken[b] = id
		}
	}
	return m
}

// spmSymbol is a piece of the text being merged: text[start:start+n],
// linked to its neighbours.
type spmSymbol struct {
	start, n   int32
	prev, next int32
}

type spmBigram struct {
	score       float32
	left, right int32
	size        int32
}

// before reports whether a pops before b: higher score first, then the
// leftmost pair (llm_bigram_spm::comparator).
func (a *spmBigram) before(b *spmBigram) bool {
	return a.score > b.score || (a.score == b.score && a.left < b.left)
}

// encodeSPM appends the ids of text (already escaped) to out.
//
// llama.cpp runs one priority queue over the whole text. Merges only ever
// join adjacent symbols into a token, so at a symbol boundary that no token
// of the vocabulary spans, the two sides evolve independently, each in the
// order the global queue would give it (same scores, same left-to-right
// tie-break). We cut the text at such boundaries, before a "▁" (see
// beforeSpace), and merge word by word: the same ids, in near-linear time
// and cache-friendly, and repeated words come from a cache.
func (t *Tokenizer) encodeSPM(e *encoder, text []byte, out []int32) []int32 {
	m := t.spm
	seg, prev := 0, -1
	for off := 0; off < len(text); {
		n := min(utf8Len(text[off]), len(text)-off)
		if n == 3 && prev >= 0 && text[off] == 0xE2 && text[off+1] == 0x96 && text[off+2] == 0x81 && !m.spansSpace(text[prev:off]) {
			out = t.encodeSPMWord(e, text[seg:off], out)
			seg = off
		}
		prev = off
		off += n
	}
	return t.encodeSPMWord(e, text[seg:], out)
}

func (m *spmModel) spansSpace(sym []byte) bool {
	if len(sym) == 1 && sym[0] < 128 {
		return m.beforeSpaceASCII[sym[0]]
	}
	return m.beforeSpace[string(sym)]
}

func (t *Tokenizer) encodeSPMWord(e *encoder, text []byte, out []int32) []int32 {
	cacheable := len(text) <= maxCachedWord
	if cacheable {
		if ids, ok := t.spm.cache.getBytes(text); ok {
			return append(out, ids...)
		}
	}
	n0 := len(out)
	out = t.mergeSPM(e, text, out)
	if cacheable {
		t.spm.cache.put(string(text), out[n0:])
	}
	return out
}

// mergeSPM is llm_tokenizer_spm_session::tokenize on one piece of text.
func (t *Tokenizer) mergeSPM(e *encoder, text []byte, out []int32) []int32 {
	syms := e.spmSyms[:0]
	for off := 0; off < len(text); {
		n := min(utf8Len(text[off]), len(text)-off)
		syms = append(syms, spmSymbol{start: int32(off), n: int32(n), prev: int32(len(syms) - 1), next: int32(len(syms) + 1)})
		off += n
	}
	if len(syms) == 0 {
		return out
	}
	syms[len(syms)-1].next = -1
	h := e.spmHeap[:0]
	add := func(l, r int32) {
		if l < 0 || r < 0 {
			return
		}
		s, n := syms[l].start, syms[l].n+syms[r].n
		id, ok := t.index.getBytes(text[s : s+n])
		if !ok {
			return
		}
		h = spmPush(h, spmBigram{score: t.scores[id], left: l, right: r, size: n})
	}
	for i := 1; i < len(syms); i++ {
		add(int32(i-1), int32(i))
	}
	for len(h) > 0 {
		var b spmBigram
		b, h = spmPop(h)
		l, r := &syms[b.left], &syms[b.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue // one side was merged away since
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		add(l.prev, b.left)
		add(b.left, l.next)
	}
	for i := int32(0); i != -1; i = syms[i].next {
		s := syms[i]
		if id, ok := t.index.getBytes(text[s.start : s.start+s.n]); ok {
			out = append(out, id)
			continue
		}
		for _, c := range text[s.start : s.start+s.n] {
			out = t.appendByteToken(out, c)
		}
	}
	e.spmSyms, e.spmHeap = syms, h
	return out
}

// appendByteToken appends the byte-fallback token of c. llama.cpp throws
// when the vocabulary has neither <0xNN> nor the one-byte token; we fall
// back to UNK, or drop the byte when there is none.
func (t *Tokenizer) appendByteToken(out []int32, c byte) []int32 {
	if id := t.spm.byteToken[c]; id >= 0 {
		return append(out, id)
	}
	if t.unk >= 0 {
		return append(out, t.unk)
	}
	return out
}

func spmPush(h []spmBigram, b spmBigram) []spmBigram {
	h = append(h, b)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].before(&h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func spmPop(h []spmBigram) (spmBigram, []spmBigram) {
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

// spmByte parses the byte of a <0xNN> token as llama.cpp's token_to_byte
// does: strtol on the two characters after "<0x".
func spmByte(text string) (byte, error) {
	if len(text) < 3 {
		return 0, fmt.Errorf("tokenizer: byte token %q is too short", text)
	}
	s := text[3:min(5, len(text))]
	v := 0
	for i := 0; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 {
			break
		}
		v = v*16 + d
	}
	return byte(v), nil
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
