package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/kiln-llm/kiln/engine/tokenizer"
)

// tokenize prints the ids of text as a JSON array; with text "-" it reads one
// JSON string per stdin line and prints one array per line. Only the
// vocabulary is read, never the weights.
func tokenize(src *source, text string, parseSpecial bool) error {
	tok, err := tokenizer.FromGGUF(src.gguf)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	encode := func(s string) error {
		ids := tok.Encode(s, parseSpecial, parseSpecial)
		if ids == nil {
			ids = []int32{}
		}
		return enc.Encode(ids)
	}
	if text != "-" {
		return encode(text)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; in.Scan(); line++ {
		var s string
		if err := json.Unmarshal(in.Bytes(), &s); err != nil {
			return fmt.Errorf("stdin line %d: want one JSON string per line: %v", line, err)
		}
		if err := encode(s); err != nil {
			return err
		}
	}
	return in.Err()
}

// detokenize prints the text of comma-separated ids.
func detokenize(src *source, list string) error {
	tok, err := tokenizer.FromGGUF(src.gguf)
	if err != nil {
		return err
	}
	ids, err := parseIDs(list, tok.NumTokens())
	if err != nil {
		return fmt.Errorf("--detokenize: %w", err)
	}
	_, err = fmt.Fprintln(os.Stdout, tok.Decode(ids, false, true))
	return err
}
