package pack

import (
	"errors"
	"fmt"

	"github.com/kiln-llm/kiln/internal/mmap"
)

// Open maps the file at path read-only and reads it as an artifact (see
// Read). The GGUF stays in the mapping: its pages are read on first use.
// Errors name the file; on a plain executable (the bare stub) the error
// matches ErrNoPayload.
func Open(path string) (*Artifact, error) {
	m, err := mmap.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	a, err := Read(m.Bytes())
	if err != nil {
		m.Close()
		var fe *formatError
		if errors.As(err, &fe) {
			fe.path = path
		}
		return nil, err
	}
	a.closer = m
	return a, nil
}
