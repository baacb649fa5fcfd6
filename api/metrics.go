package api

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// metrics counts what /metrics reports in Prometheus' text format.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]int64 // {route, status code} -> count
	ttft     histogram           // seconds from request start to the first token
	speed    histogram           // generated tokens per second of generation, per request

	promptTokens     atomic.Int64
	completionTokens atomic.Int64
	rejected         atomic.Int64 // answered 503 because the queue was full
	inflight         atomic.Int64
}

func newMetrics() *metrics {
	return &metrics{
		requests: map[[2]string]int64{},
		ttft:     newHistogram(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
		speed:    newHistogram(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000),
	}
}

// histogram is a Prometheus histogram: cumulative buckets by upper bound.
type histogram struct {
	bounds []float64
	counts []int64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  int64
}

func newHistogram(bounds ...float64) histogram {
	return histogram{bounds: bounds, counts: make([]int64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	i, _ := slices.BinarySearch(h.bounds, v)
	h.counts[i]++
	h.sum += v
	h.count++
}

func (m *metrics) request(route string, code int) {
	m.mu.Lock()
	m.requests[[2]string{route, fmt.Sprint(code)}]++
	m.mu.Unlock()
}

// generation records a finished generation's tokens and speeds.
func (m *metrics) generation(r Result) {
	m.promptTokens.Add(int64(r.PromptTokens))
	m.completionTokens.Add(int64(r.CompletionTokens))
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.CompletionTokens > 0 {
		m.ttft.observe(r.FirstToken.Seconds())
	}
	if r.CompletionTokens > 1 && r.Eval > 0 {
		// The first token's time belongs to the prompt; the rate is over the rest.
		m.speed.observe(float64(r.CompletionTokens-1) / r.Eval.Seconds())
	}
}

// gauges are the scheduler's state at scrape time.
type gauges struct {
	queued, active, slots, context int
	loaded                         bool
}

func (m *metrics) write(w io.Writer, g gauges) {
	var b strings.Builder
	metric := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	m.mu.Lock()
	metric("kiln_requests_total", "counter", "HTTP requests answered, by route and status code.")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+" "+a[1], b[0]+" "+b[1]) })
	for _, k := range keys {
		fmt.Fprintf(&b, "kiln_requests_total{route=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	writeHistogram(&b, "kiln_time_to_first_token_seconds", "Time from a generation request's arrival (body read) to its first generated token.", &m.ttft)
	writeHistogram(&b, "kiln_generation_tokens_per_second", "Generation speed of each request after its first token.", &m.speed)
	m.mu.Unlock()

	counter := func(name, help string, v int64) {
		metric(name, "counter", help)
		fmt.Fprintf(&b, "%s %d\n", name, v)
	}
	gauge := func(name, help string, v int) {
		metric(name, "gauge", help)
		fmt.Fprintf(&b, "%s %d\n", name, v)
	}
	counter("kiln_prompt_tokens_total", "Prompt tokens of finished generations (tokens in).", m.promptTokens.Load())
	counter("kiln_completion_tokens_total", "Generated tokens of finished generations (tokens out).", m.completionTokens.Load())
	counter("kiln_rejected_requests_total", "Requests answered 503 because every slot was busy and the queue full.", m.rejected.Load())
	gauge("kiln_requests_in_flight", "HTTP requests being answered now.", int(m.inflight.Load()))
	gauge("kiln_queue_depth", "Requests waiting for a slot.", g.queued)
	gauge("kiln_active_slots", "Slots generating now.", g.active)
	gauge("kiln_slots", "Slots (requests generated at once).", g.slots)
	gauge("kiln_context_length", "Context length of each slot, in tokens.", g.context)
	loaded := 0
	if g.loaded {
		loaded = 1
	}
	gauge("kiln_model_loaded", "1 once the model is loaded and requests are served.", loaded)
	io.WriteString(w, b.String())
}

func writeHistogram(b *strings.Builder, name, help string, h *histogram) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum int64
	for i, le := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(b, "%s_bucket{le=\"%g\"} %d\n", name, le, cum)
	}
	cum += h.counts[len(h.bounds)]
	fmt.Fprintf(b, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %g\n%s_count %d\n", name, cum, name, h.sum, name, h.count)
}
