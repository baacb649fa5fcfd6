package tokenizer

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/internal/golden"
)

// TestTolstoy checks the prompt ids the trained model's README gives and
// the length of the whole validation text, which llama.cpp tokenizes to
// 48651 ids.
func TestTolstoy(t *testing.T) {
	f, err := gguf.Open(golden.Path(t, "trained", "tolstoy-4m-f32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tk, err := FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want []int32
	}{
		{"Prince Andrew", []int32{1, 474, 538}},
		{"Natasha", []int32{1, 542}},
		{"The French army", []int32{1, 364, 566, 718}},
	} {
		if got := tk.Encode(c.text, true, true); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
		}
	}
	val := tolstoy(t, 1)
	ids := tk.Encode(val, true, true)
	if len(ids) != 48651 {
		t.Errorf("tolstoy-val.txt: %d ids, want 48651", len(ids))
	}
	// SentencePiece keeps the prefix space after a BOS that Decode removes.
	if got := tk.Decode(ids, true, false); got != " "+val {
		t.Errorf("tolstoy-val.txt does not round-trip")
	}
	// The README's greedy continuation of "Prince Andrew", streamed.
	greedy := []int32{1986, 394, 335, 489, 297, 263, 731, 836, 1986, 277, 317, 284, 316, 297, 263, 731, 836, 1988, 13, 13,
		1992, 1994, 586, 662, 1743, 281, 437, 339, 393, 381, 474, 538, 1986, 303, 1564, 338, 586, 337, 261, 438, 281, 306,
		261, 438, 281, 306, 261, 438, 281, 306, 261, 438, 281, 306, 261, 438, 281, 306, 261, 438, 281, 306, 261, 438}
	want := "Prince Andrew, who had been in the same way, and that he was in the same way.\n\n\"I am very glad to do it,\" said Prince Andrew, \"but I am not able to be able to be able to be able to be able to be able to be able"
	d := tk.NewDecoder(false)
	var sb strings.Builder
	for _, id := range append([]int32{1, 474, 538}, greedy...) {
		sb.WriteString(d.Add(id))
	}
	sb.WriteString(d.Flush())
	if got := strings.TrimPrefix(sb.String(), " "); got != want {
		t.Errorf("streamed continuation:\n got %q\nwant %q", got, want)
	}
}

// TestParseSpecial checks that the text of a control token is that token
// only with parse-special on.
func TestParseSpecial(t *testing.T) {
	tk := loadGolden(t, "tiny-qwen-bpe")
	in := "<|im_start|>user\nHi<|im_end|>"
	on := tk.Encode(in, false, true)
	off := tk.Encode(in, false, false)
	if on[0] != 1022 || on[len(on)-1] != 1023 {
		t.Errorf("parse-special on: %v, want 1022 ... 1023", on)
	}
	if slices.Contains(off, 1022) || slices.Contains(off, 1023) {
		t.Errorf("parse-special off: %v contains a control id", off)
	}
	if got := tk.Decode(off, false, false); got != in {
		t.Errorf("parse-special off does not round-trip: %q", got)
	}
	if got := tk.Decode(on, false, false); got != "user\nHi" {
		t.Errorf("control tokens rendered without unparse: %q", got)
	}
	if got := tk.Decode(on, false, true); got != in {
		t.Errorf("unparse: %q", got)
	}
	if tk.EOT() != 1023 || !slices.Equal(tk.EOG(), []int32{1021, 1023}) || !tk.IsEOG(1023) || tk.IsEOG(1022) {
		t.Errorf("EOT %d, EOG %v; llama.cpp has 1023 and [1021 1023]", tk.EOT(), tk.EOG())
	}
	if !tk.IsControl(1022) || tk.IsControl(5) {
		t.Error("IsControl")
	}
}

// TestDecoder streams ids whose pieces split UTF-8 characters (byte tokens,
// byte-level BPE) and checks that every chunk is valid UTF-8 and that the
// chunks add up to the text.
func TestDecoder(t *testing.T) {
	text := "日本語 😀👨‍👩‍👧 Ελληνικά ﬁ ½ \u0301é"
	for _, name := range []string{"llama-2-tiny-random", "tiny-qwen-bpe", "llama3-bpe"} {
		tk := loadGolden(t, name)
		ids := tk.Encode(text, false, false)
		d := tk.NewDecoder(false)
		var sb strings.Builder
		for _, id := range ids {
			c := d.Add(id)
			if !utf8.ValidString(c) {
				t.Errorf("%s: chunk %q is not valid UTF-8", name, c)
			}
			sb.WriteString(c)
		}
		sb.WriteString(d.Flush())
		if got := strings.TrimPrefix(sb.String(), " "); got != text {
			t.Errorf("%s: streamed %q, want %q", name, got, text)
		}
	}
	// Bytes that can never complete come out as U+FFFD once that is known;
	// an unfinished character at the end comes out at Flush.
	tk := loadGolden(t, "llama-2-tiny-random")
	b := func(c byte) int32 { return tk.spm.byteToken[c] }
	d := tk.NewDecoder(false)
	steps := []struct {
		id   int32
		want string
	}{
		{b(0xE6), ""}, {b(0x97), ""}, {b(0xA5), "日"}, {b(0xFF), "\uFFFD"}, {b(0xC3), ""}, {b('a'), "\uFFFDa"}, {b(0xF0), ""}, {b(0x9F), ""},
	}
	for i, s := range steps {
		if got := d.Add(s.id); got != s.want {
			t.Errorf("step %d: Add = %q, want %q", i, got, s.want)
		}
	}
	if got := d.Flush(); got != "\uFFFD\uFFFD" {
		t.Errorf("Flush = %q, want two U+FFFD", got)
	}
	if got := d.Add(b('x')); got != "x" {
		t.Errorf("after Flush: %q", got)
	}
}

func TestTokenPiece(t *testing.T) {
	tk := loadGolden(t, "llama-2-tiny-random")
	if got := string(tk.TokenPiece(1, false)); got != "" {
		t.Errorf("BOS without unparse: %q", got)
	}
	if got := string(tk.TokenPiece(1, true)); got != "<s>" {
		t.Errorf("BOS: %q", got)
	}
	if got := string(tk.TokenPiece(15043, false)); got != " Hello" {
		t.Errorf("15043: %q", got)
	}
	if got := tk.TokenPiece(13, false); !slices.Equal(got, []byte{'\n'}) {
		t.Errorf("<0x0A>: %q", got)
	}
	for _, id := range []int32{-1, 32000, 1 << 30} {
		if got := tk.TokenPiece(id, true); got != nil {
			t.Errorf("TokenPiece(%d) = %q", id, got)
		}
		if tk.Token(id) != "" || tk.IsControl(id) || tk.IsEOG(id) {
			t.Errorf("id %d out of range is not inert", id)
		}
	}
	// A bad id renders as nothing but is still the first token, which
	// llama.cpp strips one leading space from.
	if got := tk.Decode([]int32{-5, 15043, 99999}, false, false); got != " Hello" {
		t.Errorf("Decode with bad ids: %q", got)
	}
	if tk.NumTokens() != 32000 || tk.BOS() != 1 || tk.EOS() != 2 || tk.UNK() != 0 || tk.NL() != 13 || !tk.AddBOS() || tk.AddEOS() {
		t.Error("llama-2 specials")
	}
	if id, ok := tk.ID("▁Hello"); !ok || id != 15043 || tk.Token(15043) != "▁Hello" {
		t.Error("ID/Token")
	}
}

func TestNewErrors(t *testing.T) {
	base := func() *Vocab {
		v, err := Defaults("llama", "")
		if err != nil {
			t.Fatal(err)
		}
		v.Tokens = []string{"<unk>", "<s>", "</s>", "a"}
		return v
	}
	for _, c := range []struct {
		name string
		edit func(v *Vocab)
		want string
	}{
		{"duplicate", func(v *Vocab) { v.Tokens[3] = "<s>" }, "both"},
		{"scores", func(v *Vocab) { v.Scores = []float32{1} }, "scores"},
		{"types", func(v *Vocab) { v.Types = []int32{1, 1} }, "types"},
		{"empty", func(v *Vocab) { v.Tokens = nil }, "no tokens"},
		{"model", func(v *Vocab) { v.Model = "t5" }, "t5"},
		{"bos range", func(v *Vocab) { v.BOS = 4 }, "BOS id 4"},
		{"eot range", func(v *Vocab) { v.EOT = -7 }, "EOT id -7"},
		{"add bos", func(v *Vocab) { v.BOS = -1 }, "BOS"},
		{"byte token", func(v *Vocab) { v.Types = []int32{2, 3, 3, 6} }, "byte token"},
	} {
		v := base()
		c.edit(v)
		if _, err := New(v); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := New(base()); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentEncode runs Encode on several goroutines at once (the word
// caches and scratch pools are shared).
func TestConcurrentEncode(t *testing.T) {
	text := tolstoy(t, 1)[:20000]
	for _, name := range []string{"llama3-bpe", "llama-2-tiny-random"} {
		tk := loadGolden(t, name)
		want := tk.Encode(text, true, false)
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 3 {
					s := text[g*100+i:]
					if got, w := tk.Encode(s, true, false), tk.Encode(s, true, false); !slices.Equal(got, w) {
						t.Errorf("%s: results differ between calls", name)
					}
				}
				if got := tk.Encode(text, true, false); !slices.Equal(got, want) {
					t.Errorf("%s: concurrent result differs", name)
				}
			}()
		}
		wg.Wait()
	}
}
