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
		s, err := parseTokenizeLine(in.Bytes())
		if err != nil {
			return fmt.Errorf("stdin line %d: %v", line, err)
		}
		if err := encode(s); err != nil {
			return err
		}
	}
	return in.Err()
}

// parseTokenizeLine decodes one line of --tokenize - input. JSON null
// unmarshals into a string without error, which would tokenize a line that
// is not a string as "".
func parseTokenizeLine(line []byte) (string, error) {
	var s *string
	if err := json.Unmarshal(line, &s); err != nil || s == nil {
		return "", fmt.Errorf("want one JSON string per line, got %.40q", line)
	}
	return *s, nil
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
