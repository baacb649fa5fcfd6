//go:build slow && linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/kv"
	"github.com/kiln-llm/kiln/engine/model"
)

// TestBenchPeakRSS runs the default --bench (pp512 and tg128 in one
// process) on the files `make bench-model` writes and checks the peak
// resident memory against what the CPU-speed issue allows: the file (all of
// it is mapped and read) plus the KV cache, plus 5%.
func TestBenchPeakRSS(t *testing.T) {
	for _, name := range []string{"llama1b-q4_k_m", "llama1b-q8_0", "qwen05b-q4_k_m"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "..", "testdata", "bench", name+".gguf")
			st, err := os.Stat(path)
			if err != nil {
				t.Skipf("%v: run make bench-model", err)
			}
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := model.ReadConfig(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			kvBytes := kv.Bytes(cfg.Layers, 512, cfg.KVDim()) // the context of pp512
			bound := float64(st.Size()+kvBytes) * 1.05

			cmd := exec.Command(stubBin, "-m", path, "--bench", "-r", "1", "-t", "2")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			peak := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) * 1024
			t.Logf("peak RSS %.1f MB; file %.1f MB + KV %.1f MB, bound %.1f MB", peak/1e6, float64(st.Size())/1e6, float64(kvBytes)/1e6, bound/1e6)
			if peak > bound {
				t.Errorf("peak RSS %.1f MB exceeds (file + KV cache) × 1.05 = %.1f MB", peak/1e6, bound/1e6)
			}
		})
	}
}
