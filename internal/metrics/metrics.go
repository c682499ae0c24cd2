// Package metrics is the bot's Prometheus instrumentation, on a registry of
// its own (never the global one):
//
//	mailboxbot_requests_total{op,state}            state changes of requests (bot.Observer)
//	mailboxbot_step_duration_seconds{step,status}  one run of a step (bot.Observer)
//	mailboxbot_microsoft_calls_total{service,status}  Graph and Exchange responses by HTTP status, or "error"
//	mailboxbot_slack_calls_total{method,status}    Slack Web API calls by method and HTTP status, or "error"
//	mailboxbot_slack_rate_limited_total{method}    Slack answers 429
//	mailboxbot_ack_seconds{route}                  time until Slack's request is answered (first byte)
//	mailboxbot_queue_depth                         jobs waiting in the queue, read at scrape time
//	mailboxbot_queue_workers                       job slots of the running serve processes, read at scrape time
//	mailboxbot_queue_latency_seconds               how long the oldest due job has waited, read at scrape time
//	mailboxbot_redis_up                            1 when Redis answers PING at scrape time, else 0
//	mailboxbot_job_process_restarts_total          serve's job process started again after it exited
//
// plus the Go runtime and process collectors. Handler serves them, and
// with them those of serve's job process, labelled process="jobs", when
// Include names it.
//
// Every method works on a nil *Metrics and then records nothing (a
// transport or handler is returned unwrapped).
package metrics

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AckBuckets are the bounds of mailboxbot_ack_seconds: from 1 ms up to
// Slack's 3 seconds.
var AckBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3}

// StepBuckets are the bounds of mailboxbot_step_duration_seconds: a step is
// one or a few calls to Microsoft, some of which take tens of seconds.
var StepBuckets = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// Metrics holds the collectors. It is safe for concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	steps       *prometheus.HistogramVec
	microsoft   *prometheus.CounterVec
	slack       *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	ack         *prometheus.HistogramVec
	depth       *readCollector
	workers     *readCollector
	latency     *readCollector
	redisUp     *readCollector
	restarts    prometheus.Counter
	jobStarted  atomic.Bool
	include     atomic.Pointer[remote]
}

// New returns Metrics registered on a new registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailboxbot_requests_total",
			Help: "State changes of requests, by operation and the state entered.",
		}, []string{"op", "state"}),
		steps: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mailboxbot_step_duration_seconds",
			Help:    "Duration of one run of a step, by step and outcome (done, skipped, pending, error).",
			Buckets: StepBuckets,
		}, []string{"step", "status"}),
		microsoft: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailboxbot_microsoft_calls_total",
			Help: "HTTP calls to Microsoft (Graph, Exchange, sign-in), by service and status code, or \"error\" when no response came.",
		}, []string{"service", "status"}),
		slack: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailboxbot_slack_calls_total",
			Help: "HTTP calls to Slack, by Web API method (response_url for replies) and status code, or \"error\" when no response came.",
		}, []string{"method", "status"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailboxbot_slack_rate_limited_total",
			Help: "Slack calls answered 429 (rate limited), by Web API method.",
		}, []string{"method"}),
		ack: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mailboxbot_ack_seconds",
			Help:    "Time from receiving a request from Slack to the first byte of the answer, by route; Slack waits 3 seconds.",
			Buckets: AckBuckets,
		}, []string{"route"}),
		depth: &readCollector{what: "queue depth", desc: prometheus.NewDesc("mailboxbot_queue_depth",
			"Jobs waiting in the queue (due or scheduled), read at scrape time.", nil, nil)},
		workers: &readCollector{what: "queue workers", desc: prometheus.NewDesc("mailboxbot_queue_workers",
			"Job slots that the running mailboxbot serve processes give the queue (0: requests wait), read at scrape time.", nil, nil)},
		latency:  newLatencyCollector(),
		redisUp:  newUpCollector(),
		restarts: newRestarts(),
	}
	m.reg.MustRegister(m.requests, m.steps, m.microsoft, m.slack, m.rateLimited, m.ack, m.depth, m.workers, m.latency, m.redisUp, m.restarts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry the metrics are on, for registering more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' exposition format. A collector
// that fails (the queue depth) is left out of the answer and counted in
// promhttp_metric_handler_errors_total; the rest is still served.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(prometheus.GathererFunc(m.gather), promhttp.HandlerOpts{
		Registry:      m.reg,
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// Transition counts a request entering state (bot.Observer).
func (m *Metrics) Transition(op, state string) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(op, state).Inc()
}

// Step records one run of a step and its outcome (bot.Observer).
func (m *Metrics) Step(step, status string, d time.Duration) {
	if m == nil {
		return
	}
	m.steps.WithLabelValues(step, status).Observe(d.Seconds())
}

// QueueDepth sets the function that reads the queue's depth at each scrape
// (redisstore.Queue.Depth, bounded by a timeout); nil removes it. When it
// fails, the scrape leaves the gauge out and counts the error.
func (m *Metrics) QueueDepth(f func() (int, error)) {
	if m != nil {
		m.depth.set(asFloat(f))
	}
}

// QueueWorkers sets the function that reads, at each scrape, how many job
// slots the running serve processes give the queue
// (redisstore.Queue.Workers); nil removes it.
func (m *Metrics) QueueWorkers(f func() (int, error)) {
	if m != nil {
		m.workers.set(asFloat(f))
	}
}

// Transport counts each call to Microsoft's service ("graph", "exchange",
// "login") by status code, or "error" when no response came; next nil
// means http.DefaultTransport. Put it under the client's retries so that
// each try is counted.
func (m *Metrics) Transport(service string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if m == nil {
		return next
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		m.microsoft.WithLabelValues(service, status(resp, err)).Inc()
		return resp, err
	})
}

// SlackTransport counts each call to Slack by Web API method (the last
// element of the path, e.g. chat.update) and status code, or "error"; a
// 429 is also counted in mailboxbot_slack_rate_limited_total. A URL
// outside /api/ (a response_url) counts as method "response_url", so
// that its secret path never becomes a label. next nil means
// http.DefaultTransport.
func (m *Metrics) SlackTransport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if m == nil {
		return next
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		method := slackMethod(req)
		resp, err := next.RoundTrip(req)
		m.slack.WithLabelValues(method, status(resp, err)).Inc()
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			m.rateLimited.WithLabelValues(method).Inc()
		}
		return resp, err
	})
}

// Ack measures, for route, the time from the request's arrival at next to
// the first byte of its answer (WriteHeader or Write; the handler's return
// when it writes nothing).
func (m *Metrics) Ack(route string, next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	obs := m.ack.WithLabelValues(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		aw := &ackWriter{ResponseWriter: w, start: time.Now(), obs: obs}
		defer aw.mark()
		next.ServeHTTP(aw, r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func status(resp *http.Response, err error) string {
	if err != nil || resp == nil {
		return "error"
	}
	return strconv.Itoa(resp.StatusCode)
}

// slackMethod is the Web API method of a call to https://slack.com/api/<method>.
func slackMethod(req *http.Request) string {
	p := req.URL.Path
	i := strings.Index(p, "/api/")
	if i < 0 {
		return "response_url"
	}
	m := strings.Trim(p[i+len("/api/"):], "/")
	if m == "" || strings.Contains(m, "/") {
		return "response_url"
	}
	return m
}

// ackWriter observes the time of the first byte written.
type ackWriter struct {
	http.ResponseWriter
	start time.Time
	obs   prometheus.Observer
	done  atomic.Bool
}

func (w *ackWriter) mark() {
	if w.done.CompareAndSwap(false, true) {
		w.obs.Observe(time.Since(w.start).Seconds())
	}
}

func (w *ackWriter) WriteHeader(code int) {
	if code >= 200 { // an informational header is not the answer
		w.mark()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *ackWriter) Write(b []byte) (int, error) {
	w.mark()
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming working through the wrapper.
func (w *ackWriter) Flush() {
	w.mark()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *ackWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// readCollector is a gauge read at scrape time.
type readCollector struct {
	what string
	desc *prometheus.Desc
	mu   sync.Mutex
	f    func() (float64, error)
}

func (c *readCollector) set(f func() (float64, error)) {
	c.mu.Lock()
	c.f = f
	c.mu.Unlock()
}

func (c *readCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *readCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	f := c.f
	c.mu.Unlock()
	if f == nil {
		return
	}
	n, err := f()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, fmt.Errorf("read %s: %w", c.what, err))
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, n)
}

// asFloat is f with a float result; nil stays nil.
func asFloat(f func() (int, error)) func() (float64, error) {
	if f == nil {
		return nil
	}
	return func() (float64, error) {
		n, err := f()
		return float64(n), err
	}
}
