package pack

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Sections is what Write packs after the stub.
type Sections struct {
	// Manifest is stored as JSON; Write sets its FormatVersion.
	Manifest Manifest
	// Modelfile and Template are stored zstd-compressed; either may be empty.
	Modelfile string
	Template  string
	// GGUF is streamed into the artifact, never held in memory. It must
	// yield exactly GGUFSize bytes.
	GGUF     io.Reader
	GGUFSize int64
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encoder compresses the small sections. One encoder at a fixed level makes
// the output a function of the input alone; EncodeAll is safe to share.
var encoder = sync.OnceValues(func() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
		zstd.WithEncoderCRC(true))
})

// copyBufSize is the chunk in which the stub and the GGUF are copied and
// hashed: large enough that the hash, not the call overhead, sets the pace.
const copyBufSize = 1 << 20

// smallSection is a section already encoded in memory.
type smallSection struct {
	kind   Kind
	flags  uint32
	size   int64
	stored []byte
}

// Write writes an artifact to w: stubSize bytes read from stub, then the
// payload holding secs. The output depends only on the inputs. On error, w
// holds a partial artifact; WriteFile never leaves one behind.
func Write(w io.Writer, stub io.Reader, stubSize int64, secs Sections) error {
	if stubSize < 0 {
		return fmt.Errorf("pack: negative stub size %d", stubSize)
	}
	if secs.GGUF == nil {
		return errors.New("pack: no GGUF to pack")
	}
	if secs.GGUFSize < 4 {
		return fmt.Errorf("pack: GGUF size %d is too small for a GGUF file", secs.GGUFSize)
	}
	small, err := encodeSmall(secs)
	if err != nil {
		return err
	}

	// Lay the payload out first: the header records the final size.
	p := stubSize
	off := p + HeaderSize
	var slots []slot
	for _, s := range small {
		slots = append(slots, slot{kind: s.kind, flags: s.flags, offset: off,
			stored: int64(len(s.stored)), size: s.size, sum: sha256.Sum256(s.stored)})
		off += int64(len(s.stored))
	}
	g := alignUp(off, GGUFAlign)
	n := g + secs.GGUFSize + TrailerSize
	if n < g { // overflow: a size no file system holds
		return fmt.Errorf("pack: GGUF size %d too large", secs.GGUFSize)
	}

	buf := make([]byte, copyBufSize)
	stubHash := sha256.New()
	tail := &tailWriter{}
	if err := copyExact(io.MultiWriter(w, stubHash, tail), stub, stubSize, buf, "stub"); err != nil {
		return err
	}
	if stubSize >= 8 && tail.last == trailerMagic {
		return errors.New("pack: the stub already ends with a kiln trailer: pack the bare stub, not an artifact")
	}
	if _, err := w.Write(encodeHeader(p, n)); err != nil {
		return fmt.Errorf("pack: write payload header: %w", err)
	}
	for _, s := range small {
		if _, err := w.Write(s.stored); err != nil {
			return fmt.Errorf("pack: write section %q: %w", s.kind, err)
		}
	}
	if _, err := w.Write(make([]byte, g-off)); err != nil {
		return fmt.Errorf("pack: write padding: %w", err)
	}
	ggufHash := sha256.New()
	if err := copyGGUF(io.MultiWriter(w, ggufHash), secs.GGUF, secs.GGUFSize, buf); err != nil {
		return err
	}
	gslot := slot{kind: KindGGUF, offset: g, stored: secs.GGUFSize, size: secs.GGUFSize}
	ggufHash.Sum(gslot.sum[:0])
	slots = append(slots, gslot)

	var stubSum [32]byte
	stubHash.Sum(stubSum[:0])
	if _, err := w.Write(encodeTrailer(p, n, stubSum, slots)); err != nil {
		return fmt.Errorf("pack: write trailer: %w", err)
	}
	return nil
}

// encodeSmall turns the manifest, Modelfile and template into stored bytes.
// Empty sections are stored raw with no bytes: a zstd frame would be larger.
func encodeSmall(secs Sections) ([]smallSection, error) {
	m := secs.Manifest
	m.FormatVersion = fmt.Sprintf("%d.%d", FormatMajor, FormatMinor)
	mj, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("pack: encode manifest: %w", err)
	}
	enc, err := encoder()
	if err != nil {
		return nil, fmt.Errorf("pack: zstd encoder: %w", err)
	}
	var out []smallSection
	for _, s := range []struct {
		kind Kind
		data []byte
	}{{KindManifest, mj}, {KindModelfile, []byte(secs.Modelfile)}, {KindTemplate, []byte(secs.Template)}} {
		if len(s.data) > MaxSmallSection {
			return nil, fmt.Errorf("pack: section %q is %d bytes; the limit is %d", s.kind, len(s.data), MaxSmallSection)
		}
		sec := smallSection{kind: s.kind, size: int64(len(s.data))}
		if len(s.data) > 0 {
			sec.flags = flagZstd
			sec.stored = enc.EncodeAll(s.data, nil)
		}
		out = append(out, sec)
	}
	return out, nil
}

// copyGGUF copies exactly size bytes of a GGUF, checking its magic on the way
// and that the reader has nothing left after them.
func copyGGUF(w io.Writer, r io.Reader, size int64, buf []byte) error {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return fmt.Errorf("pack: read GGUF: %w", err)
	}
	if string(magic[:]) != "GGUF" {
		return fmt.Errorf("pack: GGUF input starts with %q, not the GGUF magic", magic[:])
	}
	if _, err := w.Write(magic[:]); err != nil {
		return fmt.Errorf("pack: write section \"gguf\": %w", err)
	}
	if err := copyExact(w, r, size-4, buf, "GGUF"); err != nil {
		return err
	}
	var extra [1]byte
	switch _, err := io.ReadFull(r, extra[:]); err {
	case io.EOF:
		return nil
	case nil:
		return fmt.Errorf("pack: GGUF input is longer than the %d bytes announced (changed while packing?)", size)
	default:
		return fmt.Errorf("pack: read GGUF: %w", err)
	}
}

// copyExact copies exactly n bytes, failing with what was short.
func copyExact(w io.Writer, r io.Reader, n int64, buf []byte, what string) error {
	got, err := io.CopyBuffer(w, io.LimitReader(r, n), buf)
	if err != nil {
		return fmt.Errorf("pack: copy %s: %w", what, err)
	}
	if got != n {
		return fmt.Errorf("pack: %s input ended after %d of %d bytes", what, got, n)
	}
	return nil
}

// tailWriter remembers the last 8 bytes written through it.
type tailWriter struct{ last [8]byte }

func (t *tailWriter) Write(p []byte) (int, error) {
	if len(p) >= 8 {
		copy(t.last[:], p[len(p)-8:])
	} else {
		copy(t.last[:], t.last[len(p):])
		copy(t.last[8-len(p):], p)
	}
	return len(p), nil
}

func alignUp(x, a int64) int64 { return (x + a - 1) / a * a }

// slot is one decoded section slot of the trailer.
type slot struct {
	kind   Kind
	flags  uint32
	offset int64
	stored int64
	size   int64
	sum    [32]byte
}

func encodeHeader(p, n int64) []byte {
	b := make([]byte, HeaderSize)
	copy(b, headerMagic[:])
	le := binary.LittleEndian
	le.PutUint16(b[8:], FormatMajor)
	le.PutUint16(b[10:], FormatMinor)
	le.PutUint32(b[12:], HeaderSize)
	le.PutUint64(b[16:], uint64(p))
	le.PutUint64(b[24:], uint64(n))
	le.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
	return b
}

func encodeTrailer(p, n int64, stubSum [32]byte, slots []slot) []byte {
	b := make([]byte, TrailerSize)
	le := binary.LittleEndian
	copy(b, trailerMagic[:])
	le.PutUint16(b[8:], FormatMajor)
	le.PutUint16(b[10:], FormatMinor)
	le.PutUint32(b[12:], uint32(len(slots)))
	le.PutUint64(b[16:], uint64(p))
	le.PutUint64(b[24:], uint64(n))
	copy(b[32:], stubSum[:])
	for i, s := range slots {
		e := b[slotsOffset+i*slotSize:]
		le.PutUint32(e[0:], uint32(s.kind))
		le.PutUint32(e[4:], s.flags)
		le.PutUint64(e[8:], uint64(s.offset))
		le.PutUint64(e[16:], uint64(s.stored))
		le.PutUint64(e[24:], uint64(s.size))
		copy(e[32:], s.sum[:])
	}
	t := TrailerSize
	le.PutUint32(b[t-16:], TrailerSize)
	le.PutUint32(b[t-12:], crc32.Checksum(b[:t-12], castagnoli))
	copy(b[t-8:], trailerMagic[:])
	return b
}

// WriteFile writes an artifact to path from the stub executable at stubPath:
// into a temporary file beside path, synced, made executable, then renamed
// over path, so that a failure never leaves a partial artifact.
func WriteFile(path, stubPath string, secs Sections) (err error) {
	stub, err := os.Open(stubPath)
	if err != nil {
		return fmt.Errorf("pack: open stub: %w", err)
	}
	defer stub.Close()
	st, err := stub.Stat()
	if err != nil {
		return fmt.Errorf("pack: stat stub: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("pack: stub %s is not a regular file", stubPath)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := Write(tmp, stub, st.Size(), secs); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("pack: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		return fmt.Errorf("pack: chmod %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("pack: close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	return nil
}
