package api

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNPMClients runs the official openai SDK and the ollama client library
// (installed from npm with npm ci into a temp dir) against a server on a
// random loopback port. It runs with -tags slow or KILN_NPM_TESTS=1, and
// from `make test-clients`.
func TestNPMClients(t *testing.T) {
	if !slowTests && os.Getenv("KILN_NPM_TESTS") != "1" {
		t.Skip("npm client tests run with -tags slow or KILN_NPM_TESTS=1 (make test-clients)")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed for the client tests: %v", tool, err)
		}
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "clients.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "clients", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ci := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	ci.Dir = dir
	if out, err := ci.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}

	m := newTestModel(t, tolstoyPath, 256, ModelConfig{Parallel: 2})
	_, ts := newTestServer(t, m, Config{APIKey: "kiln-test-key"})
	ref := greedyText(t, m, "Prince Andrew", 10)
	expect, _ := json.Marshal(map[string]any{
		"text10": ref.Text, "promptTokens": ref.PromptTokens, "stop": ref.Text[4:9],
		"dim": m.e.Model.Config().Dim, "ctx": m.Context(),
	})
	node := exec.Command("node", "clients.mjs")
	node.Dir = dir
	node.Env = append(os.Environ(), "KILN_URL="+ts.URL, "KILN_MODEL="+m.Name(), "KILN_EXPECT="+string(expect))
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = node.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		node.Process.Kill()
		<-done
		t.Fatalf("node clients.mjs timed out:\n%s", out)
	}
	t.Logf("\n%s", strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("node clients.mjs: %v", err)
	}
}
