// Package pack reads and writes Kiln artifacts, and parses the Modelfile that
// describes what goes into one.
//
// An artifact is the stub executable's bytes, untouched, followed by a
// payload that carries the model. The stub finds the payload through a
// fixed-size trailer at the very end of its own file, so appending is the only
// change made to the stub and the result still runs as the stub.
//
// # Layout (format 1.0, all integers little-endian)
//
//	[0, P)          stub: the executable, byte for byte
//	[P, P+64)       payload header (below)
//	...             sections manifest, modelfile, template (zstd, in that order)
//	...             zero padding up to the next multiple of 64 KiB
//	[G, G+len)      section gguf, stored raw; G is a multiple of 64 KiB
//	[N-592, N)      trailer (below); N is the file size
//
// The GGUF is aligned to 64 KiB from the start of the file because a file can
// only be mapped at offsets that are a multiple of the allocation granularity,
// which is 64 KiB on Windows (4 or 16 KiB elsewhere): the runtime maps the
// file once and hands out the GGUF bytes in place, never copying the weights.
// Since the mapping itself starts page-aligned, the GGUF's own tensor data
// alignment (32 bytes by default) holds in memory too.
//
// Payload header, 64 bytes at offset P:
//
//	 0  8  magic "KILNHEAD"
//	 8  2  major version (1)
//	10  2  minor version (0)
//	12  4  header size (64)
//	16  8  P, the header's own offset (= stub length)
//	24  8  N, the artifact size
//	32 28  reserved, zero
//	60  4  CRC-32C (Castagnoli) of bytes [0, 60)
//
// The header is redundant while the trailer is intact. It exists for the
// case where the trailer is gone: a truncated download still starts with the
// stub and the header, and a reader that finds no trailer looks for a header
// (its CRC and its own offset reject look-alikes inside the stub's code), so a
// cut-off artifact is reported as truncated instead of as a stub with no
// payload.
//
// Trailer, 592 bytes at offset N-592:
//
//	  0   8  magic "KILNPACK"
//	  8   2  major version (1)
//	 10   2  minor version (0)
//	 12   4  section count n (at most 8)
//	 16   8  P, payload start (= stub length)
//	 24   8  N, artifact size (= file size)
//	 32  32  SHA-256 of the stub bytes [0, P)
//	 64 512  8 section slots of 64 bytes; slots n..7 are all zero
//	576   4  trailer size T (592)
//	580   4  CRC-32C of trailer bytes [0, 580)
//	584   8  magic "KILNPACK"
//
// Section slot, 64 bytes:
//
//	 0  4  kind: 1 manifest, 2 modelfile, 3 template, 4 gguf
//	 4  4  flags: bit 0 = zstd-compressed; other bits zero in 1.x
//	 8  8  offset from the start of the file
//	16  8  stored length (bytes in the file)
//	24  8  size (after decompression; equal to the stored length if raw)
//	32 32  SHA-256 of the stored bytes
//
// A reader finds the trailer from the last 16 bytes (size, CRC, magic), so a
// later minor version may grow the trailer by inserting fields before them;
// every 1.x reader reads the fixed fields above and ignores the rest. Readers
// of major version 1 skip section kinds they do not know (still checking
// their bounds and, in Verify, their hash; such kinds may repeat), and refuse
// any other major version. Writers are deterministic: the same inputs give the same bytes
// (no timestamps; zstd at a fixed level with one encoder).
package pack

import (
	"errors"
	"fmt"
)

// Format version written by this package. Readers accept any minor version
// of the same major version.
const (
	FormatMajor = 1
	FormatMinor = 0
)

// Sizes and limits of the format.
const (
	// TrailerSize is the size of the trailer written by this package.
	TrailerSize = 592
	// HeaderSize is the size of the payload header.
	HeaderSize = 64
	// GGUFAlign is the alignment of the gguf section from the start of the
	// file: Windows' allocation granularity, a multiple of every page size.
	GGUFAlign = 64 << 10
	// MaxSections is the number of section slots in a 1.x trailer.
	MaxSections = 8
	// MaxSmallSection bounds the decompressed size of every section but the
	// GGUF, so a forged size cannot make a reader allocate without limit.
	MaxSmallSection = 64 << 20

	slotSize     = 64
	slotsOffset  = 64
	tailSize     = 16 // trailer size, CRC, magic
	maxTrailer   = 64 << 10
	minTrailerV1 = slotsOffset + MaxSections*slotSize + tailSize
	flagZstd     = 1
	knownFlags   = flagZstd
)

var (
	trailerMagic = [8]byte{'K', 'I', 'L', 'N', 'P', 'A', 'C', 'K'}
	headerMagic  = [8]byte{'K', 'I', 'L', 'N', 'H', 'E', 'A', 'D'}
)

// Kind identifies what a section holds.
type Kind uint32

// Section kinds of format 1.0.
const (
	KindManifest  Kind = 1
	KindModelfile Kind = 2
	KindTemplate  Kind = 3
	KindGGUF      Kind = 4
)

// String returns the section's name as used in errors and --info, or
// "kind-N" for a kind this version does not know.
func (k Kind) String() string {
	switch k {
	case KindManifest:
		return "manifest"
	case KindModelfile:
		return "modelfile"
	case KindTemplate:
		return "template"
	case KindGGUF:
		return "gguf"
	}
	return fmt.Sprintf("kind-%d", uint32(k))
}

// Manifest describes an artifact: what built it and from which inputs. It
// holds no timestamps, so that bundling the same inputs twice gives the same
// file.
type Manifest struct {
	// FormatVersion is the artifact format, "1.0"; Write fills it in.
	FormatVersion string `json:"format_version"`
	// KilnVersion is the version of the bundler that wrote the artifact.
	KilnVersion string `json:"kiln_version"`
	// Name is the model's name as the API reports it.
	Name string `json:"name"`
	// Architecture is the GGUF's general.architecture (llama, qwen2, ...).
	Architecture string `json:"architecture,omitempty"`
	// Files names the inputs the bundler read.
	Files []SourceFile `json:"files,omitempty"`
	// Inputs records the bundler options that shaped the artifact (for
	// example "quantize": "Q4_K_M"); JSON writes map keys sorted.
	Inputs map[string]string `json:"inputs,omitempty"`
}

// SourceFile is one input of the bundler: its role (gguf, modelfile,
// template), base name, size and SHA-256 in hex.
type SourceFile struct {
	Role   string `json:"role"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
}

// SectionInfo describes one section as the trailer records it.
type SectionInfo struct {
	Kind       Kind
	Name       string // Kind.String()
	Offset     int64  // from the start of the file
	Stored     int64  // bytes in the file
	Size       int64  // bytes after decompression
	Compressed bool
	SHA256     string // hex, of the stored bytes
}

// Errors that callers tell apart with errors.Is.
var (
	// ErrNoPayload means the file has no Kiln trailer and no payload header:
	// a plain executable (or any other file). The stub then runs the model
	// given with -m.
	ErrNoPayload = errors.New("pack: no kiln payload")
	// ErrCorrupt means the file has a payload that is damaged: truncated,
	// overwritten or inconsistent.
	ErrCorrupt = errors.New("pack: corrupt artifact")
	// ErrVersion means the artifact was written in a format major version
	// this reader does not know.
	ErrVersion = errors.New("pack: unsupported artifact format version")
)

// formatError is an error about the artifact's bytes; it matches ErrCorrupt
// (or ErrVersion) under errors.Is while its text says what is wrong.
type formatError struct {
	path string // set by Open
	msg  string
	kind error
}

func (e *formatError) Error() string {
	if e.path != "" {
		return "pack: " + e.path + ": " + e.msg
	}
	return "pack: " + e.msg
}
func (e *formatError) Unwrap() error { return e.kind }

func corruptf(format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf(format, args...), kind: ErrCorrupt}
}

func sectionErr(k Kind, format string, args ...any) error {
	return corruptf("section %q: %s", k.String(), fmt.Sprintf(format, args...))
}
