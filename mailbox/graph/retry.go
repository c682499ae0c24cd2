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
	var waited time.Duration
	backoffs := 0 // retries without a Retry-After
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
		// Microsoft's own Retry-After of a second or more is followed for
		// as long as the wait budget lasts, however many times it comes:
		// under a tenant's sustained throttling, a count would give up on a
		// request that only had to queue. Guessed delays, and a shorter
		// Retry-After (0 would never exhaust the budget), are counted.
		d, fromHeader := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		if !fromHeader || d < minBudgetedRetryAfter {
			if backoffs >= h.maxRetries {
				return resp, nil
			}
			if !fromHeader {
				d = h.delay << backoffs
			}
			backoffs++
		}
		if waited+d > h.maxWait {
			h.log.WarnContext(ctx, "graph: giving up retrying", "op", req.Method+" "+req.URL.Path,
				"status", resp.StatusCode, "retry_after", d, "waited", waited)
			return resp, nil
		}
		h.log.InfoContext(ctx, "graph: retrying", "op", req.Method+" "+req.URL.Path,
			"status", resp.StatusCode, "retry_after", d, "attempt", attempt+1)
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := h.sleep(ctx, d); err != nil {
			return nil, err
		}
		waited += d
	}
}

// minBudgetedRetryAfter is the shortest Retry-After retried within the
// wait budget alone; Microsoft's throttling asks for whole seconds.
const minBudgetedRetryAfter = time.Second

func retriable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if !(s >= 0 && s < 1e6) { // negative, NaN or absurd
			return 0, false
		}
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}
