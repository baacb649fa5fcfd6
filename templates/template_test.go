package templates

import (
	"slices"
	"strings"
	"testing"
)

func TestNamed(t *testing.T) {
	tests := []struct {
		name, canonical string
		stop            []string
	}{
		{"llama3", "llama3", []string{"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}},
		{"llama3-instruct", "llama3", []string{"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}},
		{"llama2", "llama2", []string{"[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"}},
		{"llama2-chat", "llama2", []string{"[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"}},
		{"chatml", "chatml", []string{"<|im_start|>", "<|im_end|>"}},
		{"mistral-instruct", "mistral", []string{"<|im_start|>", "<|im_end|>"}},
		{"gemma", "gemma", []string{"<start_of_turn>", "<end_of_turn>"}},
		{"gemma-instruct", "gemma", []string{"<start_of_turn>", "<end_of_turn>"}},
		{"gemma3-instruct", "gemma3", []string{"<end_of_turn>"}},
		{"phi-3", "phi3", []string{"<|end|>", "<|system|>", "<|user|>", "<|assistant|>"}},
		{"raw", "raw", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, ok := Named(tt.name)
			if !ok {
				t.Fatalf("Named(%q) not found", tt.name)
			}
			if tmpl.Name != tt.canonical {
				t.Errorf("Name = %q, want %q", tmpl.Name, tt.canonical)
			}
			if !slices.Equal(tmpl.Stop, tt.stop) {
				t.Errorf("Stop = %q, want %q", tmpl.Stop, tt.stop)
			}
		})
	}
	for _, bad := range []string{"", "zephyr", "LLAMA3", "../llama3"} {
		if _, ok := Named(bad); ok {
			t.Errorf("Named(%q) found", bad)
		}
	}
	// Each call gives a Template of its own.
	a, _ := Named("chatml")
	a.Stop[0] = "changed"
	if b, _ := Named("chatml"); b.Stop[0] != "<|im_start|>" {
		t.Error("Named shares its Stop slice between calls")
	}
}

func TestNames(t *testing.T) {
	want := []string{"chatml", "gemma", "gemma3", "llama2", "llama3", "mistral", "phi3", "raw"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestString(t *testing.T) {
	raw, _ := Named("raw")
	// The appended {{ .Response }} is not part of the text reported.
	if got := raw.String(); got != "{{ .Prompt }}" {
		t.Errorf("raw.String() = %q", got)
	}
	chatml, _ := Named("chatml")
	want := "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n"
	if got := chatml.String(); got != want {
		t.Errorf("chatml.String() = %q, want %q", got, want)
	}
	if got := (*Template)(nil).String(); got != "" {
		t.Errorf("nil String() = %q", got)
	}
}

func TestVars(t *testing.T) {
	tests := []struct {
		template string
		want     []string
	}{
		{"{{ .Prompt }}", []string{"prompt"}},
		{"{{ if .System }}{{ .System }}{{ end }}{{ .Prompt }}{{ .Response }}", []string{"prompt", "response", "system"}},
		{"{{ range .Messages }}{{ .Role }}{{ end }}", []string{"messages", "role"}},
		// Declarations are not uses; function names are not identifiers.
		{"{{- range $i, $m := .Messages }}{{ $m.Content }}{{ end }}{{ if .Tools }}{{ json .Tools }}{{ end }}", []string{"$m", "content", "messages", "tools"}},
		{`{{ define "x" }}{{ .Suffix }}{{ end }}{{ template "x" . }}`, []string{"suffix"}},
	}
	for _, tt := range tests {
		tmpl, err := Parse("vars", tt.template)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.template, err)
		}
		if got := tmpl.Vars(); !slices.Equal(got, tt.want) {
			t.Errorf("Vars(%q) = %q, want %q", tt.template, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, template string
		want           []string // all must appear in the error
	}{
		{"unclosed action", "line one\n{{ .Prompt ", []string{"unclosed action:2: unclosed action"}},
		{"missing end", "{{ range .Messages }}\n{{ .Content }}\n", []string{"missing end:", "unexpected EOF"}},
		{"undefined function", "A\nB\n{{ shout .Prompt }}", []string{"undefined function:3", `function "shout" not defined`}},
		{"bad field syntax", "{{ .Prompt. }}", []string{"bad field syntax:1"}},
		{"template without argument", "{{ define \"x\" }}hi{{ end }}\n{{ template \"x\" }}", []string{"template without argument:2", `{{template "x"}} needs an argument`}},
		{"unexpected end", "{{ end }}", []string{"unexpected end:1", "unexpected {{end}}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.name, tt.template)
			if err == nil {
				t.Fatalf("Parse(%q): no error", tt.template)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "templates: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestParseKnownFunctions(t *testing.T) {
	text := `{{ currentDate }} {{ yesterdayDate "2006" }} {{ toTypeScriptType .Prompt }} {{ json .Prompt }}`
	tmpl, err := Parse("funcs", text)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, Values{Prompt: "p"}); err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(b.String())
	if len(f) != 4 || len(f[0]) != len("2006-01-02") || len(f[1]) != len("2006-01-02") || f[2] != "any" || f[3] != `"p"` {
		t.Errorf("got %q", b.String())
	}
}

// Every built-in must render a conversation whose every turn appears in it.
func TestBuiltinsRenderAllTurns(t *testing.T) {
	for _, n := range Names() {
		if n == "raw" {
			continue
		}
		tmpl, _ := Named(n)
		got, err := ChatPrompt(tmpl, "", conversation)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for _, m := range conversation {
			if !strings.Contains(got, m.Content) {
				t.Errorf("%s: %q missing from %q", n, m.Content, got)
			}
		}
	}
}
