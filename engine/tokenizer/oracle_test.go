//go:build oracle

// Differential tests against llama.cpp itself: testdata/oracle/build.sh
// compiles llama.cpp's vocabulary code into a small program, and these
// tests compare Encode and Decode with it on many generated strings, for
// every pre-tokenizer (the Llama 3 vocabulary loaded under each pre value),
// SentencePiece vocabularies, and both parse-special settings.
//
//	sh engine/tokenizer/testdata/oracle/build.sh /tmp/llref
//	KILN_LLAMA_ORACLE=/tmp/llref/harness go test -tags oracle -run Oracle ./engine/tokenizer/
package tokenizer

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/internal/golden"
)

type oracle struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startOracle(t *testing.T) *oracle {
	path := os.Getenv("KILN_LLAMA_ORACLE")
	if path == "" {
		t.Skip("KILN_LLAMA_ORACLE not set (see testdata/oracle/build.sh)")
	}
	cmd := exec.Command(path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o := &oracle{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	return o
}

func (o *oracle) call(t *testing.T, line string) string {
	t.Helper()
	if _, err := io.WriteString(o.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
	s, err := o.out.ReadString('\n')
	if err != nil {
		t.Fatalf("oracle: %v (after %.80q)", err, line)
	}
	return strings.TrimSuffix(s, "\n")
}

func (o *oracle) load(t *testing.T, path string, overrides ...string) {
	if r := o.call(t, "load "+path+" "+strings.Join(overrides, " ")); !strings.HasPrefix(r, "OK") {
		t.Fatalf("oracle load: %s", r)
	}
}

// encode returns llama.cpp's ids, or ok false when llama.cpp threw.
func (o *oracle) encode(t *testing.T, s string, add, parse bool) ([]int32, bool) {
	r := o.call(t, fmt.Sprintf("tok %d %d %s", b2i(add), b2i(parse), hex.EncodeToString([]byte(s))))
	if strings.HasPrefix(r, "ERR") {
		return nil, false
	}
	var ids []int32
	for _, f := range strings.Fields(strings.TrimPrefix(r, "IDS")) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(r)
		}
		ids = append(ids, int32(n))
	}
	return ids, true
}

func (o *oracle) decode(t *testing.T, ids []int32, remove, unparse bool) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "detok %d %d", b2i(remove), b2i(unparse))
	for _, id := range ids {
		fmt.Fprintf(&sb, " %d", id)
	}
	r := o.call(t, sb.String())
	return mustHex(t, strings.TrimPrefix(r, "HEX "))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// overrideMeta replaces some string keys of a GGUF's metadata.
type overrideMeta struct {
	*gguf.File
	str map[string]string
}

func (m overrideMeta) String(k string) (string, bool) {
	if s, ok := m.str[k]; ok {
		return s, true
	}
	return m.File.String(k)
}

func loadWithPre(t *testing.T, path, pre string) *Tokenizer {
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := VocabFromGGUF(overrideMeta{f, map[string]string{"tokenizer.ggml.pre": pre}})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// alphabet is what generated strings are made of: every class the
// splitters distinguish, in several scripts, plus the troublemakers.
var alphabet = []string{
	"a", "b", "e", "s", "t", "d", "m", "l", "r", "v", "A", "S", "T", "D", "M", "L", "R", "E", "V", "Z",
	"0", "1", "7", "9", " ", " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1f", "\x00", "\x7f",
	"'", "'", "'s", "'S", "'ll", "'LL", "'re", "'Ve", "'d", "'m", "'t", "!", "?", ".", ",", ";", ":", "-", "_", "(", ")",
	"[", "]", "{", "}", "<", ">", "=", "+", "$", "^", "~", "|", "`", "\\", "/", "\"", "#", "%", "&", "*", "@",
	"é", "ß", "Ж", "ж", "Ω", "ω", "ǅ", "ʰ", "ﬁ", "İ", "ı", "ǈ", "Ⅻ", "²", "½", "٣", "१", "〇", "①",
	"\u0301", "\u0903", "\u20dd", "€", "©", "™", "∑", "→", "¬", "´", "˜", "«", "»", "¡", "¿", "、", "。", "，", "！", "：", "‘", "“", "…",
	"中", "文", "字", "龥", "ぁ", "あ", "カ", "ー", "한", "국", "ㄱ", "ע", "ب", "ก", "ำ", "ᄀ", "ꙁ", "ｘ", "Ｘ",
	"\u00a0", "\u0085", "\u1680", "\u2000", "\u2003", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
	"\u200b", "\u200d", "\ufeff", "\u180e", "\ue000", "\U000f0000", "\u0378", "\U0002ebf0", "\u2ffc", "\u31ef", "\ufffd",
	"😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "𝕏", "𐐀", "𞤀",
	"\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf0\x9f\x98", "\x80", "\xc0\x80", "\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf",
	"\u2581", "Ġ", "Ċ", "▁▁",
	"<s>", "</s>", "<unk>", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>",
	"<|start_header_id|>", "<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>", "<pad>", "<mask>", "<|im_start|",
	"http://", "www", "the", "The", "ing", " the", " of", "and", "hello", "world", "123", "2024", "3.14",
}

func randomText(r *rand.Rand) string {
	n := 1 + r.IntN(12)
	if r.IntN(10) == 0 {
		n = 1 + r.IntN(60)
	}
	var sb strings.Builder
	for range n {
		sb.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return sb.String()
}

// compareOracle checks n random strings plus the golden inputs.
func compareOracle(t *testing.T, o *oracle, tk *Tokenizer, n int, seed uint64) {
	defer func(old int) { bpeChunk = old }(bpeChunk)
	bpeChunk = 5 // cut after every newline we can, to check the cuts too
	r := rand.New(rand.NewPCG(seed, 1))
	var inputs []string
	for _, g := range goldenVocabs {
		for _, c := range readGolden(t, g.name) {
			if c.AddSpecial {
				inputs = append(inputs, c.input(t))
			}
		}
		break
	}
	for range n {
		inputs = append(inputs, randomText(r))
	}
	fails := 0
	for _, s := range inputs {
		for _, mode := range [][2]bool{{true, true}, {false, false}, {false, true}, {true, false}} {
			want, ok := o.encode(t, s, mode[0], mode[1])
			if !ok {
				continue // llama.cpp threw (a code point above U+10FFFF)
			}
			got := tk.Encode(s, mode[0], mode[1])
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("%q add=%v parse=%v:\n got %v\nwant %v", s, mode[0], mode[1], got, want)
				if fails++; fails > 20 {
					t.Fatal("too many failures")
				}
				continue
			}
			for _, d := range [][2]bool{{mode[0], mode[1]}, {false, true}, {true, false}} {
				if g, w := tk.Decode(want, d[0], d[1]), o.decode(t, want, d[0], d[1]); g != w {
					t.Errorf("%q decode(remove=%v unparse=%v) of %v:\n got %q\nwant %q", s, d[0], d[1], want, g, w)
					if fails++; fails > 20 {
						t.Fatal("too many failures")
					}
				}
			}
		}
	}
}

func oracleCount() int {
	if n, err := strconv.Atoi(os.Getenv("KILN_ORACLE_N")); err == nil {
		return n
	}
	return 3000
}

func TestOracleBPE(t *testing.T) {
	o := startOracle(t)
	path := golden.Gunzip(t, "tokenizer", "llama3-bpe.vocab.gguf.gz")
	pres := []string{"default", "gpt-2", "llama-bpe", "qwen2", "smollm", "deepseek-llm", "deepseek-v3", "tekken",
		"olmo", "starcoder", "refact", "gpt-4o", "dbrx", "chatglm-bpe", "stablelm2", "command-r", "trillion"}
	for i, pre := range pres {
		t.Run(pre, func(t *testing.T) {
			o.load(t, path, "tokenizer.ggml.pre=s:"+pre)
			compareOracle(t, o, loadWithPre(t, path, pre), oracleCount(), uint64(i))
		})
	}
}

func TestOracleSPM(t *testing.T) {
	o := startOracle(t)
	for i, name := range []string{"llama-2-tiny-random", "gemma2-spm", "tiny-llama-spm"} {
		t.Run(name, func(t *testing.T) {
			var path string
			for _, g := range goldenVocabs {
				if g.name == name {
					if g.gz {
						path = golden.Gunzip(t, g.path...)
					} else {
						path = golden.Path(t, g.path...)
					}
				}
			}
			o.load(t, path)
			compareOracle(t, o, loadGolden(t, name), oracleCount(), uint64(100+i))
		})
	}
}

func (o *oracle) ints(t *testing.T, cmd, prefix string) []int {
	r := o.call(t, cmd)
	if !strings.HasPrefix(r, prefix) {
		t.Fatalf("oracle %s: %.200s", cmd, r)
	}
	var out []int
	for _, f := range strings.Fields(strings.TrimPrefix(r, prefix)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// TestOracleInfo compares special ids, flags, the end-of-generation set and
// every token's attributes.
func TestOracleInfo(t *testing.T) {
	o := startOracle(t)
	type vocab struct {
		name string
		tk   func(t *testing.T) *Tokenizer
		path func(t *testing.T) string
		ov   []string
	}
	var vs []vocab
	for _, g := range goldenVocabs {
		g := g
		vs = append(vs, vocab{g.name, func(t *testing.T) *Tokenizer { return loadGolden(t, g.name) }, func(t *testing.T) string {
			if g.gz {
				return golden.Gunzip(t, g.path...)
			}
			return golden.Path(t, g.path...)
		}, nil})
	}
	for _, pre := range []string{"tekken", "chatglm-bpe", "gpt-4o"} {
		pre := pre
		p := func(t *testing.T) string { return golden.Gunzip(t, "tokenizer", "llama3-bpe.vocab.gguf.gz") }
		vs = append(vs, vocab{"llama3-" + pre, func(t *testing.T) *Tokenizer { return loadWithPre(t, p(t), pre) }, p,
			[]string{"tokenizer.ggml.pre=s:" + pre}})
	}
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			tk := v.tk(t)
			o.load(t, v.path(t), v.ov...)
			info := o.ints(t, "info", "INFO")
			got := []int{int(tk.BOS()), int(tk.EOS()), int(tk.EOT()), int(tk.EOM()), int(tk.UNK()), int(tk.PAD()), int(tk.NL()),
				b2i(tk.AddBOS()), b2i(tk.AddEOS()), b2i(tk.addSpacePrefix)}
			if !slices.Equal(got, info) {
				t.Errorf("bos eos eot eom unk pad nl addbos addeos addspace:\n got %v\nwant %v", got, info)
			}
			var eog []int
			for _, id := range tk.EOG() {
				eog = append(eog, int(id))
			}
			if want := o.ints(t, "eog", "EOG"); !slices.Equal(eog, want) {
				t.Errorf("EOG: got %v, want %v", eog, want)
			}
			attrs := o.ints(t, "attr", "ATTR")
			n := 0
			for id, a := range attrs {
				if int(tk.attrs[id]) != a {
					t.Errorf("token %d %q: attrs %#x, want %#x", id, tk.tokens[id], tk.attrs[id], a)
					if n++; n > 10 {
						break
					}
				}
			}
		})
	}
}

// TestOracleLong compares long inputs: all of tolstoy-val.txt, long random
// strings, and random bytes, on every vocabulary.
func TestOracleLong(t *testing.T) {
	o := startOracle(t)
	val := tolstoy(t, 1)
	r := rand.New(rand.NewPCG(7, 7))
	inputs := []string{val}
	for range 20 {
		var sb strings.Builder
		for range 2000 {
			// Code points above U+10FFFF make llama.cpp's BPE throw.
			if a := alphabet[r.IntN(len(alphabet))]; len(a) < 2 || a[0] < 0xF4 || a[1] < 0x90 {
				sb.WriteString(a)
			}
		}
		inputs = append(inputs, sb.String())
		b := make([]byte, 1+r.IntN(300))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		inputs = append(inputs, string(b))
	}
	check := func(t *testing.T, tk *Tokenizer) {
		defer func(old int) { bpeChunk = old }(bpeChunk)
		bpeChunk = 100
		compared, threw := 0, 0
		defer func() { t.Logf("%d compared, %d made llama.cpp throw", compared, threw) }()
		for _, s := range inputs {
			for _, mode := range [][2]bool{{true, true}, {false, false}} {
				want, ok := o.encode(t, s, mode[0], mode[1])
				if !ok {
					threw++
					continue
				}
				compared++
				if got := tk.Encode(s, mode[0], mode[1]); !slices.Equal(got, want) {
					i := 0
					for i < len(got) && i < len(want) && got[i] == want[i] {
						i++
					}
					t.Errorf("input of %d bytes: ids differ from position %d of %d/%d", len(s), i, len(got), len(want))
				}
			}
		}
	}
	for _, name := range []string{"llama-2-tiny-random", "gemma2-spm", "tiny-llama-spm", "tiny-qwen-bpe"} {
		t.Run(name, func(t *testing.T) {
			var path string
			for _, g := range goldenVocabs {
				if g.name == name {
					if g.gz {
						path = golden.Gunzip(t, g.path...)
					} else {
						path = golden.Path(t, g.path...)
					}
				}
			}
			o.load(t, path)
			check(t, loadGolden(t, name))
		})
	}
	path := golden.Gunzip(t, "tokenizer", "llama3-bpe.vocab.gguf.gz")
	for _, pre := range []string{"default", "gpt-2", "llama-bpe", "qwen2", "smollm", "deepseek-llm", "deepseek-v3", "tekken", "gpt-4o"} {
		t.Run(pre, func(t *testing.T) {
			o.load(t, path, "tokenizer.ggml.pre=s:"+pre)
			check(t, loadWithPre(t, path, pre))
		})
	}
}

// TestOracleWriteExtra writes testdata/extra.golden.jsonl from llama.cpp
// when KILN_WRITE_EXTRA=1.
func TestOracleWriteExtra(t *testing.T) {
	if os.Getenv("KILN_WRITE_EXTRA") != "1" {
		t.Skip("set KILN_WRITE_EXTRA=1 to rewrite testdata/extra.golden.jsonl")
	}
	o := startOracle(t)
	var sb strings.Builder
	for _, c := range extraConfigs() {
		var path string
		for _, g := range goldenVocabs {
			if g.name == c.Vocab {
				if g.gz {
					path = golden.Gunzip(t, g.path...)
				} else {
					path = golden.Path(t, g.path...)
				}
			}
		}
		if c.Pre != "" {
			o.load(t, path, "tokenizer.ggml.pre=s:"+c.Pre)
		} else {
			o.load(t, path)
		}
		for _, s := range trickyInputs {
			for _, mode := range [][2]bool{{true, true}, {false, false}} {
				ids, ok := o.encode(t, s, mode[0], mode[1])
				if !ok {
					t.Fatalf("%s/%s: llama.cpp threw on %q", c.Vocab, c.Pre, s)
				}
				rec := extraCase{
					extraConfig: c, AddSpecial: mode[0], ParseSpecial: mode[1], IDs: ids,
					Detok:    o.decode(t, ids, mode[0], mode[1]),
					DetokRaw: o.decode(t, ids, false, true),
				}
				rec.setText(s)
				b, err := json.Marshal(rec.encode())
				if err != nil {
					t.Fatal(err)
				}
				sb.Write(b)
				sb.WriteByte('\n')
			}
		}
	}
	if err := os.WriteFile("testdata/extra.golden.jsonl", []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeVocab writes a vocabulary-only GGUF with the given keys.
func writeVocab(t *testing.T, kv [][2]any) string {
	b := gguf.NewBuilder()
	if err := b.Set("general.architecture", "llama"); err != nil {
		t.Fatal(err)
	}
	for _, x := range kv {
		if err := b.Set(x[0].(string), x[1]); err != nil {
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("%s/vocab-%d.gguf", t.TempDir(), len(kv))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func openVocab(t *testing.T, path string) *Tokenizer {
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tk, err := FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// compareSynthetic compares encode/decode on random strings over pieces.
func compareSynthetic(t *testing.T, o *oracle, path string, pieces []string, n int, seed uint64) {
	tk := openVocab(t, path)
	o.load(t, path)
	info := o.ints(t, "info", "INFO")
	got := []int{int(tk.BOS()), int(tk.EOS()), int(tk.EOT()), int(tk.EOM()), int(tk.UNK()), int(tk.PAD()), int(tk.NL()),
		b2i(tk.AddBOS()), b2i(tk.AddEOS()), b2i(tk.addSpacePrefix)}
	if !slices.Equal(got, info) {
		t.Errorf("bos eos eot eom unk pad nl addbos addeos addspace:\n got %v\nwant %v", got, info)
	}
	var eog []int
	for _, id := range tk.EOG() {
		eog = append(eog, int(id))
	}
	if want := o.ints(t, "eog", "EOG"); !slices.Equal(eog, want) {
		t.Errorf("EOG: got %v, want %v", eog, want)
	}
	attrs := o.ints(t, "attr", "ATTR")
	for id, a := range attrs {
		if int(tk.attrs[id]) != a {
			t.Errorf("token %d %q: attrs %#x, want %#x", id, tk.tokens[id], tk.attrs[id], a)
		}
	}
	r := rand.New(rand.NewPCG(seed, 3))
	fails, threw := 0, 0
	for range n {
		var sb strings.Builder
		for range 1 + r.IntN(16) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := sb.String()
		for _, mode := range [][2]bool{{true, true}, {false, false}} {
			want, ok := o.encode(t, s, mode[0], mode[1])
			if !ok {
				threw++
				continue
			}
			if got := tk.Encode(s, mode[0], mode[1]); !slices.Equal(got, want) {
				t.Errorf("%q add=%v parse=%v:\n got %v\nwant %v", s, mode[0], mode[1], got, want)
				fails++
			}
			for _, d := range [][2]bool{{true, false}, {false, true}} {
				if g, w := tk.Decode(want, d[0], d[1]), o.decode(t, want, d[0], d[1]); g != w {
					t.Errorf("%q decode(%v,%v) of %v:\n got %q\nwant %q", s, d[0], d[1], want, g, w)
					fails++
				}
			}
			if fails > 20 {
				t.Fatal("too many failures")
			}
		}
	}
	t.Logf("%d strings, %d made llama.cpp throw", n, threw)
}

// TestOracleSyntheticBPE covers vocabulary oddities: bytes without a token,
// merges whose parts are not tokens, duplicate and malformed merges, every
// token type, an empty token, control-looking tokens typed normal, and a
// normal token outside the byte-level alphabet.
func TestOracleSyntheticBPE(t *testing.T) {
	o := startOracle(t)
	tokens := []string{"a", "b", "c", "d", "e", "Ġ", "Ċ", "!", "ab", "abc", "bc", "cd", "Ġa", "Ġab", "abcd", "de", "",
		"<|im_end|>", "<|endoftext|>", "<|eom_id|>", "<|channel|>", "<|x|>", "hé llo", "dd", "ee", "eee", "ĠĠ", "<0x41>", "ÃŃ", "Ã", "Ń", "ÃŃa"}
	types := []int32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 1, 1, 1, 5, 1,
		1, 3, 1, 3, 3, 1, 0, 7, 1, 1, 6, 1, 1, 1, 1}
	merges := []string{"a b", "b c", "a bc", "Ġ a", "Ġa b", "ab c", "x y", "xy z", "a b", "abc d", "d e", "dd", " d d", "d d",
		"e e", "ee e", "Ġ Ġ", "Ã Ń", "ÃŃ a", "c d", "e d"}
	pieces := []string{"a", "b", "c", "d", "e", " ", "\n", "!", "ab", "abc", "cd", "de", "xyz", "í", "ía", "é", "<|im_end|>",
		"<|x|>", "<|channel|>", "hé llo", "  ", "A", "1", "'s", "\xff"}
	for _, pre := range []string{"default", "llama-bpe", "qwen2", "gpt-4o", "deepseek-v3"} {
		t.Run(pre, func(t *testing.T) {
			path := writeVocab(t, [][2]any{
				{"tokenizer.ggml.model", "gpt2"}, {"tokenizer.ggml.pre", pre}, {"tokenizer.ggml.tokens", tokens},
				{"tokenizer.ggml.token_type", types}, {"tokenizer.ggml.merges", merges},
				{"tokenizer.ggml.bos_token_id", uint32(21)}, {"tokenizer.ggml.eos_token_id", uint32(18)},
				{"tokenizer.ggml.padding_token_id", uint32(99)},
			})
			compareSynthetic(t, o, path, pieces, 1500, 1)
		})
	}
}

// TestOracleSyntheticSPM covers SentencePiece oddities: missing byte tokens,
// tied scores, tokens with "▁" inside (which limit where encodeSPM may cut),
// many user-defined tokens of equal length that overlap (their order is
// std::sort's), Phi-3's rstrip, add_eos and no space prefix.
func TestOracleSyntheticSPM(t *testing.T) {
	o := startOracle(t)
	tokens := []string{"<unk>", "<s>", "</s>", "▁", "a", "b", "c", "▁a", "▁b", "ab", "▁ab",
		"a▁", "a▁b", "▁▁", "▁▁▁", "bc", "abc", "▁abc", "c▁a", "x", "y", "z", "w", "é", "<|end|>", "<|user|>", "<|endoftext|>", "\t"}
	types := make([]int32, len(tokens))
	scores := make([]float32, len(tokens))
	r := rand.New(rand.NewPCG(5, 5))
	for i := range tokens {
		types[i] = 1
		scores[i] = float32(r.IntN(4)) // many ties
	}
	types[0], types[1], types[2] = 2, 3, 3
	types[24], types[25], types[26] = 3, 4, 3
	// Byte tokens, except for tab (which has a one-character token instead).
	for b := range 256 {
		if b != '\t' {
			tokens = append(tokens, fmt.Sprintf("<0x%02X>", b))
			types = append(types, 6)
			scores = append(scores, 0)
		}
	}
	// 20 user-defined two-letter tokens over x y z w: equal length, overlapping.
	for _, a := range "xyzw" {
		for _, b := range "xyzw" {
			if a != b || a == 'x' {
				tokens = append(tokens, string(a)+string(b))
				types = append(types, 4)
				scores = append(scores, 0)
			}
		}
	}
	tokens = append(tokens, "xyz", "zyx", "wxy")
	types = append(types, 4, 4, 4)
	scores = append(scores, 0, 0, 0)
	pieces := []string{"a", "b", "c", " ", "  ", "\n", "A", "é", "ü", "x", "y", "z", "w", "ab", "abc", "<|end|>", "<|user|>", "<s>", "</s>", "\xff", "\t"}
	for i, extra := range [][][2]any{
		nil,
		{{"tokenizer.ggml.add_space_prefix", false}, {"tokenizer.ggml.add_eos_token", true}},
		{{"general.name", "Phi-3-mini"}},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			kv := [][2]any{{"tokenizer.ggml.model", "llama"}, {"tokenizer.ggml.tokens", tokens},
				{"tokenizer.ggml.token_type", types}, {"tokenizer.ggml.scores", scores}}
			path := writeVocab(t, append(kv, extra...))
			compareSynthetic(t, o, path, pieces, 2000, uint64(i))
		})
	}
}

// TestOracleFuzzCorpus compares the fuzz corpus (testdata/fuzz/FuzzRoundTrip,
// or the directory in KILN_FUZZ_CORPUS, such as the fuzz cache) with
// llama.cpp on every configuration of the extra goldens: the fuzzer only
// checks round trips, this checks the ids.
func TestOracleFuzzCorpus(t *testing.T) {
	o := startOracle(t)
	dir := os.Getenv("KILN_FUZZ_CORPUS")
	if dir == "" {
		dir = "testdata/fuzz/FuzzRoundTrip"
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Skip(err)
	}
	var inputs []string
	for _, e := range ents {
		b, err := os.ReadFile(dir + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		_, lit, _ := strings.Cut(string(b), "\n")
		lit = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lit), "string("), ")")
		s, err := strconv.Unquote(lit)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		inputs = append(inputs, s)
	}
	t.Logf("%d inputs", len(inputs))
	for _, c := range extraConfigs() {
		t.Run(c.Vocab+"/"+c.Pre, func(t *testing.T) {
			var path string
			var tk *Tokenizer
			for _, g := range goldenVocabs {
				if g.name == c.Vocab {
					if g.gz {
						path = golden.Gunzip(t, g.path...)
					} else {
						path = golden.Path(t, g.path...)
					}
				}
			}
			if c.Pre != "" {
				o.load(t, path, "tokenizer.ggml.pre=s:"+c.Pre)
				tk = loadWithPre(t, path, c.Pre)
			} else {
				o.load(t, path)
				tk = loadGolden(t, c.Vocab)
			}
			for _, s := range inputs {
				for _, mode := range [][2]bool{{true, true}, {false, false}} {
					want, ok := o.encode(t, s, mode[0], mode[1])
					if !ok {
						continue
					}
					if got := tk.Encode(s, mode[0], mode[1]); !slices.Equal(got, want) {
						t.Errorf("%q add=%v parse=%v:\n got %v\nwant %v", s, mode[0], mode[1], got, want)
					}
				}
			}
		})
	}
}
