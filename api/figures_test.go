package api

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// TestFigures measures the closing figures of the server (with -tags slow
// or KILN_FIGURES=1, -v to see them): time to first token and tokens/s of
// one streaming chat against llama-q8_0 (raw: it has no chat template), as
// a client sees them; and requests/s on /api/tags at 50 concurrent
// connections, loopback only.
func TestFigures(t *testing.T) {
	if !slowTests && os.Getenv("KILN_FIGURES") != "1" {
		t.Skip("figures run with -tags slow or KILN_FIGURES=1")
	}
	f, err := gguf.Open(llamaPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := engine.Load(f, engine.Options{Context: 512})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	m, err := NewModel(e, ModelConfig{Name: "llama-q8_0", Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, ts := newTestServer(t, m, Config{})

	const body = `{"model":"llama-q8_0","messages":[{"role":"user","content":"The quick brown fox jumps over the lazy dog. Once upon a time"}],"max_tokens":256,"temperature":0,"stream":true}`
	for run := range 3 { // the first run warms the caches
		start := time.Now()
		resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(resp.Body)
		var first, last time.Time
		chunks := 0
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break
			}
			if strings.HasPrefix(line, "data: {") && strings.Contains(line, `"content":"`) && !strings.Contains(line, `"content":""`) {
				if first.IsZero() {
					first = time.Now()
				}
				last = time.Now()
				chunks++
			}
		}
		resp.Body.Close()
		if run > 0 && chunks > 1 {
			t.Logf("llama-q8_0 streaming chat: time to first token %.2f ms, %d chunks, %.0f tokens/s after the first (GOMAXPROCS threads)",
				float64(first.Sub(start).Microseconds())/1000, chunks, float64(chunks-1)/last.Sub(first).Seconds())
		}
	}

	// The same generation in process, without HTTP, for comparison.
	o := greedy(256)
	res, err := m.Chat(t.Context(), ChatRequest{Messages: []Message{msg("user", "The quick brown fox jumps over the lazy dog. Once upon a time")}, Options: o}, func(Chunk) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("same chat in process: first token %.2f ms after submission, %d tokens, %.0f tokens/s after the first",
		float64(res.FirstToken.Microseconds())/1000, res.CompletionTokens, float64(res.CompletionTokens-1)/res.Eval.Seconds())

	const conns, window = 50, 2 * time.Second
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var n, failed atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(window)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				resp, err := client.Get(ts.URL + "/api/tags")
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	t.Logf("/api/tags at %d concurrent connections: %.0f requests/s (%d in %s, %d failed)", conns, float64(n.Load())/window.Seconds(), n.Load(), window, failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d requests failed", failed.Load())
	}
}

// BenchmarkTags is /api/tags through the whole handler chain, 50 clients.
func BenchmarkTags(b *testing.B) {
	_, ts := newTestServer(b, nil, Config{})
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	b.SetParallelism(max(1, 50/max(1, testingProcs())))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(ts.URL + "/api/tags")
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
