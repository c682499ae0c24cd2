package graph

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	khttp "github.com/microsoft/kiota-http-go"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// retryHandler is a kiota middleware retrying 429, 503 and 504 answers.
// It replaces kiota's RetryHandler, whose delays are whole seconds (at least
// one, plus up to a second of jitter), which makes throttling slow to test,
// and which cannot replay a request body that does not seek.
type retryHandler struct {
	maxRetries int           // < 0: none
	delay      time.Duration // first back-off without Retry-After
	maxWait    time.Duration // total waiting allowed for one request
	sleep      func(ctx context.Context, d time.Duration) error
	now        func() time.Time // for a Retry-After given as an HTTP date
	log        *slog.Logger
}

var _ khttp.Middleware = (*retryHandler)(nil)

func (h *retryHandler) Intercept(p khttp.Pipeline, index int, req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	ctx := req.Context()
	budget := mailbox.RetryBudget{MaxRetries: h.maxRetries, MaxWait: h.maxWait}
	for attempt := 0; ; attempt++ {
		r := req.Clone(ctx) // fresh headers: later middleware edits them
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			r.ContentLength = int64(len(body))
		}
		if attempt > 0 {
			r.Header.Set("Retry-Attempt", strconv.Itoa(attempt))
		}
		resp, err := p.Next(r, index)
		if err != nil || !retriable(resp.StatusCode) || h.maxRetries < 0 {
			return resp, err
		}
		d, told := mailbox.ParseRetryAfter(resp.Header.Get("Retry-After"), h.now())
		if !told {
			d = h.delay << budget.Counted()
		}
		if !budget.Allow(d, told) {
			h.log.WarnContext(ctx, "graph: giving up retrying", "op", req.Method+" "+req.URL.Path,
				"status", resp.StatusCode, "retry_after", d, "waited", budget.Waited())
			return resp, nil
		}
		h.log.InfoContext(ctx, "graph: retrying", "op", req.Method+" "+req.URL.Path,
			"status", resp.StatusCode, "retry_after", d, "attempt", attempt+1)
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := h.sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

func retriable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}
