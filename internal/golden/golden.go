// Package golden locates the reference data made with llama.cpp (the shared
// testdata folder) for tests. Every test that compares against llama.cpp goes
// through Dir, so the rule for a missing folder lives in one place: skip with
// a message on a developer machine, fail in CI.
package golden

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Dir returns the golden folder: $KILN_GOLDEN, or ../shared/testdata next to
// the repository root. Where it is absent the test is skipped, except when
// CI=true, where absence fails the test.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KILN_GOLDEN")
	if dir == "" {
		dir = filepath.Join(repoRoot(), "..", "shared", "testdata")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if os.Getenv("CI") == "true" {
			t.Fatalf("golden testdata not found at %s (set KILN_GOLDEN)", dir)
		}
		t.Skipf("golden testdata not found at %s (set KILN_GOLDEN); skipping", dir)
	}
	return dir
}

// Path returns the path of a file inside the golden folder, failing the test
// when it is missing (a partial golden folder is a broken checkout).
func Path(t testing.TB, rel ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("golden file missing: %v", err)
	}
	return p
}

// Gunzip unpacks a .gz golden file into the test's temp dir (the golden
// folder is read-only in CI) and returns the unpacked path.
func Gunzip(t testing.TB, rel ...string) string {
	t.Helper()
	src := Path(t, rel...)
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	dst := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(src), ".gz"))
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// repoRoot is the module root, found from this source file's location so
// that tests in any package resolve the same folder.
func repoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		wd, _ := os.Getwd()
		return wd
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}
