//go:build !unix && !windows

package mmap

import (
	"errors"
	"io"
	"os"
)

// mapFile reads the file into memory: platforms such as wasip1, js and plan9
// have no mapping call that golang.org/x/sys exposes. The API is the same;
// only the memory cost differs.
func mapFile(f *os.File, size int) (*Mapping, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, errShort
		}
		return nil, err
	}
	return &Mapping{data: data}, nil
}

// errShort reports a file that shrank between Stat and reading it.
var errShort = errors.New("file changed size while being read")
