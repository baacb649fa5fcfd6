// Command stub is the runtime every Kiln artifact starts as. With a payload
// appended by bundle it runs the model it carries; without one it runs any
// GGUF given with -m. It answers one prompt (-p), prints what it carries
// (--info), tokenizes (--tokenize), checks itself (--verify) and, in later
// versions, chats and serves.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/internal/version"
)

func main() {
	app := &cli.App{
		Name:            "kiln",
		Usage:           "run the language model this file carries",
		UsageText:       "ARTIFACT [-p PROMPT] [options]\n   stub -m MODEL.gguf [-p PROMPT] [options]",
		Version:         version.Version,
		HideHelpCommand: true,
		Flags:           append(flags(), benchFlags()...),
		Action:          run,
		// Errors are printed once, by main, as one line.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func flags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "run this GGUF `FILE` instead of the bundled model"},
		&cli.StringFlag{Name: "prompt", Aliases: []string{"p"}, Usage: "answer this `TEXT` and exit"},
		&cli.BoolFlag{Name: "raw", Usage: "plain completion of the prompt (no chat template)"},
		&cli.IntFlag{Name: "num-predict", Aliases: []string{"n"}, Value: -1, Usage: "generate at most `N` tokens (0 or -1: until end of text or the context is full)"},
		&cli.Float64Flag{Name: "temp", Value: 0.8, Usage: "sampling temperature (0: greedy, the argmax of the raw logits)"},
		&cli.IntFlag{Name: "top-k", Value: 40, Usage: "sample from the `K` most likely tokens (0: all)"},
		&cli.Float64Flag{Name: "top-p", Value: 0.9, Usage: "nucleus sampling mass (1: off)"},
		&cli.Float64Flag{Name: "min-p", Value: 0, Usage: "drop tokens below this fraction of the top probability"},
		&cli.Float64Flag{Name: "repeat-penalty", Value: 1.1, Usage: "penalty on the last 64 tokens (1: off)"},
		&cli.Int64Flag{Name: "seed", Value: -1, Usage: "random seed (-1: a fresh one each run)"},
		&cli.IntFlag{Name: "ctx", Aliases: []string{"c"}, Usage: "context length in tokens (default: the model's, at most 4096)"},
		&cli.IntFlag{Name: "threads", Aliases: []string{"t"}, Usage: "worker threads (default: one per core)"},
		&cli.StringFlag{Name: "prompt-ids", Usage: "feed these comma-separated token `IDS` instead of text (implies --raw)"},
		&cli.BoolFlag{Name: "ignore-eos", Usage: "keep generating past end-of-text tokens (as llama.cpp's goldens and benchmarks do; implies --raw)"},
		&cli.BoolFlag{Name: "print-ids", Usage: "print the generated token ids as one JSON array instead of text"},
		&cli.StringFlag{Name: "logits-out", Usage: "write the logits of every prompt position to `FILE` (little-endian float32, [positions][vocab])"},
		&cli.BoolFlag{Name: "stats", Usage: "print prompt and generation timings to stderr"},
		&cli.BoolFlag{Name: "info", Usage: "print what this artifact carries and exit"},
		&cli.StringFlag{Name: "tokenize", Usage: "print the token ids of `TEXT` as JSON (\"-\": one JSON string per stdin line)"},
		&cli.StringFlag{Name: "detokenize", Usage: "print the text of comma-separated token `IDS`"},
		&cli.BoolFlag{Name: "no-special", Usage: "with --tokenize: treat special-token text as plain text"},
		&cli.StringFlag{Name: "perplexity", Usage: "print the perplexity of the model on the text in `FILE` and exit"},
		&cli.IntFlag{Name: "ppl-chunk", Value: 256, Usage: "with --perplexity: score chunks of `N` tokens, each in a fresh context"},
		&cli.BoolFlag{Name: "no-mem-check", Usage: "run even when the model and its KV cache seem not to fit in the available memory"},
		&cli.BoolFlag{Name: "verify", Usage: "check every section's SHA-256, the whole model included, and exit"},
	}, serveFlags()...)
}

func run(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return fmt.Errorf("unexpected argument %q (the prompt goes after -p)", c.Args().First())
	}
	src, err := openSource(c.String("model"))
	if err != nil {
		return err
	}
	defer src.Close()
	switch {
	case c.Bool("serve"):
		return serve(c, src)
	case c.Bool("bench"):
		return bench(c, src)
	case c.Bool("verify"):
		return verify(src)
	case c.Bool("info"):
		if err := info(src, os.Stdout); err != nil {
			return err
		}
		infoMemory(os.Stdout, c, src)
		// The settings a --serve would use, and where each came from
		// (flags, the Ollama environment, the Modelfile, defaults).
		cfg, err := resolveServe(c, src)
		if err != nil {
			return err
		}
		cfg.print(os.Stdout)
		return nil
	case c.IsSet("tokenize"):
		return tokenize(src, c.String("tokenize"), !c.Bool("no-special"))
	case c.IsSet("detokenize"):
		return detokenize(src, c.String("detokenize"))
	}
	if err := checkMemory(c, src, 1, false); err != nil {
		return err
	}
	if c.IsSet("perplexity") {
		return perplexity(c, src, c.String("perplexity"))
	}
	return generate(c, src)
}
