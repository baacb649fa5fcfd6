package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/internal/golden"
)

// TestBenchJSON runs --bench with llama-bench's -p/-n spelling on a golden
// model and checks the JSON: one object per test, llama-bench's field
// names, one sample per repetition.
func TestBenchJSON(t *testing.T) {
	model := golden.Path(t, "models", "llama-q4_k_m.gguf")
	out, stderr, code := runProg(t, stubBin, "-m", model, "--bench", "-p", "16,32", "-n", "8", "-r", "2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var results []map[string]any
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, out)
	}
	want := []struct{ prompt, gen float64 }{{16, 0}, {32, 0}, {0, 8}}
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d", len(results), len(want))
	}
	for i, r := range results {
		for _, field := range []string{"model_filename", "n_prompt", "n_gen", "n_threads", "avg_ts", "stddev_ts", "samples_ts", "samples_ns", "avg_ns"} {
			if _, ok := r[field]; !ok {
				t.Errorf("result %d has no %q", i, field)
			}
		}
		if r["n_prompt"] != want[i].prompt || r["n_gen"] != want[i].gen {
			t.Errorf("result %d: n_prompt %v n_gen %v, want %v %v", i, r["n_prompt"], r["n_gen"], want[i].prompt, want[i].gen)
		}
		if ts, _ := r["avg_ts"].(float64); !(ts > 0) {
			t.Errorf("result %d: avg_ts %v", i, r["avg_ts"])
		}
		if s, _ := r["samples_ts"].([]any); len(s) != 2 {
			t.Errorf("result %d: %d samples, want 2 (-r 2)", i, len(s))
		}
		if r["model_filename"] != "llama-q4_k_m.gguf" {
			t.Errorf("model_filename %v", r["model_filename"])
		}
	}
}

// TestBenchTable checks the table and the flags' errors.
func TestBenchTable(t *testing.T) {
	model := golden.Path(t, "models", "qwen2-q8_0.gguf")
	out, stderr, code := runProg(t, stubBin, "-m", model, "--bench", "--bench-prompt", "8", "--bench-gen", "4", "-r", "1", "-t", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, s := range []string{"pp8", "tg4", "t/s", "weights GB/s"} {
		if !strings.Contains(strings.ToLower(out), strings.ToLower(s)) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	for _, args := range [][]string{
		{"--bench", "-p", "hello"},
		{"--bench", "--bench-gen", "-3"},
		{"--bench", "-r", "0"},
	} {
		_, stderr, code := runProg(t, stubBin, append([]string{"-m", model}, args...)...)
		if code == 0 || !strings.Contains(stderr, "error:") {
			t.Errorf("%v: exit %d, stderr %q; want an error", args, code, stderr)
		}
	}
}
