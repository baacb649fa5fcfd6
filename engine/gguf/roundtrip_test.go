package gguf

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/internal/golden"
)

// rebuild copies every key and tensor of f into a new Builder.
func rebuild(t testing.TB, f *File) *Builder {
	t.Helper()
	b := NewBuilder()
	b.SetVersion(f.Version)
	for _, kv := range f.KV {
		if err := b.Set(kv.Key, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		if err := b.AddTensor(ti.Name, ti.Type, ti.Dims, f.TensorData(ti)); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// The golden files were written by ggml's gguf_write; copying one through
// Parse and Builder must give the same bytes.
func TestRoundTripGolden(t *testing.T) {
	paths := goldenModels(t)
	dir := golden.Dir(t)
	paths = append(paths,
		filepath.Join(dir, "tokenizer", "llama-2-tiny-random.gguf"),
		golden.Gunzip(t, "tokenizer", "llama3-bpe.vocab.gguf.gz"),
		golden.Gunzip(t, "tokenizer", "gemma2-spm.vocab.gguf.gz"),
	)
	trained, _ := filepath.Glob(filepath.Join(dir, "trained", "*.gguf"))
	paths = append(paths, trained...)
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".gguf"), func(t *testing.T) {
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out bytes.Buffer
			n, err := rebuild(t, f).WriteTo(&out)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(out.Len()) {
				t.Errorf("WriteTo returned %d, wrote %d bytes", n, out.Len())
			}
			if want := f.Bytes(); !bytes.Equal(out.Bytes(), want) {
				i := 0
				for i < min(len(want), out.Len()) && want[i] == out.Bytes()[i] {
					i++
				}
				t.Fatalf("rewritten file differs: %d bytes vs %d, first difference at offset %d", out.Len(), len(want), i)
			}
		})
	}
}
