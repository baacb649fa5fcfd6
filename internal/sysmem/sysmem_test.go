package sysmem

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMeminfo(t *testing.T) {
	for _, tc := range []struct {
		name, in     string
		total, avail int64
		wantErr      string
	}{
		{"current kernel", "MemTotal:       4000000 kB\nMemFree:  100 kB\nMemAvailable:   3000000 kB\nCached: 5 kB\n", 4000000 << 10, 3000000 << 10, ""},
		{"before MemAvailable", "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n", 1000 << 10, 420 << 10, ""},
		{"available above total", "MemTotal: 1000 kB\nMemAvailable: 2000 kB\n", 1000 << 10, 1000 << 10, ""},
		{"no MemTotal", "MemFree: 100 kB\n", 0, 0, "no MemTotal"},
		{"bad number", "MemTotal: lots kB\n", 0, 0, "bad value"},
		{"absurd number", "MemTotal: 99999999999999999 kB\n", 0, 0, "bad value"},
		{"empty", "", 0, 0, "no MemTotal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMeminfo(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %+v, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Total != tc.total || got.Available != tc.avail {
				t.Fatalf("got %+v, %v; want total %d, available %d", got, err, tc.total, tc.avail)
			}
		})
	}
}

func TestApplyCgroup(t *testing.T) {
	host := Info{Total: 16 << 30, Available: 12 << 30, Source: "/proc/meminfo"}
	for _, tc := range []struct {
		name, max, cur string
		total, avail   int64
	}{
		{"no limit", "max\n", "123\n", 16 << 30, 12 << 30},
		{"limit below the host", "2147483648\n", "1073741824\n", 2 << 30, 1 << 30},
		{"limit above the host", "68719476736\n", "0\n", 16 << 30, 12 << 30},
		{"group over its limit", "1073741824\n", "2147483648\n", 1 << 30, 0},
		{"unreadable current", "1073741824\n", "?", 1 << 30, 1 << 30},
		{"garbage", "lots", "1", 16 << 30, 12 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := applyCgroup(host, tc.max, tc.cur)
			if got.Total != tc.total || got.Available != tc.avail {
				t.Fatalf("got total %d, available %d; want %d, %d", got.Total, got.Available, tc.total, tc.avail)
			}
		})
	}
}

// TestRead checks the figures this machine reports are plausible.
func TestRead(t *testing.T) {
	info, err := Read()
	if errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if info.Total < 64<<20 || info.Available < 0 || info.Available > info.Total || info.Source == "" {
		t.Fatalf("implausible: %+v", info)
	}
	t.Logf("%+v", info)
}
