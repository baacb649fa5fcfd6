package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/internal/golden"
)

// tolstoyPath is the small model the repository ships: a Llama trained on
// War and Peace, context 256, no chat template.
const tolstoyPath = "../testdata/tolstoy-4m-q8_0.gguf"

var engines sync.Map // path+ctx -> *engine.Engine, shared by the tests

// testEngine loads a GGUF once per test binary (engines are safe to share:
// each Model has its own scheduler and caches).
func testEngine(t testing.TB, path string, ctx int) *engine.Engine {
	t.Helper()
	key := path + "#" + string(rune(ctx))
	if e, ok := engines.Load(key); ok {
		return e.(*engine.Engine)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Load(f, engine.Options{Threads: 1, Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	actual, _ := engines.LoadOrStore(key, e)
	return actual.(*engine.Engine)
}

// llamaPath is the llama.cpp golden model (random weights, no template).
func llamaPath(t testing.TB) string {
	return golden.Path(t, "models", "llama-q8_0.gguf")
}

func qwenPath(t testing.TB) string {
	return golden.Path(t, "models", "qwen2-q8_0.gguf")
}

// newTestModel makes a Model over the shared engine of path.
func newTestModel(t testing.TB, path string, ctx int, cfg ModelConfig) *Model {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "tolstoy"
	}
	if cfg.Parallel == 0 {
		cfg.Parallel = 2
	}
	if cfg.MaxQueue == 0 {
		cfg.MaxQueue = 64
	}
	m, err := NewModel(testEngine(t, path, ctx), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// newTestServer serves m (tolstoy when nil) on an httptest server.
func newTestServer(t testing.TB, m *Model, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if m == nil {
		m = newTestModel(t, tolstoyPath, 256, ModelConfig{})
	}
	s := NewServer(m, cfg)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// call sends a request and returns the status, headers and body.
func call(t testing.TB, ts *httptest.Server, method, path, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// decode unmarshals body into a map, failing the test on bad JSON.
func decode(t testing.TB, body []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("bad JSON %q: %v", body, err)
	}
	return v
}

// lines splits an NDJSON body into objects.
func lines(t testing.TB, body []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		out = append(out, decode(t, sc.Bytes()))
	}
	return out
}

// events splits an SSE body into its data payloads.
func events(t testing.TB, body []byte) []string {
	t.Helper()
	var out []string
	for _, block := range strings.Split(string(body), "\n\n") {
		block = strings.TrimSpace(block)
		if block == "" {
			continue
		}
		if !strings.HasPrefix(block, "data: ") {
			t.Fatalf("SSE block without data: %q", block)
		}
		out = append(out, strings.TrimPrefix(block, "data: "))
	}
	return out
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func testingProcs() int { return runtime.GOMAXPROCS(0) }
