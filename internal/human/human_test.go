package human

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{950, "950"}, {1234, "1.2K"}, {3_400_000, "3.40M"}, {1_240_000_000, "1.24B"}} {
		if got := Count(c.n); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{100, "100 bytes"}, {3 << 20, "3.00 MiB (3145728 bytes)"}, {1 << 30, "1.00 GiB (1073741824 bytes)"}} {
		if got := Bytes(c.n); got != c.want {
			t.Errorf("Bytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
