package tokenizer

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

// splitCases are llama.cpp's own splits (unicode_regex_split with the
// regexes llm_tokenizer_bpe picks for each pre value), printed by the
// oracle of oracle_test.go.
var splitCases = []struct {
	pre   string
	in    string
	words []string
}{
	{"qwen2", "Hello world's  end\n\n  x", []string{"Hello", " world", "'s", " ", " end", "\n\n", " ", " x"}},
	{"qwen2", "I'VE 12345 3.14 ab1c", []string{"I", "'VE", " ", "1", "2", "3", "4", "5", " ", "3", ".", "1", "4", " ab", "1", "c"}},
	{"qwen2", "HTTPServer iPhone McDonald'S", []string{"HTTPServer", " iPhone", " McDonald", "'S"}},
	{"qwen2", "a  \t\nb   ", []string{"a", "  \t\n", "b", "   "}},
	{"qwen2", "日本語のテキスト 123 漢字かな", []string{"日本語のテキスト", " ", "1", "2", "3", " 漢字かな"}},
	{"qwen2", "x!!! ,,,\n\n/y//\n", []string{"x", "!!!", " ,,,\n\n", "/y", "//\n"}},
	{"qwen2", "~a ~1 $5 <=>", []string{"~a", " ~", "1", " $", "5", " <=>"}},
	{"qwen2", "  x　 y  ", []string{" ", " x", "　", " y", "  "}},
	{"qwen2", "ǅa ΩK µ ²³ ①", []string{"ǅa", " ΩK", " µ", " ", "²", "³", " ", "①"}},
	{"llama-bpe", "Hello world's  end\n\n  x", []string{"Hello", " world", "'s", " ", " end", "\n\n", " ", " x"}},
	{"llama-bpe", "I'VE 12345 3.14 ab1c", []string{"I", "'VE", " ", "123", "45", " ", "3", ".", "14", " ab", "1", "c"}},
	{"llama-bpe", "HTTPServer iPhone McDonald'S", []string{"HTTPServer", " iPhone", " McDonald", "'S"}},
	{"llama-bpe", "a  \t\nb   ", []string{"a", "  \t\n", "b", "   "}},
	{"llama-bpe", "日本語のテキスト 123 漢字かな", []string{"日本語のテキスト", " ", "123", " 漢字かな"}},
	{"llama-bpe", "x!!! ,,,\n\n/y//\n", []string{"x", "!!!", " ,,,\n\n", "/y", "//\n"}},
	{"llama-bpe", "~a ~1 $5 <=>", []string{"~a", " ~", "1", " $", "5", " <=>"}},
	{"llama-bpe", "  x　 y  ", []string{" ", " x", "　", " y", "  "}},
	{"llama-bpe", "ǅa ΩK µ ²³ ①", []string{"ǅa", " ΩK", " µ", " ", "²³", " ", "①"}},
	{"gpt-2", "Hello world's  end\n\n  x", []string{"Hello", " world", "'s", " ", " end", "\n\n ", " x"}},
	{"gpt-2", "I'VE 12345 3.14 ab1c", []string{"I", "'", "VE", " 12345", " 3", ".", "14", " ab", "1", "c"}},
	{"gpt-2", "HTTPServer iPhone McDonald'S", []string{"HTTPServer", " iPhone", " McDonald", "'", "S"}},
	{"gpt-2", "a  \t\nb   ", []string{"a", "  \t", "\n", "b", "   "}},
	{"gpt-2", "日本語のテキスト 123 漢字かな", []string{"日本語のテキスト", " 123", " 漢字かな"}},
	{"gpt-2", "x!!! ,,,\n\n/y//\n", []string{"x", "!!!", " ,,,", "\n", "\n", "/", "y", "//", "\n"}},
	{"gpt-2", "~a ~1 $5 <=>", []string{"~", "a", " ~", "1", " $", "5", " <=>"}},
	{"gpt-2", "  x　 y  ", []string{" ", " ", "x", "　", " y", "  "}},
	{"gpt-2", "ǅa ΩK µ ²³ ①", []string{"ǅa", " ΩK", " µ", " ²³", " ①"}},
	{"default", "Hello world's  end\n\n  x", []string{"Hello", " world", "'", "s", " ", " end", "\n\n ", " x"}},
	{"default", "I'VE 12345 3.14 ab1c", []string{"I", "'", "VE", " ", "123", "45", " ", "3", ".", "14", " ab", "1", "c"}},
	{"default", "HTTPServer iPhone McDonald'S", []string{"HTTPServer", " iPhone", " McDonald", "'", "S"}},
	{"default", "a  \t\nb   ", []string{"a", "  \t", "\n", "b", "   "}},
	{"default", "日本語のテキスト 123 漢字かな", []string{"日本語のテキスト", " ", "123", " 漢字かな"}},
	{"default", "x!!! ,,,\n\n/y//\n", []string{"x", "!!!", " ", ",,,", "\n\n", "/", "y", "//", "\n"}},
	{"default", "~a ~1 $5 <=>", []string{"~", "a", " ", "~", "1", " ", "$", "5", " ", "<=>"}},
	{"default", "  x　 y  ", []string{" ", " ", "x", "　", " y", "  "}},
	{"default", "ǅa ΩK µ ²³ ①", []string{"ǅa", " ΩK", " µ", " ", "²³", " ", "①"}},
	{"tekken", "Hello world's  end\n\n  x", []string{"Hello", " world", "'s", " ", " end", "\n\n", " ", " x"}},
	{"tekken", "I'VE 12345 3.14 ab1c", []string{"I", "'VE", " ", "1", "2", "3", "4", "5", " ", "3", ".", "1", "4", " ab", "1", "c"}},
	{"tekken", "HTTPServer iPhone McDonald'S", []string{"HTTPServer", " i", "Phone", " Mc", "Donald", "'S"}},
	{"tekken", "a  \t\nb   ", []string{"a", "  \t\n", "b", "   "}},
	{"tekken", "日本語のテキスト 123 漢字かな", []string{"日本語のテキスト", " ", "1", "2", "3", " 漢字かな"}},
	{"tekken", "x!!! ,,,\n\n/y//\n", []string{"x", "!!!", " ,,,\n\n/", "y", "//\n"}},
	{"tekken", "~a ~1 $5 <=>", []string{"~a", " ~", "1", " $", "5", " <=>"}},
	{"tekken", "  x　 y  ", []string{" ", " x", "　", " y", "  "}},
	{"tekken", "ǅa ΩK µ ²³ ①", []string{"ǅa", " Ω", "K", " µ", " ", "²", "³", " ", "①"}},
	{"gpt-4o", "Hello world's  end\n\n  x", []string{"Hello", " world's", " ", " end", "\n\n", " ", " x"}},
	{"gpt-4o", "I'VE 12345 3.14 ab1c", []string{"I'VE", " ", "123", "45", " ", "3", ".", "14", " ab", "1", "c"}},
	{"gpt-4o", "HTTPServer iPhone McDonald'S", []string{"HTTPServer", " i", "Phone", " Mc", "Donald'S"}},
	{"gpt-4o", "a  \t\nb   ", []string{"a", "  \t\n", "b", "   "}},
	{"gpt-4o", "日本語のテキスト 123 漢字かな", []string{"日本語のテキスト", " ", "123", " 漢字かな"}},
	{"gpt-4o", "x!!! ,,,\n\n/y//\n", []string{"x", "!!!", " ,,,\n\n/", "y", "//\n"}},
	{"gpt-4o", "~a ~1 $5 <=>", []string{"~a", " ~", "1", " $", "5", " <=>"}},
	{"gpt-4o", "  x　 y  ", []string{" ", " x", "　", " y", "  "}},
	{"gpt-4o", "ǅa ΩK µ ²³ ①", []string{"ǅa", " Ω", "K", " µ", " ", "²³", " ", "①"}},
	{"deepseek-v3", "Hello world's  end\n\n  x", []string{"Hello", " world", "'s", " ", " end", "\n\n", " ", " x"}},
	{"deepseek-v3", "I'VE 12345 3.14 ab1c", []string{"I", "'VE", " ", "123", "45", " ", "3", ".", "14", " ab", "1", "c"}},
	{"deepseek-v3", "HTTPServer iPhone McDonald'S", []string{"HTTPServer", " iPhone", " McDonald", "'S"}},
	{"deepseek-v3", "a  \t\nb   ", []string{"a", "  \t\n", "b", "   "}},
	{"deepseek-v3", "日本語のテキスト 123 漢字かな", []string{"日本語のテキスト", " ", "123", " ", "漢字かな"}},
	{"deepseek-v3", "x!!! ,,,\n\n/y//\n", []string{"x", "!!!", " ,,,\n\n", "/y", "//\n"}},
	{"deepseek-v3", "~a ~1 $5 <=>", []string{"~a", " ", "~", "1", " $", "5", " <=>"}},
	{"deepseek-v3", "  x　 y  ", []string{" ", " x", "　", " y", "  "}},
	{"deepseek-v3", "ǅa ΩK µ ²³ ①", []string{"ǅa", " ΩK", " µ", " ", "²³", " ", "①"}},
	{"deepseek-llm", "Hello world's  end\n\n  x", []string{"Hello", " world", "'", "s", " ", " end", "\n", "\n", " ", " x"}},
	{"deepseek-llm", "I'VE 12345 3.14 ab1c", []string{"I", "'", "VE", " ", "12345", " ", "3", ".", "14", " ab", "1", "c"}},
	{"deepseek-llm", "HTTPServer iPhone McDonald'S", []string{"HTTPServer", " iPhone", " McDonald", "'", "S"}},
	{"deepseek-llm", "a  \t\nb   ", []string{"a", "  \t", "\n", "b", "   "}},
	{"deepseek-llm", "日本語のテキスト 123 漢字かな", []string{"日本語のテキスト", " ", "123", " ", "漢字かな"}},
	{"deepseek-llm", "x!!! ,,,\n\n/y//\n", []string{"x", "!!!", " ,,,", "\n", "\n", "/", "y", "//", "\n"}},
	{"deepseek-llm", "~a ~1 $5 <=>", []string{"~", "a", " ~", "1", " $", "5", " <=>"}},
	{"deepseek-llm", "  x　 y  ", []string{" ", " x", "　", " y", "  "}},
	{"deepseek-llm", "ǅa ΩK µ ²³ ①", []string{"ǅ", "a", " Ω", "K", " µ", " ", "²³", " ", "①"}},
	{"starcoder", "Hello world's  end\n\n  x", []string{"Hello", " world", "'s", " ", " end", "\n\n ", " x"}},
	{"starcoder", "I'VE 12345 3.14 ab1c", []string{"I", "'", "VE", " ", "1", "2", "3", "4", "5", " ", "3", ".", "1", "4", " ab", "1", "c"}},
	{"starcoder", "HTTPServer iPhone McDonald'S", []string{"HTTPServer", " iPhone", " McDonald", "'", "S"}},
	{"starcoder", "a  \t\nb   ", []string{"a", "  \t", "\n", "b", "   "}},
	{"starcoder", "日本語のテキスト 123 漢字かな", []string{"日本語のテキスト", " ", "1", "2", "3", " 漢字かな"}},
	{"starcoder", "x!!! ,,,\n\n/y//\n", []string{"x", "!!!", " ,,,", "\n", "\n", "/", "y", "//", "\n"}},
	{"starcoder", "~a ~1 $5 <=>", []string{"~", "a", " ~", "1", " $", "5", " <=>"}},
	{"starcoder", "  x　 y  ", []string{" ", " ", "x", "　", " y", "  "}},
	{"starcoder", "ǅa ΩK µ ²³ ①", []string{"ǅa", " ΩK", " µ", " ", "²", "³", " ", "①"}},
}

func TestPreTokenizers(t *testing.T) {
	for _, c := range splitCases {
		p, err := lookupPre(c.pre)
		if err != nil {
			t.Fatal(err)
		}
		var pt pretext
		pt.load(c.in)
		ends, _ := p.split().split(&pt, nil, nil)
		var words []string
		lo := int32(0)
		for _, hi := range ends {
			words = append(words, c.in[pt.offs[lo]:pt.offs[hi]])
			lo = hi
		}
		if !slices.Equal(words, c.words) {
			t.Errorf("%s %q:\n got %q\nwant %q", c.pre, c.in, words, c.words)
		}
	}
}

// TestUnknownPre checks that a pre value we do not implement is an error
// that names it, not a silent fallback.
func TestUnknownPre(t *testing.T) {
	_, err := New(&Vocab{Model: "gpt2", Pre: "falcon", Tokens: []string{"a"}, BOS: -1, EOS: -1, UNK: -1, PAD: -1,
		EOT: -1, EOM: -1, SEP: -1, FIMPre: -1, FIMSuf: -1, FIMMid: -1, FIMPad: -1, FIMRep: -1, FIMSep: -1})
	if err == nil || !containsAll(err.Error(), "falcon", "pre") {
		t.Fatalf("err = %v, want one naming the pre-tokenizer", err)
	}
	if _, err := Defaults("gpt2", "no-such-pre"); err == nil {
		t.Fatal("Defaults accepted an unknown pre")
	}
	if _, err := Defaults("bert", ""); err == nil || !containsAll(err.Error(), "bert") {
		t.Fatalf("Defaults(bert) err = %v", err)
	}
}

// TestFlagsASCII pins the flags of the code points the splitters test most.
func TestFlagsASCII(t *testing.T) {
	for _, c := range []struct {
		r    rune
		want uint16
	}{
		{'a', flagLetter}, {'Z', flagLetter}, {'5', flagNumber}, {' ', flagSeparator | flagWhitespace},
		{'\n', flagControl | flagWhitespace}, {'\x1c', flagControl}, {'~', flagSymbol}, {'_', flagPunct},
		{'$', flagSymbol}, {0x85, flagControl | flagWhitespace}, {0xA0, flagSeparator | flagWhitespace},
		{0x2028, flagSeparator | flagWhitespace}, {0x200B, flagControl}, {0x0301, flagMark}, {0xB2, flagNumber},
		{0x2FFC, flagSymbol}, {0x2EBF0, flagLetter}, {0x0378, flagUndefined}, {0xE000, flagControl},
		{0xD800, flagControl}, {0x10FFFF, flagUndefined}, {0x110000, flagUndefined},
	} {
		if got := cpFlags(c.r); got != c.want {
			t.Errorf("cpFlags(%U) = %#x, want %#x", c.r, got, c.want)
		}
	}
	if unicode.Version != "15.0.0" {
		t.Logf("Go's Unicode tables are %s; check the unicode151 corrections (TestFlagsAgainstLlamaData)", unicode.Version)
	}
}

func TestDecodeCpt(t *testing.T) {
	for _, c := range []struct {
		in   string
		r    rune
		size int
	}{
		{"a", 'a', 1}, {"é", 0xE9, 2}, {"\xff", 0xFFFD, 1}, {"\x80", 0xFFFD, 1}, {"\xc3", 0xFFFD, 1},
		{"\xc0\x80", 0, 2}, {"\xed\xa0\x80", 0xD800, 3}, {"\xe2\x82", 0xFFFD, 1}, {"\xf4\x90\x80\x80", 0x110000, 4},
		{"\xf8\x80\x80\x80\x80", 0xFFFD, 1}, {"😀", 0x1F600, 4},
	} {
		if r, n := decodeCpt(c.in, 0); r != c.r || n != c.size {
			t.Errorf("decodeCpt(%q) = %U, %d; want %U, %d", c.in, r, n, c.r, c.size)
		}
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
