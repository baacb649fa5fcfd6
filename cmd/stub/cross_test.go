package main

import (
	"bytes"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/internal/golden"
	"github.com/kiln-llm/kiln/internal/stubs"
	"github.com/kiln-llm/kiln/pack"
)

// The tests in this file make artifacts for other platforms with
// `bundle --target`: the linux/arm64 one runs under qemu-aarch64 (Debian's
// qemu-user), the macOS and Windows ones are read back and their executable
// headers checked.

var crossStubs struct {
	sync.Mutex
	built map[stubs.Target]error
}

// crossStub builds the stub for t beside the test's bundle, under the name
// bundle looks for there (kiln-stub-OS-ARCH[.exe]), once per test run.
// The flags are the Makefile's, so a `make build` before shares the
// compiled packages and only the link is left.
func crossStub(t *testing.T, tg stubs.Target) string {
	t.Helper()
	crossStubs.Lock()
	defer crossStubs.Unlock()
	p := filepath.Join(filepath.Dir(bundleBin), tg.StubName())
	if crossStubs.built == nil {
		crossStubs.built = map[stubs.Target]error{}
	}
	err, done := crossStubs.built[tg]
	if !done {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", p, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+tg.OS, "GOARCH="+tg.Arch)
		if out, berr := cmd.CombinedOutput(); berr != nil {
			err = &buildError{tg, berr, out}
		}
		crossStubs.built[tg] = err
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type buildError struct {
	t   stubs.Target
	err error
	out []byte
}

func (e *buildError) Error() string {
	return "building the " + e.t.String() + " stub: " + e.err.Error() + "\n" + string(e.out)
}

// bundleFor makes an artifact of model for tg with `bundle --target` (the
// stub bundle finds beside itself) and returns its path.
func bundleFor(t *testing.T, tg stubs.Target, model string) string {
	t.Helper()
	crossStub(t, tg)
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(model), ".gguf"))
	if _, stderr, code := runProg(t, bundleBin, "-q", "--target", tg.String(), "-m", model, "-o", out); code != 0 {
		t.Fatalf("bundle --target %s %s: exit %d: %s", tg, model, code, stderr)
	}
	return out + tg.ExeSuffix()
}

// qemu returns the path of qemu-aarch64. Without it the test is skipped,
// except in CI (CI=true), where `make test` installs it and its absence is
// a failure.
func qemu(t *testing.T) string {
	p, err := exec.LookPath("qemu-aarch64")
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("qemu-aarch64 not found: CI's `make test` installs it (`make qemu`: apt-get install qemu-user)")
	}
	t.Skip("qemu-aarch64 not found; install Debian's qemu-user (`make qemu`) to run the linux/arm64 artifact")
	return ""
}

// TestLinuxArm64UnderQEMU bundles golden models for linux/arm64 from this
// machine and runs them under emulation: on qemu's default CPU (NEON and
// SDOT fast paths), on a Cortex-A72 (NEON without SDOT, as a Raspberry Pi
// 4) and with KILN_NOSIMD=1 (the scalar kernels). Each time the prompt
// logits must be bit-identical to llama.cpp's and
// the greedy continuation equal to the golden one (up to the end-of-text
// token, where the stub stops and llama.cpp's run went on).
func TestLinuxArm64UnderQEMU(t *testing.T) {
	q := qemu(t)
	arm := stubs.Target{OS: "linux", Arch: "arm64"}
	for _, name := range []string{"llama-q4_k_m", "llama-q4_0", "llama-q8_0", "llama-q6_k", "qwen2-q4_k_m"} {
		t.Run(name, func(t *testing.T) {
			var g goldenFile
			b, err := os.ReadFile(golden.Path(t, "models", name+".golden.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			model := golden.Path(t, "models", name+".gguf")
			eos := eosID(t, model)
			wantLogits, err := os.ReadFile(golden.Path(t, "models", name+".logits.f32"))
			if err != nil {
				t.Fatal(err)
			}
			art := bundleFor(t, arm, model)
			for _, run := range []struct{ cpu, simd string }{{"max", ""}, {"cortex-a72", ""}, {"max", "1"}} {
				cpu, simd := run.cpu, run.simd
				logits := filepath.Join(t.TempDir(), "logits.f32")
				cmd := exec.Command(q, "-cpu", cpu, art, "--raw", "--temp", "0", "-n", "32",
					"--prompt-ids", idsArg(g.PromptIDs), "--print-ids", "--logits-out", logits)
				cmd.Env = append(os.Environ(), "KILN_NOSIMD="+simd)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("-cpu %s, KILN_NOSIMD=%q: qemu-aarch64 %s: %v\n%s", cpu, simd, filepath.Base(art), err, stderr.String())
				}
				var got []int32
				if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
					t.Fatalf("stdout is not one JSON array: %q", stdout.String())
				}
				if len(got) == 0 || len(got) > len(g.Greedy) || !equalIDs(got, g.Greedy[:len(got)]) ||
					(len(got) < len(g.Greedy) && g.Greedy[len(got)] != eos) {
					t.Fatalf("-cpu %s, KILN_NOSIMD=%q: greedy continuation under qemu\ngot  %v\nwant %v (end of text: %d)", cpu, simd, got, g.Greedy, eos)
				}
				raw, err := os.ReadFile(logits)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(raw, wantLogits) {
					t.Fatalf("-cpu %s, KILN_NOSIMD=%q: prompt logits under qemu differ from llama.cpp's (%d bytes, golden %d)", cpu, simd, len(raw), len(wantLogits))
				}
			}
		})
	}
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// eosID reads the model's end-of-text token.
func eosID(t *testing.T, model string) int32 {
	f, err := gguf.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, ok := f.Uint("tokenizer.ggml.eos_token_id")
	if !ok {
		t.Fatalf("%s has no tokenizer.ggml.eos_token_id", model)
	}
	return int32(id)
}

// TestCrossPayloadReadBack makes an artifact for every other platform and
// checks what that platform's loader and the stub's own reader will see:
// the executable headers still parse as that platform's format and
// architecture, the stub bytes are untouched in front, the GGUF section
// starts on a 64 KiB boundary (Windows' mapping granularity) and reads back
// equal to the input, and on macOS the linker's code signature still covers
// exactly the stub.
func TestCrossPayloadReadBack(t *testing.T) {
	model := "../../testdata/tolstoy-4m-q8_0.gguf"
	src, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range []stubs.Target{{OS: "linux", Arch: "arm64"}, {OS: "darwin", Arch: "arm64"}, {OS: "darwin", Arch: "amd64"}, {OS: "windows", Arch: "amd64"}} {
		t.Run(strings.ReplaceAll(tg.String(), "/", "-"), func(t *testing.T) {
			stub, err := os.ReadFile(crossStub(t, tg))
			if err != nil {
				t.Fatal(err)
			}
			art := bundleFor(t, tg, model)
			if tg.OS == "windows" && !strings.HasSuffix(art, ".exe") {
				t.Fatalf("artifact %s: want a .exe name for Windows", art)
			}
			data, err := os.ReadFile(art)
			if err != nil {
				t.Fatal(err)
			}
			a, err := pack.Open(art)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if err := a.Verify(); err != nil {
				t.Fatal(err)
			}
			if a.StubSize() != int64(len(stub)) || !bytes.Equal(data[:len(stub)], stub) {
				t.Fatalf("stub size %d, want the %s stub's %d bytes, untouched", a.StubSize(), tg, len(stub))
			}
			if !bytes.Equal(a.GGUF(), src) {
				t.Fatal("the GGUF read back differs from the input")
			}
			for _, s := range a.Sections() {
				if s.Name == "gguf" && s.Offset%(64<<10) != 0 {
					t.Fatalf("GGUF at offset %d, not a multiple of 64 KiB", s.Offset)
				}
			}
			checkHeaders(t, tg, art, int64(len(stub)))
		})
	}
}

// checkHeaders parses the artifact as the target's executable format.
func checkHeaders(t *testing.T, tg stubs.Target, art string, stubSize int64) {
	switch tg.OS {
	case "darwin":
		f, err := macho.Open(art)
		if err != nil {
			t.Fatalf("not a Mach-O any more: %v", err)
		}
		defer f.Close()
		if want := map[string]macho.Cpu{"arm64": macho.CpuArm64, "amd64": macho.CpuAmd64}[tg.Arch]; f.Cpu != want {
			t.Fatalf("Mach-O CPU %v, want %v", f.Cpu, want)
		}
		// LC_CODE_SIGNATURE (0x1d): cmd, cmdsize, dataoff, datasize. The
		// kernel checks the pages that the signature hashes; the payload
		// lies after them and is only ever mapped as data.
		var signed bool
		for _, l := range f.Loads {
			raw := l.Raw()
			if len(raw) >= 16 && f.ByteOrder.Uint32(raw) == 0x1d {
				off, size := int64(f.ByteOrder.Uint32(raw[8:])), int64(f.ByteOrder.Uint32(raw[12:]))
				if off+size > stubSize {
					t.Fatalf("code signature [%d, %d) reaches past the stub (%d bytes)", off, off+size, stubSize)
				}
				signed = true
			}
		}
		if tg.Arch == "arm64" && !signed {
			t.Fatal("darwin/arm64 stub has no LC_CODE_SIGNATURE: Apple silicon kills unsigned executables")
		}
	case "windows":
		f, err := pe.Open(art)
		if err != nil {
			t.Fatalf("not a PE any more: %v", err)
		}
		defer f.Close()
		if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
			t.Fatalf("PE machine %#x, want AMD64", f.Machine)
		}
		var end int64
		for _, s := range f.Sections {
			end = max(end, int64(s.Offset)+int64(s.Size))
		}
		if end > stubSize {
			t.Fatalf("PE sections end at %d, past the stub (%d bytes)", end, stubSize)
		}
	case "linux":
		data, err := os.ReadFile(art)
		if err != nil {
			t.Fatal(err)
		}
		// e_machine at offset 18: 0xb7 is AArch64.
		if !bytes.HasPrefix(data, []byte("\x7fELF")) || binary.LittleEndian.Uint16(data[18:]) != 0xb7 {
			t.Fatal("not an AArch64 ELF")
		}
	}
}

// TestBundleTargetErrors checks the messages for a target bundle cannot
// make and for a --stub of another platform than --target.
func TestBundleTargetErrors(t *testing.T) {
	model := "../../testdata/tolstoy-4m-q8_0.gguf"
	out := filepath.Join(t.TempDir(), "x")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown target", []string{"--target", "plan9/amd64"}, "unknown target"},
		{"stub of another platform", []string{"--target", "windows/amd64", "--stub", stubBin}, "is a " + stubs.Host().String() + " executable, but --target is windows/amd64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runProg(t, bundleBin, append([]string{"-q", "-m", model, "-o", out}, tc.args...)...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want an error containing %q", code, stderr, tc.want)
			}
		})
	}
}
