package pack

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// layout locates the parts of a test artifact.
type layout struct {
	p, n     int
	sections map[string]SectionInfo
}

func locate(t *testing.T, data []byte) layout {
	t.Helper()
	a, err := Read(data)
	if err != nil {
		t.Fatalf("Read of the intact artifact: %v", err)
	}
	l := layout{p: int(a.StubSize()), n: len(data), sections: map[string]SectionInfo{}}
	for _, s := range a.Sections() {
		l.sections[s.Name] = s
	}
	return l
}

func TestTruncated(t *testing.T) {
	data := newFixture(3000, 70000).write(t)
	l := locate(t, data)
	var cuts []int
	for c := 0; c < len(data); c += 977 {
		cuts = append(cuts, c)
	}
	for c := len(data) - 700; c < len(data); c++ {
		cuts = append(cuts, c)
	}
	for _, s := range l.sections {
		cuts = append(cuts, int(s.Offset), int(s.Offset)+1, int(s.Offset+s.Stored)-1)
	}
	cuts = append(cuts, l.p-1, l.p, l.p+1, l.p+HeaderSize-1, l.p+HeaderSize)
	for _, c := range cuts {
		a, err := Read(data[:c])
		switch {
		case err == nil:
			t.Errorf("cut at %d: Read succeeded: %+v", c, a.Sections())
		case c < l.p+HeaderSize:
			// The payload header is gone too: nothing says this was an
			// artifact, and the prefix is indeed a plain stub.
			if !errors.Is(err, ErrNoPayload) {
				t.Errorf("cut at %d (before the header's end): %v, want ErrNoPayload", c, err)
			}
		default:
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "truncated artifact") {
				t.Errorf("cut at %d: %v, want a truncated-artifact error", c, err)
			}
		}
	}
}

func TestFlippedByte(t *testing.T) {
	data := newFixture(3000, 70000).write(t)
	l := locate(t, data)
	at := func(name string, delta int64) int { return int(l.sections[name].Offset + delta) }
	for _, tc := range []struct {
		name     string
		pos      int
		atRead   bool // detected by Read, not only by Verify
		contains string
	}{
		{"stub first byte", 0, false, "stub bytes"},
		{"stub last byte", l.p - 1, false, "stub bytes"},
		{"header magic", l.p, true, "payload header"},
		{"header size field", l.p + 24, true, "payload header"},
		{"header reserved", l.p + 40, true, "payload header"},
		{"manifest", at("manifest", 3), true, `section "manifest": sha256 mismatch (artifact corrupted?)`},
		{"modelfile", at("modelfile", 0), true, `section "modelfile": sha256 mismatch`},
		{"template last byte", at("template", l.sections["template"].Stored-1), true, `section "template": sha256 mismatch`},
		{"padding", at("gguf", -1), false, "outside every section"},
		{"gguf first byte", at("gguf", 0), false, `section "gguf": sha256 mismatch`},
		{"gguf middle", at("gguf", 35000), false, `section "gguf": sha256 mismatch`},
		{"gguf last byte", at("gguf", l.sections["gguf"].Stored-1), false, `section "gguf": sha256 mismatch`},
		{"trailer start magic", l.n - TrailerSize, true, "trailer checksum mismatch"},
		{"trailer slot", l.n - TrailerSize + slotsOffset + 70, true, "trailer checksum mismatch"},
		{"trailer size", l.n - 16, true, "trailer checksum mismatch"},
		{"trailer crc", l.n - 12, true, "trailer checksum mismatch"},
		{"trailer end magic", l.n - 1, true, "trailer missing or damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := bytes.Clone(data)
			d[tc.pos] ^= 0x41
			a, err := Read(d)
			if tc.atRead {
				if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.contains) {
					t.Fatalf("Read = %v; want ErrCorrupt containing %q", err, tc.contains)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v (only Verify should see this)", err)
			}
			err = a.Verify()
			if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("Verify = %v; want ErrCorrupt containing %q", err, tc.contains)
			}
		})
	}
}

// TestEveryByteCounts flips bytes all over a small artifact: Read or Verify
// must notice each one, because every byte is hashed, checksummed or
// required to be zero.
func TestEveryByteCounts(t *testing.T) {
	data := newFixture(300, 3000).write(t)
	l := locate(t, data)
	g := l.sections["gguf"]
	for i := 0; i < len(data); i++ {
		if i > l.p+2000 && i < int(g.Offset)-100 && i%97 != 0 {
			continue // the padding: sample it
		}
		d := bytes.Clone(data)
		d[i] ^= 0x01
		a, err := Read(d)
		if err == nil {
			err = a.Verify()
		}
		if err == nil {
			t.Fatalf("flipping byte %d (file %d bytes) went unnoticed", i, len(data))
		}
	}
}

func TestBadTrailer(t *testing.T) {
	data := newFixture(3000, 70000).write(t)
	l := locate(t, data)
	le := binary.LittleEndian
	gslot := 3 // manifest, modelfile, template, gguf
	for _, tc := range []struct {
		name string
		edit func(tr []byte)
		want string
		is   error
	}{
		{"wrong major", func(tr []byte) { le.PutUint16(tr[8:], 2) }, "format 2.0 cannot be read", ErrVersion},
		{"major zero", func(tr []byte) { le.PutUint16(tr[8:], 0) }, "format 0.0", ErrVersion},
		{"start magic", func(tr []byte) { tr[0] = 'X' }, "does not start with the magic", ErrCorrupt},
		{"size past end", func(tr []byte) { le.PutUint64(tr[24:], uint64(l.n+10)) },
			"truncated artifact: trailer says payload ends at", ErrCorrupt},
		{"size short", func(tr []byte) { le.PutUint64(tr[24:], uint64(l.n-10)) }, "but the file is", ErrCorrupt},
		{"payload start past end", func(tr []byte) { le.PutUint64(tr[16:], 1<<63) }, "no room for the payload header", ErrCorrupt},
		{"payload start moved", func(tr []byte) { le.PutUint64(tr[16:], uint64(l.p+1)) }, "payload header", ErrCorrupt},
		{"too many sections", func(tr []byte) { le.PutUint32(tr[12:], 9) }, "lists 9 sections", ErrCorrupt},
		{"too few sections", func(tr []byte) { le.PutUint32(tr[12:], 3) }, "slot 3 is past the section count", ErrCorrupt},
		{"offset past end", func(tr []byte) { le.PutUint64(slotField(tr, gslot, 8), uint64(l.n)) }, `section "gguf": bytes`, ErrCorrupt},
		{"offset overflow", func(tr []byte) { le.PutUint64(slotField(tr, 0, 8), 1<<64-1) }, `section "manifest": bytes`, ErrCorrupt},
		{"length overflow", func(tr []byte) { le.PutUint64(slotField(tr, 1, 16), 1<<64-10) }, `section "modelfile": bytes`, ErrCorrupt},
		{"length into trailer", func(tr []byte) {
			le.PutUint64(slotField(tr, gslot, 16), uint64(l.n-int(l.sections["gguf"].Offset)-TrailerSize+1))
			le.PutUint64(slotField(tr, gslot, 24), uint64(l.n-int(l.sections["gguf"].Offset)-TrailerSize+1))
		}, "run past the trailer", ErrCorrupt},
		{"offset in stub", func(tr []byte) { le.PutUint64(slotField(tr, 0, 8), 10) }, "lies before the payload", ErrCorrupt},
		{"gguf misaligned", func(tr []byte) { le.PutUint64(slotField(tr, gslot, 8), uint64(l.sections["gguf"].Offset-4096)) },
			"not a multiple of 65536", ErrCorrupt},
		{"gguf compressed", func(tr []byte) { le.PutUint32(slotField(tr, gslot, 4), flagZstd) }, "must be stored raw", ErrCorrupt},
		{"unknown flag", func(tr []byte) { le.PutUint32(slotField(tr, 2, 4), 0x80) }, `section "template": unknown flags 0x80`, ErrCorrupt},
		{"kind zero", func(tr []byte) { le.PutUint32(slotField(tr, 1, 0), 0) }, "kind 0", ErrCorrupt},
		{"duplicate", func(tr []byte) { le.PutUint32(slotField(tr, 1, 0), uint32(KindTemplate)) }, "appears twice", ErrCorrupt},
		{"no manifest", func(tr []byte) { le.PutUint32(slotField(tr, 0, 0), 77) }, `no "manifest" section`, ErrCorrupt},
		{"no gguf", func(tr []byte) { le.PutUint32(slotField(tr, gslot, 0), 77) }, `no "gguf" section`, ErrCorrupt},
		{"overlap", func(tr []byte) {
			copy(slotField(tr, 1, 8)[:8], slotField(tr, 0, 8)[:8])
		}, "overlap", ErrCorrupt},
		{"huge claimed size", func(tr []byte) { le.PutUint64(slotField(tr, 2, 24), MaxSmallSection+1) }, "claims 67108865 bytes", ErrCorrupt},
		{"size mismatch", func(tr []byte) { le.PutUint64(slotField(tr, 2, 24), uint64(l.sections["template"].Size+1)) },
			`section "template": decompressed to`, ErrCorrupt},
		{"size smaller", func(tr []byte) { le.PutUint64(slotField(tr, 2, 24), uint64(l.sections["template"].Size-1)) },
			`section "template": zstd`, ErrCorrupt},
		{"raw size mismatch", func(tr []byte) {
			le.PutUint32(slotField(tr, 2, 4), 0)
		}, "stored raw in", ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(rewriteTrailer(data, tc.edit))
			if err == nil || !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read = %v; want %v containing %q", err, tc.is, tc.want)
			}
		})
	}
}

func TestTrailerSizeField(t *testing.T) {
	data := newFixture(100, 100).write(t)
	for _, size := range []uint32{0, 27, maxTrailer + 1, uint32(len(data) + 1), 1<<32 - 1} {
		d := bytes.Clone(data)
		binary.LittleEndian.PutUint32(d[len(d)-16:], size)
		if _, err := Read(d); err == nil || !strings.Contains(err.Error(), "trailer size") {
			t.Errorf("trailer size %d: %v", size, err)
		}
	}
}

func TestUnknownSectionSkipped(t *testing.T) {
	// A later minor version may add a section kind: 1.0 readers skip it.
	data := newFixture(3000, 70000).write(t)
	l := locate(t, data)
	off := l.sections["template"].Offset + l.sections["template"].Stored
	zeros := make([]byte, 100) // inside the padding before the GGUF
	sum := sha256.Sum256(zeros)
	le := binary.LittleEndian
	d := rewriteTrailer(data, func(tr []byte) {
		le.PutUint16(tr[10:], 9) // minor 9
		le.PutUint32(tr[12:], 5)
		e := slotField(tr, 4, 0)
		le.PutUint32(e[0:], 99)
		le.PutUint64(e[8:], uint64(off))
		le.PutUint64(e[16:], 100)
		le.PutUint64(e[24:], 100)
		copy(e[32:], sum[:])
	})
	a, err := Read(d)
	if err != nil {
		t.Fatalf("Read with an unknown section: %v", err)
	}
	if a.Version() != "1.9" {
		t.Errorf("Version = %s", a.Version())
	}
	secs := a.Sections()
	if len(secs) != 5 || secs[3].Name != "kind-99" {
		t.Errorf("Sections = %+v", secs)
	}
	if err := a.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
	d[off] = 1 // the unknown section's bytes are still hashed
	if a, err = Read(d); err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(); err == nil || !strings.Contains(err.Error(), "kind-99") {
		t.Errorf("Verify of a damaged unknown section: %v", err)
	}
}

func TestMissingTrailer(t *testing.T) {
	data := newFixture(3000, 70000).write(t)
	for _, tc := range []struct {
		name string
		data []byte
		is   error
		want string
	}{
		{"empty", nil, ErrNoPayload, "file is empty"},
		{"tiny", []byte("MZ"), ErrNoPayload, "no trailer"},
		{"plain stub", randBytes(5, 100000), ErrNoPayload, "no trailer"},
		{"stub holding the magic strings", append(bytes.Repeat([]byte("KILNHEADKILNPACK"), 100), 'x'), ErrNoPayload, "no trailer"},
		{"appended bytes", append(bytes.Clone(data), "signature"...), ErrCorrupt, "9 unexpected bytes after the artifact's end"},
		{"trailer wiped", append(bytes.Clone(data[:len(data)-TrailerSize]), make([]byte, TrailerSize)...), ErrCorrupt, "trailer missing or damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.data)
			if err == nil || !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read = %v; want %v containing %q", err, tc.is, tc.want)
			}
		})
	}
}

// assemble builds an artifact by hand, for sections Write would never make.
func assemble(stub []byte, manifest []byte, manifestFlags uint32, manifestSize int64) []byte {
	var b bytes.Buffer
	b.Write(stub)
	p := int64(len(stub))
	off := p + HeaderSize
	g := alignUp(off+int64(len(manifest)), GGUFAlign)
	gguf := []byte("GGUF....")
	n := g + int64(len(gguf)) + TrailerSize
	b.Write(encodeHeader(p, n))
	b.Write(manifest)
	b.Write(make([]byte, g-off-int64(len(manifest))))
	b.Write(gguf)
	slots := []slot{
		{kind: KindManifest, flags: manifestFlags, offset: off, stored: int64(len(manifest)), size: manifestSize, sum: sha256.Sum256(manifest)},
		{kind: KindGGUF, offset: g, stored: int64(len(gguf)), size: int64(len(gguf)), sum: sha256.Sum256(gguf)},
	}
	b.Write(encodeTrailer(p, n, sha256.Sum256(stub), slots))
	return b.Bytes()
}

func TestHandMadeSections(t *testing.T) {
	enc, _ := encoder()
	bomb := enc.EncodeAll(make([]byte, 32<<20), nil) // 32 MiB of zeros in a few KiB
	for _, tc := range []struct {
		name     string
		manifest []byte
		flags    uint32
		size     int64
		want     string
	}{
		{"minimal", []byte(`{"name":"x"}`), 0, 12, ""},
		{"bad json", []byte(`{"name":`), 0, 8, `section "manifest": invalid JSON`},
		{"json of wrong type", []byte(`[1,2]`), 0, 5, `section "manifest": invalid JSON`},
		{"not zstd", []byte(`{"name":"x"}`), flagZstd, 12, `section "manifest": zstd`},
		{"bomb claiming little", bomb, flagZstd, 100, `section "manifest": zstd`},
		{"empty compressed", nil, flagZstd, 0, `section "manifest": invalid JSON`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := assemble([]byte("stub"), tc.manifest, tc.flags, tc.size)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			a, err := Read(data)
			runtime.ReadMemStats(&after)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if a.Manifest.Name != "x" || a.Modelfile() != "" || a.Template() != "" {
					t.Errorf("Read = %+v", a)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read = %v; want an error containing %q", err, tc.want)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
				t.Errorf("Read allocated %d bytes on a %d-byte input", grew, len(data))
			}
		})
	}
}
