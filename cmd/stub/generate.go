package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/engine"
)

// generate answers one prompt. Text from -p (or stdin when it is not a
// terminal) goes through the chat template like a chat message; with no
// prompt on a terminal it opens the interactive chat. --raw, --prompt-ids,
// --print-ids, --logits-out and --ignore-eos work at the token level instead: the
// prompt is completed as plain text and no stop strings apply, which is
// what comparisons with llama.cpp need.
func generate(c *cli.Context, src *source) error {
	tokenLevel := c.Bool("raw") || c.IsSet("prompt-ids") || c.Bool("print-ids") || c.IsSet("logits-out") || c.Bool("ignore-eos")
	if !tokenLevel {
		text := c.String("prompt")
		if !c.IsSet("prompt") {
			if isTerminal(os.Stdin) {
				return chat(c, src)
			}
			b, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
			if err != nil {
				return fmt.Errorf("reading the prompt from stdin: %w", err)
			}
			text = string(b)
		}
		return answer(c, src, text)
	}
	e, set, err := loadEngine(c, src)
	if err != nil {
		return err
	}
	defer e.Close()

	prompt, err := promptIDs(c, e)
	if err != nil {
		return err
	}
	if out := c.String("logits-out"); out != "" {
		if err := writeLogits(e, prompt, out); err != nil {
			return err
		}
	}
	params := set.params
	params.IgnoreEOS = c.Bool("ignore-eos")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sched := engine.NewScheduler(e, 1, 0)
	defer sched.Close()
	var ids []int32
	dec := e.Tokenizer.NewDecoder(false)
	printIDs := c.Bool("print-ids")
	res, err := sched.Submit(ctx, engine.Request{Prompt: prompt, Params: params}, func(t engine.Token) bool {
		if printIDs {
			ids = append(ids, t.ID)
			return true
		}
		io.WriteString(os.Stdout, dec.Add(t.ID))
		return true
	})
	if err != nil {
		return err
	}
	if c.Bool("stats") {
		defer printStats(res)
	}
	if printIDs {
		if ids == nil {
			ids = []int32{}
		}
		return json.NewEncoder(os.Stdout).Encode(ids)
	}
	fmt.Fprintln(os.Stdout, dec.Flush())
	return nil
}

// promptIDs returns the prompt as token ids.
func promptIDs(c *cli.Context, e *engine.Engine) ([]int32, error) {
	if s := c.String("prompt-ids"); s != "" {
		ids, err := parseIDs(s, e.Model.Config().Vocab)
		if err != nil {
			return nil, fmt.Errorf("--prompt-ids: %w", err)
		}
		return ids, nil
	}
	text := c.String("prompt")
	if !c.IsSet("prompt") {
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("reading the prompt from stdin: %w", err)
		}
		text = string(b)
	}
	ids := e.Tokenizer.Encode(text, true, true)
	if len(ids) == 0 {
		return nil, errors.New("the prompt is empty")
	}
	return ids, nil
}

// parseIDs parses "1,2,3" into token ids below vocab.
func parseIDs(s string, vocab int) ([]int32, error) {
	var ids []int32
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a token id", f)
		}
		if n < 0 || int(n) >= vocab {
			return nil, fmt.Errorf("token id %d out of range [0, %d)", n, vocab)
		}
		ids = append(ids, int32(n))
	}
	if len(ids) == 0 {
		return nil, errors.New("no token ids given")
	}
	return ids, nil
}

// writeLogits evaluates prompt on its own sequence and writes the logits of
// every position as little-endian float32 rows, the layout of the golden
// .logits.f32 files.
func writeLogits(e *engine.Engine, prompt []int32, path string) error {
	vocab := e.Model.Config().Vocab
	all := make([]float32, len(prompt)*vocab)
	if err := e.NewSequence().Eval(prompt, all); err != nil {
		return err
	}
	buf := make([]byte, 4*len(all))
	for i, v := range all {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return writeFileAtomic(path, buf)
}

// writeFileAtomic writes data to a temp file beside path and renames it, so
// path never holds a partial file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644) // CreateTemp makes it private
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// printStats writes llama.cpp-style timings to stderr.
func printStats(r engine.Result) {
	rate := func(n int, d time.Duration) float64 {
		if d <= 0 {
			return 0
		}
		return float64(n) / d.Seconds()
	}
	fmt.Fprintf(os.Stderr, "prompt: %d tokens (%d cached) in %v (%.1f tokens/s)\n",
		r.PromptTokens, r.CachedTokens, r.PromptDuration.Round(time.Microsecond), rate(r.PromptTokens-r.CachedTokens, r.PromptDuration))
	fmt.Fprintf(os.Stderr, "first token after %v\n", r.FirstToken.Round(time.Microsecond))
	// Generation speed counts the steps after the first token: each is one
	// forward pass of one token.
	fmt.Fprintf(os.Stderr, "generation: %d tokens in %v (%.1f tokens/s), stopped by %s\n",
		r.Generated, r.GenDuration.Round(time.Microsecond), rate(r.Generated-1, r.GenDuration), r.StopReason)
}
