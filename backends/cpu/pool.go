package cpu

import (
	"runtime"
	"sync/atomic"
	"time"
)

// pool is a fixed set of worker goroutines that share each op with the
// caller's goroutine. An op is published by bumping a generation counter;
// workers that are spinning see it at once, parked ones are woken. The index
// range is handed out in chunks from an atomic counter, so a thread that
// runs slower (a busy core, a slower core) takes fewer chunks and all threads
// finish together. Which thread computes a chunk never changes the numbers:
// every output is computed by exactly one call with the same arithmetic.
//
// Between ops a worker spins for a short while (an op follows the previous
// one within microseconds during a forward pass), then parks, so an idle
// engine uses no CPU.
type pool struct {
	threads int
	spin    time.Duration

	// The current op.
	fn         func(worker, lo, hi int)
	n, grain   int
	next       atomic.Int64
	pending    atomic.Int32 // workers that have not finished the op
	generation atomic.Uint32
	closed     atomic.Bool

	// Parking: a worker (or the caller, waiting for the op to end) that
	// stops spinning sets its flag, re-checks, and blocks on its channel;
	// whoever clears the flag owes it one send.
	parked    []atomic.Bool
	wake      []chan struct{}
	callerWt  atomic.Bool
	callerWke chan struct{}
}

// spinFor is how long a thread spins before parking: longer than the gap
// between two ops of a forward pass, far shorter than a human notices.
const spinFor = 200 * time.Microsecond

func newPool(threads int) *pool {
	threads = max(threads, 1)
	p := &pool{
		threads:   threads,
		spin:      spinFor,
		parked:    make([]atomic.Bool, threads),
		wake:      make([]chan struct{}, threads),
		callerWke: make(chan struct{}, 1),
	}
	// Spinning threads that outnumber the Go scheduler's processors would
	// only take turns; then park at once.
	if threads > runtime.GOMAXPROCS(0) {
		p.spin = 0
	}
	for w := 1; w < threads; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.worker(w)
	}
	return p
}

// run calls fn(worker, lo, hi) over [0, n) in chunks of grain (the last may
// be shorter), spread over the threads; worker (0..threads-1) identifies the
// thread, for per-thread scratch memory. It returns when every chunk is
// done. Only one run may be in progress.
func (p *pool) run(n, grain int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	if p.threads == 1 || n <= grain {
		fn(0, 0, n)
		return
	}
	p.fn, p.n, p.grain = fn, n, grain
	p.next.Store(0)
	p.pending.Store(int32(p.threads - 1))
	p.generation.Add(1)
	for w := 1; w < p.threads; w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
	p.work(0)
	p.waitDone()
	p.fn = nil
}

// work takes chunks until none are left.
func (p *pool) work(worker int) {
	for {
		lo := int(p.next.Add(int64(p.grain))) - p.grain
		if lo >= p.n {
			return
		}
		p.fn(worker, lo, min(lo+p.grain, p.n))
	}
}

// waitDone returns when every worker has finished the current op.
func (p *pool) waitDone() {
	if p.spinUntil(func() bool { return p.pending.Load() == 0 }) {
		return
	}
	p.callerWt.Store(true)
	if p.pending.Load() == 0 && p.callerWt.CompareAndSwap(true, false) {
		return
	}
	<-p.callerWke
}

func (p *pool) worker(w int) {
	seen := p.generation.Load()
	for {
		if !p.spinUntil(func() bool { return p.generation.Load() != seen || p.closed.Load() }) {
			p.parked[w].Store(true)
			if p.generation.Load() != seen || p.closed.Load() {
				if !p.parked[w].CompareAndSwap(true, false) {
					<-p.wake[w] // the waker cleared the flag first: take its send
				}
			} else {
				<-p.wake[w]
			}
		}
		if p.closed.Load() {
			return
		}
		seen = p.generation.Load()
		p.work(w)
		if p.pending.Add(-1) == 0 && p.callerWt.CompareAndSwap(true, false) {
			p.callerWke <- struct{}{}
		}
	}
}

// spinUntil polls cond for up to p.spin and reports whether it became true.
func (p *pool) spinUntil(cond func() bool) bool {
	if cond() {
		return true
	}
	if p.spin == 0 {
		return false
	}
	deadline := time.Now().Add(p.spin)
	for i := 1; ; i++ {
		if cond() {
			return true
		}
		if i%256 == 0 && time.Now().After(deadline) {
			return false
		}
	}
}

func (p *pool) close() {
	if p.closed.Swap(true) {
		return
	}
	for w := 1; w < p.threads; w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
}
