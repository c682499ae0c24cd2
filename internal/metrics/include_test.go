package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestIncludeAddsTheJobProcessMetrics: serve's /metrics answers for both
// processes, every series of the job process labelled process="jobs".
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
		`mailboxbot_requests_total{op="convert_to_shared",state="pending"} 1`,
		`mailboxbot_requests_total{op="convert_to_shared",process="jobs",state="pending"} 1`,
		`mailboxbot_requests_total{op="convert_to_shared",process="jobs",state="approved"} 1`,
		`mailboxbot_step_duration_seconds_count{status="done",step="license"} 1`,
		`mailboxbot_step_duration_seconds_count{process="jobs",status="done",step="license"} 2`,
		`mailboxbot_step_duration_seconds_sum{process="jobs",status="done",step="license"} 2.2`,
		`mailboxbot_step_duration_seconds_bucket{process="jobs",status="done",step="license",le="0.05"} 0`,
		`mailboxbot_step_duration_seconds_bucket{process="jobs",status="done",step="license",le="0.25"} 1`,
		`mailboxbot_step_duration_seconds_bucket{process="jobs",status="done",step="license",le="2.5"} 2`,
		`mailboxbot_step_duration_seconds_bucket{process="jobs",status="done",step="license",le="+Inf"} 2`,
		"mailboxbot_queue_depth 4",
		"\ngo_goroutines ",
		"\ngo_goroutines{process=\"jobs\"} ",
		"\nprocess_resident_memory_bytes{process=\"jobs\"} ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if n := strings.Count(body, "# TYPE mailboxbot_requests_total "); n != 1 {
		t.Errorf("mailboxbot_requests_total described %d times", n)
	}
	if strings.Contains(body, "mailboxbot_queue_depth{") { // the gauge is serve's alone
		t.Errorf("the job process has a queue depth too")
	}
	if t.Failed() {
		t.Log(body)
	}

	// The job process is down (being restarted): the edge's metrics are
	// still served, and the failure is counted.
	srv.Close()
	code, body = scrape(t, edge)
	if code != http.StatusOK || !strings.Contains(body, `mailboxbot_requests_total{op="convert_to_shared",state="pending"} 1`) ||
		strings.Contains(body, `process="jobs"`) {
		t.Fatalf("scrape without the job process = %d:\n%s", code, body)
	}
	if _, body = scrape(t, edge); !strings.Contains(body, `promhttp_metric_handler_errors_total{cause="gathering"} 1`) {
		t.Errorf("the failed read is not counted:\n%s", grep(body, "promhttp_metric_handler_errors_total"))
	}
}
