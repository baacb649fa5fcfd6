package templates

import (
	"strings"
	"testing"
)

// conversation is the exchange every built-in is rendered with: a system
// message, a user turn, a reply and a second user turn.
var conversation = []Message{
	{Role: "system", Content: "You are a helpful assistant."},
	{Role: "user", Content: "Hello!"},
	{Role: "assistant", Content: "Hi there."},
	{Role: "user", Content: "How are you?"},
}

// The expected prompts below were written by hand from Ollama v0.17.4's
// template texts (template/*.gotmpl) and its Execute rules, not produced by
// this package.
func TestBuiltinConversation(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"llama3", "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>" +
			"<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>" +
			"<|start_header_id|>assistant<|end_header_id|>\n\nHi there.<|eot_id|>" +
			"<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>" +
			"<|start_header_id|>assistant<|end_header_id|>\n\n"},
		{"llama2", "[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHello! [/INST]" +
			" Hi there.</s><s>[INST] <<SYS>><</SYS>>\n\nHow are you? [/INST]"},
		{"chatml", "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" +
			"<|im_start|>user\nHello!<|im_end|>\n" +
			"<|im_start|>assistant\nHi there.<|im_end|>\n" +
			"<|im_start|>user\nHow are you?<|im_end|>\n" +
			"<|im_start|>assistant\n"},
		{"mistral", "[INST] You are a helpful assistant.\n\nHello![/INST] Hi there.</s>[INST] How are you?[/INST]"},
		{"gemma", "<start_of_turn>user\nYou are a helpful assistant.\nHello!<end_of_turn>\n" +
			"<start_of_turn>model\nHi there.<end_of_turn>\n" +
			"<start_of_turn>user\nHow are you?<end_of_turn>\n" +
			"<start_of_turn>model\n"},
		// The system text sits in the first user turn followed by a blank
		// line, and the template's final newline follows the open turn.
		{"gemma3", "<start_of_turn>user\nYou are a helpful assistant.\n\nHello!<end_of_turn>\n" +
			"<start_of_turn>model\nHi there.<end_of_turn>\n" +
			"<start_of_turn>user\nHow are you?<end_of_turn>\n" +
			"<start_of_turn>model\n\n"},
		{"phi3", "<|system|>\nYou are a helpful assistant.<|end|>\n" +
			"<|user|>\nHello!<|end|>\n" +
			"<|assistant|>\nHi there.<|end|>\n" +
			"<|user|>\nHow are you?<|end|>\n" +
			"<|assistant|>\n"},
		// {{ .Prompt }} is a legacy template: Ollama appends {{ .Response }},
		// so replies are kept and the system text is not shown.
		{"raw", "Hello!Hi there.How are you?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, ok := Named(tt.name)
			if !ok {
				t.Fatalf("Named(%q) not found", tt.name)
			}
			var b strings.Builder
			if err := tmpl.Execute(&b, Values{Messages: conversation}); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestBuiltinUserOnly(t *testing.T) {
	tests := []struct{ name, want string }{
		{"llama3", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{"llama2", "[INST] <<SYS>><</SYS>>\n\nHi [/INST]"},
		{"chatml", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"},
		{"mistral", "[INST] Hi[/INST]"},
		{"gemma", "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n"},
		{"gemma3", "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n\n"},
		{"phi3", "<|user|>\nHi<|end|>\n<|assistant|>\n"},
		{"raw", "Hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, _ := Named(tt.name)
			got, err := ChatPrompt(tmpl, "", []Message{{Role: "user", Content: "Hi"}})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChatPromptSystem(t *testing.T) {
	chatml, _ := Named("chatml")
	const user = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"
	tests := []struct {
		name   string
		system string
		msgs   []Message
		want   string
	}{
		{"modelfile system goes first", "Be brief.", []Message{{"user", "Q"}},
			"<|im_start|>system\nBe brief.<|im_end|>\n" + user},
		{"request system replaces it", "Be brief.", []Message{{"system", "Be long."}, {"user", "Q"}},
			"<|im_start|>system\nBe long.<|im_end|>\n" + user},
		{"no system at all", "", []Message{{"user", "Q"}}, user},
		// Ollama looks only at the first message: a later system message
		// does not stop the Modelfile's from going first, and the two are
		// separate turns since they are not adjacent.
		{"later system message", "Be brief.", []Message{{"user", "Q"}, {"system", "Now French."}},
			"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n" +
				"<|im_start|>system\nNow French.<|im_end|>\n<|im_start|>assistant\n"},
		{"empty conversation", "Be brief.", nil,
			"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>assistant\n"},
		{"nothing", "", nil, "<|im_start|>assistant\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChatPrompt(chatml, tt.system, tt.msgs)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChatMessages(t *testing.T) {
	history := []Message{{"user", "h1"}, {"assistant", "h2"}}
	tests := []struct {
		name    string
		request []Message
		want    []Message
	}{
		{"system before history", []Message{{"user", "q"}},
			[]Message{{"system", "S"}, {"user", "h1"}, {"assistant", "h2"}, {"user", "q"}}},
		{"request system", []Message{{"system", "R"}, {"user", "q"}},
			[]Message{{"user", "h1"}, {"assistant", "h2"}, {"system", "R"}, {"user", "q"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChatMessages("S", history, tt.request)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// legacyChatML is an old-style ChatML template written only against
// .System, .Prompt and .Response, as Modelfiles carried them before
// .Messages existed.
const legacyChatML = `{{ if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{ if .Prompt }}<|im_start|>user
{{ .Prompt }}<|im_end|>
{{ end }}<|im_start|>assistant
{{ .Response }}<|im_end|>
`

func TestLegacyTemplate(t *testing.T) {
	tests := []struct {
		name     string
		template string
		msgs     []Message
		want     string
	}{
		{"multi-turn", legacyChatML, conversation,
			// First exchange rendered whole, the open one cut after .Response.
			"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" +
				"<|im_start|>user\nHello!<|im_end|>\n" +
				"<|im_start|>assistant\nHi there.<|im_end|>\n" +
				"<|im_start|>user\nHow are you?<|im_end|>\n" +
				"<|im_start|>assistant\n"},
		{"system between turns starts a new exchange", legacyChatML,
			[]Message{{"user", "A"}, {"assistant", "B"}, {"system", "S2"}, {"user", "C"}},
			"<|im_start|>user\nA<|im_end|>\n<|im_start|>assistant\nB<|im_end|>\n" +
				"<|im_start|>system\nS2<|im_end|>\n<|im_start|>user\nC<|im_end|>\n<|im_start|>assistant\n"},
		{"ends with a reply to continue", legacyChatML,
			[]Message{{"user", "A"}, {"assistant", "B"}},
			"<|im_start|>user\nA<|im_end|>\n<|im_start|>assistant\nB"},
		{"consecutive users merge", legacyChatML,
			[]Message{{"user", "A"}, {"user", "B"}},
			"<|im_start|>user\nA\n\nB<|im_end|>\n<|im_start|>assistant\n"},
		{"a user turn without reply is overwritten", legacyChatML,
			[]Message{{"user", "A"}, {"tool", "T"}, {"user", "C"}},
			"<|im_start|>user\nC<|im_end|>\n<|im_start|>assistant\n"},
		{"response appended to a prompt-only template", "[{{ .System }}] {{ .Prompt }} =>",
			[]Message{{"system", "S"}, {"user", "A"}, {"assistant", "B"}, {"user", "C"}},
			"[S] A =>B[] C =>"},
		{"text after .Response in the open exchange is cut", "{{ .Prompt }} [{{ .Response }}] end.",
			[]Message{{"user", "A"}, {"assistant", "B"}, {"user", "C"}},
			"A [B] end.C ["},
		{"an action piping .Response is dropped whole", "<{{ .Prompt }}>{{ .Response | printf \"%s!\" }}|",
			[]Message{{"user", "A"}, {"assistant", "B"}, {"user", "C"}},
			"<A>B!|<C>"},
		// Ollama crashes on this one (the else branch is met after the cut);
		// here the else branch is dropped.
		{"response inside if with else", "{{ .Prompt }}{{ if .Prompt }}={{ .Response }}{{ else }}none{{ end }}!",
			[]Message{{"user", "A"}, {"assistant", "B"}, {"user", "C"}},
			"A=B!C="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse("legacy", tt.template)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := tmpl.Execute(&b, Values{Messages: tt.msgs}); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestValuesWithoutMessages(t *testing.T) {
	fim, err := Parse("fim", "{{ if .Suffix }}<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>{{ else }}{{ .System }}|{{ .Prompt }}{{ end }}")
	if err != nil {
		t.Fatal(err)
	}
	chatml, _ := Named("chatml")
	tests := []struct {
		name string
		tmpl *Template
		v    Values
		want string
	}{
		{"fill in the middle", fim, Values{Prompt: "def f(", Suffix: "return x", System: "ignored"}, "<PRE> def f( <SUF>return x <MID>"},
		{"suffix without prompt is a plain prompt", fim, Values{Suffix: "x", System: "S"}, "S|"},
		{"generate", fim, Values{System: "S", Prompt: "P"}, "S|P"},
		{"generate through .Messages", chatml, Values{System: "S", Prompt: "P"},
			"<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nP<|im_end|>\n<|im_start|>assistant\n"},
		{"generate continuing a reply", chatml, Values{Prompt: "P", Response: "R"},
			"<|im_start|>user\nP<|im_end|>\n<|im_start|>assistant\nR<|im_end|>\n<|im_start|>assistant\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := tt.tmpl.Execute(&b, tt.v); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMessagesTemplateData(t *testing.T) {
	tests := []struct {
		name     string
		template string
		v        Values
		want     string
	}{
		{"system messages joined in .System", "{{ .System }}|{{ range .Messages }}{{ .Role }};{{ end }}",
			Values{Messages: []Message{{"system", "a"}, {"user", "q"}, {"system", "b"}}}, "a\n\nb|system;user;system;"},
		{"consecutive roles merge but tool results do not",
			"{{ range .Messages }}{{ .Role }}={{ .Content }};{{ end }}",
			Values{Messages: []Message{{"user", "a"}, {"user", "b"}, {"tool", "1"}, {"tool", "2"}}},
			"user=a\n\nb;tool=1;tool=2;"},
		{"Ollama's message fields exist", "{{ range .Messages }}[{{ .Thinking }}{{ .ToolName }}{{ .ToolCallID }}{{ len .ToolCalls }}{{ len .Images }}]{{ end }}",
			Values{Messages: []Message{{"user", "a"}}}, "[00]"},
		{"tools print as JSON", "{{ if .Tools }}{{ .Tools }}{{ end }}{{ range .Messages }}.{{ end }}",
			Values{Messages: []Message{{"user", "a"}}, Tools: []any{map[string]any{"type": "function"}}},
			`[{"type":"function"}].`},
		{"no tools", "{{ if .Tools }}tools{{ end }}{{ .Tools }}{{ range .Messages }}.{{ end }}",
			Values{Messages: []Message{{"user", "a"}}}, "null."},
		{"json function", "{{ range .Messages }}{{ json .Content }}{{ end }}",
			Values{Messages: []Message{{"user", "a\"b"}}}, `"a\"b"`},
		{"think flags", "{{ .Think }} {{ .ThinkLevel }} {{ .IsThinkSet }}{{ range .Messages }}.{{ end }}",
			Values{Messages: []Message{{"user", "a"}}, Think: true, ThinkLevel: "high", IsThinkSet: true}, "true high true."},
		// Ollama gives .Messages templates no .Prompt; the missing key
		// prints as text/template prints any missing map key.
		{"prompt is not set beside messages", "{{ .Prompt }}{{ range .Messages }}.{{ end }}",
			Values{Messages: []Message{{"user", "a"}}}, "<no value>."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse(tt.name, tt.template)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := tmpl.Execute(&b, tt.v); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// Execute must return an error or a prompt, never panic, whatever it is given.
func TestExecuteOddValues(t *testing.T) {
	odd := []Values{
		{},
		{Messages: []Message{}},
		{Messages: []Message{{}}},
		{Messages: []Message{{Role: "tool", Content: "x"}}},
		{Messages: []Message{{Role: "wizard", Content: "x"}, {Role: "", Content: ""}}},
		{Messages: []Message{{Role: "assistant", Content: "only a reply"}}},
		{Messages: []Message{{Role: "system"}, {Role: "system"}}},
		{Prompt: "p", Suffix: "s"},
		{Tools: []any{func() {}}}, // not JSON-able
	}
	var all []*Template
	for _, n := range Names() {
		tmpl, _ := Named(n)
		all = append(all, tmpl)
	}
	for _, text := range []string{legacyChatML, "{{ index .Messages 3 }}", "{{ .Messages.Foo }}", "{{ .Tools }}{{ .Prompt }}",
		`{{ define "x" }}{{ .Prompt }}{{ end }}{{ template "x" . }}{{ .Response }}`} {
		tmpl, err := Parse("odd", text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		all = append(all, tmpl)
	}
	for _, tmpl := range all {
		for _, v := range odd {
			var b strings.Builder
			_ = tmpl.Execute(&b, v) // only the absence of a panic is checked
		}
	}
	var b strings.Builder
	if err := (*Template)(nil).Execute(&b, Values{}); err == nil {
		t.Error("nil template: no error")
	}
	if _, err := ChatPrompt(nil, "", nil); err == nil {
		t.Error("ChatPrompt(nil): no error")
	}
}

func TestExecuteErrors(t *testing.T) {
	tests := []struct{ template, want string }{
		{"{{ range .Messages }}{{ index $.Messages 5 }}{{ end }}", "index out of range"},
		{"{{ range .Messages }}{{ .Nope }}{{ end }}", "can't evaluate field Nope"},
		{`{{ range .Messages }}{{ printf "%s" }}{{ end }}{{ template "nope" . }}`, `template "nope" not defined`},
	}
	for _, tt := range tests {
		tmpl, err := Parse("bad", tt.template)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.template, err)
		}
		_, err = ChatPrompt(tmpl, "", []Message{{"user", "a"}})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "bad:1") {
			t.Errorf("%q: error %v, want one with %q and the position", tt.template, err, tt.want)
		}
	}
}

func BenchmarkChatPrompt(b *testing.B) {
	tmpl, _ := Named("llama3")
	msgs := make([]Message, 0, 20)
	for i := range 10 {
		msgs = append(msgs, Message{"user", strings.Repeat("question ", 50+i)}, Message{"assistant", strings.Repeat("answer ", 80)})
	}
	msgs = append(msgs, Message{"user", "last"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ChatPrompt(tmpl, "You are a helpful assistant.", msgs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChatPromptLegacy(b *testing.B) {
	tmpl, _ := Parse("legacy", legacyChatML)
	msgs := make([]Message, 0, 20)
	for i := range 10 {
		msgs = append(msgs, Message{"user", strings.Repeat("question ", 50+i)}, Message{"assistant", strings.Repeat("answer ", 80)})
	}
	msgs = append(msgs, Message{"user", "last"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ChatPrompt(tmpl, "You are a helpful assistant.", msgs); err != nil {
			b.Fatal(err)
		}
	}
}
