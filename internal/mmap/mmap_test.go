package mmap

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("kiln"), 70000) // spans several pages
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{7}},
		{"text", []byte("GGUF\x03\x00\x00\x00")},
		{"several pages", big},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if m.Len() != len(tc.data) {
				t.Errorf("Len = %d, want %d", m.Len(), len(tc.data))
			}
			if !bytes.Equal(m.Bytes(), tc.data) {
				t.Errorf("Bytes differ from the file")
			}
			if m.Bytes() == nil {
				t.Errorf("Bytes = nil before Close, want a non-nil (possibly empty) slice")
			}
			if err := m.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if m.Bytes() != nil || m.Len() != 0 {
				t.Errorf("after Close: Bytes = %d bytes, want nil", m.Len())
			}
			if err := m.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, path, want string
	}{
		{"directory", dir, "is a directory"},
		{"missing", filepath.Join(dir, "nope"), "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Open(tc.path)
			if err == nil {
				m.Close()
				t.Fatalf("Open(%q) succeeded, want error containing %q", tc.path, tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "mmap: ") || !strings.Contains(strings.ToLower(msg), tc.want) {
				// Windows words a missing file differently.
				if !(tc.name == "missing" && os.IsNotExist(err)) {
					t.Errorf("error %q, want prefix %q and %q", msg, "mmap: ", tc.want)
				}
			}
		})
	}
}

// The mapping must stay valid after Open has closed the file descriptor.
func TestMappingOutlivesDescriptor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	want := bytes.Repeat([]byte{1, 2, 3}, 5000)
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// Open more files to reuse the descriptor number.
	for range 4 {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
	}
	if !bytes.Equal(m.Bytes(), want) {
		t.Fatal("contents changed")
	}
}
