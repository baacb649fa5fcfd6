package api

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/pack"
	"github.com/kiln-llm/kiln/templates"
)

func greedy(n int) *Options {
	o := DefaultOptions()
	o.Temperature, o.NumPredict = 0, n
	return &o
}

func collect(chunks *[]Chunk) func(Chunk) bool {
	return func(c Chunk) bool { *chunks = append(*chunks, c); return true }
}

// TestGoldenGreedyThroughModel runs llama.cpp's golden prompt through
// Generate (raw, greedy) and compares the generated ids with llama.cpp's,
// up to the first step whose top-two margin is within quantization noise.
func TestGoldenGreedyThroughModel(t *testing.T) {
	var g struct {
		PromptIDs   []int32 `json:"prompt_ids"`
		Greedy      []int32 `json:"greedy"`
		GreedySteps []struct {
			Margin float64 `json:"margin"`
		} `json:"greedy_steps"`
	}
	b, err := os.ReadFile(strings.TrimSuffix(llamaPath(t), ".gguf") + ".golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, llamaPath(t), 512, ModelConfig{Name: "llama-q8_0"})
	var chunks []Chunk
	res, err := m.Generate(context.Background(), GenerateRequest{
		Prompt: "The quick brown fox jumps over the lazy dog. Once upon a time", Raw: true, Options: greedy(32),
	}, collect(&chunks))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Context[:len(g.PromptIDs)], g.PromptIDs) {
		t.Fatalf("prompt ids %v, want llama.cpp's %v", res.Context[:len(g.PromptIDs)], g.PromptIDs)
	}
	n := 0
	for n < len(g.GreedySteps) && g.GreedySteps[n].Margin > 0.1 {
		n++
	}
	got := res.Context[len(g.PromptIDs):]
	if len(got) < n || !slices.Equal(got[:n], g.Greedy[:n]) {
		t.Fatalf("greedy ids %v, want llama.cpp's %v (first %d compared)", got, g.Greedy, n)
	}
	var text strings.Builder
	for _, c := range chunks {
		text.WriteString(c.Text)
	}
	if text.String() != res.Text || res.PromptTokens != len(g.PromptIDs) || res.CompletionTokens != len(got) {
		t.Errorf("streamed %q, result %q, %d prompt / %d completion tokens", text.String(), res.Text, res.PromptTokens, res.CompletionTokens)
	}
}

// chatmlModel is the qwen2 golden model with the chatml template bundled,
// a Modelfile SYSTEM and a MESSAGE history.
func chatmlModel(t *testing.T) *Model {
	chatml, _ := templates.Named("chatml")
	mf, err := pack.ParseModelfile(strings.NewReader("FROM x\nSYSTEM You are terse.\nMESSAGE user Hi\nMESSAGE assistant Hello.\n"))
	if err != nil {
		t.Fatal(err)
	}
	return newTestModel(t, qwenPath(t), 512, ModelConfig{Name: "qwen", Template: chatml.String(), Modelfile: mf})
}

// TestChatPromptOllamaRules checks the prompt against the templates
// package's rendering of Ollama's rule, and that the token count is that
// of the prompt text tokenized as Ollama's runner does.
func TestChatPromptOllamaRules(t *testing.T) {
	m := chatmlModel(t)
	tmpl, source := m.Template()
	if !slices.Equal(tmpl.Stop, []string{"<|im_start|>", "<|im_end|>"}) || !strings.Contains(source, "chatml") {
		t.Errorf("template %q stops %q: the built-in's stop strings should come with its text", source, tmpl.Stop)
	}
	user := []Message{{Role: "user", Content: "Capital of France?"}}
	for _, tc := range []struct {
		name string
		msgs []Message
		want []Message
	}{
		{"Modelfile SYSTEM first", user, append([]Message{msg("system", "You are terse."), msg("user", "Hi"), msg("assistant", "Hello.")}, user...)},
		// Ollama puts the history first and the request's own system after it.
		{"request's system replaces SYSTEM", append([]Message{msg("system", "Be verbose.")}, user...),
			append([]Message{msg("user", "Hi"), msg("assistant", "Hello."), msg("system", "Be verbose.")}, user...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := m.ChatPrompt(ChatRequest{Messages: tc.msgs})
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			if err := tmpl.Execute(&want, templates.Values{Messages: tc.want}); err != nil {
				t.Fatal(err)
			}
			if p.Text != want.String() {
				t.Fatalf("prompt\n%q\nwant\n%q", p.Text, want.String())
			}
			if ids := m.Tokenize(p.Text, true, true); !slices.Equal(ids, p.IDs) {
				t.Fatalf("ids %v, want %v", p.IDs, ids)
			}
			if !strings.HasSuffix(p.Text, "<|im_start|>assistant\n") || slices.Contains(p.IDs, -1) {
				t.Fatalf("prompt does not end where the reply starts: %q", p.Text)
			}
		})
	}
}

func TestGeneratePrompt(t *testing.T) {
	m := chatmlModel(t)
	for _, tc := range []struct {
		name string
		req  GenerateRequest
		want string
		err  string
	}{
		{"Modelfile SYSTEM and history", GenerateRequest{Prompt: "Q"},
			"<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n", ""},
		{"request system", GenerateRequest{Prompt: "Q", System: "S"},
			"<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n", ""},
		{"raw", GenerateRequest{Prompt: "just this", Raw: true}, "just this", ""},
		// A legacy template renders every exchange, the history's too.
		{"template override", GenerateRequest{Prompt: "hi", Template: "Q: {{ .Prompt }} A:{{ .Response }}"}, "Q: Hi A:Hello.Q: hi A:", ""},
		{"context drops the history", GenerateRequest{Prompt: "Q", Context: []int32{1022}},
			"<|im_start|><|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n", ""},
		{"raw with system", GenerateRequest{Prompt: "x", Raw: true, System: "s"}, "", "raw mode does not support template, system, or context"},
		{"suffix without .Suffix", GenerateRequest{Prompt: "x", Suffix: "y"}, "", "does not support insert"},
		{"bad template", GenerateRequest{Prompt: "x", Template: "{{ .Prompt "}, "", "template"},
		{"context out of range", GenerateRequest{Prompt: "x", Context: []int32{99999}}, "", "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := m.GeneratePrompt(tc.req)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || p.Text != tc.want {
				t.Fatalf("prompt %q err %v, want %q", p.Text, err, tc.want)
			}
		})
	}
}

func TestPromptTooLongAndTruncation(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	o := DefaultOptions()
	o.NumCtx = 40
	msgs := []Message{msg("system", "Natasha")}
	for i := range 12 {
		msgs = append(msgs, msg("user", "Prince Andrew said nothing."), msg("assistant", strings.Repeat("no ", i%3+1)))
	}
	msgs = append(msgs, msg("user", "Pierre"))
	_, err := m.ChatPrompt(ChatRequest{Messages: msgs, Options: &o})
	var tooLong *PromptTooLongError
	if !errors.As(err, &tooLong) || tooLong.Context != 40 || tooLong.Tokens <= 40 {
		t.Fatalf("err = %v, want a PromptTooLongError with both numbers", err)
	}
	if !strings.Contains(err.Error(), "40") || !strings.Contains(err.Error(), "truncate") {
		t.Errorf("message %q should give the context and say how to truncate", err)
	}
	p, err := m.ChatPrompt(ChatRequest{Messages: msgs, Options: &o, Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.IDs) >= 40 || p.Truncated.Messages == 0 || p.Truncated.Tokens != tooLong.Tokens-len(p.IDs) {
		t.Fatalf("truncated to %d ids, report %+v (full prompt %d)", len(p.IDs), p.Truncated, tooLong.Tokens)
	}
	// The raw template renders only user messages; the last one survives.
	if !strings.HasSuffix(p.Text, "Pierre") {
		t.Errorf("truncated prompt %q lost the last message", p.Text)
	}
	// A last message that alone is too long cannot be truncated.
	_, err = m.ChatPrompt(ChatRequest{Messages: []Message{msg("user", strings.Repeat("Moscow ", 60))}, Options: &o, Truncate: true})
	if !errors.As(err, &tooLong) {
		t.Fatalf("err = %v, want PromptTooLongError", err)
	}
	if _, err := m.ChatPrompt(ChatRequest{}); err == nil || !strings.Contains(err.Error(), "messages is empty") {
		t.Errorf("empty chat: err = %v", err)
	}
}

// TestStopAcrossTokens stops on a string that spans several tokens of a
// known greedy continuation: the reply ends before it and no chunk ever
// carried any of it.
func TestStopAcrossTokens(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	var base []Chunk
	full, err := m.Generate(context.Background(), GenerateRequest{Prompt: "Prince Andrew", Raw: true, Options: greedy(20), Logprobs: true}, collect(&base))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(full.Text, " in the same way") {
		t.Fatalf("greedy text changed: %q", full.Text)
	}
	n := 0
	for _, c := range base {
		n += len(c.Logprobs)
	}
	if n != full.CompletionTokens {
		t.Errorf("%d logprobs for %d tokens", n, full.CompletionTokens)
	}
	o := greedy(20)
	o.Stop = []string{"n the sa"}
	var chunks []Chunk
	res, err := m.Generate(context.Background(), GenerateRequest{Prompt: "Prince Andrew", Raw: true, Options: o, Logprobs: true}, collect(&chunks))
	if err != nil {
		t.Fatal(err)
	}
	want := full.Text[:strings.Index(full.Text, "n the sa")]
	var text strings.Builder
	var lpText strings.Builder
	for _, c := range chunks {
		text.WriteString(c.Text)
		for _, lp := range c.Logprobs {
			lpText.WriteString(lp.Token)
		}
	}
	if res.Text != want || text.String() != want || res.FinishReason != "stop" {
		t.Fatalf("got %q (streamed %q, %s), want %q", res.Text, text.String(), res.FinishReason, want)
	}
	if !strings.HasPrefix(want, lpText.String()) {
		t.Errorf("logprob tokens %q are not a prefix of the text %q", lpText.String(), want)
	}
}

func TestNumCtxAndCancel(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	o := greedy(-1)
	o.NumCtx = 10
	res, err := m.Generate(context.Background(), GenerateRequest{Prompt: "Prince Andrew", Raw: true, Options: o}, func(Chunk) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if res.PromptTokens+res.CompletionTokens != 10 || res.FinishReason != "length" {
		t.Fatalf("%d+%d tokens (%s), want the 10 of num_ctx and \"length\"", res.PromptTokens, res.CompletionTokens, res.FinishReason)
	}
	calls := 0
	res, err = m.Generate(context.Background(), GenerateRequest{Prompt: "Prince Andrew", Raw: true, Options: greedy(50)}, func(Chunk) bool { calls++; return calls < 3 })
	if err != nil || res.FinishReason != "cancel" || calls != 3 {
		t.Fatalf("emit stop: %v, reason %q after %d calls", err, res.FinishReason, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Generate(ctx, GenerateRequest{Prompt: "Prince", Raw: true, Options: greedy(50)}, func(Chunk) bool { return true }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err = %v", err)
	}
}

func TestEmbed(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	res, err := m.Embed(context.Background(), []string{"Natasha danced.", "Natasha danced.", "War."}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Embeddings) != 3 || !slices.Equal(res.Embeddings[0], res.Embeddings[1]) || slices.Equal(res.Embeddings[0], res.Embeddings[2]) {
		t.Fatalf("embeddings not deterministic or not distinct")
	}
	var norm float64
	for _, v := range res.Embeddings[0] {
		norm += float64(v) * float64(v)
	}
	if math.Abs(norm-1) > 1e-5 || res.PromptTokens == 0 {
		t.Fatalf("norm² %v, prompt tokens %d", norm, res.PromptTokens)
	}
	long := strings.Repeat("Moscow burned. ", 100)
	if _, err := m.Embed(context.Background(), []string{long}, false); err == nil || !strings.Contains(err.Error(), "context holds 256") {
		t.Fatalf("long input: err = %v", err)
	}
	if r, err := m.Embed(context.Background(), []string{long}, true); err != nil || r.PromptTokens != 256 {
		t.Fatalf("truncated long input: %v, %d tokens", err, r.PromptTokens)
	}
	if _, err := m.Embed(context.Background(), nil, false); err == nil {
		t.Fatal("no input: no error")
	}
}

func TestMatches(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{Name: "Tolstoy"})
	for name, want := range map[string]bool{"": true, "Tolstoy": true, "tolstoy:latest": true, "TOLSTOY": true, "tolstoy:7b": false, "llama3": false} {
		if m.Matches(name) != want {
			t.Errorf("Matches(%q) = %v", name, !want)
		}
	}
	if m.Name() != "Tolstoy:latest" {
		t.Errorf("Name() = %q", m.Name())
	}
}

func msg(role, content string) Message { return Message{Role: role, Content: content} }

func TestRequestTemplateBounds(t *testing.T) {
	for _, tc := range []struct {
		text string
		err  string
	}{
		{"Q: {{ .Prompt }}", ""},
		{"{{ range .Messages }}{{ .Content }}{{ end }}", ""},
		{"{{- range $i, $m := .Messages }}{{ $m.Content }}{{ end }}", ""},
		{"{{ range 1000000000 }}{{ end }}", "over a field"},
		{"{{ range $x := 5 }}{{ end }}", "over a field"},
		{"{{ range .Messages }}{{ range $.Messages }}{{ end }}{{ end }}", "at most one range"},
		{`{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}`, "define, block and template"},
		{strings.Repeat("x", 70<<10), "at most 65536"},
	} {
		err := checkRequestTemplate(tc.text)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("checkRequestTemplate(%.40q) = %v, want %q", tc.text, err, tc.err)
		}
	}
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	big := strings.Repeat("x", maxPromptBytes/2+1)
	_, err := m.ChatPrompt(ChatRequest{Messages: []Message{msg("user", big), msg("user", big)}})
	if err == nil || !strings.Contains(err.Error(), "rendered prompt is larger") {
		t.Fatalf("a prompt over %d bytes: err = %v", maxPromptBytes, err)
	}
}
