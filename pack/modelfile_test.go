package pack

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestParseModelfile(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Modelfile
	}{
		{
			name: "minimal",
			in:   "FROM ./model.gguf",
			want: Modelfile{From: "./model.gguf"},
		},
		{
			name: "typical",
			in: `# Modelfile for a chat model
FROM ./qwen2.5-0.5b-instruct-q4_k_m.gguf
TEMPLATE """{{ if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}<|im_start|>assistant
"""
SYSTEM You are a helpful assistant.
PARAMETER temperature 0.7
PARAMETER stop "<|im_start|>"
PARAMETER stop "<|im_end|>"
PARAMETER num_ctx 4096
PARAMETER use_mmap false
MESSAGE user Is the sky blue?
MESSAGE assistant "Yes."
LICENSE """Apache 2.0
text"""
LICENSE MIT
REQUIRES 0.14.0
`,
			want: Modelfile{
				From:     "./qwen2.5-0.5b-instruct-q4_k_m.gguf",
				Template: "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}<|im_start|>assistant\n",
				System:   "You are a helpful assistant.",
				Params: []Param{
					{"num_ctx", int64(4096)},
					{"use_mmap", false},
					{"temperature", float32(0.7)},
					{"stop", []string{"<|im_start|>", "<|im_end|>"}},
				},
				Messages: []Message{{"user", "Is the sky blue?"}, {"assistant", "Yes."}},
				Licenses: []string{"Apache 2.0\ntext", "MIT"},
				Requires: "0.14.0",
			},
		},
		{
			name: "case, blanks, CRLF and comments",
			in:   "\ufeff  # comment\r\nfrom\tmodel.gguf  \r\n\r\n   system   \"  padded  \"\r\nParameter  TOP_K   40\r\n# FROM other\r\nadapter ./lora.gguf\r\n",
			want: Modelfile{From: "model.gguf", System: "  padded  ", Adapters: []string{"./lora.gguf"},
				Params: []Param{{"top_k", int64(40)}}},
		},
		{
			name: "hash inside a value is text",
			in:   "FROM m.gguf\nSYSTEM be #1\n",
			want: Modelfile{From: "m.gguf", System: "be #1"},
		},
		{
			name: "quotes inside",
			in:   "FROM m\nSYSTEM say \"hi\" twice\nTEMPLATE \"\"\"a \"quoted\" \"\"word\"\"\"\"\"\nPARAMETER stop \"\"\n",
			want: Modelfile{From: "m", System: `say "hi" twice`, Template: `a "quoted" ""word""`,
				Params: []Param{{"stop", []string{""}}}},
		},
		{
			name: "no escapes, as in Ollama",
			in:   `FROM m` + "\n" + `SYSTEM "a\nb\"c"`,
			want: Modelfile{From: "m", System: `a\nb\"c`},
		},
		{
			name: "double-quoted multi-line",
			in:   "FROM m\nSYSTEM \"line one\n  line two\n\"\nPARAMETER seed 1\n",
			want: Modelfile{From: "m", System: "line one\n  line two\n", Params: []Param{{"seed", int64(1)}}},
		},
		{
			name: "triple quotes close only at a line end",
			in:   "FROM m\nTEMPLATE \"\"\"x\"\"\" y\nz\"\"\"\n",
			want: Modelfile{From: "m", Template: "x\"\"\" y\nz"},
		},
		{
			name: "empty values",
			in:   "FROM m\nSYSTEM \"\"\nTEMPLATE \"\"\"\"\"\"\nLICENSE \"\"\n",
			want: Modelfile{From: "m", Licenses: []string{""}},
		},
		{
			name: "repeated settings: last wins, lists append",
			in:   "FROM m\nPARAMETER temperature 1\nPARAMETER stop a\nSYSTEM one\nPARAMETER temperature 0.5\nSYSTEM two\nPARAMETER stop b\n",
			want: Modelfile{From: "m", System: "two", Params: []Param{{"temperature", float32(0.5)}, {"stop", []string{"a", "b"}}}},
		},
		{
			name: "all value types and deprecated names",
			in: "FROM m\nPARAMETER mirostat 2\nPARAMETER mirostat_tau 5.0\nPARAMETER penalize_newline true\nPARAMETER tfs_z 1\n" +
				"PARAMETER numa 0\nPARAMETER num_gqa 8\nPARAMETER min_p 0.05\nPARAMETER seed -1\nPARAMETER repeat_penalty \"1.1\"\nPARAMETER use_mmap T\n",
			want: Modelfile{From: "m", Params: []Param{
				{"use_mmap", true}, {"seed", int64(-1)}, {"min_p", float32(0.05)}, {"repeat_penalty", float32(1.1)},
				{"penalize_newline", true}, {"mirostat", int64(2)}, {"mirostat_tau", float32(5)},
				{"tfs_z", float32(1)}, {"numa", false}, {"num_gqa", int64(8)},
			}},
		},
		{
			name: "renderer, parser, requires with v",
			in:   "FROM m\nRENDERER qwen3\nPARSER qwen3\nREQUIRES v0.12.1-rc2+b7\n",
			want: Modelfile{From: "m", Renderer: "qwen3", Parser: "qwen3", Requires: "0.12.1-rc2+b7"},
		},
		{
			name: "UTF-16 with BOM",
			in:   utf16le("FROM m\nSYSTEM héllo 世界\n"),
			want: Modelfile{From: "m", System: "héllo 世界"},
		},
		{
			name: "value at EOF without newline, trailing blanks trimmed",
			in:   "FROM m\nSYSTEM \"\"\"a\nb\"\"\"   ",
			want: Modelfile{From: "m", System: "a\nb"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseModelfile(strings.NewReader(tc.in))
			if err != nil {
				t.Fatalf("ParseModelfile: %v", err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("got  %#v\nwant %#v", *got, tc.want)
			}
			roundTrip(t, got)
		})
	}
}

func utf16le(s string) string {
	b := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

// roundTrip checks that String reads back as the same Modelfile and that it
// is a fixed point.
func roundTrip(t *testing.T, m *Modelfile) {
	t.Helper()
	text := m.String()
	back, err := ParseModelfile(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse of String():\n%s\nerror: %v", text, err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatalf("round trip differs:\n%s\ngot  %#v\nwant %#v", text, *back, *m)
	}
	if again := back.String(); again != text {
		t.Fatalf("String is not stable:\n%q\n%q", text, again)
	}
}

func TestParseModelfileErrors(t *testing.T) {
	garbage := randBytes(7, 10<<20)
	for _, tc := range []struct {
		name string
		in   string
		line int
		want string
	}{
		{"empty file", "", 0, "no FROM line"},
		{"only comments", "# nothing\n\n  # here\n", 0, "no FROM line"},
		{"no FROM", "SYSTEM hi\n", 0, "no FROM line"},
		{"two FROMs", "FROM a\n\nFROM b\n", 3, "second FROM (the first is on line 1)"},
		{"empty FROM", "FROM \"\"\n", 1, "FROM has an empty value"},
		{"FROM without value", "FROM\nSYSTEM x\n", 1, "FROM has no value"},
		{"command at EOF", "FROM m\nSYSTEM", 2, "SYSTEM has no value"},
		{"unknown command", "FROM m\nFOO bar\n", 2, `unknown command "FOO"`},
		{"digit in command", "FROM m\nFR0M x\n", 2, `unknown command "FR0M"`},
		{"stray quote", "FROM m\n\"x\n", 2, `unknown command "\"x"`},
		{"unknown parameter", "FROM m\nPARAMETER foo 1\n", 2, `unknown parameter "foo"`},
		{"parameter without value", "FROM m\nPARAMETER top_k\n", 2, "PARAMETER top_k has no value"},
		{"bad parameter name", "FROM m\nPARAMETER top-k 1\n", 2, `invalid parameter name "top-k"`},
		{"int of wrong type", "FROM m\n\nPARAMETER top_k abc\n", 3, `PARAMETER top_k: "abc" is not an integer`},
		{"int given a float", "FROM m\nPARAMETER num_ctx 4096.0\n", 2, "not an integer"},
		{"int overflow", "FROM m\nPARAMETER seed 99999999999999999999\n", 2, "not an integer"},
		{"float of wrong type", "FROM m\nPARAMETER temperature warm\n", 2, "not a finite number"},
		{"float NaN", "FROM m\nPARAMETER temperature NaN\n", 2, "not a finite number"},
		{"float overflow", "FROM m\nPARAMETER top_p 1e39\n", 2, "not a finite number"},
		{"bool of wrong type", "FROM m\nPARAMETER use_mmap yes\n", 2, "not a boolean"},
		{"message bad role", "FROM m\nMESSAGE tool hello\n", 2, `MESSAGE role "tool" is not system, user or assistant`},
		{"message without content", "FROM m\nMESSAGE user\n", 2, "MESSAGE user has no value"},
		{"message role with digit", "FROM m\nMESSAGE user1 x\n", 2, "invalid message role"},
		{"unterminated triple", "FROM m\nTEMPLATE \"\"\"{{ .Prompt }}\nmore\n", 2, `TEMPLATE: unterminated """ string`},
		{"unterminated double", "FROM m\nSYSTEM \"abc\n", 2, `SYSTEM: unterminated " string`},
		{"text after closing quotes", "FROM m\nSYSTEM \"a\" b\n", 2, "unterminated"},
		{"bad requires", "FROM m\nREQUIRES latest\n", 2, `REQUIRES "latest" is not a version`},
		{"requires leading zero", "FROM m\nREQUIRES 0.01.0\n", 2, "is not a version"},
		{"garbage", string(garbage), 1, "unknown command"},
		{"garbage after FROM", "FROM m\n" + string(garbage), 2, "unknown command"},
		// Quadratic rescanning of blank lines would take hours here.
		{"unterminated over blank lines", "FROM m\nSYSTEM \"" + strings.Repeat("\n  ", 2000000), 2, "unterminated"},
		{"unterminated 10 MB", "FROM m\nLICENSE \"\"\"" + strings.Repeat("license text\n", 800000), 2, "unterminated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseModelfile(strings.NewReader(tc.in))
			var pe *ParseError
			if err == nil || !errors.As(err, &pe) {
				t.Fatalf("ParseModelfile = %+v, %v; want a ParseError", m, err)
			}
			if pe.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q (line %d); want line %d and %q", err, pe.Line, tc.line, tc.want)
			}
		})
	}
}

func TestParseModelfileTooLarge(t *testing.T) {
	r := bytes.NewReader(make([]byte, MaxModelfileSize+10))
	if _, err := ParseModelfile(r); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("oversized Modelfile: %v", err)
	}
}

func TestParamTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range params {
		if seen[p.name] || p.name != strings.ToLower(p.name) {
			t.Errorf("parameter %q: duplicate or not lower case", p.name)
		}
		seen[p.name] = true
	}
	// The options of Ollama 0.17's api.Runner and api.Options, by JSON name.
	for _, name := range []string{"num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread",
		"num_keep", "seed", "num_predict", "top_k", "top_p", "min_p", "typical_p", "repeat_last_n",
		"temperature", "repeat_penalty", "presence_penalty", "frequency_penalty", "stop"} {
		if typ, dep, ok := ParamInfo(name); !ok || dep || typ == 0 {
			t.Errorf("ParamInfo(%q) = %v, %v, %v", name, typ, dep, ok)
		}
	}
	if _, dep, ok := ParamInfo("mirostat"); !ok || !dep {
		t.Error("mirostat should be known and deprecated")
	}
}

func TestModelfileStringQuoting(t *testing.T) {
	for _, v := range []string{"", " ", "a", " a", "a ", "\"a", "a\"", "a\nb", "a\n", "\n", "\t",
		`say "hi"`, "\"\"\"", "\"x\"\n", "a\"\"\"b", "\"\"", "#x", "\r", "a\r\nb\"", "x\"\"\"\"", "é\x00\x7f"} {
		m := &Modelfile{From: "m", System: v, Template: v, Licenses: []string{v},
			Messages: []Message{{"user", v}}, Params: []Param{{"stop", []string{v}}}}
		if v == "" {
			m.System, m.Template = "", "" // empty means unset
		}
		t.Run(strings.ReplaceAll(v, "\n", `\n`), func(t *testing.T) { roundTrip(t, m) })
	}
	if quotable("x\"\"\"\ny") {
		t.Error(`quotable accepts a value with """ before a line break`)
	}
}

// TestModelfileRoundTripRandom builds Modelfiles from random values and
// checks parse(String()) gives them back.
func TestModelfileRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "b", " ", "\t", "\n", "\r\n", "\"", "\"\"\"", "#", "é", "{{ .Prompt }}"}
	randValue := func() string {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := 0; i < 2000; i++ {
		m := &Modelfile{From: "x" + randValue(), System: randValue(), Template: randValue(),
			Messages: []Message{{"assistant", randValue()}}, Licenses: []string{randValue()}}
		m.setParam("stop", []string{randValue()})
		m.setParam("stop", []string{randValue()})
		m.setParam("temperature", float32(r.Float64()*2))
		values := []string{m.From, m.System, m.Template, m.Messages[0].Content, m.Licenses[0]}
		values = append(values, m.Params[1].Value.([]string)...)
		ok := true
		for _, v := range values {
			ok = ok && quotable(v)
		}
		if !ok {
			continue
		}
		roundTrip(t, m)
	}
}

func BenchmarkParseModelfile(b *testing.B) {
	src := strings.Repeat("# comment\nPARAMETER stop \"<|im_end|>\"\nTEMPLATE \"\"\"{{ .System }}\n{{ .Prompt }}\"\"\"\n", 1000) + "FROM m\n"
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseModelfile(strings.NewReader(src)); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseModelfile parses arbitrary text: an error or a Modelfile that
// String writes back to an equal one, never a panic.
func FuzzParseModelfile(f *testing.F) {
	for _, s := range []string{
		"FROM m\n",
		"FROM ./m.gguf\nTEMPLATE \"\"\"{{ .Prompt }}\n\"\"\"\nSYSTEM \"hi there\"\nPARAMETER stop \"<|im_end|>\"\nPARAMETER temperature 0.2\nMESSAGE user hello\nLICENSE MIT\nREQUIRES 0.1.2\n",
		"# c\r\nfrom m\r\nparameter use_mmap true\r\nadapter x\r\nrenderer r\r\nparser p\r\n",
		"FROM m\nSYSTEM \"a\"\"\"\nb\"\n",
		utf16le("FROM m\n"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseModelfile(strings.NewReader(s))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ParseError", err)
			}
			return
		}
		roundTrip(t, m)
	})
}
