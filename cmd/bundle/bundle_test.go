package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.gguf")
	if err := os.WriteFile(model, []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.gguf")
	if err := os.Symlink(model, link); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "old.bin")
	if err := os.WriteFile(other, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, out string
		inputs    []string
		want      string // "" for no error
	}{
		{"new file", filepath.Join(dir, "a.bin"), []string{model, ""}, ""},
		{"replaces an old artifact", other, []string{model}, ""},
		{"the model itself", model, []string{model}, "overwrite"},
		{"the model through a link", link, []string{model}, "overwrite"},
		{"the model as a link", model, []string{link}, "overwrite"},
		{"the stub", other, []string{model, "", "", other}, "overwrite"},
		{"missing folder", filepath.Join(dir, "nodir", "a.bin"), []string{model}, "does not exist"},
		{"folder is a file", filepath.Join(other, "a.bin"), []string{model}, "does not exist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkOutput(c.out, c.inputs...)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("checkOutput(%s) = %v, want nil", c.out, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("checkOutput(%s) = %v, want an error with %q", c.out, err, c.want)
			}
		})
	}
}
