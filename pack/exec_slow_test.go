//go:build slow

package pack

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExecutableArtifact builds a real stub, packs a payload behind it and
// runs the result: appending must leave the executable runnable, and the
// program must find its own payload through os.Executable.
func TestExecutableArtifact(t *testing.T) {
	dir := t.TempDir()
	stub := filepath.Join(dir, "stub")
	build := exec.Command("go", "build", "-o", stub, "./testdata/stubprobe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out := run(t, stub); out != "no payload" {
		t.Fatalf("bare stub says %q", out)
	}
	gguf := fakeGGUF(4, 300000)
	art := filepath.Join(dir, "model.bin")
	err := WriteFile(art, stub, Sections{Manifest: Manifest{Name: "probe"}, Template: "T",
		GGUF: bytes.NewReader(gguf), GGUFSize: int64(len(gguf))})
	if err != nil {
		t.Fatal(err)
	}
	if out := run(t, art); out != `payload probe 300000 "T" <nil>` {
		t.Fatalf("artifact says %q", out)
	}
}

func run(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command(path).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", path, err, out)
	}
	return strings.TrimSpace(string(out))
}
