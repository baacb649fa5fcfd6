package cpu

import (
	"runtime"
	"sync/atomic"
	"time"
)

// pool is a fixed set of worker goroutines that share each op with the
// caller's goroutine. An op is cut into chunks that threads claim one at a
// time from an atomic counter, so a thread that runs slower (a busy core, a
// slower core) takes fewer chunks and all threads finish together, and the
// caller never waits for a worker that has not started: it waits only for
// chunks in progress. Which thread computes a chunk never changes the
// numbers: every output is computed by exactly one call with the same
// arithmetic.
//
// Between ops a worker spins for a short while (during a forward pass the
// next op follows within microseconds), then parks, so an idle engine uses
// no CPU.
type pool struct {
	threads int
	spin    time.Duration

	// The current op. fn, n and grain are written before the op is
	// published in state and read only by a thread that has claimed one of
	// its chunks, which the op cannot outlive.
	fn       func(worker, lo, hi int)
	n, grain int
	// state is chunks<<32 | next chunk to claim; work is available while
	// next < chunks.
	state  atomic.Uint64
	done   atomic.Uint32 // chunks finished
	closed atomic.Bool

	// Parking: a thread that stops spinning sets its flag, re-checks, and
	// blocks on its channel; whoever clears the flag owes it one send.
	parked     []atomic.Bool
	wake       []chan struct{}
	callerWait atomic.Bool
	callerWake chan struct{}
}

// spinFor is how long a thread spins before parking: longer than the gap
// between two ops of a forward pass, far shorter than a human notices.
const spinFor = 200 * time.Microsecond

func newPool(threads int) *pool { return newPoolSpin(threads, spinFor) }

// newPoolSpin is newPool with the spin time given (tests use 0 to exercise
// parking).
func newPoolSpin(threads int, spin time.Duration) *pool {
	threads = max(threads, 1)
	p := &pool{
		threads:    threads,
		spin:       spin,
		parked:     make([]atomic.Bool, threads),
		wake:       make([]chan struct{}, threads),
		callerWake: make(chan struct{}, 1),
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
	chunks := (n + grain - 1) / grain
	if p.threads == 1 || chunks == 1 {
		fn(0, 0, n)
		return
	}
	p.fn, p.n, p.grain = fn, n, grain
	p.done.Store(0)
	p.state.Store(uint64(chunks) << 32)
	for w := 1; w < p.threads; w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
	p.work(0)
	p.waitDone(uint32(chunks))
}

// work claims and runs chunks of the current op until none are left.
func (p *pool) work(worker int) {
	for {
		v := p.state.Load()
		next, chunks := uint32(v), uint32(v>>32)
		if next >= chunks {
			return
		}
		if !p.state.CompareAndSwap(v, v+1) {
			continue
		}
		lo := int(next) * p.grain
		p.fn(worker, lo, min(lo+p.grain, p.n))
		if p.done.Add(1) == chunks && worker != 0 && p.callerWait.CompareAndSwap(true, false) {
			p.callerWake <- struct{}{}
		}
	}
}

// waitDone returns when all chunks of the current op are finished.
func (p *pool) waitDone(chunks uint32) {
	if p.spinUntil(func() bool { return p.done.Load() == chunks }) {
		return
	}
	p.callerWait.Store(true)
	if p.done.Load() == chunks && p.callerWait.CompareAndSwap(true, false) {
		return
	}
	<-p.callerWake
}

// available reports whether the current op has chunks left, or the pool is
// closing.
func (p *pool) available() bool {
	v := p.state.Load()
	return uint32(v) < uint32(v>>32) || p.closed.Load()
}

func (p *pool) worker(w int) {
	for {
		if !p.spinUntil(p.available) {
			p.parked[w].Store(true)
			if !p.available() || !p.parked[w].CompareAndSwap(true, false) {
				<-p.wake[w]
			}
		}
		if p.closed.Load() {
			return
		}
		p.work(w)
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
		if i%256 == 0 {
			if time.Now().After(deadline) {
				return false
			}
			// Spin only while nothing else wants the processor: a
			// goroutine streaming tokens to a client must not wait for
			// the runtime's preemption.
			runtime.Gosched()
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
