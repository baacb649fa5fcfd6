package templates

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files in testdata/jinja are the tokenizer.chat_template texts of
// released models, as their GGUFs carry them.
func TestFromChatTemplateModels(t *testing.T) {
	tests := []struct{ file, want string }{
		{"llama-3.1-8b-instruct.jinja", "llama3"}, // in Ollama's list
		{"llama-3.2-3b-instruct.jinja", "llama3"}, // by markers: 1053 edits from 3.1's
		{"qwen2.5-instruct.jinja", "chatml"},
		{"qwen3-0.6b.jinja", "chatml"},
		{"gemma-2-2b-it.jinja", "gemma"}, // in Ollama's list
		{"gemma-3-it.jinja", "gemma3"},   // in Ollama's list
		{"mistral-7b-instruct-v0.3.jinja", "mistral"},
		{"phi-3-mini-4k-instruct.jinja", "phi3"}, // in Ollama's list
		{"phi-3.5-mini-instruct.jinja", "phi3"},  // by markers: 109 edits from solar-instruct's
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "jinja", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := FromChatTemplate(string(b))
			if !ok || got != tt.want {
				t.Errorf("FromChatTemplate = %q, %v; want %q", got, ok, tt.want)
			}
			if _, found := Named(got); !found {
				t.Errorf("Named(%q) not found", got)
			}
		})
	}
}

// Every Jinja text in Ollama's list resolves to the template Ollama uses for
// it, or to nothing when Kiln has no such template.
func TestFromChatTemplateOllamaList(t *testing.T) {
	for i, k := range knownTexts() {
		want, supported := ollamaNames[k.Name]
		got, ok := FromChatTemplate(k.Template)
		if ok != supported || got != want {
			t.Errorf("entry %d (%s): got %q, %v; want %q, %v", i, k.Name, got, ok, want, supported)
		}
	}
}

const phi4 = "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'assistant') %}{{'<|im_start|>assistant<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant<|im_sep|>' }}{% endif %}"

func TestFromChatTemplateNearMatches(t *testing.T) {
	mistral := textOf(t, "mistral-instruct", 0)
	zephyr := textOf(t, "zephyr", 0)
	tests := []struct {
		name, jinja string
		want        string
		ok          bool
	}{
		// Ollama accepts a text fewer than 100 edits from a known one.
		{"edited mistral", strings.Replace(mistral, "Conversation roles", "Roles", 1), "mistral", true},
		{"mistral with a bos variable renamed", strings.ReplaceAll(mistral, "bos_token", "bos"), "mistral", true},
		// Closest to a template Kiln lacks: no, even though markers alone
		// would not have decided otherwise.
		{"zephyr", zephyr, "", false},
		{"edited zephyr", zephyr + "{# edited #}", "", false},
		{"empty", "", "", false},
		{"plain text", "hello", "", false},
		// Phi-4's text is 96 edits from a known ChatML one, so Ollama, and
		// Kiln with it, render Phi-4 as ChatML.
		{"phi-4", phi4, "chatml", true},
		// Beyond Ollama's reach, <|im_sep|> rules ChatML out.
		{"phi-4 with tools", phi4 + strings.Repeat("{# tools #}", 20), "", false},
		{"llama2 markers", "{{ bos_token + '[INST] <<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' }} some long custom logic " + strings.Repeat("x", 200), "llama2", true},
		{"mistral markers", "{{ '[INST] ' + message['content'] + ' [/INST]' }}" + strings.Repeat("y", 300), "mistral", true},
		{"phi3 markers", "{{ '<|user|>\\n' + message['content'] + '<|end|>\\n' }}" + strings.Repeat("z", 300), "phi3", true},
		{"gemma markers", "{{ '<start_of_turn>' + role + '\\n' }}" + strings.Repeat("z", 300), "gemma", true},
		{"llama3 markers", "{{ '<|start_header_id|>' + role + '<|end_header_id|>\\n\\n' }}" + strings.Repeat("z", 300), "llama3", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FromChatTemplate(tt.jinja)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func textOf(t *testing.T, name string, nth int) string {
	t.Helper()
	for _, k := range knownTexts() {
		if k.Name == name {
			if nth == 0 {
				return k.Template
			}
			nth--
		}
	}
	t.Fatalf("no %s entry in jinja.json", name)
	return ""
}

// naiveDistance is the textbook Levenshtein distance over runes.
func naiveDistance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j-1]+c, prev[j]+1, cur[j-1]+1)
		}
		prev = cur
	}
	return prev[len(b)]
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"", "", 100, 0},
		{"abc", "", 100, 3},
		{"", "abc", 2, 2},
		{"kitten", "sitting", 100, 3},
		{"kitten", "sitting", 3, 3},
		{"kitten", "sitting", 2, 2},
		{"héllo", "hello", 100, 1}, // runes, not bytes
		{"same", "same", 1, 0},
	}
	for _, tt := range tests {
		if got := distance([]rune(tt.a), []rune(tt.b), tt.limit); got != tt.want {
			t.Errorf("distance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}

	// The banded computation agrees with the full one wherever the result is
	// below the limit, and says "limit" otherwise.
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() []rune {
		r := make([]rune, rng.IntN(40))
		for i := range r {
			r[i] = rune('a' + rng.IntN(3))
		}
		return r
	}
	for range 3000 {
		a, b, limit := word(), word(), 1+rng.IntN(30)
		want := min(naiveDistance(a, b), limit)
		if got := distance(a, b, limit); got != want {
			t.Fatalf("distance(%q, %q, %d) = %d, want %d", string(a), string(b), limit, got, want)
		}
	}
}

func BenchmarkFromChatTemplate(b *testing.B) {
	text, err := os.ReadFile(filepath.Join("testdata", "jinja", "qwen3-0.6b.jinja"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		FromChatTemplate(string(text))
	}
}

// A chat_template is untrusted GGUF metadata: a huge one costs a scan, not
// a distance computation against every known text.
func TestFromChatTemplateHuge(t *testing.T) {
	huge := strings.Repeat("{{ '<|im_start|>' }}", 1<<18) // 5 MB
	if got, ok := FromChatTemplate(huge); got != "chatml" || !ok {
		t.Errorf("got %q, %v", got, ok)
	}
}
