package pack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixture is the input of one test artifact.
type fixture struct {
	stub      []byte
	manifest  Manifest
	modelfile string
	template  string
	gguf      []byte
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func fakeGGUF(seed uint64, n int) []byte {
	b := randBytes(seed, n)
	copy(b, "GGUF")
	return b
}

func newFixture(stubSize, ggufSize int) fixture {
	return fixture{
		stub: randBytes(1, stubSize),
		manifest: Manifest{
			KilnVersion:  "0.1.0-test",
			Name:         "tiny",
			Architecture: "llama",
			Files: []SourceFile{
				{Role: "gguf", Name: "tiny.gguf", Size: int64(ggufSize), SHA256: "00ff"},
				{Role: "modelfile", Name: "Modelfile", Size: 42},
			},
			Inputs: map[string]string{"quantize": "Q4_K_M", "ctx": "4096"},
		},
		modelfile: "FROM ./tiny.gguf\nPARAMETER temperature 0.7\nPARAMETER stop \"<|im_end|>\"\n",
		template:  "{{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}",
		gguf:      fakeGGUF(2, ggufSize),
	}
}

func (f fixture) write(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := Write(&buf, bytes.NewReader(f.stub), int64(len(f.stub)), Sections{
		Manifest: f.manifest, Modelfile: f.modelfile, Template: f.template,
		GGUF: bytes.NewReader(f.gguf), GGUFSize: int64(len(f.gguf)),
	})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// check compares an artifact read back with the fixture it was made from.
func (f fixture) check(t *testing.T, data []byte, a *Artifact) {
	t.Helper()
	if !bytes.Equal(data[:len(f.stub)], f.stub) {
		t.Errorf("stub bytes changed")
	}
	if a.StubSize() != int64(len(f.stub)) {
		t.Errorf("StubSize = %d, want %d", a.StubSize(), len(f.stub))
	}
	want := f.manifest
	want.FormatVersion = "1.0"
	if !reflect.DeepEqual(a.Manifest, want) {
		t.Errorf("Manifest = %+v, want %+v", a.Manifest, want)
	}
	if a.Modelfile() != f.modelfile {
		t.Errorf("Modelfile = %q, want %q", a.Modelfile(), f.modelfile)
	}
	if a.Template() != f.template {
		t.Errorf("Template = %q, want %q", a.Template(), f.template)
	}
	if !bytes.Equal(a.GGUF(), f.gguf) {
		t.Errorf("GGUF differs (len %d, want %d)", len(a.GGUF()), len(f.gguf))
	}
	if a.Version() != "1.0" {
		t.Errorf("Version = %q", a.Version())
	}
	secs := a.Sections()
	if len(secs) != 4 {
		t.Fatalf("Sections: %d, want 4: %+v", len(secs), secs)
	}
	for i, name := range []string{"manifest", "modelfile", "template", "gguf"} {
		if secs[i].Name != name {
			t.Errorf("section %d is %q, want %q", i, secs[i].Name, name)
		}
	}
	g := secs[3]
	if g.Offset%GGUFAlign != 0 || g.Compressed || g.Size != int64(len(f.gguf)) || len(g.SHA256) != 64 {
		t.Errorf("gguf section %+v: want raw, aligned, %d bytes", g, len(f.gguf))
	}
	if err := a.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name            string
		stub, gguf      int
		empty           bool
		hugeModelfile   bool
		unicodeTemplate bool
	}{
		{name: "typical", stub: 3000, gguf: 70000},
		{name: "no stub", stub: 0, gguf: 4},
		{name: "stub one byte", stub: 1, gguf: 100},
		{name: "stub fills 64K exactly", stub: GGUFAlign - HeaderSize - 400, gguf: 100},
		{name: "stub 64K", stub: GGUFAlign, gguf: 5000},
		{name: "empty modelfile and template", stub: 500, gguf: 1000, empty: true},
		{name: "large modelfile", stub: 500, gguf: 1000, hugeModelfile: true},
		{name: "unicode template", stub: 10, gguf: 64, unicodeTemplate: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(tc.stub, tc.gguf)
			if tc.empty {
				f.modelfile, f.template = "", ""
				f.manifest = Manifest{}
			}
			if tc.hugeModelfile {
				f.modelfile = strings.Repeat("LICENSE \"\"\"some license text\"\"\"\n", 100000)
			}
			if tc.unicodeTemplate {
				f.template = "héllo 世界 \x00 \xff"
			}
			data := f.write(t)
			a, err := Read(data)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			f.check(t, data, a)
			if err := a.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	f := newFixture(1234, 100000)
	a, b := f.write(t), f.write(t)
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same inputs differ")
	}
	// Map order in Go is random: the manifest must not depend on it.
	for range 5 {
		if !bytes.Equal(a, f.write(t)) {
			t.Fatal("writes differ across map iteration orders")
		}
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(5000, 200000)
	stubPath := filepath.Join(dir, "stub")
	if err := os.WriteFile(stubPath, f.stub, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "model.bin")
	err := WriteFile(out, stubPath, Sections{
		Manifest: f.manifest, Modelfile: f.modelfile, Template: f.template,
		GGUF: bytes.NewReader(f.gguf), GGUFSize: int64(len(f.gguf)),
	})
	if err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o100 == 0 {
		t.Errorf("artifact mode %v is not executable", st.Mode())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(out)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	f.check(t, data, a)
	if err := a.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if a.GGUF() != nil {
		t.Error("GGUF view survives Close")
	}
	if err := a.Verify(); err == nil {
		t.Error("Verify after Close: no error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("WriteFile left %d files in the folder, want 2 (stub and artifact)", len(entries))
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	stubPath := filepath.Join(dir, "stub")
	if err := os.WriteFile(stubPath, []byte("stub"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "model.bin")
	err := WriteFile(out, stubPath, Sections{GGUF: strings.NewReader("GGUF short"), GGUFSize: 1000})
	if err == nil {
		t.Fatal("WriteFile with a short GGUF: no error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("failed WriteFile left %d files, want only the stub", len(entries))
	}
}

func TestOpenNoPayload(t *testing.T) {
	exe, err := os.Executable() // the test binary: a plain executable
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	gguf := filepath.Join(dir, "m.gguf")
	os.WriteFile(gguf, fakeGGUF(3, 100000), 0o644)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	for _, path := range []string{exe, gguf, empty} {
		a, err := Open(path)
		if !errors.Is(err, ErrNoPayload) {
			t.Errorf("Open(%s) = %v, %v; want ErrNoPayload", path, a, err)
		} else if !strings.Contains(err.Error(), path) {
			t.Errorf("Open(%s) error %q does not name the file", path, err)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil || errors.Is(err, ErrNoPayload) {
		t.Errorf("Open of a missing file: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	good := newFixture(100, 100)
	artifact := good.write(t)
	for _, tc := range []struct {
		name string
		stub []byte
		size int64 // stub size announced
		gguf string
		gsz  int64
		want string
	}{
		{"short stub", []byte("abc"), 10, "GGUFxxxx", 8, "stub input ended after 3 of 10"},
		{"negative stub", nil, -1, "GGUFxxxx", 8, "negative stub size"},
		{"short gguf", nil, 0, "GGUFxx", 8, "GGUF input ended after 2 of 4"},
		{"long gguf", nil, 0, "GGUFxxxxxx", 8, "longer than the 8 bytes"},
		{"not gguf", nil, 0, "ABCDxxxx", 8, "not the GGUF magic"},
		{"tiny gguf", nil, 0, "GG", 2, "too small"},
		{"stub is an artifact", artifact, int64(len(artifact)), "GGUFxxxx", 8, "already ends with a kiln trailer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, bytes.NewReader(tc.stub), tc.size,
				Sections{GGUF: strings.NewReader(tc.gguf), GGUFSize: tc.gsz})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Write error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	err := Write(&bytes.Buffer{}, nil, 0, Sections{Modelfile: strings.Repeat("x", MaxSmallSection+1),
		GGUF: strings.NewReader("GGUFxxxx"), GGUFSize: 8})
	if err == nil || !strings.Contains(err.Error(), `"modelfile"`) {
		t.Errorf("oversized modelfile: %v", err)
	}
}

// rewriteTrailer lets a test change trailer fields and recomputes the CRC, so
// that the checks behind the CRC are reached.
func rewriteTrailer(data []byte, edit func(tr []byte)) []byte {
	d := bytes.Clone(data)
	tr := d[len(d)-TrailerSize:]
	edit(tr)
	binary.LittleEndian.PutUint32(tr[TrailerSize-12:], crc32.Checksum(tr[:TrailerSize-12], castagnoli))
	return d
}

func slotField(tr []byte, i, off int) []byte { return tr[slotsOffset+i*slotSize+off:] }

func BenchmarkVerify(b *testing.B) {
	f := newFixture(1<<20, 64<<20)
	data := f.write(b)
	a, err := Read(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := a.Verify(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	data := newFixture(1<<20, 1<<20).write(b)
	for b.Loop() {
		if _, err := Read(data); err != nil {
			b.Fatal(err)
		}
	}
}
