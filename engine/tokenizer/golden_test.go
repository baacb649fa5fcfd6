package tokenizer

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/internal/golden"
)

// goldenCase is one line of a tokenizer/*.golden.jsonl file (see the
// testdata README): llama.cpp's ids and detokenizations for one input.
type goldenCase struct {
	Text         string  `json:"text"`
	TextHex      *string `json:"text_hex"`
	AddSpecial   bool    `json:"add_special"`
	ParseSpecial bool    `json:"parse_special"`
	IDs          []int32 `json:"ids"`
	Detok        *string `json:"detok"`
	DetokHex     *string `json:"detok_hex"`
	DetokRaw     *string `json:"detok_raw"`
	DetokRawHex  *string `json:"detok_raw_hex"`
	Roundtrip    bool    `json:"roundtrip"`
}

func (c *goldenCase) input(t *testing.T) string {
	if c.TextHex != nil {
		return mustHex(t, *c.TextHex)
	}
	return c.Text
}

func pick(t *testing.T, s, h *string) string {
	if h != nil {
		return mustHex(t, *h)
	}
	if s == nil {
		t.Fatal("golden case lacks a field")
	}
	return *s
}

func mustHex(t testing.TB, s string) string {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// goldenVocabs names each golden file and where its vocabulary lives.
var goldenVocabs = []struct {
	name string
	path []string
	gz   bool
}{
	{"llama-2-tiny-random", []string{"tokenizer", "llama-2-tiny-random.gguf"}, false},
	{"llama3-bpe", []string{"tokenizer", "llama3-bpe.vocab.gguf.gz"}, true},
	{"llama3-qwen2pre", []string{"tokenizer", "llama3-qwen2pre.vocab.gguf.gz"}, true},
	{"gemma2-spm", []string{"tokenizer", "gemma2-spm.vocab.gguf.gz"}, true},
	{"tiny-llama-spm", []string{"models", "llama-f32.gguf"}, false},
	{"tiny-qwen-bpe", []string{"models", "qwen2-f16.gguf"}, false},
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Tokenizer{}
)

// loadGolden returns the Tokenizer of a golden vocabulary, loading it once
// per test binary.
func loadGolden(t testing.TB, name string) *Tokenizer {
	t.Helper()
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if tk, ok := loaded[name]; ok {
		return tk
	}
	for _, g := range goldenVocabs {
		if g.name != name {
			continue
		}
		var p string
		if g.gz {
			p = golden.Gunzip(t, g.path...)
		} else {
			p = golden.Path(t, g.path...)
		}
		f, err := gguf.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tk, err := FromGGUF(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		loaded[name] = tk
		return tk
	}
	t.Fatalf("unknown golden vocabulary %q", name)
	return nil
}

func readGolden(t *testing.T, name string) []goldenCase {
	f, err := os.Open(golden.Path(t, "tokenizer", name+".golden.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []goldenCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var c goldenCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestGolden(t *testing.T) {
	for _, g := range goldenVocabs {
		t.Run(g.name, func(t *testing.T) {
			tk := loadGolden(t, g.name)
			cases := readGolden(t, g.name)
			if len(cases) != 178 {
				t.Fatalf("%d cases, want 178", len(cases))
			}
			for i, c := range cases {
				in := c.input(t)
				ids := tk.Encode(in, c.AddSpecial, c.ParseSpecial)
				if !slices.Equal(ids, c.IDs) && !(len(ids) == 0 && len(c.IDs) == 0) {
					t.Errorf("case %d %q (add=%v parse=%v):\n got %v\nwant %v", i, short(in), c.AddSpecial, c.ParseSpecial, ids, c.IDs)
					continue
				}
				detok := tk.Decode(c.IDs, c.AddSpecial, c.ParseSpecial)
				if want := pick(t, c.Detok, c.DetokHex); detok != want {
					t.Errorf("case %d %q: detok\n got %q\nwant %q", i, short(in), detok, want)
				}
				raw := tk.Decode(c.IDs, false, true)
				if want := pick(t, c.DetokRaw, c.DetokRawHex); raw != want {
					t.Errorf("case %d %q: detok_raw\n got %q\nwant %q", i, short(in), raw, want)
				}
				if got := detok == in; got != c.Roundtrip {
					t.Errorf("case %d %q: roundtrip %v, golden says %v", i, short(in), got, c.Roundtrip)
				}
			}
		})
	}
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
