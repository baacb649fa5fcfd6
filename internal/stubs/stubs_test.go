package stubs

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Target
		wantErr string
	}{
		{"linux/arm64", Target{"linux", "arm64"}, ""},
		{"windows/amd64", Target{"windows", "amd64"}, ""},
		{"darwin/amd64", Target{"darwin", "amd64"}, ""},
		{"linux", Target{}, `unknown target "linux"`},
		{"linux/riscv64", Target{}, "want one of linux/amd64, linux/arm64"},
		{"Linux/ARM64", Target{}, "unknown target"},
		{"", Target{}, "unknown target"},
		{"linux/arm64/v8", Target{}, "unknown target"},
	} {
		got, err := ParseTarget(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseTarget(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		t              Target
		stub, embedded string
	}{
		{Target{"linux", "arm64"}, "kiln-stub-linux-arm64", "kiln-stub-linux-arm64.zst"},
		{Target{"windows", "amd64"}, "kiln-stub-windows-amd64.exe", "kiln-stub-windows-amd64.zst"},
	} {
		if got := tc.t.StubName(); got != tc.stub {
			t.Errorf("%v.StubName() = %q, want %q", tc.t, got, tc.stub)
		}
		if got := tc.t.EmbeddedName(); got != tc.embedded {
			t.Errorf("%v.EmbeddedName() = %q, want %q", tc.t, got, tc.embedded)
		}
	}
}

func TestCompressRoundTrip(t *testing.T) {
	exe := bytes.Repeat([]byte("\x7fELF kiln stub "), 100000)
	z, err := Compress(exe)
	if err != nil {
		t.Fatal(err)
	}
	if len(z) >= len(exe)/10 {
		t.Errorf("compressed %d bytes to %d", len(exe), len(z))
	}
	z2, _ := Compress(exe)
	if !bytes.Equal(z, z2) {
		t.Error("Compress is not deterministic")
	}
	got, err := decompress(Target{"linux", "arm64"}, z)
	if err != nil || !bytes.Equal(got, exe) {
		t.Fatalf("round trip: %d bytes, %v", len(got), err)
	}
	for _, bad := range [][]byte{nil, []byte("not zstd"), z[:len(z)/2]} {
		if _, err := decompress(Target{"linux", "arm64"}, bad); err == nil {
			t.Errorf("decompress of %d bad bytes succeeded", len(bad))
		}
	}
}

// magic is how each target's executable format starts: ELF, 64-bit Mach-O
// (little-endian), and PE's MS-DOS header.
var magic = map[string][]byte{
	"linux":   []byte("\x7fELF"),
	"darwin":  {0xcf, 0xfa, 0xed, 0xfe},
	"windows": []byte("MZ"),
}

// TestEmbedded checks whatever this build carries: on a fresh clone
// nothing (and Open says how to build the stubs), after `make stubs` one
// executable per target in that target's format.
func TestEmbedded(t *testing.T) {
	list, err := List()
	if err != nil {
		t.Fatal(err)
	}
	have := map[Target]Stub{}
	for _, s := range list {
		have[s.Target] = s
	}
	for _, tg := range Targets {
		exe, err := Open(tg)
		s, ok := have[tg]
		if !ok {
			if !errors.Is(err, ErrNotEmbedded) || !strings.Contains(err.Error(), "make stubs") {
				t.Errorf("Open(%v) without an embedded stub: %v, want ErrNotEmbedded naming `make stubs`", tg, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Open(%v): %v", tg, err)
		}
		if int64(len(exe)) != s.Size || s.Compressed >= s.Size {
			t.Errorf("%v: %d bytes, List says %d (%d compressed)", tg, len(exe), s.Size, s.Compressed)
		}
		if s.Size >= MaxStubSize {
			t.Errorf("%v: stub is %d bytes, over the %d budget", tg, s.Size, MaxStubSize)
		}
		if !bytes.HasPrefix(exe, magic[tg.OS]) {
			t.Errorf("%v: stub starts % x, not a %s executable", tg, exe[:4], tg.OS)
		}
	}
}
