package templates_test

import (
	"fmt"

	"github.com/kiln-llm/kiln/templates"
)

func ExampleChatPrompt() {
	// A GGUF's tokenizer.chat_template picks the built-in template.
	name, ok := templates.FromChatTemplate("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
	if !ok {
		name = "raw"
	}
	tmpl, _ := templates.Named(name)

	// The Modelfile's SYSTEM goes first, since the request brings none.
	prompt, err := templates.ChatPrompt(tmpl, "Answer in one word.", []templates.Message{
		{Role: "user", Content: "Capital of France?"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %q\n%q", name, tmpl.Stop, prompt)
	// Output:
	// chatml ["<|im_start|>" "<|im_end|>"]
	// "<|im_start|>system\nAnswer in one word.<|im_end|>\n<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n"
}

func ExampleParse() {
	// A Modelfile TEMPLATE of the older kind, without .Messages: each
	// exchange is rendered on its own.
	tmpl, err := templates.Parse("TEMPLATE", "### User: {{ .Prompt }}\n### Bot: {{ .Response }}\n")
	if err != nil {
		panic(err)
	}
	prompt, _ := templates.ChatPrompt(tmpl, "", []templates.Message{
		{Role: "user", Content: "Hi"},
		{Role: "assistant", Content: "Hello."},
		{Role: "user", Content: "Bye"},
	})
	fmt.Printf("%q", prompt)
	// Output:
	// "### User: Hi\n### Bot: Hello.\n### User: Bye\n### Bot: "
}
