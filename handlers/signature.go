package handlers

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Signature errors. Each makes the request fail with 401.
var (
	ErrNoSignature  = errors.New("slack signature headers missing")
	ErrStale        = errors.New("slack request timestamp more than 5 minutes away")
	ErrBadSignature = errors.New("slack signature does not match")
	ErrTooLarge     = errors.New("slack request body too large")
	// ErrNoSecret: no signing secret is configured (Socket Mode), so no
	// HTTP request can be trusted: an empty HMAC key is anyone's.
	ErrNoSecret = errors.New("no signing secret configured: Slack requests over HTTP are refused")
)

// MaxSkew is how far a request's timestamp may be from now.
const MaxSkew = 5 * time.Minute

// Sign returns the X-Slack-Signature value for body sent at timestamp ts:
// "v0=" + hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)).
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Verifier checks Slack's request signatures.
type Verifier struct {
	Secret  string
	Now     func() time.Time
	MaxBody int64 // bytes; 0 means 1 MiB
}

// Verify reads the body once, checks the signature and the timestamp, and
// restores the body so that form parsing still works. It returns the raw body.
func (v *Verifier) Verify(r *http.Request) ([]byte, error) {
	sig, ts := r.Header.Get("X-Slack-Signature"), r.Header.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return nil, ErrNoSignature
	}
	max := v.MaxBody
	if max <= 0 {
		max = 1 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read slack request: %w", err)
	}
	if int64(len(body)) > max {
		return nil, ErrTooLarge
	}
	if err := v.Check(sig, ts, body); err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// Check verifies one signature over body.
func (v *Verifier) Check(sig, ts string, body []byte) error {
	if v.Secret == "" {
		return ErrNoSecret
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if d := now().Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(v.Secret, ts, body))) {
		return ErrBadSignature
	}
	return nil
}

// Signed wraps h: a request that fails verification gets 401 and h never
// sees it.
func (v *Verifier) Signed(log interface{ Warn(string, ...any) }, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := v.Verify(r); err != nil {
			log.Warn("slack request refused", "path", r.URL.Path, "err", err)
			code := http.StatusUnauthorized
			if errors.Is(err, ErrTooLarge) {
				code = http.StatusRequestEntityTooLarge
			}
			http.Error(w, http.StatusText(code), code)
			return
		}
		h.ServeHTTP(w, r)
	})
}
