package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/quantize"
	"github.com/kiln-llm/kiln/internal/human"
	"github.com/kiln-llm/kiln/pack"
)

// quantizeFlags are the options of --quantize.
var quantizeFlags = []cli.Flag{
	&cli.StringFlag{Name: "quantize", Usage: "quantize an F32/F16/BF16 model first, with llama.cpp's `TYPE` recipe: " + strings.Join(quantize.Recipes(), ", ")},
	&cli.BoolFlag{Name: "pure", Usage: "with --quantize: the plain type for every weight, without llama.cpp's mixture rules (llama-quantize --pure)"},
	&cli.StringFlag{Name: "gguf-out", Usage: "with --quantize: keep the quantized GGUF as `FILE` (without -o: only write it)"},
	&cli.StringFlag{Name: "ppl-text", Usage: "with --quantize: print the perplexity of the source and of the result on this text `FILE`"},
	&cli.IntFlag{Name: "ppl-chunk", Value: 256, Usage: "with --ppl-text: score chunks of `N` tokens, each in a fresh context"},
}

// quantizeModel runs --quantize: it writes the quantized GGUF to
// --gguf-out, or to a temporary folder beside the output, and returns the
// path to bundle instead of src, with a cleanup that removes the temporary
// folder (which Ctrl-C removes too). The path is "" when there is nothing
// left to do (only --gguf-out was asked for). Without --quantize it
// returns src unchanged.
func quantizeModel(c *cli.Context, src string, man *pack.Manifest) (string, func(), error) {
	nop := func() {}
	out, recipe, keep := c.String("output"), c.String("quantize"), c.String("gguf-out")
	if recipe == "" {
		for _, f := range []string{"pure", "gguf-out", "ppl-text"} {
			if c.IsSet(f) {
				return "", nop, fmt.Errorf("--%s needs --quantize TYPE", f)
			}
		}
		if out == "" {
			return "", nop, errors.New("no output: give -o FILE")
		}
		return src, nop, nil
	}
	if out == "" && keep == "" {
		return "", nop, errors.New("no output: give -o FILE for an artifact, or --gguf-out FILE for the quantized GGUF")
	}
	ftype, err := quantize.FileType(recipe)
	if err != nil {
		return "", nop, err
	}

	g, err := openGGUF(src)
	if err != nil {
		return "", nop, err
	}
	defer g.Close()
	if out != "" {
		// Fail before a long quantization, not after, if the runtime cannot
		// run this model anyway.
		if _, err := validate(g); err != nil {
			return "", nop, fmt.Errorf("%s: %w", src, err)
		}
	}

	tmp := newScratch()
	dst := keep
	if dst == "" {
		dir, err := os.MkdirTemp(filepath.Dir(out), ".kiln-quantize-")
		if err != nil {
			tmp.remove()
			return "", nop, err
		}
		tmp.add(dir)
		dst = filepath.Join(dir, quantizedName(src, recipe))
	}
	rep, err := writeQuantized(c, g, dst, recipe, tmp)
	if err == nil && !c.Bool("quiet") {
		printReport(src, dst, rep)
	}
	if text := c.String("ppl-text"); err == nil && text != "" {
		err = comparePerplexity(c, text, []string{src, dst})
	}
	if err != nil || out == "" {
		tmp.remove()
		return "", nop, err
	}
	st, err := os.Stat(src)
	if err != nil {
		tmp.remove()
		return "", nop, err
	}
	man.Files = append(man.Files, pack.SourceFile{Role: "source", Name: filepath.Base(src), Size: st.Size()})
	man.Inputs["quantize"] = rep.Recipe
	man.Inputs["file_type"] = fmt.Sprint(ftype)
	if c.Bool("pure") {
		man.Inputs["pure"] = "true"
	}
	return dst, tmp.remove, nil
}

// quantizedName names the quantized file after its source, its float
// type suffix replaced by the recipe: model-f16.gguf → model-q4_k_m.gguf.
func quantizedName(src, recipe string) string {
	stem := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
	for _, s := range []string{"-f32", "-f16", "-bf16", ".f32", ".f16", ".bf16", "_f32", "_f16", "_bf16"} {
		if strings.HasSuffix(strings.ToLower(stem), s) {
			stem = stem[:len(stem)-len(s)]
			break
		}
	}
	return stem + "-" + strings.ToLower(recipe) + ".gguf"
}

// scratch is a set of temporary paths, removed by remove or when the
// process is interrupted, so that neither an error nor Ctrl-C leaves a
// partial file behind.
type scratch struct {
	mu    sync.Mutex
	paths []string
	stop  chan struct{}
	once  sync.Once
}

func newScratch() *scratch {
	s := &scratch{stop: make(chan struct{})}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	go func() {
		defer signal.Stop(sig)
		select {
		case <-sig:
			s.removeAll()
			fmt.Fprintln(os.Stderr, "interrupted")
			os.Exit(130)
		case <-s.stop:
		}
	}()
	return s
}

func (s *scratch) add(path string) {
	s.mu.Lock()
	s.paths = append(s.paths, path)
	s.mu.Unlock()
}

func (s *scratch) removeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.paths) - 1; i >= 0; i-- {
		os.RemoveAll(s.paths[i])
	}
	s.paths = nil
}

// remove deletes every path and stops watching for Ctrl-C.
func (s *scratch) remove() {
	s.once.Do(func() {
		close(s.stop)
		s.removeAll()
	})
}

// writeQuantized quantizes g into dst through a temporary file in the same
// folder, renamed into place when complete: dst is never a partial file.
func writeQuantized(c *cli.Context, g *gguf.File, dst, recipe string, tmpPaths *scratch) (*quantize.Report, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".*.tmp")
	if err != nil {
		return nil, err
	}
	tmpPaths.add(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp makes it private
		tmp.Close()
		return nil, err
	}
	o := quantize.Options{Recipe: recipe, Pure: c.Bool("pure")}
	if !c.Bool("quiet") {
		bar := human.NewBar("quantizing to "+strings.ToUpper(recipe), 0, human.UnitsBytes)
		o.Progress = bar.Set
		defer func() { bar.Stop(err == nil) }()
	}
	rep, err := quantize.File(g, tmp, o)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return rep, nil
}

// printReport prints what the quantization made: bytes per tensor type.
func printReport(src, dst string, rep *quantize.Report) {
	type row struct {
		tensors       int
		before, after int64
	}
	byType := map[ggml.Type]*row{}
	var order []ggml.Type
	for _, t := range rep.Tensors {
		r := byType[t.To]
		if r == nil {
			r = &row{}
			byType[t.To] = r
			order = append(order, t.To)
		}
		r.tensors++
		r.before += t.Before
		r.after += t.After
	}
	tw := table.NewWriter()
	tw.SetOutputMirror(os.Stdout)
	tw.SetTitle(fmt.Sprintf("%s → %s (%s)", filepath.Base(src), filepath.Base(dst), rep.Recipe))
	tw.AppendHeader(table.Row{"type", "tensors", "before", "after"})
	for _, t := range order {
		r := byType[t]
		tw.AppendRow(table.Row{t, r.tensors, human.Bytes(r.before), human.Bytes(r.after)})
	}
	secs := rep.Elapsed.Seconds()
	tw.AppendFooter(table.Row{"total", len(rep.Tensors), human.Bytes(rep.Before), human.Bytes(rep.After)})
	tw.Style().Format.Footer = text.FormatDefault
	tw.SetCaption("%d fallback tensors; %.1f s, %.0f MB/s of input", rep.Fallbacks, secs, float64(rep.Before)/1e6/max(secs, 1e-9))
	tw.Render()
}

// comparePerplexity prints the perplexity of each model on the text at
// path side by side (the protocol of engine.Perplexity).
func comparePerplexity(c *cli.Context, path string, models []string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	tw := table.NewWriter()
	tw.SetOutputMirror(os.Stdout)
	tw.AppendHeader(table.Row{"model", "size", "perplexity", "change"})
	var base float64
	var tokens, chunk int
	for i, m := range models {
		ppl, n, ch, size, err := perplexityOf(c, m, string(text))
		if err != nil {
			return fmt.Errorf("perplexity of %s: %w", m, err)
		}
		change := ""
		if i == 0 {
			base = ppl
		} else {
			change = fmt.Sprintf("%+.2f%%", 100*(ppl/base-1))
		}
		tokens, chunk = n, ch
		tw.AppendRow(table.Row{filepath.Base(m), human.Bytes(size), fmt.Sprintf("%.4f", ppl), change})
	}
	tw.SetTitle(fmt.Sprintf("perplexity on %s: %d tokens in chunks of %d", filepath.Base(path), tokens, chunk))
	tw.Render()
	return nil
}

// perplexityOf loads the GGUF at path and scores text with it, returning
// the perplexity, the tokens scored, the chunk length and the file size.
func perplexityOf(c *cli.Context, path, text string) (float64, int, int, int64, error) {
	g, err := gguf.Open(path)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer g.Close()
	e, err := engine.Load(g, engine.Options{})
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer e.Close()
	ids := e.Tokenizer.Encode(text, true, true)
	bos := e.Tokenizer.BOS()
	if len(ids) > 0 && ids[0] == bos {
		ids = ids[1:]
	}
	chunk := min(c.Int("ppl-chunk"), e.Context)
	var progressFn func(done, total int)
	if !c.Bool("quiet") {
		bar := human.NewBar("perplexity of "+filepath.Base(path), int64(len(ids)), human.UnitsCount)
		progressFn = func(done, total int) { bar.Set(int64(done), int64(total)) }
		defer func() { bar.Stop(err == nil) }()
	}
	ppl, err := e.Perplexity(ids, bos, chunk, progressFn)
	return ppl, len(ids), chunk, int64(len(g.Bytes())), err
}
