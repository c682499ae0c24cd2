package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// fakeMicrosoft answers like Graph: 200 with a user, 429 with Retry-After
// when throttled, and drops the connection on /drop.
func fakeMicrosoft(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1.0/users/alice@contoso.com":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"7f0e4b8c-1d2a-4c3b-9e8f-0a1b2c3d4e5f","userPrincipalName":"alice@contoso.com"}`)
		case "/v1.0/users/busy@contoso.com":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"code":"TooManyRequests","message":"Too many requests"}}`)
		case "/drop":
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Error("no hijacker")
				return
			}
			c, _, err := hj.Hijack()
			if err == nil {
				_ = c.Close()
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, c *http.Client, url string) error {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return err
}

func TestTransportCountsMicrosoftCallsByStatus(t *testing.T) {
	m := New()
	srv := fakeMicrosoft(t)
	c := &http.Client{Transport: m.Transport("graph", srv.Client().Transport)}
	if err := get(t, c, srv.URL+"/v1.0/users/alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := get(t, c, srv.URL+"/v1.0/users/busy@contoso.com"); err != nil {
			t.Fatal(err)
		}
	}
	if err := get(t, c, srv.URL+"/drop"); err == nil {
		t.Fatal("GET /drop succeeded; want a transport error")
	}
	ex := &http.Client{Transport: m.Transport("exchange", srv.Client().Transport)}
	if err := get(t, ex, srv.URL+"/v1.0/users/alice@contoso.com"); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		service, status string
		want            float64
	}{{"graph", "200", 1}, {"graph", "429", 2}, {"graph", "error", 1}, {"exchange", "200", 1}} {
		if got := testutil.ToFloat64(m.microsoft.WithLabelValues(c.service, c.status)); got != c.want {
			t.Errorf("microsoft_calls_total{service=%q,status=%q} = %v, want %v", c.service, c.status, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.microsoft, "mailboxbot_microsoft_calls_total"); n != 4 {
		t.Errorf("%d series, want 4", n)
	}
}

// fakeSlack answers the Web API as Slack does: chat.update ok,
// chat.postMessage rate limited (429 with Retry-After), users.info drops the
// connection; and a response_url.
func fakeSlack(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/chat.update", "/commands/T0001/1234/5678":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":true,"channel":"C2147483705","ts":"1763719240.000100"}`)
		case "/api/chat.postMessage":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		case "/api/users.info":
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = c.Close()
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func post(c *http.Client, url string) error {
	resp, err := c.Post(url, "application/x-www-form-urlencoded", strings.NewReader("channel=C2147483705&text=hi"))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return err
}

func TestSlackTransportCountsMethodsAndRateLimits(t *testing.T) {
	m := New()
	srv := fakeSlack(t)
	c := &http.Client{Transport: m.SlackTransport(srv.Client().Transport)}
	for _, p := range []string{"/api/chat.update", "/api/chat.postMessage", "/api/chat.postMessage", "/commands/T0001/1234/5678"} {
		if err := post(c, srv.URL+p); err != nil {
			t.Fatalf("POST %s: %v", p, err)
		}
	}
	if err := post(c, srv.URL+"/api/users.info"); err == nil {
		t.Fatal("users.info succeeded; want a transport error")
	}

	for _, c := range []struct {
		method, status string
		want           float64
	}{{"chat.update", "200", 1}, {"chat.postMessage", "429", 2}, {"users.info", "error", 1}, {"response_url", "200", 1}} {
		if got := testutil.ToFloat64(m.slack.WithLabelValues(c.method, c.status)); got != c.want {
			t.Errorf("slack_calls_total{method=%q,status=%q} = %v, want %v", c.method, c.status, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.slack); n != 4 {
		t.Errorf("slack_calls_total has %d series, want 4", n)
	}
	if got := testutil.ToFloat64(m.rateLimited.WithLabelValues("chat.postMessage")); got != 2 {
		t.Errorf("slack_rate_limited_total{chat.postMessage} = %v, want 2", got)
	}
	if n := testutil.CollectAndCount(m.rateLimited); n != 1 {
		t.Errorf("slack_rate_limited_total has %d series, want 1 (only the 429s)", n)
	}
}

// ackHistogram returns the ack histogram of route.
func ackHistogram(t *testing.T, m *Metrics, route string) *dto.Histogram {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "mailboxbot_ack_seconds" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "route" && l.GetValue() == route {
					return mt.GetHistogram()
				}
			}
		}
	}
	t.Fatalf("no mailboxbot_ack_seconds{route=%q}", route)
	return nil
}

// below is the count of observations at most le seconds.
func below(t *testing.T, h *dto.Histogram, le float64) uint64 {
	t.Helper()
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount()
		}
	}
	t.Fatalf("no bucket le=%v", le)
	return 0
}

func TestAckMeasuresTimeToFirstByte(t *testing.T) {
	m := New()
	mux := http.NewServeMux()
	mux.Handle("POST /slow", m.Ack("/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		_, _ = io.WriteString(w, "ok")
	})))
	// Answer at once, then keep working: the ack is the first byte,
	// whether a body or only a status.
	mux.Handle("POST /fast", m.Ack("/fast", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
		time.Sleep(20 * time.Millisecond)
	})))
	mux.Handle("POST /header", m.Ack("/fast", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		time.Sleep(20 * time.Millisecond)
	})))
	// Writes nothing: the answer is sent when it returns.
	mux.Handle("POST /silent", m.Ack("/silent", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
	})))
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	c := srv.Client()
	for _, p := range []string{"/slow", "/fast", "/header", "/silent"} {
		if err := post(c, srv.URL+p); err != nil {
			t.Fatal(err)
		}
	}

	slow := ackHistogram(t, m, "/slow")
	if slow.GetSampleCount() != 1 || slow.GetSampleSum() < 0.005 || below(t, slow, 0.005) != 0 || below(t, slow, 3) != 1 {
		t.Errorf("slow: %d samples, sum %v, %d ≤ 5ms; want 1 sample of at least 5ms", slow.GetSampleCount(), slow.GetSampleSum(), below(t, slow, 0.005))
	}
	fast := ackHistogram(t, m, "/fast")
	if fast.GetSampleCount() != 2 || below(t, fast, 0.005) != 2 {
		t.Errorf("fast: %d samples, %d ≤ 5ms, sum %v; want 2, both under 5ms (the work after the answer is not counted)",
			fast.GetSampleCount(), below(t, fast, 0.005), fast.GetSampleSum())
	}
	silent := ackHistogram(t, m, "/silent")
	if silent.GetSampleCount() != 1 || silent.GetSampleSum() < 0.005 {
		t.Errorf("silent: %d samples, sum %v; want 1 of at least 5ms", silent.GetSampleCount(), silent.GetSampleSum())
	}
	if got, want := len(fast.GetBucket()), len(AckBuckets); got != want || AckBuckets[0] != 0.001 || AckBuckets[len(AckBuckets)-1] != 3 {
		t.Errorf("%d buckets %v, want 1ms…3s", got, AckBuckets)
	}
}

func TestQueueDepthIsReadAtScrape(t *testing.T) {
	m := New()
	if n := testutil.CollectAndCount(m.depth); n != 0 {
		t.Fatalf("queue depth without a function: %d series, want 0", n)
	}
	var mu sync.Mutex
	depth, calls := 7, 0
	var fail error
	m.QueueDepth(func() (int, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return depth, fail
	})
	if got := testutil.ToFloat64(m.depth); got != 7 {
		t.Fatalf("queue depth %v, want 7", got)
	}
	mu.Lock()
	depth = 3
	mu.Unlock()
	if got := testutil.ToFloat64(m.depth); got != 3 {
		t.Fatalf("queue depth %v after it changed, want 3", got)
	}
	if calls != 2 {
		t.Fatalf("depth read %d times, want once per collection (2)", calls)
	}

	// Redis down: the scrape still serves the rest, without the gauge.
	mu.Lock()
	fail = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	mu.Unlock()
	m.Transition("convert_to_shared", "pending")
	code, body := scrape(t, m)
	if code != http.StatusOK || strings.Contains(body, "mailboxbot_queue_depth") || !strings.Contains(body, `mailboxbot_requests_total{op="convert_to_shared",state="pending"} 1`) {
		t.Fatalf("scrape with a failing depth = %d:\n%s", code, body)
	}
	// The handler counts an error after gathering: the next scrape shows it.
	if _, body = scrape(t, m); !strings.Contains(body, `promhttp_metric_handler_errors_total{cause="gathering"} 1`) {
		t.Errorf("the failed read is not counted:\n%s", grep(body, "promhttp_metric_handler_errors_total"))
	}
}

func TestTransitionsAndSteps(t *testing.T) {
	m := New()
	m.Transition("convert_to_shared", "approved")
	m.Transition("convert_to_shared", "running")
	m.Transition("convert_to_shared", "running")
	m.Transition("grant", "succeeded")
	if got := testutil.ToFloat64(m.requests.WithLabelValues("convert_to_shared", "running")); got != 2 {
		t.Errorf("running = %v, want 2", got)
	}
	if n := testutil.CollectAndCount(m.requests, "mailboxbot_requests_total"); n != 3 {
		t.Errorf("requests_total has %d series, want 3", n)
	}
	m.Step("convert_mailbox", "done", 1500*time.Millisecond)
	m.Step("convert_mailbox", "pending", 200*time.Millisecond)
	m.Step("remove_license", "error", 40*time.Second)
	if n := testutil.CollectAndCount(m.steps, "mailboxbot_step_duration_seconds"); n != 3 {
		t.Errorf("step_duration_seconds has %d series, want 3", n)
	}
	_, body := scrape(t, m)
	for _, want := range []string{
		`mailboxbot_step_duration_seconds_bucket{status="done",step="convert_mailbox",le="1"} 0`,
		`mailboxbot_step_duration_seconds_bucket{status="done",step="convert_mailbox",le="2.5"} 1`,
		`mailboxbot_step_duration_seconds_sum{status="error",step="remove_license"} 40`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s:\n%s", want, grep(body, "mailboxbot_step"))
		}
	}
}

// TestHandlerServesEveryMetric uses each instrument once and scrapes.
func TestHandlerServesEveryMetric(t *testing.T) {
	m := New()
	ms, sl := fakeMicrosoft(t), fakeSlack(t)
	if err := get(t, &http.Client{Transport: m.Transport("graph", ms.Client().Transport)}, ms.URL+"/v1.0/users/alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if err := post(&http.Client{Transport: m.SlackTransport(sl.Client().Transport)}, sl.URL+"/api/chat.postMessage"); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Ack("/slack/commands", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") })).
		ServeHTTP(rec, httptest.NewRequest("POST", "/slack/commands", nil))
	m.Transition("convert_to_shared", "pending")
	m.Step("convert_mailbox", "done", time.Second)
	m.QueueDepth(func() (int, error) { return 4, nil })

	code, body := scrape(t, m)
	if code != http.StatusOK {
		t.Fatalf("scrape = %d", code)
	}
	for _, want := range []string{
		"# TYPE mailboxbot_requests_total counter",
		"# TYPE mailboxbot_step_duration_seconds histogram",
		`mailboxbot_microsoft_calls_total{service="graph",status="200"} 1`,
		`mailboxbot_slack_calls_total{method="chat.postMessage",status="429"} 1`,
		`mailboxbot_slack_rate_limited_total{method="chat.postMessage"} 1`,
		`mailboxbot_ack_seconds_count{route="/slack/commands"} 1`,
		`mailboxbot_ack_seconds_bucket{route="/slack/commands",le="0.001"}`,
		"mailboxbot_queue_depth 4",
		"go_goroutines",
		"process_start_time_seconds",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(grep(body, "mailboxbot_"))
	}
	if problems, err := testutil.GatherAndLint(m.reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// TestNilMetricsIsInert: a nil *Metrics (an interface holding one) passes
// everything through.
func TestNilMetricsIsInert(t *testing.T) {
	var m *Metrics
	m.Transition("grant", "pending")
	m.Step("grant", "done", time.Second)
	m.QueueDepth(func() (int, error) { return 1, nil })
	srv := fakeMicrosoft(t)
	if err := get(t, &http.Client{Transport: m.Transport("graph", srv.Client().Transport)}, srv.URL+"/v1.0/users/alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	if got := m.Ack("/x", h); got == nil {
		t.Fatal("Ack returned nil")
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("nil Handler = %d, want 404", rec.Code)
	}
}

func scrape(t *testing.T, m *Metrics) (int, string) {
	t.Helper()
	srv := httptest.NewTLSServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func grep(body, prefix string) string {
	var out []string
	for l := range strings.Lines(body) {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

func TestQueueWorkersIsReadAtScrape(t *testing.T) {
	m := New()
	if n := testutil.CollectAndCount(m.workers); n != 0 {
		t.Fatalf("queue workers without a function: %d series, want 0", n)
	}
	slots := 10
	m.QueueWorkers(func() (int, error) { return slots, nil })
	if got := testutil.ToFloat64(m.workers); got != 10 {
		t.Fatalf("queue workers %v, want 10", got)
	}
	slots = 0
	if got := testutil.ToFloat64(m.workers); got != 0 {
		t.Fatalf("queue workers %v after they stopped, want 0", got)
	}
	if _, body := scrape(t, m); !strings.Contains(body, "\nmailboxbot_queue_workers 0\n") {
		t.Errorf("the scrape has no mailboxbot_queue_workers 0:\n%s", grep(body, "mailboxbot_queue"))
	}
	m.QueueWorkers(func() (int, error) { return 0, errors.New("redis: connection refused") })
	if code, body := scrape(t, m); code != http.StatusOK || strings.Contains(body, "mailboxbot_queue_workers") {
		t.Errorf("scrape with a failing read = %d, want 200 without the gauge:\n%s", code, grep(body, "mailboxbot_queue"))
	}
}
