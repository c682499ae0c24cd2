package main

import (
	"context"
	"crypto/tls"
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
	if n := opened.Load(); n > workers+workers/2 {
		t.Errorf("%d calls in rounds of %d opened %d connections; want at most %d", workers*rounds, workers, n, workers+workers/2)
	}
}

// TestWatchWorkers: an edge-only process says, at each check, that no
// process runs jobs, and once when some do again.
func TestWatchWorkers(t *testing.T) {
	var slots atomic.Int64
	slots.Store(10)
	checks := make(chan struct{}, 100)
	read := func(context.Context) (int, error) {
		defer func() { checks <- struct{}{} }()
		return int(slots.Load()), nil
	}
	log := &testlog.Buffer{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		watchWorkers(ctx, read, 5*time.Millisecond, slog.New(slog.NewTextHandler(log, nil)))
		close(done)
	}()
	wait := func(n int) {
		for range n {
			<-checks
		}
	}
	const none = "no mailboxbot serve with workers runs on this Redis"
	wait(2)
	if strings.Contains(log.String(), "level=") {
		t.Fatalf("logged while workers run:\n%s", log.String())
	}
	slots.Store(0)
	wait(3)
	if n := strings.Count(log.String(), none); n < 2 {
		t.Errorf("%d errors in 3 checks without workers, want one a check:\n%s", n, log.String())
	}
	slots.Store(4)
	wait(3)
	cancel()
	<-done
	if n := strings.Count(log.String(), "runs again"); n != 1 {
		t.Errorf("said %d times that workers came back, want once:\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), "level=ERROR msg=\""+none) {
		t.Errorf("the missing workers are not an error:\n%s", log.String())
	}
}
