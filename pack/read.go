package pack

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Artifact is a parsed artifact. Its GGUF bytes are a view into the data it
// was read from (the file's mapping, for Open), never a copy.
type Artifact struct {
	// Manifest is the decoded manifest section.
	Manifest Manifest

	data         []byte
	closer       io.Closer // the mapping, for Open
	major, minor uint16
	payloadStart int64
	stubSum      [32]byte
	slots        []slot // in file order
	modelfile    string
	template     string
	gguf         []byte
}

// decoder decompresses the small sections. The cap limit makes DecodeAll
// stop at the size the trailer declares, and the memory and window limits
// bound what a forged frame header can ask for.
var decoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(MaxSmallSection),
		zstd.WithDecoderMaxWindow(MaxSmallSection),
		zstd.WithDecodeAllCapLimit(true))
})

// maxHeaderScan bounds the search for a payload header when the trailer is
// missing: stubs are tens of MiB, and a reader given some unrelated large
// file should not read all of it to say so.
const maxHeaderScan = 256 << 20

// Read parses an artifact held in data. It checks the trailer, the payload
// header, every section's bounds and the SHA-256 of the small sections, but
// not the GGUF's hash (see Verify). A file with no trailer and no payload
// header gives an error matching ErrNoPayload; a damaged one, ErrCorrupt.
// The Artifact keeps referring to data.
func Read(data []byte) (*Artifact, error) {
	tr, err := findTrailer(data)
	if err != nil {
		return nil, explainMissingTrailer(data, err)
	}
	n := int64(len(data))
	t := int64(len(tr))
	le := binary.LittleEndian
	a := &Artifact{data: data, major: le.Uint16(tr[8:]), minor: le.Uint16(tr[10:])}
	if a.major != FormatMajor {
		return nil, &formatError{kind: ErrVersion, msg: fmt.Sprintf(
			"artifact format %d.%d cannot be read by this version, which reads %d.x", a.major, a.minor, FormatMajor)}
	}
	if t < minTrailerV1 {
		return nil, corruptf("trailer is %d bytes; format %d.x needs at least %d", t, FormatMajor, minTrailerV1)
	}
	count := le.Uint32(tr[12:])
	p, size := le.Uint64(tr[16:]), le.Uint64(tr[24:])
	if size != uint64(n) {
		if size > uint64(n) {
			return nil, corruptf("truncated artifact: trailer says payload ends at %d but file is %d bytes", size, n)
		}
		return nil, corruptf("trailer says the artifact is %d bytes but the file is %d bytes", size, n)
	}
	trailerStart := n - t
	if p > uint64(trailerStart) || uint64(trailerStart)-p < HeaderSize {
		return nil, corruptf("trailer says the payload starts at %d, leaving no room for the payload header before the trailer at %d", p, trailerStart)
	}
	a.payloadStart = int64(p)
	copy(a.stubSum[:], tr[32:64])
	if err := checkHeader(data, a.payloadStart, n); err != nil {
		return nil, err
	}
	if count > MaxSections {
		return nil, corruptf("trailer lists %d sections; the most is %d", count, MaxSections)
	}
	if err := a.readSlots(tr, int(count), trailerStart); err != nil {
		return nil, err
	}
	if err := a.readSmall(); err != nil {
		return nil, err
	}
	return a, nil
}

// errNoEndMagic is findTrailer's answer for a file that does not end with
// the trailer magic, as any plain file does.
var errNoEndMagic = errors.New("no trailer magic at the end of the file")

// findTrailer returns the trailer if the file ends with one whose size,
// checksum and magics are right; what it says is not checked yet.
func findTrailer(data []byte) ([]byte, error) {
	n := int64(len(data))
	if n < tailSize || !bytes.Equal(data[n-8:], trailerMagic[:]) {
		return nil, errNoEndMagic
	}
	le := binary.LittleEndian
	t := int64(le.Uint32(data[n-16:]))
	if t < 12+tailSize || t > maxTrailer || t > n {
		return nil, corruptf("trailer size %d is impossible (file is %d bytes)", t, n)
	}
	tr := data[n-t:]
	if got, want := crc32.Checksum(tr[:t-12], castagnoli), le.Uint32(tr[t-12:]); got != want {
		return nil, corruptf("trailer checksum mismatch: stored %08x, computed %08x (artifact corrupted?)", want, got)
	}
	if !bytes.Equal(tr[:8], trailerMagic[:]) {
		return nil, corruptf("trailer of %d bytes does not start with the magic %q", t, trailerMagic[:])
	}
	return tr, nil
}

// checkHeader checks the payload header at p against the trailer.
func checkHeader(data []byte, p, n int64) error {
	h, err := parseHeader(data, p)
	if err != nil {
		return err
	}
	if h.major != FormatMajor {
		return corruptf("payload header at %d says format %d.x but the trailer says %d.x", p, h.major, FormatMajor)
	}
	if h.p != p || h.n != n {
		return corruptf("payload header at %d records offset %d and size %d; the trailer says %d and %d", p, h.p, h.n, p, n)
	}
	return nil
}

type header struct {
	major uint16
	p, n  int64
}

// parseHeader decodes and checks the payload header at offset p.
func parseHeader(data []byte, p int64) (header, error) {
	if p < 0 || p > int64(len(data))-HeaderSize {
		return header{}, corruptf("payload header at %d lies past the end of the file (%d bytes)", p, len(data))
	}
	b := data[p : p+HeaderSize]
	le := binary.LittleEndian
	if !bytes.Equal(b[:8], headerMagic[:]) {
		return header{}, corruptf("no payload header at %d (magic is %q, want %q)", p, b[:8], headerMagic[:])
	}
	if got, want := crc32.Checksum(b[:60], castagnoli), le.Uint32(b[60:]); got != want {
		return header{}, corruptf("payload header at %d: checksum mismatch (artifact corrupted?)", p)
	}
	hp, hn := le.Uint64(b[16:]), le.Uint64(b[24:])
	if hp > 1<<62 || hn > 1<<62 {
		return header{}, corruptf("payload header at %d: offsets %d, %d out of range", p, hp, hn)
	}
	return header{major: le.Uint16(b[8:]), p: int64(hp), n: int64(hn)}, nil
}

// explainMissingTrailer turns the failure to find a trailer into the most
// useful error. A payload header means an artifact that lost its end (or
// gained bytes after it); without one, a file that does not even end with
// the trailer magic is a plain file, not a damaged artifact.
func explainMissingTrailer(data []byte, cause error) error {
	n := int64(len(data))
	if n == 0 {
		return &formatError{kind: ErrNoPayload, msg: "no kiln payload: the file is empty"}
	}
	if pos, h, ok := scanHeader(data); ok {
		switch {
		case h.n > n:
			return corruptf("truncated artifact: payload header at %d says the artifact is %d bytes but the file is %d bytes", pos, h.n, n)
		case h.n < n:
			return corruptf("%d unexpected bytes after the artifact's end at %d (payload header at %d); the trailer must end the file", n-h.n, h.n, pos)
		case cause == errNoEndMagic:
			return corruptf("trailer missing or damaged: the file does not end with %q, though the payload header at %d says it is a complete %d-byte artifact", trailerMagic[:], pos, n)
		}
		return cause
	}
	if cause == errNoEndMagic {
		return &formatError{kind: ErrNoPayload, msg: fmt.Sprintf("no kiln payload: no trailer at the end of the file (%d bytes) and no payload header", n)}
	}
	return cause
}

// scanHeader looks for a valid payload header whose recorded offset is where
// it lies; the stub's own code holds the magic, but not followed by a
// matching checksum and offset.
func scanHeader(data []byte) (int64, header, bool) {
	// A GGUF file starts with its own magic, so no stub (and no payload
	// header after one) can precede it: skip the scan.
	if bytes.HasPrefix(data, []byte("GGUF")) {
		return 0, header{}, false
	}
	area := data[:min(len(data), maxHeaderScan)]
	for i := 0; ; {
		j := bytes.Index(area[i:], headerMagic[:])
		if j < 0 {
			return 0, header{}, false
		}
		pos := int64(i + j)
		if h, err := parseHeader(data, pos); err == nil && h.p == pos {
			return pos, h, true
		}
		i = int(pos) + 1
	}
}

// readSlots decodes and bounds-checks the section slots of trailer tr.
func (a *Artifact) readSlots(tr []byte, count int, trailerStart int64) error {
	le := binary.LittleEndian
	seen := map[Kind]bool{}
	for i := range MaxSections {
		e := tr[slotsOffset+i*slotSize : slotsOffset+(i+1)*slotSize]
		if i >= count {
			if !allZero(e) {
				return corruptf("trailer slot %d is past the section count %d but not empty", i, count)
			}
			continue
		}
		k := Kind(le.Uint32(e[0:]))
		flags := le.Uint32(e[4:])
		off, stored, size := le.Uint64(e[8:]), le.Uint64(e[16:]), le.Uint64(e[24:])
		if k == 0 {
			return corruptf("trailer slot %d has section kind 0", i)
		}
		known := k >= KindManifest && k <= KindGGUF
		if known && seen[k] {
			// Kinds this version does not know may repeat: a later minor
			// version decides what that means.
			return sectionErr(k, "appears twice in the trailer")
		}
		seen[k] = true
		if flags&^knownFlags != 0 {
			return sectionErr(k, "unknown flags %#x", flags)
		}
		if off < uint64(a.payloadStart)+HeaderSize {
			return sectionErr(k, "offset %d lies before the payload at %d", off, a.payloadStart+HeaderSize)
		}
		if off > uint64(trailerStart) || stored > uint64(trailerStart)-off {
			return sectionErr(k, "bytes [%d, %d+%d) run past the trailer at %d", off, off, stored, trailerStart)
		}
		compressed := flags&flagZstd != 0
		if !compressed && size != stored {
			return sectionErr(k, "stored raw in %d bytes but size says %d", stored, size)
		}
		switch k {
		case KindGGUF:
			if compressed {
				return sectionErr(k, "is compressed; it must be stored raw to be mapped")
			}
			if off%GGUFAlign != 0 {
				return sectionErr(k, "offset %d is not a multiple of %d", off, GGUFAlign)
			}
		case KindManifest, KindModelfile, KindTemplate:
			if size > MaxSmallSection {
				return sectionErr(k, "claims %d bytes; the limit is %d", size, MaxSmallSection)
			}
		}
		s := slot{kind: k, flags: flags, offset: int64(off), stored: int64(stored), size: int64(size)}
		copy(s.sum[:], e[32:])
		a.slots = append(a.slots, s)
	}
	slices.SortFunc(a.slots, func(x, y slot) int { return cmp.Compare(x.offset, y.offset) })
	for i := 1; i < len(a.slots); i++ {
		prev, cur := a.slots[i-1], a.slots[i]
		if prev.offset+prev.stored > cur.offset {
			return sectionErr(cur.kind, "bytes from %d overlap section %q [%d, %d)", cur.offset, prev.kind.String(), prev.offset, prev.offset+prev.stored)
		}
	}
	for _, k := range []Kind{KindManifest, KindGGUF} {
		if !seen[k] {
			return corruptf("no %q section", k.String())
		}
	}
	return nil
}

// readSmall checks and decodes the manifest, Modelfile and template, and
// sets the GGUF view.
func (a *Artifact) readSmall() error {
	for _, s := range a.slots {
		switch s.kind {
		case KindGGUF:
			a.gguf = a.bytes(s)
		case KindManifest:
			b, err := a.decode(s)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(b, &a.Manifest); err != nil {
				return sectionErr(s.kind, "invalid JSON: %v", err)
			}
		case KindModelfile:
			b, err := a.decode(s)
			if err != nil {
				return err
			}
			a.modelfile = string(b)
		case KindTemplate:
			b, err := a.decode(s)
			if err != nil {
				return err
			}
			a.template = string(b)
		}
	}
	return nil
}

func (a *Artifact) bytes(s slot) []byte {
	return a.data[s.offset : s.offset+s.stored : s.offset+s.stored]
}

// decode checks a small section's hash and decompresses it.
func (a *Artifact) decode(s slot) ([]byte, error) {
	b := a.bytes(s)
	if sha256.Sum256(b) != s.sum {
		return nil, sectionErr(s.kind, "sha256 mismatch (artifact corrupted?)")
	}
	if s.flags&flagZstd == 0 {
		return b, nil
	}
	dec, err := decoder()
	if err != nil {
		return nil, fmt.Errorf("pack: zstd decoder: %w", err)
	}
	out, err := dec.DecodeAll(b, make([]byte, 0, s.size))
	if err != nil {
		return nil, sectionErr(s.kind, "zstd: %v", err)
	}
	if int64(len(out)) != s.size {
		return nil, sectionErr(s.kind, "decompressed to %d bytes; the trailer says %d", len(out), s.size)
	}
	return out, nil
}

// Verify checks the SHA-256 of every section, the GGUF and any section of a
// kind this version does not know included, and of the stub, and that the
// bytes between sections are zero: every byte of the file is accounted for.
// It reads the whole file.
func (a *Artifact) Verify() error {
	if a.data == nil {
		return corruptf("verify: artifact is closed")
	}
	if sha256.Sum256(a.data[:a.payloadStart]) != a.stubSum {
		return corruptf("stub bytes [0, %d): sha256 mismatch (artifact corrupted?)", a.payloadStart)
	}
	end := a.payloadStart + HeaderSize
	for _, s := range a.slots {
		if err := checkZero(a.data[end:s.offset], end); err != nil {
			return err
		}
		if sha256.Sum256(a.bytes(s)) != s.sum {
			return sectionErr(s.kind, "sha256 mismatch (artifact corrupted?)")
		}
		end = s.offset + s.stored
	}
	return checkZero(a.data[end:int64(len(a.data))-a.trailerSize()], end)
}

func (a *Artifact) trailerSize() int64 {
	return int64(binary.LittleEndian.Uint32(a.data[len(a.data)-16:]))
}

func checkZero(b []byte, off int64) error {
	for i, c := range b {
		if c != 0 {
			return corruptf("byte %d, outside every section, is %#02x instead of zero (artifact corrupted?)", off+int64(i), c)
		}
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Modelfile returns the Modelfile text the artifact carries ("" if none).
func (a *Artifact) Modelfile() string { return a.modelfile }

// Template returns the chat template the artifact carries ("" if none).
func (a *Artifact) Template() string { return a.template }

// GGUF returns the model file: a read-only view into the artifact's data,
// valid until Close.
func (a *Artifact) GGUF() []byte { return a.gguf }

// StubSize returns the length of the executable in front of the payload.
func (a *Artifact) StubSize() int64 { return a.payloadStart }

// Version returns the artifact's format version, e.g. "1.0".
func (a *Artifact) Version() string { return fmt.Sprintf("%d.%d", a.major, a.minor) }

// Sections describes every section in file order, for --info.
func (a *Artifact) Sections() []SectionInfo {
	out := make([]SectionInfo, 0, len(a.slots))
	for _, s := range a.slots {
		out = append(out, SectionInfo{
			Kind: s.kind, Name: s.kind.String(), Offset: s.offset, Stored: s.stored, Size: s.size,
			Compressed: s.flags&flagZstd != 0, SHA256: hex.EncodeToString(s.sum[:]),
		})
	}
	return out
}

// Close releases the file mapping of an artifact from Open; the GGUF view
// must not be used afterwards. It does nothing for one from Read.
func (a *Artifact) Close() error {
	c := a.closer
	a.closer, a.data, a.gguf = nil, nil, nil
	if c == nil {
		return nil
	}
	return c.Close()
}
