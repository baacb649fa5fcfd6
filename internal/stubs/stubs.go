// Package stubs holds the prebuilt Kiln stubs that bundle carries, one per
// target (OS and architecture), so that one bundle binary makes artifacts for
// every platform. The stubs are built by `make stubs` with CGO_ENABLED=0 and
// stored zstd-compressed in the embedded folder; a build without them (a
// fresh clone's `go build ./...`) carries none, and Open says how to get them.
package stubs

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

//go:embed embedded
var embedded embed.FS

// Target is an operating system and architecture in Go's names.
type Target struct {
	OS, Arch string
}

// Targets are the platforms `make stubs` builds a stub for, in the order
// --list-targets shows them.
var Targets = []Target{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "arm64"}, {"darwin", "amd64"},
	{"windows", "amd64"},
}

// Host returns the target this program runs on.
func Host() Target { return Target{runtime.GOOS, runtime.GOARCH} }

// String returns the target as OS/ARCH, the form --target takes.
func (t Target) String() string { return t.OS + "/" + t.Arch }

// ExeSuffix returns the file-name suffix executables need on the target:
// ".exe" on Windows, which runs nothing without it, and "" elsewhere.
func (t Target) ExeSuffix() string {
	if t.OS == "windows" {
		return ".exe"
	}
	return ""
}

// StubName returns the name a raw stub for the target has beside bundle and
// in the build folder: kiln-stub-OS-ARCH, plus .exe for Windows.
func (t Target) StubName() string { return "kiln-stub-" + t.OS + "-" + t.Arch + t.ExeSuffix() }

// EmbeddedName returns the compressed stub's name in the embedded folder:
// kiln-stub-OS-ARCH.zst.
func (t Target) EmbeddedName() string { return "kiln-stub-" + t.OS + "-" + t.Arch + ".zst" }

// ParseTarget parses OS/ARCH, one of Targets.
func ParseTarget(s string) (Target, error) {
	os, arch, ok := strings.Cut(s, "/")
	t := Target{os, arch}
	if ok {
		for _, k := range Targets {
			if k == t {
				return t, nil
			}
		}
	}
	names := make([]string, len(Targets))
	for i, k := range Targets {
		names[i] = k.String()
	}
	return Target{}, fmt.Errorf("unknown target %q: want one of %s", s, strings.Join(names, ", "))
}

// ErrNotEmbedded is returned by Open for a target whose stub this build
// does not carry.
var ErrNotEmbedded = errors.New("no stub embedded for this target")

// maxStub bounds a decompressed stub: real ones are about 11 MB and must
// stay under 20 MB (MaxStubSize), so anything near this is a corrupt or
// wrong file.
const maxStub = 64 << 20

// MaxStubSize is the size budget of one stub: an artifact is the stub plus
// the model, and the stub's share should stay small beside even a small
// model.
const MaxStubSize = 20 << 20

var decoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(maxStub),
		zstd.WithDecodeAllCapLimit(true))
})

// Open returns the decompressed stub executable for t, or an error wrapping
// ErrNotEmbedded that says how to build the stubs when this build carries
// none for t.
func Open(t Target) ([]byte, error) {
	z, err := embedded.ReadFile(path.Join("embedded", t.EmbeddedName()))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s (run `make stubs` and rebuild bundle, or give --stub FILE)", ErrNotEmbedded, t)
	}
	if err != nil {
		return nil, fmt.Errorf("stubs: %s: %w", t, err)
	}
	return decompress(t, z)
}

func decompress(t Target, z []byte) ([]byte, error) {
	// Compress writes the size into the frame header: allocate exactly
	// that, after checking it, and let the decoder stop at it.
	var h zstd.Header
	if err := h.Decode(z); err != nil {
		return nil, fmt.Errorf("stubs: embedded stub for %s: %w", t, err)
	}
	if !h.HasFCS || h.FrameContentSize == 0 || h.FrameContentSize > maxStub {
		return nil, fmt.Errorf("stubs: embedded stub for %s: frame says %d bytes (want 1 to %d)", t, h.FrameContentSize, maxStub)
	}
	d, err := decoder()
	if err != nil {
		return nil, fmt.Errorf("stubs: zstd: %w", err)
	}
	b, err := d.DecodeAll(z, make([]byte, 0, h.FrameContentSize))
	if err != nil {
		return nil, fmt.Errorf("stubs: embedded stub for %s: %w", t, err)
	}
	if uint64(len(b)) != h.FrameContentSize {
		return nil, fmt.Errorf("stubs: embedded stub for %s: %d bytes, frame says %d", t, len(b), h.FrameContentSize)
	}
	return b, nil
}

// Stub describes one embedded stub.
type Stub struct {
	Target
	// Size is the executable's size and Compressed what it takes inside
	// bundle, in bytes.
	Size, Compressed int64
}

// List returns the embedded stubs in the order of Targets. Each is
// decompressed once to measure (and so check) it.
func List() ([]Stub, error) {
	var out []Stub
	for _, t := range Targets {
		z, err := embedded.ReadFile(path.Join("embedded", t.EmbeddedName()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("stubs: %s: %w", t, err)
		}
		b, err := decompress(t, z)
		if err != nil {
			return nil, err
		}
		out = append(out, Stub{Target: t, Size: int64(len(b)), Compressed: int64(len(z))})
	}
	return out, nil
}

// Compress returns exe compressed the way the embedded folder stores it:
// zstd at its best ratio, with a checksum, deterministic for the same input
// so that rebuilding bundle from the same sources gives the same binary.
func Compress(exe []byte) ([]byte, error) {
	e, err := zstd.NewWriter(nil,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedBestCompression),
		zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, fmt.Errorf("stubs: zstd: %w", err)
	}
	return e.EncodeAll(exe, nil), nil
}
