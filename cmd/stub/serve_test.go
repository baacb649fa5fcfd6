package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-llm/kiln/engine/model"
)

func TestParseOllamaHost(t *testing.T) {
	for _, tc := range []struct {
		in   string
		host string
		port int
	}{
		{"0.0.0.0", "0.0.0.0", 0}, {"127.0.0.1:8080", "127.0.0.1", 8080}, {"http://localhost:9000", "localhost", 9000},
		{"[::1]:7000", "::1", 7000}, {":5555", "", 5555}, {"https://example.com:443/path", "example.com", 443},
	} {
		h, p, err := parseOllamaHost(tc.in)
		if err != nil || h != tc.host || p != tc.port {
			t.Errorf("parseOllamaHost(%q) = %q, %d, %v", tc.in, h, p, err)
		}
	}
	if _, _, err := parseOllamaHost("localhost:http"); err == nil {
		t.Error("a named port was accepted")
	}
}

func TestAutoContext(t *testing.T) {
	c := &model.Config{ContextLen: 32768, Layers: 32, KVHeads: 8, HeadDim: 128}
	// 32 layers × 1024 values × 2 (K, V) × 2 bytes = 128 KiB per position.
	for _, tc := range []struct {
		slots int
		avail int64
		want  int
	}{
		{1, 64 << 30, 32768},       // fits: the trained context
		{1, 1 << 30, 4096},         // 512 MiB of cache / 128 KiB
		{4, 1 << 30, 1024},         // shared by four slots
		{1, 10 << 20, 256},         // never below 256
		{1, 0, 4096},               // unknown memory: the engine's default cap
		{1, 1<<30 + 300<<10, 4096}, // rounded down to a multiple of 256
	} {
		if got, why := autoContext(c, tc.slots, tc.avail); got != tc.want {
			t.Errorf("autoContext(%d slots, %d bytes) = %d (%s), want %d", tc.slots, tc.avail, got, why, tc.want)
		}
	}
}

// TestServeInfo checks that --serve --info says where each setting came
// from: flags over Ollama's environment over defaults.
func TestServeInfo(t *testing.T) {
	cmd := exec.Command(stubBin, "-m", "../../testdata/tolstoy-4m-q8_0.gguf", "--serve", "--info", "--port", "9999")
	cmd.Env = append(os.Environ(), "OLLAMA_HOST=0.0.0.0:1234", "OLLAMA_NUM_PARALLEL=3", "OLLAMA_KV_CACHE_TYPE=q8_0",
		"OLLAMA_CONTEXT_LENGTH=128", "KILN_API_KEY=secret", "OLLAMA_ORIGINS=https://a.example")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{
		`host\s+\|\s+0\.0\.0\.0\s+\|\s+\$OLLAMA_HOST`, `port\s+\|\s+9999\s+\|\s+flag --port`,
		`parallel\s+\|\s+3\s+\|\s+\$OLLAMA_NUM_PARALLEL`, `max queue\s+\|\s+512\s+\|\s+default`,
		`api key\s+\|\s+\(set\)\s+\|\s+\$KILN_API_KEY`, `extra origins\s+\|\s+https://a.example\s+\|\s+\$OLLAMA_ORIGINS`,
		`context\s+\|\s+128 \(as set\)\s+\|\s+\$OLLAMA_CONTEXT_LENGTH`, `KV cache type\s+\|\s+f16\s+\|\s+\$OLLAMA_KV_CACHE_TYPE`,
		`q8_0 .* is not supported yet: using f16`,
	} {
		if !regexp.MustCompile(want).MatchString(s) {
			t.Errorf("--serve --info lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "secret") {
		t.Error("--info printed the API key")
	}
}

// TestServe starts the stub's server on a free port, generates through it,
// and stops it with SIGINT.
func TestServe(t *testing.T) {
	cmd := exec.Command(stubBin, "-m", "../../testdata/tolstoy-4m-q8_0.gguf", "--serve", "--port", "0", "-t", "1")
	cmd.Env = append(os.Environ(), "OLLAMA_HOST=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stderr)
	var addr string
	var log strings.Builder
	for addr == "" && lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no address in the log:\n%s", log.String())
	}
	go io.Copy(io.Discard, stderr)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 10 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Post(addr+"/api/generate", "application/json",
		strings.NewReader(`{"model":"tolstoy-4m-q8_0","prompt":"Prince Andrew","stream":false,"options":{"temperature":0,"num_predict":8}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"eval_count":8`) {
		t.Fatalf("generate: %d %s", resp.StatusCode, body)
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("still running 15 s after SIGINT")
	}
}
