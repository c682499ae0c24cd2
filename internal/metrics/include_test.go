package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestIncludeAddsTheJobProcessMetrics: serve's /metrics answers for both
// processes, the counters and histograms added up label set by label set,
// the job process's runtime metrics under their own names.
func TestIncludeAddsTheJobProcessMetrics(t *testing.T) {
	edge, jobs := New(), New()
	srv := httptest.NewServer(jobs.Handler())
	defer srv.Close()
	edge.Include(srv.URL, srv.Client())

	edge.Transition("convert_to_shared", "pending")  // the edge records a request
	jobs.Transition("convert_to_shared", "pending")  // as does the job process
	jobs.Transition("convert_to_shared", "approved") // only the job process
	edge.Step("license", "done", 30*time.Millisecond)
	jobs.Step("license", "done", 2*time.Second)
	jobs.Step("license", "done", 200*time.Millisecond)
	edge.QueueDepth(func() (int, error) { return 4, nil })

	code, body := scrape(t, edge)
	if code != http.StatusOK {
		t.Fatalf("scrape: %d\n%s", code, body)
	}
	for _, want := range []string{
		`mailboxbot_requests_total{op="convert_to_shared",state="pending"} 2`,
		`mailboxbot_requests_total{op="convert_to_shared",state="approved"} 1`,
		`mailboxbot_step_duration_seconds_count{status="done",step="license"} 3`,
		`mailboxbot_step_duration_seconds_sum{status="done",step="license"} 2.23`,
		`mailboxbot_step_duration_seconds_bucket{status="done",step="license",le="0.05"} 1`,
		`mailboxbot_step_duration_seconds_bucket{status="done",step="license",le="0.25"} 2`,
		`mailboxbot_step_duration_seconds_bucket{status="done",step="license",le="2.5"} 3`,
		"mailboxbot_queue_depth 4",
		"\ngo_goroutines ",
		"\nmailboxbot_jobs_go_goroutines ",
		"\nmailboxbot_jobs_process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if n := strings.Count(body, "# TYPE mailboxbot_requests_total "); n != 1 {
		t.Errorf("mailboxbot_requests_total described %d times", n)
	}
	if t.Failed() {
		t.Log(body)
	}

	// The job process is down (being restarted): the edge's metrics are
	// still served, and the failure is counted.
	srv.Close()
	code, body = scrape(t, edge)
	if code != http.StatusOK || !strings.Contains(body, `mailboxbot_requests_total{op="convert_to_shared",state="pending"} 1`) ||
		strings.Contains(body, "mailboxbot_jobs_") {
		t.Fatalf("scrape without the job process = %d:\n%s", code, body)
	}
	if _, body = scrape(t, edge); !strings.Contains(body, `promhttp_metric_handler_errors_total{cause="gathering"} 1`) {
		t.Errorf("the failed read is not counted:\n%s", grep(body, "promhttp_metric_handler_errors_total"))
	}
}
