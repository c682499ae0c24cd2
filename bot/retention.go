package bot

import "time"

// Retention: a finished request is kept for a while (MAILBOXBOT_RETENTION)
// for status, list and the Home tab, then Store.Sweep removes it with every
// index entry that names it. The audit log keeps its events as long.

// FinishedAt is when r finished, which retention counts from: for a
// terminal request the latest of its last change (UpdatedAt), the end of
// its retry window (RetryUntil) and its last recorded event. Zero while r
// is not terminal: a request still waiting or running is never removed.
func FinishedAt(r *Request) time.Time {
	if !r.State.Terminal() {
		return time.Time{}
	}
	t := r.UpdatedAt
	if r.RetryUntil.After(t) {
		t = r.RetryUntil
	}
	if n := len(r.History); n > 0 && r.History[n-1].At.After(t) {
		t = r.History[n-1].At
	}
	if t.IsZero() {
		t = r.CreatedAt
	}
	return t
}
