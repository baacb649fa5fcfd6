package cpu

import (
	"runtime"
	"sync"
	"time"
)

// ReadBandwidth measures the memory read bandwidth the machine sustains at
// the moment, in bytes per second: threads goroutines each stream a disjoint
// part of a size-byte buffer (far larger than the caches), three times; the
// fastest pass counts. The buffer is written first so that its pages are
// real memory, not the shared zero page, and dropped afterwards.
func ReadBandwidth(threads, size int) float64 {
	threads = max(threads, 1)
	size = size / (threads * 256) * (threads * 256)
	if size == 0 {
		return 0
	}
	buf := make([]byte, size)
	part := size / threads
	parallel := func(fn func(p []byte)) time.Duration {
		var wg sync.WaitGroup
		start := time.Now()
		for t := range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				fn(buf[t*part : (t+1)*part])
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	parallel(func(p []byte) {
		for i := 0; i < len(p); i += 4096 {
			p[i] = 1
		}
	})
	best := time.Duration(1<<63 - 1)
	var sink uint64
	var mu sync.Mutex
	for range 3 {
		d := parallel(func(p []byte) {
			s := readSum(p)
			mu.Lock()
			sink += s
			mu.Unlock()
		})
		best = min(best, d)
	}
	_ = sink
	return float64(size) / best.Seconds()
}

// readSumGeneric folds p (a multiple of 256 bytes) into a value so that the
// reads cannot be optimised away.
func readSumGeneric(p []byte) uint64 {
	var a, b, c, d uint64
	for i := 0; i+32 <= len(p); i += 32 {
		q := p[i : i+32 : i+32]
		a ^= uint64(q[0]) | uint64(q[7])<<8
		b ^= uint64(q[8]) | uint64(q[15])<<8
		c ^= uint64(q[16]) | uint64(q[23])<<8
		d ^= uint64(q[24]) | uint64(q[31])<<8
	}
	return a ^ b ^ c ^ d
}
