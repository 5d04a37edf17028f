package server

import (
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

// metrics counts requests and their durations per route, exposed in the
// Prometheus text format at /metrics. Routes (not raw paths) label the
// series, so ids in URLs cannot blow up their number.
type metrics struct {
	mu        sync.Mutex
	requests  map[[3]string]uint64 // method, route, status
	durations map[string]*histogram
	started   time.Time
}

var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[[3]string]uint64{}, durations: map[string]*histogram{}, started: time.Now()}
}

func (m *metrics) instrument(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w, status: http.StatusOK}
		}
		h(sw, r)
		m.observe(r.Method, route, sw.status, time.Since(start).Seconds())
	}
}

func (m *metrics) observe(method, route string, status int, secs float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[3]string{method, route, strconv.Itoa(status)}]++
	hist := m.durations[route]
	if hist == nil {
		hist = &histogram{counts: make([]uint64, len(buckets))}
		m.durations[route] = hist
	}
	for i, b := range buckets {
		if secs <= b {
			hist.counts[i]++
		}
	}
	hist.sum += secs
	hist.n++
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP caremarket_http_requests_total HTTP requests by method, route and status.")
	fmt.Fprintln(w, "# TYPE caremarket_http_requests_total counter")
	keys := make([][3]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	for _, k := range keys {
		fmt.Fprintf(w, "caremarket_http_requests_total{method=%q,route=%q,status=%q} %d\n", k[0], k[1], k[2], m.requests[k])
	}
	fmt.Fprintln(w, "# HELP caremarket_http_request_duration_seconds HTTP request duration by route.")
	fmt.Fprintln(w, "# TYPE caremarket_http_request_duration_seconds histogram")
	routes := make([]string, 0, len(m.durations))
	for r := range m.durations {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, route := range routes {
		h := m.durations[route]
		for i, b := range buckets {
			fmt.Fprintf(w, "caremarket_http_request_duration_seconds_bucket{route=%q,le=%q} %d\n", route, strconv.FormatFloat(b, 'g', -1, 64), h.counts[i])
		}
		fmt.Fprintf(w, "caremarket_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", route, h.n)
		fmt.Fprintf(w, "caremarket_http_request_duration_seconds_sum{route=%q} %g\n", route, h.sum)
		fmt.Fprintf(w, "caremarket_http_request_duration_seconds_count{route=%q} %d\n", route, h.n)
	}
	fmt.Fprintln(w, "# HELP go_goroutines Number of goroutines.")
	fmt.Fprintln(w, "# TYPE go_goroutines gauge")
	fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintln(w, "# HELP go_memstats_heap_alloc_bytes Heap bytes in use.")
	fmt.Fprintln(w, "# TYPE go_memstats_heap_alloc_bytes gauge")
	fmt.Fprintf(w, "go_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintln(w, "# HELP process_start_time_seconds Start time of the process since the Unix epoch.")
	fmt.Fprintln(w, "# TYPE process_start_time_seconds gauge")
	fmt.Fprintf(w, "process_start_time_seconds %d\n", m.started.Unix())
}
