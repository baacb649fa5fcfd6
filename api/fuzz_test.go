package api

import (
	"bytes"
	"net/http/httptest"
	"sync"
	"testing"
)

// The request decoders take bytes from the network: whatever they are fed,
// decoding and turning the request into a prompt must end in a result or
// an error, never a panic or a runaway allocation. Generation itself is not
// run (it is the engine's, and slow).

var (
	fuzzOnce   sync.Once
	fuzzShared *Model
)

func fuzzTarget(t testing.TB) *Model {
	fuzzOnce.Do(func() {
		m, err := NewModel(testEngine(t, tolstoyPath, 256), ModelConfig{Name: "tolstoy"})
		if err != nil {
			t.Fatal(err)
		}
		fuzzShared = m
	})
	return fuzzShared
}

func fuzzDecode(data []byte, v any) bool {
	req := httptest.NewRequest("POST", "/", bytes.NewReader(data))
	return decodeJSON(req, v) == nil
}

func FuzzChatRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"tolstoy","messages":[{"role":"user","content":"Hi"}],"max_tokens":5,"stop":["a","b"],"temperature":0.2}`,
		`{"messages":[{"role":"developer","content":[{"type":"text","text":"x"},{"type":"text","text":"y"}]}],"stream":true,"stream_options":{"include_usage":true}}`,
		`{"messages":[{"role":"user","content":null}],"n":2,"logprobs":true,"top_logprobs":30}`,
		`{"messages":[{"role":"user","content":"x"}],"stop":"x","seed":-1,"top_p":2,"truncate":true}`,
		`{"messages":[]}`, `[]`, `null`, `{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := fuzzTarget(t)
		var req openAIChatRequest
		if !fuzzDecode(data, &req) {
			return
		}
		if creq, _, err := parseChatCompletion(m, &req); err == nil {
			m.ChatPrompt(creq)
		}
	})
}

func FuzzCompletionRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"tolstoy","prompt":"Prince","max_tokens":5,"logprobs":3,"suffix":"x"}`,
		`{"prompt":["a"],"raw":true,"echo":false,"best_of":1}`, `{"prompt":[[1,2]]}`, `{"prompt":5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := fuzzTarget(t)
		var req openAICompletionRequest
		if !fuzzDecode(data, &req) {
			return
		}
		if greq, _, err := parseCompletion(m, &req); err == nil {
			m.GeneratePrompt(greq)
		}
	})
}

func FuzzOllamaChatRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"tolstoy","messages":[{"role":"user","content":"Hi"}],"options":{"temperature":0,"stop":["x"],"num_ctx":20},"truncate":true}`,
		`{"messages":[{"role":"system","content":"s"},{"role":"user","content":"u","images":["AA=="]}],"think":true}`,
		`{"messages":[{"role":"user","content":"x"}],"options":{"seed":1e300,"top_k":"a"},"format":"json","tools":[]}`,
		`{"messages":[{"role":"user","content":"x"}],"keep_alive":"0s","logprobs":true,"top_logprobs":-1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := fuzzTarget(t)
		var req ollamaChatRequest
		if !fuzzDecode(data, &req) {
			return
		}
		if creq, err := parseChat(m, &req); err == nil && len(creq.Messages) > 0 {
			m.ChatPrompt(creq)
		}
	})
}

func FuzzGenerateRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"tolstoy","prompt":"Prince","system":"s","options":{"num_predict":3}}`,
		`{"prompt":"x","raw":true,"context":[1,2,3]}`,
		`{"prompt":"x","template":"{{ range .Messages }}{{ .Content }}{{ end }}"}`,
		`{"prompt":"x","template":"{{ .Prompt }}{{ .Suffix }}","suffix":"y"}`,
		`{"prompt":"x","template":"{{ range 99 }}{{ end }}"}`, `{"prompt":"x","context":[-5]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := fuzzTarget(t)
		var req ollamaGenerateRequest
		if !fuzzDecode(data, &req) {
			return
		}
		if greq, err := parseGenerate(m, &req); err == nil && req.Prompt != "" {
			m.GeneratePrompt(greq)
		}
	})
}

func FuzzEmbedRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"tolstoy","input":"Natasha"}`, `{"input":["a","b"],"dimensions":3,"truncate":true}`,
		`{"input":[1,2]}`, `{"input":{}}`, `{"input":null,"encoding_format":"base64"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req embedRequest
		if fuzzDecode(data, &req) {
			embedInput(req.Input)
		}
		var oreq openAIEmbedRequest
		if fuzzDecode(data, &oreq) {
			embedInput(oreq.Input)
		}
	})
}

func FuzzOptions(f *testing.F) {
	for _, s := range []string{
		`{"num_ctx":128,"temperature":0.5,"stop":["a"],"seed":9007199254740993}`,
		`{"num_predict":1e300}`, `{"top_k":"3"}`, `{"stop":[1]}`, `{"temperature":-1,"top_p":5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var opts map[string]any
		if !fuzzDecode(data, &opts) {
			return
		}
		o := DefaultOptions()
		if o.ApplyMap(opts) == nil && o.Validate() == nil {
			o.params()
		}
	})
}
