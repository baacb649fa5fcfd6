package quant

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestARM64UnderQEMU runs this package's fast-path tests built for arm64
// under qemu-aarch64 (Debian's qemu-user), so that an amd64 machine and
// CI check the NEON kernels too: once on qemu's default CPU (which has the
// dot-product extension) and once on a Cortex-A72 (which has not, as a
// Raspberry Pi 4). Without qemu-aarch64 it is skipped, except in CI
// (CI=true), where `make test` installs it.
func TestARM64UnderQEMU(t *testing.T) {
	if runtime.GOARCH == "arm64" {
		t.Skip("on arm64 the fast-path tests run natively")
	}
	if testing.Short() {
		t.Skip("builds the package for arm64")
	}
	q, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("qemu-aarch64 not found: CI's `make test` installs it (`make qemu`: apt-get install qemu-user)")
		}
		t.Skip("qemu-aarch64 not found; install Debian's qemu-user (`make qemu`) to test the arm64 kernels here")
	}
	bin := filepath.Join(t.TempDir(), "quant-arm64.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the arm64 test binary: %v\n%s", err, out)
	}
	for _, cpu := range []string{"max", "cortex-a72"} {
		t.Run(cpu, func(t *testing.T) {
			cmd := exec.Command(q, "-cpu", cpu, bin, "-test.run", "^(TestARMKernelsMatchScalar|TestARMRowsEdges|TestFastKernelsMatchScalar)$", "-test.v")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("qemu-aarch64 -cpu %s: %v\n%s", cpu, err, out)
			}
			if !strings.Contains(string(out), "--- PASS: TestARMKernelsMatchScalar/neon/Q4_K") {
				t.Fatalf("the arm64 kernels did not run:\n%s", out)
			}
			if cpu == "max" && !strings.Contains(string(out), "--- PASS: TestARMKernelsMatchScalar/dotprod/Q8_0") {
				t.Fatalf("the SDOT kernels did not run on qemu's max CPU:\n%s", out)
			}
		})
	}
}
