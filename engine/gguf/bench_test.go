package gguf

import (
	"io"
	"os"
	"testing"

	"github.com/kiln-llm/kiln/internal/golden"
)

// BenchmarkParse parses the Llama-3 vocabulary GGUF (128256 token strings,
// 280147 merges, 128256 token types), the bulk of the start-up cost of a
// real model's metadata.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(golden.Gunzip(b, "tokenizer", "llama3-bpe.vocab.gguf.gz"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrite writes the same vocabulary back out.
func BenchmarkWrite(b *testing.B) {
	data, err := os.ReadFile(golden.Gunzip(b, "tokenizer", "llama3-bpe.vocab.gguf.gz"))
	if err != nil {
		b.Fatal(err)
	}
	f, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	bld := rebuild(b, f)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bld.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
