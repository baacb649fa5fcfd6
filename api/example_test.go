package api_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-llm/kiln/api"
	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// ExampleModel_Chat is the in-process API the HTTP handlers and the
// terminal chat share: a conversation in, the reply streamed out as text.
func ExampleModel_Chat() {
	f, err := gguf.Open("../testdata/tolstoy-4m-q8_0.gguf")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	e, err := engine.Load(f, engine.Options{Threads: 1})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	m, err := api.NewModel(e, api.ModelConfig{Name: "tolstoy", Parallel: 1})
	if err != nil {
		panic(err)
	}
	defer m.Close()

	opts := m.Options() // the model's defaults: Ollama's, then the Modelfile's
	opts.Temperature, opts.NumPredict = 0, 8
	var streamed strings.Builder
	res, err := m.Chat(context.Background(), api.ChatRequest{
		Messages: []api.Message{{Role: "user", Content: "Prince Andrew"}},
		Options:  &opts,
	}, func(c api.Chunk) bool {
		streamed.WriteString(c.Text) // print it, send it, ...
		return true                  // false stops the generation
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Name(), res.PromptTokens, res.CompletionTokens, res.FinishReason, streamed.String() == res.Text)
	// Output: tolstoy:latest 3 8 length true
}
