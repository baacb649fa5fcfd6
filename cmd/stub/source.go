package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/pack"
)

// source is the model this run uses: the payload of the running artifact,
// or a GGUF named with -m.
type source struct {
	name     string         // what to call it in messages
	artifact *pack.Artifact // nil for -m
	gguf     *gguf.File
	settings *settings // layered once per run by loadSettings
}

// openSource opens the GGUF given with -m or, without one, the payload
// appended to this executable.
func openSource(modelPath string) (*source, error) {
	if modelPath != "" {
		st, err := os.Stat(modelPath)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			return nil, fmt.Errorf("%s is a directory, not a GGUF file", modelPath)
		}
		f, err := gguf.Open(modelPath)
		if err != nil {
			return nil, err
		}
		return &source{name: filepath.Base(modelPath), gguf: f}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find my own file: %w", err)
	}
	a, err := pack.Open(exe)
	if errors.Is(err, pack.ErrNoPayload) {
		return nil, errors.New("this stub carries no model: run it with -m MODEL.gguf, or make an artifact with `bundle -m MODEL.gguf -o NAME`")
	}
	if err != nil {
		return nil, err
	}
	f, err := gguf.Parse(a.GGUF())
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("bundled model: %w", err)
	}
	return &source{name: filepath.Base(exe), artifact: a, gguf: f}, nil
}

// Close unmaps the model.
func (s *source) Close() {
	if s.artifact != nil {
		s.artifact.Close()
		return
	}
	s.gguf.Close()
}
