// Command stubprobe is a stand-in stub for pack's slow test: it opens its
// own executable as an artifact and prints what it finds.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/kiln-llm/kiln/pack"
)

func main() {
	exe, err := os.Executable()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	a, err := pack.Open(exe)
	if errors.Is(err, pack.ErrNoPayload) {
		fmt.Println("no payload")
		return
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	defer a.Close()
	fmt.Printf("payload %s %d %q %v\n", a.Manifest.Name, len(a.GGUF()), a.Template(), a.Verify())
}
