package tokenizer

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzVocabs are the vocabularies FuzzRoundTrip runs on: byte-level BPE
// (the real Llama 3 vocabulary with Qwen2's pre-tokenizer, which keeps
// spaces as they are, and the tiny Qwen one) and SentencePiece (Llama 2
// with a prefix space, Gemma 2 without).
var fuzzVocabs = []string{"llama3-qwen2pre", "tiny-qwen-bpe", "llama-2-tiny-random", "gemma2-spm"}

// FuzzRoundTrip checks, on every vocabulary, that Encode never panics and
// that decoding gives the input back: for SentencePiece up to "▁" versus
// space (invalid UTF-8 survives as byte tokens), and for BPE after
// llama.cpp's UTF-8 clean-up (each invalid byte becomes U+FFFD). It also checks that the
// streaming Decoder emits only valid UTF-8 that adds up to the text, that
// addSpecial only adds BOS/EOS, and that cutting long BPE fragments after
// newlines changes nothing.
//
//	go test -run XXX -fuzz FuzzRoundTrip -fuzztime 5m ./engine/tokenizer/
func FuzzRoundTrip(f *testing.F) {
	for _, s := range trickyInputs {
		f.Add(s)
	}
	for _, s := range []string{"", " ", "\x00", "\xff", "a\u2581b", "<|im_start|>", "  \n\n\t", "'s'S'", "12345678"} {
		f.Add(s)
	}
	var toks []*Tokenizer
	for _, name := range fuzzVocabs {
		toks = append(toks, loadGolden(f, name))
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Long inputs are TestHostileInputs' job; here they would only
		// slow the search down (SentencePiece merges a text without spaces
		// as one piece).
		if len(s) > 8<<10 {
			t.Skip()
		}
		for i, tk := range toks {
			checkRoundTrip(t, fuzzVocabs[i], tk, s)
		}
	})
}

func checkRoundTrip(t *testing.T, name string, tk *Tokenizer, s string) {
	ids := tk.Encode(s, false, false)
	want, got := s, tk.Decode(ids, false, true)
	if tk.kind == kindBPE {
		want, _ = normalizeUTF8(s, nil)
	} else {
		// SentencePiece renders "▁" as a space in normal tokens but keeps it
		// in user-defined ones (Gemma's whitespace runs), as llama.cpp does.
		want = strings.ReplaceAll(want, "\u2581", " ")
		got = strings.ReplaceAll(got, "\u2581", " ")
	}
	if got != want {
		t.Fatalf("%s: %q encodes to %v, which decodes to %q", name, s, ids, got)
	}
	if tk.kind == kindBPE {
		// Cutting after every newline the pre-tokenizer allows must not
		// change an id (the fuzz function runs one input at a time, so the
		// global is not raced).
		old := bpeChunk
		bpeChunk = 1
		chunked := tk.Encode(s, false, false)
		bpeChunk = old
		if !slices.Equal(chunked, ids) {
			t.Fatalf("%s: %q: chunked encoding %v differs from %v", name, s, chunked, ids)
		}
	}
	with := tk.Encode(s, true, false)
	if tk.addBOS {
		if len(with) == 0 || with[0] != tk.bos {
			t.Fatalf("%s: %q with addSpecial does not start with BOS: %v", name, s, with)
		}
		with = with[1:]
	}
	if !slices.Equal(with, ids) {
		t.Fatalf("%s: %q: addSpecial changed the text's ids: %v vs %v", name, s, with, ids)
	}
	// Stream the ids; the chunks must be valid UTF-8 and, since each piece
	// is emitted whole once complete, add up to the pieces with invalid
	// bytes replaced.
	d := tk.NewDecoder(true)
	var sb, raw strings.Builder
	for _, id := range ids {
		c := d.Add(id)
		if !utf8.ValidString(c) {
			t.Fatalf("%s: %q: chunk %q is not valid UTF-8", name, s, c)
		}
		sb.WriteString(c)
		raw.Write(tk.TokenPiece(id, true))
	}
	sb.WriteString(d.Flush())
	if got, want := sb.String(), replaceInvalid([]byte(raw.String())); got != want {
		t.Fatalf("%s: %q: streamed %q, want %q", name, s, got, want)
	}
}
