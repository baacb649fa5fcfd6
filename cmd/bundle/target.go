package main

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/internal/human"
	"github.com/kiln-llm/kiln/internal/stubs"
)

// targetFlags choose the platform the artifact is for.
var targetFlags = []cli.Flag{
	&cli.StringFlag{Name: "target", Usage: "make the artifact for `OS/ARCH` (default: this machine; see --list-targets)"},
	&cli.BoolFlag{Name: "list-targets", Usage: "list the platforms whose stubs this bundle carries, and exit"},
}

// listTargets prints the stubs bundle carries.
func listTargets(w io.Writer) error {
	list, err := stubs.List()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "this bundle carries no stubs: build it with `make build` (or `make stubs`, then rebuild bundle), or give --stub FILE")
		return nil
	}
	tw := table.NewWriter()
	tw.SetOutputMirror(w)
	tw.AppendHeader(table.Row{"target", "stub size", "carried (zstd)", ""})
	for _, s := range list {
		note := ""
		if s.Target == stubs.Host() {
			note = "default"
		}
		tw.AppendRow(table.Row{s.Target, human.Bytes(s.Size), human.Bytes(s.Compressed), note})
	}
	tw.Render()
	return nil
}

// stubFor finds the stub for the artifact and the platform it runs on. In
// order: --stub FILE (any executable; its format, when recognised, must
// agree with --target and otherwise names the target); a stub beside this
// executable (kiln-stub-OS-ARCH[.exe], or kiln-stub for this machine), so
// that a freshly built stub wins over an older embedded one; the stub
// embedded in bundle, written to a temporary file that cleanup removes.
func stubFor(c *cli.Context) (path string, t stubs.Target, cleanup func(), err error) {
	cleanup = func() {}
	t = stubs.Host()
	if c.IsSet("target") {
		if t, err = stubs.ParseTarget(c.String("target")); err != nil {
			return "", t, cleanup, err
		}
	}
	if p := c.String("stub"); p != "" {
		found, ferr := executableTarget(p)
		switch {
		case ferr != nil:
			// Not an executable we recognise: --stub takes any file.
		case c.IsSet("target") && found != t:
			return "", t, cleanup, fmt.Errorf("--stub %s is a %s executable, but --target is %s", p, found, t)
		default:
			t = found
		}
		return p, t, cleanup, nil
	}
	if exe, err := os.Executable(); err == nil {
		names := []string{t.StubName()}
		if t == stubs.Host() {
			names = append(names, "kiln-stub"+t.ExeSuffix())
		}
		for _, n := range names {
			p := filepath.Join(filepath.Dir(exe), n)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p, t, cleanup, nil
			}
		}
	}
	b, err := stubs.Open(t)
	if err != nil {
		return "", t, cleanup, err
	}
	f, err := os.CreateTemp("", "kiln-stub-*")
	if err != nil {
		return "", t, cleanup, err
	}
	cleanup = func() { os.Remove(f.Name()) }
	if _, err := f.Write(b); err != nil {
		f.Close()
		cleanup()
		return "", t, func() {}, fmt.Errorf("writing the %s stub to %s: %w", t, f.Name(), err)
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", t, func() {}, err
	}
	return f.Name(), t, cleanup, nil
}

// artifactName gives Windows artifacts the .exe they need to run.
func artifactName(out string, t stubs.Target) string {
	if s := t.ExeSuffix(); s != "" && !strings.EqualFold(filepath.Ext(out), s) {
		return out + s
	}
	return out
}

// errUnknownFormat says a file is none of ELF, Mach-O or PE.
var errUnknownFormat = errors.New("not an ELF, Mach-O or PE executable")

// executableTarget reads which platform an executable is for from its
// headers: ELF is taken as Linux (Go's other ELF systems have no stub), a
// Mach-O as macOS and PE as Windows.
func executableTarget(path string) (stubs.Target, error) {
	if f, err := elf.Open(path); err == nil {
		defer f.Close()
		return stubs.Target{OS: "linux", Arch: goArch(f.Machine == elf.EM_X86_64, f.Machine == elf.EM_AARCH64, f.Machine.String())}, nil
	}
	if f, err := macho.Open(path); err == nil {
		defer f.Close()
		return stubs.Target{OS: "darwin", Arch: goArch(f.Cpu == macho.CpuAmd64, f.Cpu == macho.CpuArm64, f.Cpu.String())}, nil
	}
	if f, err := pe.Open(path); err == nil {
		defer f.Close()
		m := f.Machine
		return stubs.Target{OS: "windows", Arch: goArch(m == pe.IMAGE_FILE_MACHINE_AMD64, m == pe.IMAGE_FILE_MACHINE_ARM64, fmt.Sprintf("machine %#x", m))}, nil
	}
	return stubs.Target{}, fmt.Errorf("%s: %w", path, errUnknownFormat)
}

// goArch names an architecture as Go does, or as the file format does when
// Kiln has no stub for it.
func goArch(amd64, arm64 bool, other string) string {
	switch {
	case amd64:
		return "amd64"
	case arm64:
		return "arm64"
	}
	return strings.ToLower(other)
}

// platformNote tells what running the artifact on its platform asks of the
// user the first time (README: "Running artifacts on macOS and Windows").
func platformNote(w io.Writer, out string, t stubs.Target) {
	switch t.OS {
	case "darwin":
		fmt.Fprintf(w, "macOS: %s keeps the stub's ad-hoc signature; if it was downloaded, clear the quarantine once with `xattr -d com.apple.quarantine %s` (see README)\n", filepath.Base(out), filepath.Base(out))
	case "windows":
		fmt.Fprintf(w, "Windows: %s is not Authenticode-signed; SmartScreen asks once for a downloaded copy (More info, Run anyway; see README)\n", filepath.Base(out))
	}
}
