package gguf

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestStringArraysStayInTheFile checks that opening a file with a large
// vocabulary does not copy it to the heap, that Strings and Any give it
// back intact each time, that writing the file out reproduces it, and that
// reading the array after Close fails loudly rather than reading freed
// memory.
func TestStringArraysStayInTheFile(t *testing.T) {
	tokens := make([]string, 200_000)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("tok%d▁", i)
	}
	tokens[7] = ""
	b := NewBuilder()
	mustSet(t, b, "general.architecture", "llama")
	mustSet(t, b, "tokenizer.ggml.tokens", tokens)
	data := write(t, b)
	path := filepath.Join(t.TempDir(), "vocab.gguf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Errorf("Open allocated %d bytes for a file of %d", grew, len(data))
	}
	for range 2 {
		got, ok := f.Strings("tokenizer.ggml.tokens")
		if !ok || !slices.Equal(got, tokens) {
			t.Fatalf("Strings: %d strings, ok %v; want the %d written", len(got), ok, len(tokens))
		}
	}
	v, _ := f.Lookup("tokenizer.ggml.tokens")
	if got, _ := v.Any().([]string); v.Len() != len(tokens) || !slices.Equal(got, tokens) {
		t.Fatalf("Any: %d strings, Len %d", len(got), v.Len())
	}
	copyBack := NewBuilder()
	for _, kv := range f.KV {
		mustSet(t, copyBack, kv.Key, kv.Value)
	}
	if again := write(t, copyBack); string(again) != string(data) {
		t.Fatal("writing the parsed values back changed the file")
	}

	f.Close()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "closed") {
			t.Fatalf("reading after Close: recovered %v, want a panic naming the closed file", r)
		}
	}()
	f.Strings("tokenizer.ggml.tokens")
}
