package pack_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/kiln-llm/kiln/pack"
)

func ExampleWrite() {
	stub := []byte("\x7fELF... the stub executable")
	gguf := []byte("GGUF\x03\x00\x00\x00... the model")
	var out bytes.Buffer
	err := pack.Write(&out, bytes.NewReader(stub), int64(len(stub)), pack.Sections{
		Manifest:  pack.Manifest{KilnVersion: "0.1.0", Name: "tiny", Architecture: "llama"},
		Modelfile: "FROM tiny.gguf\n",
		Template:  "{{ .Prompt }}",
		GGUF:      bytes.NewReader(gguf),
		GGUFSize:  int64(len(gguf)),
	})
	if err != nil {
		panic(err)
	}

	a, err := pack.Read(out.Bytes())
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Manifest.Name, a.Manifest.FormatVersion, a.Template())
	for _, s := range a.Sections() {
		fmt.Printf("%-9s %2d bytes, compressed %v\n", s.Name, s.Size, s.Compressed)
	}
	fmt.Println(len(stub), a.StubSize(), a.Sections()[3].Offset, a.Verify())

	_, err = pack.Read(stub)
	fmt.Println(errors.Is(err, pack.ErrNoPayload))
	// Output:
	// tiny 1.0 {{ .Prompt }}
	// manifest  84 bytes, compressed true
	// modelfile 15 bytes, compressed true
	// template  13 bytes, compressed true
	// gguf      21 bytes, compressed false
	// 27 27 65536 <nil>
	// true
}

func ExampleParseModelfile() {
	m, err := pack.ParseModelfile(strings.NewReader(`
FROM ./qwen2.5-0.5b.gguf
PARAMETER temperature 0.7
PARAMETER stop <|im_end|>
PARAMETER stop "<|endoftext|>"
SYSTEM """You are a pirate.
Answer in one line."""
`))
	if err != nil {
		panic(err)
	}
	t, _ := m.Param("temperature")
	fmt.Printf("%s %v %q\n", m.From, t, m.System)
	fmt.Print(m)
	// Output:
	// ./qwen2.5-0.5b.gguf 0.7 "You are a pirate.\nAnswer in one line."
	// FROM ./qwen2.5-0.5b.gguf
	// SYSTEM "You are a pirate.
	// Answer in one line."
	// PARAMETER temperature 0.7
	// PARAMETER stop <|im_end|>
	// PARAMETER stop <|endoftext|>
}
