package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// metric reads one unlabelled value from /metrics.
func metric(t *testing.T, client *http.Client, base, name string) float64 {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no %s in metrics", name)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// TestConcurrentStreams: 16 streaming clients at --parallel 4 all finish,
// and no more than 4 generate at once.
func TestConcurrentStreams(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{Parallel: 4, MaxQueue: 16})
	_, ts := newTestServer(t, m, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	stopWatch := make(chan struct{})
	peak := make(chan int)
	go func() {
		maxActive := 0
		for {
			select {
			case <-stopWatch:
				peak <- maxActive
				return
			case <-time.After(time.Millisecond):
				maxActive = max(maxActive, m.sched.Active())
			}
		}
	}()
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path, body := "/api/chat", fmt.Sprintf(`{"model":"tolstoy","messages":[{"role":"user","content":"Prince %d"}],"options":{"num_predict":40,"seed":%d}}`, i, i)
			if i%2 == 1 {
				path, body = "/v1/chat/completions", fmt.Sprintf(`{"messages":[{"role":"user","content":"Natasha %d"}],"max_tokens":40,"stream":true,"seed":%d}`, i, i)
			}
			resp, err := ts.Client().Post(ts.URL+path, "application/json", strings.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			s := strings.TrimSpace(string(b))
			if resp.StatusCode != 200 || !(strings.HasSuffix(s, "data: [DONE]") || strings.Contains(s[strings.LastIndex(s, "\n")+1:], `"done":true`)) {
				errs <- fmt.Errorf("client %d: %d %.200s", i, resp.StatusCode, s)
			}
		}()
	}
	wg.Wait()
	close(stopWatch)
	maxActive := <-peak
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if maxActive > 4 {
		t.Errorf("%d requests generated at once with 4 slots", maxActive)
	}
}

// longRequest is a generation that runs for hundreds of steps.
const longRequest = `{"model":"tolstoy","prompt":"Prince","options":{"num_predict":250,"temperature":0}}`

// startStream posts a long streaming request and returns once its first
// line has arrived.
func startStream(t *testing.T, ctx context.Context, base string) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/generate", strings.NewReader(longRequest))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("long request: %d", resp.StatusCode)
	}
	r := bufio.NewReader(resp.Body)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	return resp, r
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestQueueFull: with one slot and a queue of one, a third request is
// answered 503 with Retry-After at once.
func TestQueueFull(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{Parallel: 1, MaxQueue: 1})
	s, ts := newTestServer(t, m, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, _ := startStream(t, ctx, ts.URL)
	defer a.Body.Close()
	queued := make(chan struct{})
	go func() {
		defer close(queued)
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/api/generate", strings.NewReader(longRequest))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	waitFor(t, "a queued request", func() bool { return m.sched.Queued() == 1 })
	for _, path := range []string{"/api/generate", "/v1/completions"} {
		code, hdr, body := call(t, ts, "POST", path, `{"prompt":"x"}`)
		if code != 503 || hdr.Get("Retry-After") != "1" || !strings.Contains(string(body), "server busy") {
			t.Errorf("%s with a full queue: %d %v %s", path, code, hdr, body)
		}
	}
	if got := s.metrics.rejected.Load(); got != 2 {
		t.Errorf("rejected counter %d, want 2", got)
	}
	cancel()
	<-queued
	waitFor(t, "the slot to free", func() bool { return m.sched.Active() == 0 && m.sched.Queued() == 0 })
}

// TestDisconnectFreesSlot: a client that goes away mid-stream frees its
// slot at the engine's next step, long before its generation would end.
func TestDisconnectFreesSlot(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{Parallel: 1})
	_, ts := newTestServer(t, m, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	resp, _ := startStream(t, ctx, ts.URL)
	if metric(t, ts.Client(), ts.URL, "kiln_active_slots") != 1 {
		t.Fatal("the stream holds no slot")
	}
	cancel()
	resp.Body.Close()
	waitFor(t, "the slot to free", func() bool { return metric(t, ts.Client(), ts.URL, "kiln_active_slots") == 0 })
	if n := metric(t, ts.Client(), ts.URL, "kiln_completion_tokens_total"); n >= 250 {
		t.Errorf("%v tokens generated: the disconnect did not stop the generation", n)
	}
	code, _, _ := call(t, ts, "POST", "/api/generate", `{"prompt":"x","stream":false,"options":{"num_predict":2}}`)
	if code != 200 {
		t.Errorf("next request: %d", code)
	}
}

// badInputs are requests that must each get their error, never a crash,
// with the status they must get; good ones are mixed in.
var loadCases = []struct {
	name, method, path, body string
	hdr                      []string
	code                     int
}{
	{"tags", "GET", "/api/tags", "", nil, 200},
	{"generate", "POST", "/api/generate", `{"prompt":"Prince","stream":false,"options":{"num_predict":2}}`, nil, 200},
	{"stream", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"max_tokens":2,"stream":true}`, nil, 200},
	{"malformed JSON", "POST", "/api/chat", `{"messages":[{`, nil, 400},
	{"wrong types", "POST", "/v1/chat/completions", `{"messages":{"role":1}}`, nil, 400},
	{"unknown model", "POST", "/api/generate", `{"model":"gpt","prompt":"x"}`, nil, 404},
	{"negative max_tokens", "POST", "/v1/completions", `{"prompt":"x","max_tokens":-3}`, nil, 400},
	{"huge max_tokens", "POST", "/v1/completions", `{"prompt":"x","max_tokens":99999999999999999999}`, nil, 400},
	{"empty messages", "POST", "/v1/chat/completions", `{"messages":[]}`, nil, 400},
	{"10 MB body", "POST", "/api/generate", `{"prompt":"` + strings.Repeat("a", 10<<20) + `"}`, nil, 413},
	{"wrong API key", "GET", "/api/tags", "", []string{"Authorization", "Bearer wrong"}, 401},
	{"disallowed origin", "POST", "/api/chat", `{}`, []string{"Origin", "https://evil.example"}, 403},
	{"client gives up", "POST", "/api/generate", `{"prompt":"Prince","options":{"num_predict":200}}`, []string{"cancel", "1"}, 0},
}

// TestLoadThroughBadInput sends 1000 requests, bad and good mixed, from 8
// clients: each gets its status, and afterwards the goroutine count is
// back where it started (no leak across requests, streams or cancels).
func TestLoadThroughBadInput(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{Parallel: 2, MaxQueue: 64})
	_, ts := newTestServer(t, m, Config{APIKey: "k"})
	client := ts.Client()
	do := func(i int) error {
		c := loadCases[i%len(loadCases)]
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, _ := http.NewRequestWithContext(ctx, c.method, ts.URL+c.path, body)
		req.Header.Set("Authorization", "Bearer k")
		giveUp := false
		for j := 0; j+1 < len(c.hdr); j += 2 {
			if c.hdr[j] == "cancel" {
				giveUp = true
				continue
			}
			req.Header.Set(c.hdr[j], c.hdr[j+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("%s: %v", c.name, err)
		}
		defer resp.Body.Close()
		if giveUp {
			bufio.NewReader(resp.Body).ReadString('\n')
			cancel()
			return nil
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != c.code {
			return fmt.Errorf("%s: %d %.200s, want %d", c.name, resp.StatusCode, b, c.code)
		}
		return nil
	}
	// Warm up: the first request starts the connection pool's goroutines.
	for i := range len(loadCases) {
		if err := do(i); err != nil {
			t.Fatal(err)
		}
	}
	client.CloseIdleConnections()
	waitFor(t, "idle", func() bool { return m.sched.Active() == 0 })
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()

	const total, workers = 1000, 8
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += workers {
				if err := do(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if code, _, _ := call(t, ts, "GET", "/health", ""); code != 200 {
		t.Fatalf("health after the load: %d", code)
	}
	client.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	after := runtime.NumGoroutine()
	for after > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	if after > before+2 {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: %d before, %d after 1000 requests\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	t.Logf("goroutines: %d before, %d after %d requests", before, after, total)
}
