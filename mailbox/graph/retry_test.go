package graph

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

// TestRetryAfterDateUsesNow: a Retry-After given as an HTTP date is counted
// from the injected clock, not the machine's, and the wait goes through the
// injected Sleep.
func TestRetryAfterDateUsesNow(t *testing.T) {
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC) // far from the real time: time.Now would give 0 or the cap
	rec := &recorder{}
	c, srv, _ := setup(t, Config{Sleep: rec.sleep, Now: func() time.Time { return now }})

	srv.FailNext(1, 429, now.Add(9*time.Second).Format(http.TimeFormat))
	if _, err := c.Manager(ctx(t), alice.ID); err != nil {
		t.Fatal(err)
	}
	if got := rec.got(); !reflect.DeepEqual(got, []time.Duration{9 * time.Second}) {
		t.Errorf("waited %v, want 9s: the Retry-After date less the injected now", got)
	}
}
