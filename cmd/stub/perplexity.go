package main

import (
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/internal/human"
)

// perplexity prints the model's perplexity on a text file, scored in chunks
// of --ppl-chunk tokens (see engine.Perplexity for the protocol).
func perplexity(c *cli.Context, src *source, path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// The bundled Modelfile's num_ctx and num_thread apply as in every other
	// mode: checkMemory has already estimated the run with them.
	e, _, err := loadEngine(c, src)
	if err != nil {
		return err
	}
	defer e.Close()
	ids := e.Tokenizer.Encode(string(text), true, true)
	bos := e.Tokenizer.BOS()
	if len(ids) > 0 && ids[0] == bos {
		ids = ids[1:]
	}
	if c.Int("ppl-chunk") <= 0 {
		return fmt.Errorf("--ppl-chunk %d: chunks must hold at least one token", c.Int("ppl-chunk"))
	}
	chunk := min(c.Int("ppl-chunk"), e.Context)

	bar := human.NewBar(fmt.Sprintf("perplexity of %d tokens", len(ids)), int64(len(ids)), human.UnitsCount)
	start := time.Now()
	ppl, err := e.Perplexity(ids, bos, chunk, func(done, total int) { bar.Set(int64(done), int64(total)) })
	bar.Stop(err == nil)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(os.Stdout, "perplexity: %.4f over %d tokens in chunks of %d (%.0f tokens/s)\n",
		ppl, len(ids), chunk, float64(len(ids))/elapsed.Seconds())
	return nil
}
