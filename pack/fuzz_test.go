package pack

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read: it must return an artifact whose
// every view lies inside the input, or an error, and never panic or
// allocate without bound.
//
// Every valid artifact is over 64 KiB, because the GGUF starts at a multiple
// of 64 KiB, and the fuzzer mutates and minimizes inputs that large too
// slowly to explore anything. So each input is also read a second time
// "expanded": its first two bytes give a split point k, and the rest is laid
// out as rest[:k], zeros up to offset 64 KiB, rest[k:]. The seeds are real
// artifacts with their padding cut out. A fuzzer cannot forge a CRC or a
// SHA-256 either, so the expanded input is read a third time "resealed",
// with the hashes and checksums recomputed over whatever it holds: that
// reaches the checks behind them (slot bounds, zstd, JSON) with bytes the
// fuzzer chose.
func FuzzRead(f *testing.F) {
	for _, data := range [][]byte{
		newFixture(40, 64).write(f),
		newFixture(0, 4).write(f),
		assemble([]byte("stub"), []byte(`{"name":"x"}`), 0, 12),
	} {
		f.Add(compact(f, data))
	}
	f.Add([]byte{})
	f.Add([]byte("KILNPACK"))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkRead(t, in)
		if x := expand(in); x != nil {
			checkRead(t, x)
			checkRead(t, reseal(x))
		}
	})
}

// compact removes the padding before the GGUF of a valid artifact: the
// inverse of expand.
func compact(t testing.TB, data []byte) []byte {
	a, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	var end int64
	for _, s := range a.Sections() {
		if s.Kind != KindGGUF {
			end = max(end, s.Offset+s.Stored)
		}
	}
	if end > GGUFAlign || len(data) < GGUFAlign {
		t.Fatalf("seed does not fit the expansion: payload ends at %d", end)
	}
	out := binary.LittleEndian.AppendUint16(nil, uint16(end))
	out = append(out, data[:end]...)
	return append(out, data[GGUFAlign:]...)
}

func expand(in []byte) []byte {
	if len(in) < 2 {
		return nil
	}
	rest := in[2:]
	k := int(binary.LittleEndian.Uint16(in)) % (len(rest) + 1)
	out := make([]byte, 0, GGUFAlign+len(rest)-k)
	out = append(out, rest[:k]...)
	out = append(out, make([]byte, GGUFAlign-k)...)
	return append(out, rest[k:]...)
}

// reseal recomputes the SHA-256 of every section that lies inside data, then
// the payload header's and the trailer's checksums, where it can find them.
func reseal(data []byte) []byte {
	n := len(data)
	if n < TrailerSize || !bytes.Equal(data[n-8:], trailerMagic[:]) {
		return data
	}
	le := binary.LittleEndian
	tr := data[n-TrailerSize:]
	for i := range min(int(le.Uint32(tr[12:])), MaxSections) {
		e := slotField(tr, i, 0)
		off, stored := le.Uint64(e[8:]), le.Uint64(e[16:])
		if off <= uint64(n) && stored <= uint64(n)-off {
			sum := sha256.Sum256(data[off : off+stored])
			copy(e[32:64], sum[:])
		}
	}
	if p := le.Uint64(tr[16:]); p <= uint64(n-HeaderSize) {
		h := data[p : p+HeaderSize]
		le.PutUint32(h[60:], crc32.Checksum(h[:60], castagnoli))
	}
	le.PutUint32(tr[TrailerSize-16:], TrailerSize)
	le.PutUint32(tr[TrailerSize-12:], crc32.Checksum(tr[:TrailerSize-12], castagnoli))
	return data
}

func checkRead(t *testing.T, data []byte) {
	a, err := Read(data)
	if err != nil {
		if a != nil {
			t.Fatal("Read returned an artifact with an error")
		}
		if !errors.Is(err, ErrNoPayload) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
			t.Fatalf("error %v matches none of the package's errors", err)
		}
		return
	}
	g := a.GGUF()
	if len(g) > 0 && !bytes.Contains(data, g) {
		t.Fatal("GGUF view is not part of the input")
	}
	for _, s := range a.Sections() {
		if s.Offset < a.StubSize()+HeaderSize || s.Offset+s.Stored > int64(len(data))-TrailerSize {
			t.Fatalf("section %+v outside the payload of a %d-byte file", s, len(data))
		}
		if s.Kind == KindGGUF && s.Offset%GGUFAlign != 0 {
			t.Fatalf("gguf at %d is not aligned", s.Offset)
		}
	}
	_ = a.Verify()
}

func TestExpandInvertsCompact(t *testing.T) {
	data := newFixture(40, 64).write(t)
	if !bytes.Equal(expand(compact(t, data)), data) {
		t.Fatal("expand(compact(a)) != a")
	}
}
