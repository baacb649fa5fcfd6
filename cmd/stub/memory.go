package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/kv"
	"github.com/kiln-llm/kiln/engine/model"
	"github.com/kiln-llm/kiln/internal/sysmem"
)

// runMemory estimates the memory of a run with the settings of c: slots
// sequences of the --ctx (or Modelfile num_ctx, or default) context. It
// also returns the model's shape and the context in tokens.
func runMemory(c *cli.Context, src *source, slots int) (engine.Memory, *model.Config, int, error) {
	set, err := loadSettings(c, src)
	if err != nil {
		return engine.Memory{}, nil, 0, err
	}
	m, err := model.Load(src.gguf, nil)
	if err != nil {
		return engine.Memory{}, nil, 0, err
	}
	ctx := set.ctx
	cfg := m.Config()
	mem := engine.EstimateMemory(cfg, m.Bytes(), ctx, 0, slots)
	if c.IsSet("logits-out") || c.IsSet("perplexity") {
		mem.Scratch += engine.AllLogitsBytes(cfg, 0)
	}
	return mem, cfg, int(mem.KV / kv.Bytes(cfg.Layers, max(slots, 1), cfg.KVDim())), nil
}

// checkMemory runs before a model is loaded for real: it refuses a run
// whose memory will not fit in what the machine has available, so that a
// small board says so instead of being killed by the OOM killer (or
// paging the weights in from the SD card for every token). With --stats
// it prints the estimate on one stderr line; a server, which has a
// startup log, passes log to print it always. --no-mem-check skips the
// refusal.
func checkMemory(c *cli.Context, src *source, slots int, log bool) error {
	mem, cfg, ctx, err := runMemory(c, src, slots)
	if err != nil {
		return err
	}
	sys, serr := sysmem.Read()
	if log || c.Bool("stats") {
		fmt.Fprintln(os.Stderr, "memory: "+memoryLine(mem, ctx, sys, serr))
	}
	if serr != nil || c.Bool("no-mem-check") || mem.Total() <= sys.Available {
		return nil
	}
	perToken := int64(max(slots, 1)) * kv.Bytes(cfg.Layers, 1, cfg.KVDim())
	what := "it"
	if mem.Heap() <= sys.Available {
		what = "its weights would be read back from disk for every token: it"
	}
	return fmt.Errorf("not enough memory: %s needs about %s (weights %s, KV cache %s for %d tokens, scratch %s) and %s is available (of %s, %s); a smaller --ctx shrinks the KV cache by %s per token, or run with --no-mem-check to try anyway",
		what, size(mem.Total()), size(mem.Weights), size(mem.KV), ctx, size(mem.Scratch),
		size(sys.Available), size(sys.Total), sys.Source, size(perToken))
}

// memoryLine says what a run takes, and what the machine has free when
// that is known.
func memoryLine(mem engine.Memory, ctx int, sys sysmem.Info, serr error) string {
	s := fmt.Sprintf("weights %s (mapped) + KV cache %s (%d tokens) + scratch %s = %s",
		size(mem.Weights), size(mem.KV), ctx, size(mem.Scratch), size(mem.Total()))
	switch {
	case errors.Is(serr, sysmem.ErrUnsupported):
	case serr != nil:
		s += fmt.Sprintf("; free memory unknown (%v)", serr)
	default:
		s += fmt.Sprintf("; %s of %s available", size(sys.Available), size(sys.Total))
	}
	return s
}

// infoMemory is the --info line: the estimate with the run's settings.
func infoMemory(w io.Writer, c *cli.Context, src *source) {
	mem, _, ctx, err := runMemory(c, src, 1)
	if err != nil {
		return // a vocabulary-only GGUF: nothing to run
	}
	sys, serr := sysmem.Read()
	fmt.Fprintf(w, "\nMemory to run: %s\n", memoryLine(mem, ctx, sys, serr))
}

// size renders n in the largest binary unit that keeps it above 1.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
