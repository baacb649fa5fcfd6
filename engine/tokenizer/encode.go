package tokenizer

// encoder holds the scratch buffers of one Encode call; Tokenizer keeps a
// pool of them so that encoding allocates little beyond its result.
type encoder struct {
	frags, fragTmp []fragment
	seen           []bool
	text           []byte // SPM: the escaped fragment
	norm           []byte // BPE: the normalized fragment
	level          []byte // BPE: a word in the byte-level alphabet
	pre            pretext
	ends, endsTmp  []int32
	spmSyms        []spmSymbol
	spmHeap        []spmBigram
	bpeSyms        []bpeSymbol
	bpeHeap        []bpeBigram
}

// Encode tokenizes text as llama_tokenize does. addSpecial puts BOS (and
// EOS) around the ids when the vocabulary asks for them; parseSpecial lets
// the text of control tokens (<|im_start|>, <s>) stand for them, while
// user-defined tokens are always matched. Any bytes are accepted: for BPE,
// invalid UTF-8 becomes U+FFFD first; SentencePiece keeps the raw bytes
// through byte tokens.
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) []int32 {
	e, _ := t.work.Get().(*encoder)
	if e == nil {
		e = &encoder{}
	}
	defer func() {
		// Do not keep the scratch space of a huge input alive in the pool.
		if cap(e.pre.cps) <= 1<<20 && cap(e.text) <= 4<<20 && cap(e.norm) <= 4<<20 && cap(e.spmSyms) <= 1<<20 {
			t.work.Put(e)
		}
	}()

	e.frags, e.fragTmp, e.seen = t.special.partition(text, parseSpecial, e.frags, e.fragTmp, e.seen)
	if len(text) == 0 {
		e.frags = e.frags[:0]
	}
	out := make([]int32, 0, len(text)/4+4)
	if addSpecial && t.addBOS {
		out = append(out, t.bos)
	}
	switch t.kind {
	case kindSPM:
		// A text fragment at the start or after a special token gets the
		// prefix space ("prefix with space if previous is special").
		prevSpecial := true
		for _, f := range e.frags {
			if f.tok >= 0 {
				out = append(out, f.tok)
				prevSpecial = true
				continue
			}
			b := e.text[:0]
			if t.addSpacePrefix && prevSpecial {
				b = append(b, "\u2581"...)
			}
			for i := f.lo; i < f.hi; i++ {
				if text[i] == ' ' {
					b = append(b, "\u2581"...)
				} else {
					b = append(b, text[i])
				}
			}
			e.text = b
			out = t.encodeSPM(e, b, out)
			prevSpecial = false
		}
	case kindBPE:
		for _, f := range e.frags {
			if f.tok >= 0 {
				out = append(out, f.tok)
				continue
			}
			out = t.encodeBPE(e, text[f.lo:f.hi], out)
		}
	}
	if addSpecial && t.addEOS {
		out = append(out, t.eos)
	}
	return out
}

// bpeChunk is the size above which encodeBPE cuts a fragment into pieces
// it splits one after the other, which bounds its scratch space and keeps
// it in cache. A variable so that tests can make it tiny.
var bpeChunk = 64 << 10

// encodeBPE pre-tokenizes one text fragment and merges each word.
func (t *Tokenizer) encodeBPE(e *encoder, frag string, out []int32) []int32 {
	s, norm := normalizeUTF8(frag, e.norm)
	e.norm = norm
	for len(s) > 0 {
		n := t.cut(s)
		out = t.encodeChunk(e, s[:n], out)
		s = s[n:]
	}
	return out
}

// cut returns where the next chunk of s ends: at the first position past
// bpeChunk bytes that follows a '\n' and holds an ASCII letter, when the
// pre-tokenizer always ends a word there without looking across it (see
// preInfo.cutAfterNewline), else at the end of s.
func (t *Tokenizer) cut(s string) int {
	if !t.pre.cutAfterNewline || len(s) <= bpeChunk {
		return len(s)
	}
	for p := bpeChunk; p < len(s); p++ {
		if s[p-1] == '\n' && isASCIILetter(s[p]) {
			return p
		}
	}
	return len(s)
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func (t *Tokenizer) encodeChunk(e *encoder, s string, out []int32) []int32 {
	e.pre.load(s)
	e.ends, e.endsTmp = t.split.split(&e.pre, e.ends, e.endsTmp)
	lo := int32(0)
	for _, hi := range e.ends {
		w := s[e.pre.offs[lo]:e.pre.offs[hi]]
		out = t.encodeWord(e, w, out)
		lo = hi
	}
	return out
}
