// Command mkstubs compresses stub executables into the folder that bundle
// embeds (internal/stubs/embedded). `make stubs` runs it; each FILE must be
// named as stubs.Target.StubName says (kiln-stub-OS-ARCH[.exe]).
//
//	go run ./internal/stubs/mkstubs -o internal/stubs/embedded bin/stubs/kiln-stub-linux-arm64 ...
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-llm/kiln/internal/stubs"
)

func main() {
	out := flag.String("o", "internal/stubs/embedded", "write the compressed stubs into `DIR`")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: mkstubs [-o DIR] kiln-stub-OS-ARCH[.exe] ...")
		os.Exit(2)
	}
	for _, f := range flag.Args() {
		if err := compress(f, *out); err != nil {
			fmt.Fprintln(os.Stderr, "mkstubs:", err)
			os.Exit(1)
		}
	}
}

func compress(file, dir string) error {
	name := strings.TrimSuffix(filepath.Base(file), ".exe")
	osArch, ok := strings.CutPrefix(name, "kiln-stub-")
	if !ok {
		return fmt.Errorf("%s: want a file named kiln-stub-OS-ARCH", file)
	}
	t, err := stubs.ParseTarget(strings.Replace(osArch, "-", "/", 1))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	exe, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	z, err := stubs.Compress(exe)
	if err != nil {
		return err
	}
	dst := filepath.Join(dir, t.EmbeddedName())
	// Write beside and rename, so that an interrupted make never leaves a
	// truncated stub for bundle to embed.
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, z, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	fmt.Printf("%s: %d bytes, %d compressed\n", t, len(exe), len(z))
	return nil
}
