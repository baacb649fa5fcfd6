package cpu

import "sync"

// pool is a fixed set of worker goroutines that split index ranges between
// them. The caller's goroutine takes the first share, so a 1-thread pool runs
// everything inline.
type pool struct {
	threads int
	tasks   []chan task
	wg      sync.WaitGroup
}

type task struct {
	fn     func(lo, hi int)
	lo, hi int
}

func newPool(threads int) *pool {
	if threads < 1 {
		threads = 1
	}
	p := &pool{threads: threads}
	for i := 1; i < threads; i++ {
		ch := make(chan task, 1)
		p.tasks = append(p.tasks, ch)
		go func() {
			for t := range ch {
				t.fn(t.lo, t.hi)
				p.wg.Done()
			}
		}()
	}
	return p
}

// run calls fn over [0, n) split into contiguous shares, one per thread, in
// multiples of grain so that work units (rows, blocks) are never split.
func (p *pool) run(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	units := (n + grain - 1) / grain
	workers := p.threads
	if units < workers {
		workers = units
	}
	if workers <= 1 {
		fn(0, n)
		return
	}
	bounds := func(i int) int {
		b := units * i / workers * grain
		if b > n {
			b = n
		}
		return b
	}
	p.wg.Add(workers - 1)
	for i := 1; i < workers; i++ {
		p.tasks[i-1] <- task{fn, bounds(i), bounds(i + 1)}
	}
	fn(0, bounds(1))
	p.wg.Wait()
}

func (p *pool) close() {
	for _, ch := range p.tasks {
		close(ch)
	}
	p.tasks = nil
}
