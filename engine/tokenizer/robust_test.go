package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// hostileInputs are inputs that have broken tokenizers: invalid UTF-8, NUL
// bytes, long runs of one character (one huge word or symbol list), runs of
// special-token prefixes, and special tokens back to back.
func hostileInputs(n int) map[string]string {
	return map[string]string{
		"invalid":     strings.Repeat("\xff\xc3\xe2\x82\xed\xa0\x80\xf0\x9f\x98\x80\xf4\x90\x80\x80", n/15),
		"nul":         strings.Repeat("a\x00", n/2),
		"letter":      strings.Repeat("a", n),
		"space":       strings.Repeat(" ", n),
		"newline":     strings.Repeat("\n", n),
		"digit":       strings.Repeat("7", n),
		"upper":       strings.Repeat("A", n),
		"accent":      strings.Repeat("é", n/2),
		"emoji":       strings.Repeat("😀", n/4),
		"lt":          strings.Repeat("<", n),
		"half":        strings.Repeat("<|im_start|", n/11),
		"specials":    strings.Repeat("<|im_start|><s><|endoftext|><start_of_turn>", n/44),
		"underscores": strings.Repeat("\u2581", n/3),
	}
}

// mixedText is War and Peace interleaved with random pieces of every kind.
func mixedText(t testing.TB, n int) string {
	val := tolstoy(t, 1)
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"\xff", "\x00", "😀", "日本語", "  ", "\r\n", "'s", "123456", "<|im_start|>", "<s>", "Ελληνικά", "\u3000", "\t"}
	var sb strings.Builder
	for sb.Len() < n {
		i := r.IntN(len(val) - 200)
		sb.WriteString(val[i : i+r.IntN(200)])
		sb.WriteString(pieces[r.IntN(len(pieces))])
	}
	return sb.String()
}

// TestHostileInputs runs the hostile inputs (64 KB each) through every
// golden vocabulary: no panic, and decoding gives the text back.
func TestHostileInputs(t *testing.T) {
	for _, name := range []string{"llama3-bpe", "tiny-qwen-bpe", "llama-2-tiny-random", "gemma2-spm"} {
		tk := loadGolden(t, name)
		for kind, s := range hostileInputs(64 << 10) {
			t0 := time.Now()
			for _, parse := range []bool{false, true} {
				ids := tk.Encode(s, true, parse)
				if len(ids) == 0 {
					t.Errorf("%s/%s: no ids", name, kind)
				}
				tk.Decode(ids, true, parse)
			}
			if !parseSensitive(kind) {
				checkRoundTrip(t, name, tk, s)
			}
			if d := time.Since(t0); d > 5*time.Second {
				t.Errorf("%s/%s: %v for 64 KB", name, kind, d)
			}
		}
	}
}

func parseSensitive(kind string) bool { return kind == "specials" }

// TestChunking checks that cutting long BPE fragments after newlines (see
// encodeBPE) changes no id: every pre-tokenizer that allows it, with chunks
// of a few bytes against one chunk, on text full of newlines.
func TestChunking(t *testing.T) {
	f := llama3GGUF(t)
	text := mixedText(t, 200<<10) + strings.Join(trickyInputs, "\n")
	for name, p := range preTypes {
		if !p.cutAfterNewline {
			continue
		}
		v, err := VocabFromGGUF(preOverride{f, name})
		if err != nil {
			t.Fatal(err)
		}
		tk, err := New(v)
		if err != nil {
			t.Fatal(err)
		}
		want := tk.Encode(text, false, false)
		old := bpeChunk
		bpeChunk = 3
		got := tk.Encode(text, false, false)
		bpeChunk = old
		if !slices.Equal(got, want) {
			t.Errorf("%s: chunked encoding differs", name)
		}
	}
}
