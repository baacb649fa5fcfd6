package gguf_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// A model is opened (memory-mapped), its metadata read by key, and a
// tensor's bytes viewed in place.
func Example() {
	dir, err := os.MkdirTemp("", "kiln-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.gguf")
	if err := writeTinyModel(path); err != nil {
		log.Fatal(err)
	}

	f, err := gguf.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	dim, _ := f.Uint("llama.embedding_length")
	fmt.Println(f.Architecture(), dim)
	t, ok := f.Tensor("token_embd.weight")
	if !ok {
		log.Fatal("no token_embd.weight")
	}
	fmt.Println(t.Type, t.Dims, t.Rows(), "rows of", t.RowLen(), len(f.TensorData(t)), "bytes")
	// Output:
	// llama 8
	// F32 [8 3] 3 rows of 8 96 bytes
}

// writeTinyModel writes a GGUF with one key and one 3x8 F32 tensor.
func writeTinyModel(path string) error {
	b := gguf.NewBuilder()
	b.Set("general.architecture", "llama")
	b.Set("llama.embedding_length", uint32(8))
	if err := b.AddTensor("token_embd.weight", ggml.F32, []int64{8, 3}, make([]byte, 8*3*4)); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := b.WriteTo(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
