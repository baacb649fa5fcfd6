package main

import (
	"strings"
	"testing"
)

// TestMemoryReport checks that --info and --stats say what a run takes,
// and that a run that cannot fit is refused up front with a one-line error
// that says what to change, instead of being killed while it allocates.
func TestMemoryReport(t *testing.T) {
	model := "../../testdata/tolstoy-4m-q8_0.gguf"
	stdout, stderr, code := runProg(t, stubBin, "-m", model, "--info")
	if code != 0 || !strings.Contains(stdout, "Memory to run: weights") || !strings.Contains(stdout, "KV cache") {
		t.Errorf("--info: exit %d, no memory line:\n%s%s", code, stdout, stderr)
	}
	_, stderr, code = runProg(t, stubBin, "-m", model, "-p", "Prince", "-n", "2", "--temp", "0", "--stats", "--ctx", "128")
	if code != 0 || !strings.Contains(stderr, "memory: weights") || !strings.Contains(stderr, "(128 tokens)") {
		t.Errorf("--stats: exit %d, no memory line for 128 tokens:\n%s", code, stderr)
	}
	// 2^30 positions of this model's KV cache are 2 TiB: more than any
	// machine that runs the tests has.
	_, stderr, code = runProg(t, stubBin, "-m", model, "-p", "Prince", "-n", "2", "--ctx", "1073741824")
	if code == 0 {
		t.Fatal("a 2 TiB KV cache was not refused")
	}
	msg := strings.TrimSpace(stderr)
	for _, want := range []string{"not enough memory", "KV cache", "--ctx", "--no-mem-check"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("want a one-line error, got %q", msg)
	}
}
