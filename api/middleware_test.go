package api

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{APIKey: "sekret"})
	for _, tc := range []struct {
		name, method, path, auth string
		code                     int
		msg                      string
	}{
		{"no key", "GET", "/api/tags", "", 401, "missing API key"},
		{"wrong key", "GET", "/api/tags", "Bearer nope", 401, "invalid API key"},
		{"not bearer", "GET", "/api/tags", "sekret", 401, "invalid API key"},
		{"right key", "GET", "/api/tags", "Bearer sekret", 200, ""},
		{"OpenAI shape", "GET", "/v1/models", "Bearer nope", 401, "invalid API key"},
		{"root needs the key", "GET", "/", "", 401, ""},
		{"health is open", "GET", "/health", "", 200, ""},
		{"chat page is open", "GET", "/ui", "", 200, ""},
		{"metrics need the key", "GET", "/metrics", "", 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := call(t, ts, tc.method, tc.path, "", "Authorization", tc.auth)
			if code != tc.code || !strings.Contains(string(body), tc.msg) {
				t.Fatalf("%d %s, want %d %q", code, body, tc.code, tc.msg)
			}
			if code == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tc.path == "/v1/models" && !strings.Contains(string(body), `"type":"authentication_error"`) {
				t.Errorf("OpenAI route answered %s", body)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{Origins: []string{"https://*.example.com"}})
	for _, tc := range []struct {
		name, method, origin string
		code                 int
		allow                bool
	}{
		{"no origin", "GET", "", 200, false},
		{"localhost with port", "GET", "http://localhost:3000", 200, true},
		{"127.0.0.1", "GET", "http://127.0.0.1", 200, true},
		{"vscode webview", "GET", "vscode-webview://abc", 200, true},
		{"configured wildcard", "GET", "https://app.example.com", 200, true},
		{"disallowed", "GET", "https://evil.example.org", 403, false},
		{"disallowed look-alike", "GET", "http://localhost.evil.org", 403, false},
		{"preflight allowed", "OPTIONS", "http://localhost:5173", 204, true},
		{"preflight disallowed", "OPTIONS", "https://evil.example.org", 403, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{"Origin", tc.origin}
			if tc.method == "OPTIONS" {
				hdr = append(hdr, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
			}
			code, h, body := call(t, ts, tc.method, "/api/tags", "", hdr...)
			if code != tc.code || (h.Get("Access-Control-Allow-Origin") == tc.origin && tc.origin != "") != tc.allow {
				t.Fatalf("%d %v %s", code, h, body)
			}
			if tc.code == 403 && !strings.Contains(string(body), "is not allowed") {
				t.Errorf("403 body %s", body)
			}
			if tc.code == 204 && !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") {
				t.Errorf("preflight headers %v", h)
			}
		})
	}
	_, all := newTestServer(t, nil, Config{Origins: []string{"*"}})
	if code, _, _ := call(t, all, "GET", "/api/tags", "", "Origin", "https://anything.test"); code != 200 {
		t.Errorf(`"*" refused an origin: %d`, code)
	}
}

func TestOriginAllowedSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin, host string
		want         bool
	}{
		{"http://192.168.1.5:11434", "192.168.1.5:11434", true}, // the chat page on a LAN address
		{"http://kiln.local:11434", "kiln.local:11434", true},
		{"http://evil.com:11434", "evil.com:11434", false}, // a rebound name is not same-origin enough
		{"http://192.168.1.5:11434", "192.168.1.6:11434", false},
	} {
		if got := originAllowed(nil, tc.origin, tc.host); got != tc.want {
			t.Errorf("originAllowed(%q, host %q) = %v", tc.origin, tc.host, got)
		}
	}
}

// serveLoopback runs the server on a real loopback listener (so that the
// Host check is on) and returns its address and a stop function.
func serveLoopback(t *testing.T, s *Server) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once bool
	stop := func() error {
		if once {
			return nil
		}
		once = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return ln.Addr().String(), stop
}

func TestHostCheck(t *testing.T) {
	s := NewServer(newTestModel(t, tolstoyPath, 256, ModelConfig{}), Config{})
	addr, _ := serveLoopback(t, s)
	_, port, _ := net.SplitHostPort(addr)
	for _, tc := range []struct {
		host string
		code int
	}{
		{addr, 200}, {"localhost:" + port, 200}, {"localhost", 200}, {"[::1]:" + port, 200}, {"app.localhost", 200},
		{"10.0.0.2", 200}, {"evil.com", 403}, {"evil.com:" + port, 403}, {"127.0.0.1.nip.io", 403},
	} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/tags", nil)
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("Host %q: %d %s, want %d", tc.host, resp.StatusCode, body, tc.code)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{MaxBodyBytes: 1 << 20})
	big := `{"model":"tolstoy","prompt":"` + strings.Repeat("x", 10<<20) + `"}`
	for _, path := range []string{"/api/generate", "/v1/completions"} {
		code, _, body := call(t, ts, "POST", path, big)
		if code != 413 || !strings.Contains(string(body), "limit of 1048576 bytes") {
			t.Errorf("%s with 10 MB: %d %.200s", path, code, body)
		}
		// Without a Content-Length the reader stops at the limit.
		req, _ := http.NewRequest("POST", ts.URL+path, io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 || !strings.Contains(string(body), "larger than 1048576 bytes") {
			t.Errorf("%s chunked 10 MB: %d %.200s", path, resp.StatusCode, body)
		}
	}
}

func TestNotFoundAndMethod(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{})
	code, _, body := call(t, ts, "GET", "/api/nothing", "")
	if code != 404 || decode(t, body)["error"] == nil {
		t.Errorf("unknown path: %d %s", code, body)
	}
	code, hdr, body := call(t, ts, "POST", "/api/tags", "{}")
	if code != 405 || hdr.Get("Allow") != "GET" || decode(t, body)["error"] == nil {
		t.Errorf("wrong method: %d %v %s", code, hdr, body)
	}
	code, _, body = call(t, ts, "GET", "/v1/chat/completions", "")
	if code != 405 || !strings.Contains(string(body), `"type"`) {
		t.Errorf("wrong method on /v1: %d %s", code, body)
	}
}

func TestHealthLoadingAndMetrics(t *testing.T) {
	s := NewServer(nil, Config{})
	addr, _ := serveLoopback(t, s)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/health"); code != 503 || !strings.Contains(body, "loading") {
		t.Errorf("health while loading: %d %s", code, body)
	}
	if code, body := get("/api/tags"); code != 503 || !strings.Contains(body, "still loading") {
		t.Errorf("tags while loading: %d %s", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "kiln_model_loaded 0") {
		t.Errorf("metrics while loading: %s", body)
	}
	s.SetModel(newTestModel(t, tolstoyPath, 256, ModelConfig{}))
	if code, body := get("/health"); code != 200 || !strings.Contains(body, "ready") {
		t.Errorf("health: %d %s", code, body)
	}
	resp, err := http.Post("http://"+addr+"/api/generate", "application/json", strings.NewReader(`{"model":"tolstoy","prompt":"Prince","stream":false,"options":{"num_predict":5,"temperature":0}}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_, body := get("/metrics")
	for _, want := range []string{
		`kiln_requests_total{route="POST /api/generate",code="200"} 1`,
		`kiln_requests_total{route="GET /health",code="503"} 1`,
		"kiln_completion_tokens_total 5", "kiln_prompt_tokens_total 2", "kiln_time_to_first_token_seconds_count 1",
		"kiln_generation_tokens_per_second_count 1", "kiln_active_slots 0", "kiln_queue_depth 0", "kiln_slots 2",
		"kiln_context_length 256", "kiln_model_loaded 1", "# TYPE kiln_requests_total counter",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// TestGracefulShutdown cancels Serve while a long stream runs: with a long
// deadline the stream finishes whole; with a short one it is cut with an
// error line that says why, and Serve returns soon after. (The short
// deadline is far below the ~40 ms the 250 tokens take on a fast machine.)
func TestGracefulShutdown(t *testing.T) {
	for _, tc := range []struct {
		name     string
		deadline time.Duration
		cut      bool
	}{{"finishes", 20 * time.Second, false}, {"cut", time.Millisecond, true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(newTestModel(t, tolstoyPath, 256, ModelConfig{}), Config{ShutdownTimeout: tc.deadline})
			addr, stop := serveLoopback(t, s)
			resp, err := http.Post("http://"+addr+"/api/generate", "application/json",
				strings.NewReader(`{"model":"tolstoy","prompt":"Prince","options":{"num_predict":250,"temperature":0}}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			first := make([]byte, 1)
			if _, err := io.ReadFull(resp.Body, first); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- stop() }()
			rest, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("stream broken instead of ended cleanly: %v", err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			ls := lines(t, append(first, rest...))
			last := ls[len(ls)-1]
			if tc.cut {
				if !strings.Contains(fmt.Sprint(last["error"]), "shutting down") || time.Since(start) > 10*time.Second {
					t.Fatalf("cut stream ended with %v after %v", last, time.Since(start))
				}
			} else if last["done"] != true {
				t.Fatalf("stream ended with %v", last)
			}
			if _, err := http.Get("http://" + addr + "/health"); err == nil {
				t.Error("server still answers after Serve returned")
			}
		})
	}
}

func TestChatPage(t *testing.T) {
	_, ts := newTestServer(t, nil, Config{})
	code, hdr, body := call(t, ts, "GET", "/ui", "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "/api/chat") ||
		hdr.Get("Content-Security-Policy") == "" {
		t.Fatalf("GET /ui = %d %v %.100s", code, hdr, body)
	}
	// Browsers asking for / get Ollama's answer too: clients probe it.
	if code, _, body := call(t, ts, "GET", "/", "", "Accept", "text/html"); code != 200 || string(body) != "Ollama is running" {
		t.Fatalf("GET / for a browser = %d %q", code, body)
	}
}
