package tokenizer

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/internal/golden"
)

// extraConfig is one vocabulary configuration of testdata/extra.golden.jsonl.
type extraConfig struct {
	Vocab string `json:"vocab"` // a goldenVocabs name
	Pre   string `json:"pre,omitempty"`
}

// extraConfigs lists the configurations the extra goldens cover: the Llama 3
// vocabulary under every pre-tokenizer we support, and the SentencePiece
// vocabularies.
func extraConfigs() []extraConfig {
	c := []extraConfig{{Vocab: "llama-2-tiny-random"}, {Vocab: "gemma2-spm"}}
	for _, pre := range []string{"default", "gpt-2", "llama-bpe", "qwen2", "smollm", "deepseek-llm", "deepseek-v3",
		"tekken", "olmo", "starcoder", "refact", "gpt-4o"} {
		c = append(c, extraConfig{Vocab: "llama3-bpe", Pre: pre})
	}
	return c
}

// extraCase is one line of testdata/extra.golden.jsonl: llama.cpp's answer
// (from the oracle, see oracle_test.go) for one of trickyInputs on one
// vocabulary configuration. Strings that are not valid UTF-8 are stored as
// hex in the *_hex fields.
type extraCase struct {
	extraConfig
	Text         string  `json:"text"`
	AddSpecial   bool    `json:"add_special"`
	ParseSpecial bool    `json:"parse_special"`
	IDs          []int32 `json:"ids"`
	Detok        string  `json:"detok"`
	DetokRaw     string  `json:"detok_raw"`
}

type extraJSON struct {
	extraConfig
	Text         string  `json:"text,omitempty"`
	TextHex      string  `json:"text_hex,omitempty"`
	AddSpecial   bool    `json:"add_special"`
	ParseSpecial bool    `json:"parse_special"`
	IDs          []int32 `json:"ids"`
	Detok        *string `json:"detok,omitempty"`
	DetokHex     *string `json:"detok_hex,omitempty"`
	DetokRaw     *string `json:"detok_raw,omitempty"`
	DetokRawHex  *string `json:"detok_raw_hex,omitempty"`
}

func (c *extraCase) setText(s string) { c.Text = s }

func hexOr(s string) (plain, hx *string) {
	if utf8.ValidString(s) {
		return &s, nil
	}
	h := hex.EncodeToString([]byte(s))
	return nil, &h
}

func (c *extraCase) encode() extraJSON {
	j := extraJSON{extraConfig: c.extraConfig, AddSpecial: c.AddSpecial, ParseSpecial: c.ParseSpecial, IDs: c.IDs}
	if utf8.ValidString(c.Text) {
		j.Text = c.Text
	} else {
		j.TextHex = hex.EncodeToString([]byte(c.Text))
	}
	j.Detok, j.DetokHex = hexOr(c.Detok)
	j.DetokRaw, j.DetokRawHex = hexOr(c.DetokRaw)
	return j
}

func (j *extraJSON) decode(t *testing.T) extraCase {
	c := extraCase{extraConfig: j.extraConfig, Text: j.Text, AddSpecial: j.AddSpecial, ParseSpecial: j.ParseSpecial, IDs: j.IDs}
	if j.TextHex != "" {
		c.Text = mustHex(t, j.TextHex)
	}
	c.Detok = pick(t, j.Detok, j.DetokHex)
	c.DetokRaw = pick(t, j.DetokRaw, j.DetokRawHex)
	return c
}

// TestExtraGolden checks the tricky inputs on every pre-tokenizer against
// the answers llama.cpp gave for them.
func TestExtraGolden(t *testing.T) {
	f, err := os.Open("testdata/extra.golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byConfig := map[extraConfig][]extraCase{}
	var order []extraConfig
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var j extraJSON
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			t.Fatal(err)
		}
		if _, ok := byConfig[j.extraConfig]; !ok {
			order = append(order, j.extraConfig)
		}
		byConfig[j.extraConfig] = append(byConfig[j.extraConfig], j.decode(t))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(order) != len(extraConfigs()) {
		t.Fatalf("%d configurations in the file, want %d", len(order), len(extraConfigs()))
	}
	for _, cfg := range order {
		t.Run(cfg.Vocab+"/"+cfg.Pre, func(t *testing.T) {
			var tk *Tokenizer
			if cfg.Pre == "" {
				tk = loadGolden(t, cfg.Vocab)
			} else {
				v, err := VocabFromGGUF(preOverride{llama3GGUF(t), cfg.Pre})
				if err != nil {
					t.Fatal(err)
				}
				if tk, err = New(v); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range byConfig[cfg] {
				if got := tk.Encode(c.Text, c.AddSpecial, c.ParseSpecial); !slices.Equal(got, c.IDs) {
					t.Errorf("%q add=%v parse=%v:\n got %v\nwant %v", c.Text, c.AddSpecial, c.ParseSpecial, got, c.IDs)
					continue
				}
				if got := tk.Decode(c.IDs, c.AddSpecial, c.ParseSpecial); got != c.Detok {
					t.Errorf("%q: detok %q, want %q", c.Text, got, c.Detok)
				}
				if got := tk.Decode(c.IDs, false, true); got != c.DetokRaw {
					t.Errorf("%q: detok_raw %q, want %q", c.Text, got, c.DetokRaw)
				}
			}
		})
	}
}

var (
	llama3Once sync.Once
	llama3File *gguf.File
	llama3Err  error
)

// llama3GGUF returns the parsed Llama 3 vocabulary, read once per test
// binary.
func llama3GGUF(t testing.TB) *gguf.File {
	llama3Once.Do(func() {
		data, err := os.ReadFile(golden.Gunzip(t, "tokenizer", "llama3-bpe.vocab.gguf.gz"))
		if err != nil {
			llama3Err = err
			return
		}
		llama3File, llama3Err = gguf.Parse(data)
	})
	if llama3Err != nil {
		t.Fatal(llama3Err)
	}
	return llama3File
}

// preOverride reads a GGUF's metadata with tokenizer.ggml.pre replaced.
type preOverride struct {
	*gguf.File
	pre string
}

func (m preOverride) String(k string) (string, bool) {
	if k == "tokenizer.ggml.pre" {
		return m.pre, true
	}
	return m.File.String(k)
}
