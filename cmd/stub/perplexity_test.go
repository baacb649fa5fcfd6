package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --perplexity runs with the context the bundled Modelfile sets, as every
// other mode does (and as the memory check estimates), unless --ctx is given.
func TestPerplexityModelfileContext(t *testing.T) {
	dir := t.TempDir()
	mf := filepath.Join(dir, "Modelfile")
	if err := os.WriteFile(mf, []byte("FROM x.gguf\nPARAMETER num_ctx 64\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("Prince Andrew looked at the sky. ", 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	art := bundle(t, "../../testdata/tolstoy-4m-q8_0.gguf", "-f", mf)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "in chunks of 64 "},
		{[]string{"--ctx", "128"}, "in chunks of 128 "},
	} {
		stdout, stderr, code := runProg(t, art, append([]string{"--perplexity", text}, c.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		if !strings.Contains(stdout, c.want) {
			t.Errorf("%v: %q does not say %q", c.args, strings.TrimSpace(stdout), c.want)
		}
	}
}
