package api

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestOpenAIModels(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{})
	_, _, body := call(t, ts, "GET", "/v1/models", "")
	r := decode(t, body)
	if r["object"] != "list" || r["data"].([]any)[0].(map[string]any)["id"] != "tolstoy:latest" {
		t.Fatalf("models: %s", body)
	}
	code, _, body := call(t, ts, "GET", "/v1/models/tolstoy", "")
	if code != 200 || decode(t, body)["object"] != "model" {
		t.Fatalf("model: %d %s", code, body)
	}
	code, _, body = call(t, ts, "GET", "/v1/models/gpt-4o", "")
	e := decode(t, body)["error"].(map[string]any)
	if code != 404 || e["code"] != "model_not_found" || !strings.Contains(e["message"].(string), "gpt-4o") {
		t.Fatalf("unknown model: %d %s", code, body)
	}
}

func TestOpenAIChat(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	_, ts := newTestServer(t, m, Config{})
	ref := greedyText(t, m, "Prince Andrew", 10)
	req := `{"model":"tolstoy","messages":[{"role":"user","content":"Prince Andrew"}],"max_tokens":10,"temperature":0`

	code, _, body := call(t, ts, "POST", "/v1/chat/completions", req+`}`)
	r := decode(t, body)
	ch := r["choices"].([]any)[0].(map[string]any)
	u := r["usage"].(map[string]any)
	if code != 200 || r["object"] != "chat.completion" || !strings.HasPrefix(r["id"].(string), "chatcmpl-") || r["model"] != "tolstoy" ||
		ch["message"].(map[string]any)["content"] != ref.Text || ch["finish_reason"] != "length" ||
		u["prompt_tokens"] != float64(ref.PromptTokens) || u["completion_tokens"] != 10.0 || u["total_tokens"] != float64(ref.PromptTokens+10) {
		t.Fatalf("chat = %d %s, want %q", code, body, ref.Text)
	}

	code, hdr, body := call(t, ts, "POST", "/v1/chat/completions", req+`,"stream":true,"stream_options":{"include_usage":true},"logprobs":true,"top_logprobs":2}`)
	evs := events(t, body)
	if code != 200 || hdr.Get("Content-Type") != "text/event-stream" || evs[len(evs)-1] != "[DONE]" {
		t.Fatalf("stream = %d %s", code, body)
	}
	var text strings.Builder
	nlp := 0
	for _, ev := range evs[:len(evs)-3] {
		c := decode(t, []byte(ev))["choices"].([]any)[0].(map[string]any)
		text.WriteString(c["delta"].(map[string]any)["content"].(string))
		for _, lp := range c["logprobs"].(map[string]any)["content"].([]any) {
			nlp++
			if len(lp.(map[string]any)["top_logprobs"].([]any)) != 2 {
				t.Errorf("top_logprobs: %v", lp)
			}
		}
	}
	finish := decode(t, []byte(evs[len(evs)-3]))["choices"].([]any)[0].(map[string]any)
	usage := decode(t, []byte(evs[len(evs)-2]))
	if text.String() != ref.Text || nlp != 10 || finish["finish_reason"] != "length" ||
		len(usage["choices"].([]any)) != 0 || usage["usage"].(map[string]any)["completion_tokens"] != 10.0 {
		t.Fatalf("streamed %q (%d logprobs), finish %v, usage %v", text.String(), nlp, finish, usage)
	}

	// A stop string is never emitted, whole or in part.
	stop := ref.Text[4:9]
	_, _, body = call(t, ts, "POST", "/v1/chat/completions", req+`,"stop":["zzz",`+string(mustJSON(t, stop))+`]}`)
	ch = decode(t, body)["choices"].([]any)[0].(map[string]any)
	if got := ch["message"].(map[string]any)["content"]; got != ref.Text[:4] || ch["finish_reason"] != "stop" {
		t.Fatalf("with stop %q: %q (%v), want %q", stop, got, ch["finish_reason"], ref.Text[:4])
	}

	// Huge max_tokens runs until the context is full.
	_, _, body = call(t, ts, "POST", "/v1/chat/completions", `{"model":"tolstoy","messages":[{"role":"user","content":"Prince Andrew"}],"max_tokens":100000000,"temperature":0,"frequency_penalty":0}`)
	r = decode(t, body)
	if reason := r["choices"].([]any)[0].(map[string]any)["finish_reason"]; reason == "length" && r["usage"].(map[string]any)["total_tokens"] != 256.0 {
		t.Fatalf("huge max_tokens: %.300s", body)
	}

	// Text parts become messages of their own; the template joins them.
	_, _, body = call(t, ts, "POST", "/v1/chat/completions", `{"messages":[{"role":"developer","content":"sys"},{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]}],"_debug_render_only":true}`)
	if got := decode(t, body)["_debug_info"].(map[string]any)["rendered_template"]; got != "one\n\ntwo" {
		t.Fatalf("text parts rendered as %q", got)
	}
}

func TestOpenAICompletions(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	_, ts := newTestServer(t, m, Config{})
	ref := greedyText(t, m, "Prince Andrew", 8)
	req := `{"model":"tolstoy","prompt":"Prince Andrew","max_tokens":8,"temperature":0`
	code, _, body := call(t, ts, "POST", "/v1/completions", req+`,"logprobs":2}`)
	r := decode(t, body)
	ch := r["choices"].([]any)[0].(map[string]any)
	lp := ch["logprobs"].(map[string]any)
	if code != 200 || r["object"] != "text_completion" || ch["text"] != ref.Text || ch["finish_reason"] != "length" ||
		len(lp["tokens"].([]any)) != 8 || len(lp["top_logprobs"].([]any)[0].(map[string]any)) != 2 || lp["text_offset"].([]any)[1] == 0.0 {
		t.Fatalf("completion = %d %s, want %q", code, body, ref.Text)
	}
	_, _, body = call(t, ts, "POST", "/v1/completions", req+`,"stream":true}`)
	evs := events(t, body)
	var text strings.Builder
	for _, ev := range evs[:len(evs)-1] {
		text.WriteString(decode(t, []byte(ev))["choices"].([]any)[0].(map[string]any)["text"].(string))
	}
	if text.String() != ref.Text || evs[len(evs)-1] != "[DONE]" {
		t.Fatalf("streamed completion %q, want %q", text.String(), ref.Text)
	}
	_, _, body = call(t, ts, "POST", "/v1/completions", `{"prompt":["Prince"],"raw":true,"_debug_render_only":true}`)
	if decode(t, body)["_debug_info"].(map[string]any)["rendered_template"] != "Prince" {
		t.Fatalf("one-prompt array: %s", body)
	}
}

func TestOpenAIEmbeddings(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{})
	_, _, body := call(t, ts, "POST", "/v1/embeddings", `{"model":"tolstoy","input":["Natasha","Pierre"]}`)
	r := decode(t, body)
	data := r["data"].([]any)
	floats := data[0].(map[string]any)["embedding"].([]any)
	if len(data) != 2 || len(floats) != 256 || data[1].(map[string]any)["index"] != 1.0 || r["usage"].(map[string]any)["prompt_tokens"].(float64) < 4 {
		t.Fatalf("embeddings: %.300s", body)
	}
	_, _, body = call(t, ts, "POST", "/v1/embeddings", `{"model":"tolstoy","input":"Natasha","encoding_format":"base64"}`)
	raw, err := base64.StdEncoding.DecodeString(decode(t, body)["data"].([]any)[0].(map[string]any)["embedding"].(string))
	if err != nil || len(raw) != 4*256 {
		t.Fatalf("base64: %v, %d bytes", err, len(raw))
	}
	for i, f := range floats {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != float32(f.(float64)) {
			t.Fatalf("base64 value %d = %v, float %v", i, got, f)
		}
	}
}

// TestOpenAIErrors checks that the /v1 routes answer errors in OpenAI's
// shape with the right status.
func TestOpenAIErrors(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{})
	chat := func(extra string) string {
		return `{"model":"tolstoy","messages":[{"role":"user","content":"x"}]` + extra + `}`
	}
	for _, tc := range []struct {
		name, path, body string
		code             int
		typ, msg         string
	}{
		{"malformed JSON", "/v1/chat/completions", `{"messages":[`, 400, "invalid_request_error", "invalid JSON"},
		{"wrong type", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, 400, "invalid_request_error", `field "temperature" must be a number`},
		{"unknown model", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`, 404, "invalid_request_error", "model 'gpt-4o' not found"},
		{"empty messages", "/v1/chat/completions", `{"model":"tolstoy","messages":[]}`, 400, "invalid_request_error", "at least one message"},
		{"negative max_tokens", "/v1/chat/completions", chat(`,"max_tokens":-1`), 400, "invalid_request_error", "max_tokens must be at least 1"},
		{"max_tokens beyond int64", "/v1/chat/completions", chat(`,"max_tokens":1e30`), 400, "invalid_request_error", `field "max_tokens"`},
		{"n=2", "/v1/chat/completions", chat(`,"n":2`), 400, "invalid_request_error", "n must be 1"},
		{"image part", "/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:,"}}]}]}`, 400, "invalid_request_error", "image_url parts are not supported"},
		{"unknown role", "/v1/chat/completions", `{"messages":[{"role":"wizard","content":"x"}]}`, 400, "invalid_request_error", `unknown role "wizard"`},
		{"content null", "/v1/chat/completions", `{"messages":[{"role":"user","content":null}]}`, 400, "invalid_request_error", "content is missing"},
		{"content number", "/v1/chat/completions", `{"messages":[{"role":"user","content":3}]}`, 400, "invalid_request_error", "content must be a string"},
		{"json mode", "/v1/chat/completions", chat(`,"response_format":{"type":"json_object"}`), 400, "invalid_request_error", "not supported yet"},
		{"tools", "/v1/chat/completions", chat(`,"tools":[{"type":"function","function":{"name":"f"}}]`), 400, "invalid_request_error", "tools are not supported"},
		{"stop of numbers", "/v1/chat/completions", chat(`,"stop":[1]`), 400, "invalid_request_error", "stop[0] must be a string"},
		{"prompt too long", "/v1/chat/completions", `{"messages":[{"role":"user","content":"` + strings.Repeat("Moscow ", 300) + `"}]}`, 400, "invalid_request_error", "the context holds 256"},
		{"completion without prompt", "/v1/completions", `{"model":"tolstoy"}`, 400, "invalid_request_error", "prompt is missing"},
		{"completion batch", "/v1/completions", `{"prompt":["a","b"]}`, 400, "invalid_request_error", "batches of 2 prompts"},
		{"completion token ids", "/v1/completions", `{"prompt":[[1,2]]}`, 400, "invalid_request_error", "token-id prompts"},
		{"echo", "/v1/completions", `{"prompt":"a","echo":true}`, 400, "invalid_request_error", "echo is not supported"},
		{"embedding without input", "/v1/embeddings", `{"model":"tolstoy"}`, 400, "invalid_request_error", "input is missing"},
		{"embedding format", "/v1/embeddings", `{"input":"x","encoding_format":"hex"}`, 400, "invalid_request_error", "encoding_format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := call(t, ts, "POST", tc.path, tc.body)
			var r struct {
				Error struct {
					Message string          `json:"message"`
					Type    string          `json:"type"`
					Param   json.RawMessage `json:"param"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &r); err != nil || code != tc.code || r.Error.Type != tc.typ ||
				!strings.Contains(r.Error.Message, tc.msg) || string(r.Error.Param) != "null" {
				t.Fatalf("%d %s, want %d %s %q", code, body, tc.code, tc.typ, tc.msg)
			}
		})
	}
}
