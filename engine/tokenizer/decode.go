package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// buildPieces renders every token once, as llama.cpp's token-to-piece cache
// does (llama_token_to_piece with special = true).
func (t *Tokenizer) buildPieces() error {
	t.pieceEnd = make([]int32, len(t.tokens)+1)
	var b []byte
	for id, text := range t.tokens {
		a := t.attrs[id]
		switch {
		case a&(attrUnknown|attrControl|attrUserDefined) != 0:
			b = append(b, text...)
		case a&attrNormal != 0 && t.kind == kindSPM:
			b = append(b, strings.ReplaceAll(text, "\u2581", " ")...)
		case a&attrNormal != 0:
			b = appendByteLevelText(b, text)
		case a&attrByte != 0 && t.kind == kindSPM:
			c, err := spmByte(text)
			if err != nil {
				return err
			}
			b = append(b, c)
		}
		// Unused and undefined tokens (and BPE byte tokens) render as "".
		if len(b) > 1<<31-1 {
			return fmt.Errorf("tokenizer: token texts exceed 2 GiB")
		}
		t.pieceEnd[id+1] = int32(len(b))
	}
	t.pieces = b
	return nil
}

// appendByteLevelText is llama.cpp's llama_decode_text: each character of a
// BPE token stands for one byte; a character outside the alphabet is written
// as "[UNK_BYTE_0x<its UTF-8 in hex><the whole token text>]".
func appendByteLevelText(b []byte, text string) []byte {
	for i := 0; i < len(text); {
		r, n := decodeCpt(text, i)
		i += n
		if c, ok := byteOf(r); ok {
			b = append(b, c)
			continue
		}
		var u []byte
		u = appendCpt(u, r)
		b = append(b, "[UNK_BYTE_0x"...)
		for _, c := range u {
			b = fmt.Appendf(b, "%02x", c)
		}
		b = append(b, text...)
		b = append(b, ']')
	}
	return b
}

// piece returns the rendering of id (shared; do not modify), empty for an
// id out of range and for control and unknown tokens unless unparseSpecial.
func (t *Tokenizer) piece(id int32, unparseSpecial bool) []byte {
	if !t.valid(id) {
		return nil
	}
	if !unparseSpecial && t.attrs[id]&(attrUnknown|attrControl) != 0 {
		return nil
	}
	return t.pieces[t.pieceEnd[id]:t.pieceEnd[id+1]:t.pieceEnd[id+1]]
}

// TokenPiece returns the bytes token id stands for, as llama_token_to_piece
// with lstrip 0: control and unknown tokens render as nothing unless
// unparseSpecial. An id out of range gives nil. The bytes may be part of a
// UTF-8 character (byte tokens, byte-level BPE).
func (t *Tokenizer) TokenPiece(id int32, unparseSpecial bool) []byte {
	p := t.piece(id, unparseSpecial)
	if p == nil {
		return nil
	}
	return append([]byte(nil), p...)
}

// Decode turns ids back into text as llama_detokenize does. removeSpecial
// drops a leading BOS and a trailing EOS that the vocabulary adds itself;
// unparseSpecial renders control tokens. The leading space SentencePiece
// adds is removed unless the ids start with a BOS that was removed (the
// goldens keep " Hello" after BOS), and vocabularies with clean-up (Llama 3,
// GPT-2) remove the space before ?!., and around some apostrophes. The
// result may hold invalid UTF-8 (a byte token alone), as llama.cpp's does.
// Ids out of range render as nothing.
func (t *Tokenizer) Decode(ids []int32, removeSpecial, unparseSpecial bool) string {
	removeSpace := t.addSpacePrefix
	if removeSpecial && t.addBOS && len(ids) > 0 && ids[0] == t.bos {
		removeSpace = false
		ids = ids[1:]
	}
	if removeSpecial && t.addEOS && len(ids) > 0 && ids[len(ids)-1] == t.eos {
		ids = ids[:len(ids)-1]
	}
	n := 0
	for _, id := range ids {
		n += len(t.piece(id, unparseSpecial))
	}
	text := make([]byte, 0, n)
	for _, id := range ids {
		p := t.piece(id, unparseSpecial)
		if removeSpace && len(p) > 0 && p[0] == ' ' {
			p = p[1:]
		}
		removeSpace = false
		text = append(text, p...)
	}
	if t.pre.cleanSpaces {
		text = cleanSpaces(text)
	}
	return string(text)
}

// cleanSpaces is the clean_up_tokenization_spaces pass of llama.cpp's
// detokenize, kept in its in-place form (including how the second pass
// blanks the space after " ' ") so that odd inputs clean up the same way.
func cleanSpaces(text []byte) []byte {
	total := len(text)
	// " ?", " !", " .", " ,": drop the space.
	n, total := total, min(total, 1)
	for i := 1; i < n; i++ {
		x := text[i]
		if text[i-1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',') {
			total--
		}
		text[total] = x
		total++
	}
	// " ' ": drop both spaces.
	n, total = total, min(total, 1)
	for i := 1; i < n; i++ {
		x := text[i]
		if x == '\'' && i+1 < n && text[i-1] == ' ' && text[i+1] == ' ' {
			total--
			i++
			text[i] = 0
		}
		text[total] = x
		total++
	}
	// " 's", " 'm", " 're", " 've": drop the space.
	n, total = total, min(total, 1)
	for i := 1; i < n; i++ {
		x := text[i]
		if text[i-1] == ' ' && x == '\'' && i+1 < n {
			x1 := text[i+1]
			switch {
			case x1 == 't' || x1 == 'd':
			case x1 == 's' || x1 == 'm':
				total--
			case i+2 < n:
				x2 := text[i+2]
				if (x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e') {
					total--
				}
			}
		}
		text[total] = x
		total++
	}
	return text[:total]
}

// Decoder turns a stream of ids into text without ever returning part of a
// UTF-8 character: bytes of an unfinished character wait for the next ids.
// It renders each token as TokenPiece does and concatenates them (what
// llama.cpp's server streams), without Decode's leading-space removal and
// clean-up. A Decoder is not safe for concurrent use.
type Decoder struct {
	t       *Tokenizer
	unparse bool
	pending []byte
}

// NewDecoder returns a Decoder; unparseSpecial renders control tokens.
func (t *Tokenizer) NewDecoder(unparseSpecial bool) *Decoder {
	return &Decoder{t: t, unparse: unparseSpecial}
}

// Add appends token id and returns the text that became complete (maybe "").
// A byte sequence that can never become a valid character comes out as one
// U+FFFD per byte as soon as that is known.
func (d *Decoder) Add(id int32) string {
	d.pending = append(d.pending, d.t.piece(id, d.unparse)...)
	return d.take(false)
}

// Flush returns what is pending, an unfinished character as U+FFFD, and
// resets the Decoder.
func (d *Decoder) Flush() string {
	return d.take(true)
}

func (d *Decoder) take(final bool) string {
	p := d.pending
	i := 0
	valid := true
	for i < len(p) {
		if p[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !final && !utf8.FullRune(p[i:]) {
			break
		}
		r, n := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && n == 1 {
			valid = false
		}
		i += n
	}
	var out string
	if valid {
		out = string(p[:i])
	} else {
		out = replaceInvalid(p[:i])
	}
	d.pending = append(d.pending[:0], p[i:]...)
	return out
}

// replaceInvalid writes p with each byte that is not part of a valid UTF-8
// character replaced by U+FFFD.
func replaceInvalid(p []byte) string {
	var sb strings.Builder
	sb.Grow(len(p) + 8)
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && n == 1 {
			sb.WriteString("\uFFFD")
		} else {
			sb.Write(p[i : i+n])
		}
		i += n
	}
	return sb.String()
}
