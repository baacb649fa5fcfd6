package main

import (
	"fmt"
	"os"
	"time"

	"github.com/jedib0t/go-pretty/v6/progress"
	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/engine"
)

// perplexity prints the model's perplexity on a text file, scored in chunks
// of --ppl-chunk tokens (see engine.Perplexity for the protocol).
func perplexity(c *cli.Context, src *source, path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	e, err := engine.Load(src.gguf, engine.Options{Threads: c.Int("threads"), Context: c.Int("ctx")})
	if err != nil {
		return err
	}
	defer e.Close()
	ids := e.Tokenizer.Encode(string(text), true, true)
	bos := e.Tokenizer.BOS()
	if len(ids) > 0 && ids[0] == bos {
		ids = ids[1:]
	}
	chunk := min(c.Int("ppl-chunk"), e.Context)

	pw := progress.NewWriter()
	pw.SetOutputWriter(os.Stderr)
	pw.SetUpdateFrequency(100 * time.Millisecond)
	pw.Style().Visibility.ETA = true
	tr := &progress.Tracker{Message: fmt.Sprintf("perplexity of %d tokens", len(ids)), Total: int64(len(ids)), Units: progress.UnitsDefault}
	pw.AppendTracker(tr)
	go pw.Render()
	start := time.Now()
	ppl, err := e.Perplexity(ids, bos, chunk, func(done, _ int) { tr.SetValue(int64(done)) })
	if err == nil {
		tr.MarkAsDone()
	} else {
		tr.MarkAsErrored()
	}
	time.Sleep(150 * time.Millisecond)
	pw.Stop()
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(os.Stdout, "perplexity: %.4f over %d tokens in chunks of %d (%.0f tokens/s)\n",
		ppl, len(ids), chunk, float64(len(ids))/elapsed.Seconds())
	return nil
}
