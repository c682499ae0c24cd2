package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
