package api

import (
	"context"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/internal/version"
)

// greedyText is what the model itself generates for a raw prompt, the
// reference the HTTP answers are compared with.
func greedyText(t *testing.T, m *Model, prompt string, n int) Result {
	t.Helper()
	res, err := m.Generate(context.Background(), GenerateRequest{Prompt: prompt, Raw: true, Options: greedy(n)}, func(Chunk) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestOllamaInfoRoutes(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{Digest: "sha256:abc", Size: 123})
	_, ts := newTestServer(t, m, Config{})

	code, _, body := call(t, ts, "GET", "/", "")
	if code != 200 || string(body) != "Ollama is running" {
		t.Errorf("GET / = %d %q", code, body)
	}
	if code, _, body := call(t, ts, "HEAD", "/", ""); code != 200 || len(body) != 0 {
		t.Errorf("HEAD / = %d %q", code, body)
	}
	if code, _, body := call(t, ts, "GET", "/api/version", ""); code != 200 || decode(t, body)["version"] != version.Version {
		t.Errorf("version = %d %s", code, body)
	}

	_, _, body = call(t, ts, "GET", "/api/tags", "")
	tag := decode(t, body)["models"].([]any)[0].(map[string]any)
	det := tag["details"].(map[string]any)
	if tag["name"] != "tolstoy:latest" || tag["digest"] != "sha256:abc" || tag["size"] != 123.0 ||
		det["family"] != "llama" || det["quantization_level"] != "Q8_0" || det["parameter_size"] != "3.67M" || det["format"] != "gguf" {
		t.Errorf("tags: %s", body)
	}

	_, _, body = call(t, ts, "GET", "/api/ps", "")
	ps := decode(t, body)["models"].([]any)[0].(map[string]any)
	if ps["name"] != "tolstoy:latest" || ps["context_length"] != 256.0 || ps["size"].(float64) <= 123 || ps["size_vram"] != 0.0 {
		t.Errorf("ps: %s", body)
	}

	for _, req := range []string{`{"model":"tolstoy"}`, `{"name":"tolstoy:latest"}`, `{"model":"tolstoy","verbose":true}`} {
		code, _, body = call(t, ts, "POST", "/api/show", req)
		show := decode(t, body)
		info := show["model_info"].(map[string]any)
		verbose := strings.Contains(req, "verbose")
		if code != 200 || show["template"] != "{{ .Prompt }}" || !strings.Contains(show["parameters"].(string), "temperature                    0.8") ||
			!strings.Contains(show["modelfile"].(string), "FROM tolstoy:latest") || info["llama.context_length"] != 256.0 ||
			info["general.parameter_count"] != 3672320.0 || (info["tokenizer.ggml.tokens"] != nil) != verbose ||
			show["capabilities"].([]any)[0] != "completion" || show["details"].(map[string]any)["family"] != "llama" {
			t.Errorf("show %s = %d %.600s", req, code, body)
		}
	}
	code, _, body = call(t, ts, "POST", "/api/show", `{"model":"llama3"}`)
	if code != 404 || !strings.Contains(decode(t, body)["error"].(string), "model 'llama3' not found") {
		t.Errorf("show of another model = %d %s", code, body)
	}
	for _, route := range []string{"POST /api/pull", "POST /api/create", "DELETE /api/delete", "POST /api/copy", "POST /api/push"} {
		method, path, _ := strings.Cut(route, " ")
		code, _, body := call(t, ts, method, path, `{"model":"x"}`)
		if code != 400 || !strings.Contains(decode(t, body)["error"].(string), "carries one model") {
			t.Errorf("%s = %d %s", route, code, body)
		}
	}
}

func TestOllamaGenerate(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	_, ts := newTestServer(t, m, Config{})
	ref := greedyText(t, m, "Prince Andrew", 12)
	opts := `"options":{"temperature":0,"num_predict":12}`

	code, _, body := call(t, ts, "POST", "/api/generate", `{"model":"tolstoy","prompt":"Prince Andrew","stream":false,`+opts+`}`)
	r := decode(t, body)
	if code != 200 || r["response"] != ref.Text || r["done"] != true || r["done_reason"] != "length" ||
		r["prompt_eval_count"] != float64(ref.PromptTokens) || r["eval_count"] != 12.0 || len(r["context"].([]any)) != ref.PromptTokens+12 {
		t.Fatalf("generate = %d %s, want %q", code, body, ref.Text)
	}
	for _, k := range []string{"total_duration", "prompt_eval_duration", "eval_duration"} {
		if v, _ := r[k].(float64); v <= 0 {
			t.Errorf("%s = %v: timings must be measured", k, r[k])
		}
	}

	code, hdr, body := call(t, ts, "POST", "/api/generate", `{"model":"tolstoy","prompt":"Prince Andrew",`+opts+`}`)
	ls := lines(t, body)
	var text strings.Builder
	for _, l := range ls[:len(ls)-1] {
		text.WriteString(l["response"].(string))
		if l["done"] != false {
			t.Errorf("chunk before the end says done: %v", l)
		}
	}
	last := ls[len(ls)-1]
	if code != 200 || hdr.Get("Content-Type") != "application/x-ndjson" || text.String() != ref.Text || last["done"] != true || last["eval_count"] != 12.0 {
		t.Fatalf("streamed generate = %d %q, want %q; last %v", code, text.String(), ref.Text, last)
	}

	// The context of one answer continues in the next.
	code, _, body = call(t, ts, "POST", "/api/generate", `{"model":"tolstoy","prompt":" Natasha","stream":false,"context":`+string(mustJSON(t, r["context"]))+`,`+opts+`}`)
	if code != 200 || decode(t, body)["prompt_eval_count"].(float64) <= float64(ref.PromptTokens+12) {
		t.Errorf("generate with context = %d %s", code, body)
	}

	for _, tc := range []struct{ name, body, reason string }{
		{"empty prompt loads", `{"model":"tolstoy"}`, "load"},
		{"keep_alive 0 unloads", `{"model":"tolstoy","keep_alive":0}`, "unload"},
		{"keep_alive \"0s\" unloads", `{"model":"tolstoy","keep_alive":"0s"}`, "unload"},
	} {
		code, _, body := call(t, ts, "POST", "/api/generate", tc.body)
		if r := decode(t, body); code != 200 || r["done_reason"] != tc.reason || r["done"] != true {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	code, _, body = call(t, ts, "POST", "/api/generate", `{"model":"tolstoy","prompt":"Hi","system":"Be brief.","_debug_render_only":true}`)
	if code != 200 || decode(t, body)["_debug_info"].(map[string]any)["rendered_template"] != "Hi" {
		t.Errorf("debug render = %d %s", code, body)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := jsonMarshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOllamaChat(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	_, ts := newTestServer(t, m, Config{})
	ref := greedyText(t, m, "Prince Andrew", 10)
	req := `{"model":"tolstoy:latest","messages":[{"role":"user","content":"Prince Andrew"}],"options":{"temperature":0,"num_predict":10}`

	code, _, body := call(t, ts, "POST", "/api/chat", req+`,"stream":false,"logprobs":true,"top_logprobs":3}`)
	r := decode(t, body)
	msg := r["message"].(map[string]any)
	lps := r["logprobs"].([]any)
	if code != 200 || msg["role"] != "assistant" || msg["content"] != ref.Text || r["done_reason"] != "length" || r["eval_count"] != 10.0 ||
		len(lps) != 10 || len(lps[0].(map[string]any)["top_logprobs"].([]any)) != 3 {
		t.Fatalf("chat = %d %s, want %q", code, body, ref.Text)
	}

	_, _, body = call(t, ts, "POST", "/api/chat", req+`}`)
	ls := lines(t, body)
	var text strings.Builder
	for _, l := range ls {
		text.WriteString(l["message"].(map[string]any)["content"].(string))
	}
	if text.String() != ref.Text || ls[len(ls)-1]["done"] != true || ls[len(ls)-1]["prompt_eval_count"] != float64(ref.PromptTokens) {
		t.Fatalf("streamed chat %q, want %q", text.String(), ref.Text)
	}

	code, _, body = call(t, ts, "POST", "/api/chat", `{"model":"tolstoy","messages":[]}`)
	if r := decode(t, body); code != 200 || r["done_reason"] != "load" {
		t.Errorf("empty chat = %d %s", code, body)
	}
}

// TestOllamaErrors covers the error paths of the Ollama routes: each gets
// its status and Ollama's {"error": "..."} with a message that says what.
func TestOllamaErrors(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{})
	for _, tc := range []struct {
		name, path, body string
		code             int
		msg              string
	}{
		{"unknown model", "/api/generate", `{"model":"llama3","prompt":"x"}`, 404, "model 'llama3' not found"},
		{"unknown model in chat", "/api/chat", `{"model":"llama3","messages":[{"role":"user","content":"x"}]}`, 404, "model 'llama3' not found"},
		{"unknown model in embed", "/api/embed", `{"model":"llama3","input":"x"}`, 404, "not found"},
		{"malformed JSON", "/api/generate", `{"model":`, 400, "invalid JSON"},
		{"not an object", "/api/generate", `[1,2]`, 400, "want a JSON object"},
		{"wrong type", "/api/generate", `{"model":"tolstoy","prompt":5}`, 400, `field "prompt" must be a string, not number`},
		{"wrong type in messages", "/api/chat", `{"model":"tolstoy","messages":"hi"}`, 400, `field "messages" must be an array`},
		{"trailing data", "/api/generate", `{"model":"tolstoy"} {}`, 400, "unexpected data after"},
		{"empty body", "/api/chat", ``, 400, "missing request body"},
		{"wrong option type", "/api/generate", `{"model":"tolstoy","prompt":"x","options":{"num_predict":"ten"}}`, 400, `option "num_predict" must be of type integer`},
		{"bad option value", "/api/generate", `{"model":"tolstoy","prompt":"x","options":{"temperature":-1}}`, 400, "temperature -1 is negative"},
		{"raw with system", "/api/generate", `{"model":"tolstoy","prompt":"x","raw":true,"system":"s"}`, 400, "raw mode does not support"},
		{"images", "/api/generate", `{"model":"tolstoy","prompt":"x","images":["aGVsbG8="]}`, 400, "images are not supported"},
		{"images in chat", "/api/chat", `{"model":"tolstoy","messages":[{"role":"user","content":"x","images":["aGVsbG8="]}]}`, 400, "images are not supported"},
		{"format", "/api/generate", `{"model":"tolstoy","prompt":"x","format":"json"}`, 400, "format (JSON mode"},
		{"think", "/api/chat", `{"model":"tolstoy","messages":[{"role":"user","content":"x"}],"think":true}`, 400, "does not support thinking"},
		{"tools", "/api/chat", `{"model":"tolstoy","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]}`, 400, "does not support tools"},
		{"missing role", "/api/chat", `{"model":"tolstoy","messages":[{"content":"x"}]}`, 400, "messages[0]: role is missing"},
		{"top_logprobs", "/api/chat", `{"model":"tolstoy","messages":[{"role":"user","content":"x"}],"top_logprobs":21}`, 400, "top_logprobs must be between 0 and 20"},
		{"prompt too long", "/api/generate", `{"model":"tolstoy","prompt":"` + strings.Repeat("Moscow ", 300) + `"}`, 400, "the context holds 256"},
		{"num_ctx lowers the limit", "/api/generate", `{"model":"tolstoy","prompt":"Moscow burned for days","options":{"num_ctx":4}}`, 400, "the context holds 4"},
		{"embed number", "/api/embed", `{"model":"tolstoy","input":[1,2]}`, 400, "input[0] must be a string"},
		{"embed object", "/api/embed", `{"model":"tolstoy","input":{}}`, 400, "input must be a string or an array"},
		{"embed dims", "/api/embed", `{"model":"tolstoy","input":"x","dimensions":9999}`, 400, "dimensions 9999 is outside [1, 256]"},
		{"embed too long", "/api/embed", `{"model":"tolstoy","input":"` + strings.Repeat("Moscow ", 300) + `"}`, 400, "send \"truncate\": true"},
		{"detokenize out of range", "/detokenize", `{"tokens":[5,99999]}`, 400, "id 99999 out of range"},
		{"context out of range", "/api/generate", `{"model":"tolstoy","prompt":"x","context":[-1]}`, 400, "out of range"},
		{"context beyond int32", "/api/generate", `{"model":"tolstoy","prompt":"x","context":[99999999999]}`, 400, `field "context" must be`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := call(t, ts, "POST", tc.path, tc.body)
			if code != tc.code || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Fatalf("%d %s, want %d", code, body, tc.code)
			}
			if msg, _ := decode(t, body)["error"].(string); !strings.Contains(msg, tc.msg) {
				t.Fatalf("error %q, want it to contain %q", msg, tc.msg)
			}
		})
	}
}

func TestOllamaEmbed(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{})
	norm := func(v []any) float64 {
		var s float64
		for _, x := range v {
			s += x.(float64) * x.(float64)
		}
		return math.Sqrt(s)
	}
	_, _, body := call(t, ts, "POST", "/api/embed", `{"model":"tolstoy","input":["Natasha","Pierre"]}`)
	r := decode(t, body)
	embs := r["embeddings"].([]any)
	if len(embs) != 2 || len(embs[0].([]any)) != 256 || math.Abs(norm(embs[0].([]any))-1) > 1e-5 || r["prompt_eval_count"].(float64) < 4 {
		t.Fatalf("embed: %.300s", body)
	}
	_, _, body = call(t, ts, "POST", "/api/embed", `{"model":"tolstoy","input":"Natasha","dimensions":8}`)
	e := decode(t, body)["embeddings"].([]any)[0].([]any)
	if len(e) != 8 || math.Abs(norm(e)-1) > 1e-5 {
		t.Fatalf("embed with dimensions 8: %s", body)
	}
	code, _, body := call(t, ts, "POST", "/api/embed", `{"model":"tolstoy","input":"`+strings.Repeat("Moscow ", 300)+`","truncate":true}`)
	if code != 200 || decode(t, body)["prompt_eval_count"] != 256.0 {
		t.Fatalf("truncated embed = %d %.200s", code, body)
	}
	_, _, body = call(t, ts, "POST", "/api/embed", `{"model":"tolstoy","input":[]}`)
	if e := decode(t, body)["embeddings"].([]any); len(e) != 0 {
		t.Fatalf("empty embed: %s", body)
	}
	code, _, body = call(t, ts, "POST", "/api/embeddings", `{"model":"tolstoy","prompt":"Natasha"}`)
	legacy := decode(t, body)["embedding"].([]any)
	if code != 200 || len(legacy) != 256 || float32(legacy[0].(float64)) != float32(embs[0].([]any)[0].(float64)) {
		t.Fatalf("legacy embeddings = %d %.200s", code, body)
	}
}

func TestTruncationHeaders(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{})
	var msgs []string
	for range 10 {
		msgs = append(msgs, `{"role":"user","content":"Prince Andrew said nothing at all."}`, `{"role":"assistant","content":"No."}`)
	}
	req := `{"model":"tolstoy","stream":false,"messages":[` + strings.Join(msgs, ",") + `,{"role":"user","content":"Pierre"}],"options":{"num_ctx":30,"num_predict":2}`
	code, _, body := call(t, ts, "POST", "/api/chat", req+`}`)
	if code != http.StatusBadRequest {
		t.Fatalf("without truncate: %d %s", code, body)
	}
	code, hdr, body := call(t, ts, "POST", "/api/chat", req+`,"truncate":true}`)
	if code != 200 || hdr.Get("Kiln-Truncated-Messages") == "" || hdr.Get("Kiln-Truncated-Tokens") == "" {
		t.Fatalf("with truncate: %d %v %s", code, hdr, body)
	}
}

func TestTokenizeRoutes(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	_, ts := newTestServer(t, m, Config{})
	_, _, body := call(t, ts, "POST", "/tokenize", `{"content":"Prince Andrew"}`)
	toks := decode(t, body)["tokens"].([]any)
	want := m.Tokenize("Prince Andrew", false, true)
	if len(toks) != len(want) || toks[0] != float64(want[0]) {
		t.Fatalf("tokenize: %s, want %v", body, want)
	}
	_, _, body = call(t, ts, "POST", "/tokenize", `{"content":"Prince","add_special":true,"with_pieces":true}`)
	if p := decode(t, body)["tokens"].([]any); p[0].(map[string]any)["id"] != 1.0 {
		t.Fatalf("tokenize with BOS and pieces: %s", body)
	}
	_, _, body = call(t, ts, "POST", "/detokenize", `{"tokens":`+string(mustJSON(t, want))+`}`)
	if got := decode(t, body)["content"]; got != " Prince Andrew" && got != "Prince Andrew" {
		t.Fatalf("detokenize: %s", body)
	}
}
