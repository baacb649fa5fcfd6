// Command synth writes a random-weight model of any llama, qwen2 or qwen3
// shape as a GGUF in any llama.cpp recipe (see internal/synth), streaming:
// a 1B-parameter model needs a few megabytes of memory, not gigabytes.
//
//	synth --preset llama1b --quantize q4_k_m -o testdata/bench/llama1b-q4_k_m.gguf
//	synth --arch qwen3 --dim 1024 --layers 4 --heads 8 --kv-heads 4 --ffn 3072 --vocab 32000 -o x.gguf
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/progress"
	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/quantize"
	"github.com/kiln-llm/kiln/internal/human"
	"github.com/kiln-llm/kiln/internal/synth"
	"github.com/kiln-llm/kiln/internal/version"
)

func main() {
	presets := make([]string, 0, len(synth.Presets))
	for name := range synth.Presets {
		presets = append(presets, name)
	}
	sort.Strings(presets)
	app := &cli.App{
		Name:            "synth",
		Usage:           "write a random-weight model of any llama/qwen2/qwen3 shape",
		UsageText:       "synth [--preset NAME] [shape flags] [--quantize TYPE] -o OUT.gguf",
		Version:         version.Version,
		HideHelpCommand: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "preset", Usage: "start from this shape: " + strings.Join(presets, ", ")},
			&cli.StringFlag{Name: "arch", Usage: "architecture: llama, qwen2 or qwen3"},
			&cli.StringFlag{Name: "name", Usage: "general.name"},
			&cli.IntFlag{Name: "dim", Usage: "embedding width"},
			&cli.IntFlag{Name: "layers", Usage: "blocks"},
			&cli.IntFlag{Name: "heads", Usage: "attention heads"},
			&cli.IntFlag{Name: "kv-heads", Usage: "KV heads (default: heads)"},
			&cli.IntFlag{Name: "head-dim", Usage: "head dimension (default: dim/heads)"},
			&cli.IntFlag{Name: "ffn", Usage: "feed-forward width"},
			&cli.IntFlag{Name: "vocab", Usage: "vocabulary size (rows of token_embd)"},
			&cli.IntFlag{Name: "ctx", Usage: "context_length"},
			&cli.BoolFlag{Name: "tied", Usage: "tie the output to token_embd (no output.weight)"},
			&cli.Float64Flag{Name: "rope-base", Usage: "RoPE frequency base"},
			&cli.BoolFlag{Name: "qkv-bias", Usage: "q/k/v biases (qwen2)"},
			&cli.Uint64Flag{Name: "seed", Usage: "weights seed"},
			&cli.StringFlag{Name: "vocab-from", Usage: "copy the tokenizer from this GGUF `FILE` (.gguf or .gguf.gz) instead of a synthetic one"},
			&cli.StringFlag{Name: "quantize", Value: "Q4_K_M", Usage: "llama.cpp recipe `TYPE`: " + strings.Join(quantize.Recipes(), ", ")},
			&cli.BoolFlag{Name: "pure", Usage: "the plain type for every weight (llama-quantize --pure)"},
			&cli.IntFlag{Name: "threads", Aliases: []string{"t"}, Usage: "quantizing goroutines (default: one per core)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the GGUF to `FILE`", Required: true},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar and no summary"},
		},
		Action:         run,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// config is the preset with the shape flags given applied over it.
func config(c *cli.Context) (synth.Config, error) {
	var cfg synth.Config
	if p := c.String("preset"); p != "" {
		var ok bool
		if cfg, ok = synth.Presets[p]; !ok {
			return cfg, fmt.Errorf("unknown preset %q", p)
		}
	}
	ints := map[string]*int{"dim": &cfg.Dim, "layers": &cfg.Layers, "heads": &cfg.Heads, "kv-heads": &cfg.KVHeads,
		"head-dim": &cfg.HeadDim, "ffn": &cfg.FFN, "vocab": &cfg.Vocab, "ctx": &cfg.Context}
	for name, p := range ints {
		if c.IsSet(name) {
			*p = c.Int(name)
		}
	}
	if c.IsSet("arch") {
		cfg.Arch = c.String("arch")
	}
	if c.IsSet("name") {
		cfg.Name = c.String("name")
	}
	if c.IsSet("tied") {
		cfg.Tied = c.Bool("tied")
	}
	if c.IsSet("qkv-bias") {
		cfg.QKVBias = c.Bool("qkv-bias")
	}
	if c.IsSet("rope-base") {
		cfg.RopeBase = c.Float64("rope-base")
	}
	if c.IsSet("seed") {
		cfg.Seed = c.Uint64("seed")
	}
	return cfg, nil
}

func run(c *cli.Context) error {
	cfg, err := config(c)
	if err != nil {
		return err
	}
	m, err := synth.New(cfg)
	if err != nil {
		return err
	}
	if path := c.String("vocab-from"); path != "" {
		kv, err := readMetadata(path)
		if err != nil {
			return err
		}
		if err := m.UseTokenizer(kv); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if _, err := quantize.FileType(c.String("quantize")); err != nil {
		return err
	}
	out := c.String("output")
	if dir := filepath.Dir(out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".*.tmp")
	if err != nil {
		return err
	}
	removeOnInterrupt(tmp.Name())
	o := quantize.Options{Recipe: c.String("quantize"), Pure: c.Bool("pure"), Threads: c.Int("threads")}
	var pw progress.Writer
	var tr *progress.Tracker
	if !c.Bool("quiet") {
		pw = progress.NewWriter()
		pw.SetOutputWriter(os.Stderr)
		pw.SetUpdateFrequency(100 * time.Millisecond)
		pw.Style().Visibility.ETA = true
		tr = &progress.Tracker{Message: fmt.Sprintf("%s %s", m.Config().Name, strings.ToUpper(o.Recipe)), Units: progress.UnitsBytes}
		pw.AppendTracker(tr)
		go pw.Render()
		o.Progress = func(done, total int64) {
			tr.UpdateTotal(total)
			tr.SetValue(done)
		}
	}
	rep, err := m.Write(tmp, o)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if pw != nil {
		if err == nil {
			tr.MarkAsDone()
		} else {
			tr.MarkAsErrored()
		}
		time.Sleep(150 * time.Millisecond)
		pw.Stop()
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if !c.Bool("quiet") {
		secs := rep.Elapsed.Seconds()
		fmt.Printf("%s: %s parameters, %s, %s in %.1f s (%.0f MB/s of F32)\n", out, human.Count(m.Params()), rep.Recipe,
			human.Bytes(rep.Written), secs, float64(rep.Before)/1e6/max(secs, 1e-9))
	}
	return nil
}

// removeOnInterrupt deletes path if the command is interrupted, so that
// Ctrl-C leaves no partial file.
func removeOnInterrupt(path string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	go func() {
		<-sig
		os.Remove(path)
		fmt.Fprintln(os.Stderr, "interrupted")
		os.Exit(130)
	}()
}

// readMetadata reads the metadata of a GGUF, gunzipping a .gz one.
func readMetadata(path string) ([]gguf.KV, error) {
	if !strings.HasSuffix(path, ".gz") {
		f, err := gguf.Open(path)
		if err != nil {
			return nil, err
		}
		return f.KV, nil // the mapping stays open for the process's life
	}
	in, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(zr, 1<<30)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f.KV, nil
}
