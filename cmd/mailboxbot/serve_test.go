package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/jobproc"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
)

// TestOutboundTransportKeepsConnections: jobs calling one host at once
// reuse their TLS connections rather than opening one per call.
func TestOutboundTransportKeepsConnections(t *testing.T) {
	const workers, rounds = 10, 20
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond) // the calls of a round overlap
		io.WriteString(w, "{}")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()

	tr := outboundTransport(workers)
	tr.TLSClientConfig = &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for range rounds {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				resp, err := c.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		wg.Wait()
	}
	// One connection per worker, and a few more where a call started just
	// before another's connection went back to the pool.
	if n := opened.Load(); n > 2*workers {
		t.Errorf("%d calls in rounds of %d opened %d connections; want at most %d", workers*rounds, workers, n, 2*workers)
	}
}

// TestWatchWorkers: an edge-only process says, at each check, that no
// process runs jobs, and once when some do again.
func TestWatchWorkers(t *testing.T) {
	// Each check reads the slots the test hands it; once the test has handed
	// check k+1 its value, check k has logged what it logs.
	slots, stop := make(chan int), make(chan struct{})
	read := func(context.Context) (int, error) {
		select {
		case v := <-slots:
			return v, nil
		case <-stop:
			return 0, errors.New("stopped")
		}
	}
	log := &testlog.Buffer{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		watchWorkers(ctx, read, 5*time.Millisecond, slog.New(slog.NewTextHandler(log, nil)))
		close(done)
	}()
	checks := func(n, v int) {
		for range n {
			slots <- v
		}
	}
	const none = "no mailboxbot serve with workers runs on this Redis"
	checks(3, 10) // the first two checks have logged what they log
	if strings.Contains(log.String(), "level=") {
		t.Fatalf("logged while workers run:\n%s", log.String())
	}
	checks(3, 0)
	checks(1, 4) // the third check without workers has logged
	if n := strings.Count(log.String(), none); n != 3 {
		t.Errorf("%d errors in 3 checks without workers, want one a check:\n%s", n, log.String())
	}
	checks(2, 4)
	cancel()
	close(stop)
	<-done
	if n := strings.Count(log.String(), "runs again"); n != 1 {
		t.Errorf("said %d times that workers came back, want once:\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), "level=ERROR msg=\""+none) {
		t.Errorf("the missing workers are not an error:\n%s", log.String())
	}
}

// TestServeMetricsOnTheirOwnAddress: with MAILBOXBOT_METRICS_ADDR, serve
// answers /metrics there, with the job process's, and not on LISTEN_ADDR;
// the metrics address serves nothing else.
func TestServeMetricsOnTheirOwnAddress(t *testing.T) {
	w := newWorld(t, 0)
	jobs := jobproc.Supported && !testing.Short()
	if jobs {
		w.env["MAILBOXBOT_JOB_PROCESS"] = "nice" // see TestServeRunsJobsInAJobProcess
	}
	metricsURL := "http://" + freeAddr(t)
	w.env["MAILBOXBOT_METRICS_ADDR"] = strings.TrimPrefix(metricsURL, "http://")
	log := &testlog.Buffer{}
	w.serve(log)
	if jobs {
		w.jobProcess(log, 1)
	}
	w.command("U0RITA", "alice@contoso.com")

	status := func(url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := status(w.botURL + "/metrics"); code != http.StatusNotFound {
		t.Errorf("GET LISTEN_ADDR/metrics = %d, want 404", code)
	}
	for _, path := range []string{"/readyz", "/healthz"} {
		if code := status(metricsURL + path); code != http.StatusNotFound {
			t.Errorf("GET MAILBOXBOT_METRICS_ADDR%s = %d, want 404", path, code)
		}
	}
	metrics := scrapeBody(t, metricsURL+"/metrics")
	want := []string{`mailboxbot_ack_seconds_count{route="/slack/commands"} 1`, "\nmailboxbot_queue_depth ", "\nmailboxbot_queue_workers ", "\ngo_goroutines "}
	if jobs {
		want = append(want, "\nprocess_resident_memory_bytes{process=\"jobs\"} ")
	}
	for _, s := range want {
		if !strings.Contains(metrics, s) {
			t.Errorf("MAILBOXBOT_METRICS_ADDR/metrics lacks %q", s)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s\nlog:\n%s", metrics, log.String())
	}
}
