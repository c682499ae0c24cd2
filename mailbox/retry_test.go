package mailbox_test

import (
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"Sat, 21 Nov 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Sat, 21 Nov 2026 09:00:00 GMT", 0, true},
		{"86400", mailbox.MaxRetryAfter, true},
		{"9223372037", mailbox.MaxRetryAfter, true}, // past time.Duration in nanoseconds
		{"Inf", 0, false},
		{"Sun, 22 Nov 2026 10:00:00 GMT", mailbox.MaxRetryAfter, true},
		{"", 0, false},
		{"-3", 0, false},
		{"NaN", 0, false},
		{"soon", 0, false},
	} {
		got, ok := mailbox.ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRetryBudget(t *testing.T) {
	b := mailbox.RetryBudget{MaxRetries: 2, MaxWait: 10 * time.Second}
	// Microsoft's Retry-After of a second or more does not count…
	for i := range 4 {
		if !b.Allow(time.Second, true) {
			t.Fatalf("told 1s, try %d: refused", i+1)
		}
	}
	if b.Counted() != 0 || b.Waited() != 4*time.Second {
		t.Fatalf("after 4 told waits: counted %d, waited %v", b.Counted(), b.Waited())
	}
	// …guessed delays and shorter ones do, up to MaxRetries.
	if !b.Allow(500*time.Millisecond, true) || !b.Allow(time.Second, false) {
		t.Fatal("the first two counted retries were refused")
	}
	if b.Allow(time.Millisecond, false) {
		t.Error("a third counted retry was allowed")
	}
	if b.Counted() != 2 || b.Waited() != 5500*time.Millisecond {
		t.Errorf("counted %d, waited %v; want 2, 5.5s (a refusal takes nothing)", b.Counted(), b.Waited())
	}
	// The wait budget bounds everything.
	if !b.Allow(4500*time.Millisecond, true) {
		t.Error("a wait that fills the budget exactly was refused")
	}
	if b.Allow(time.Second, true) {
		t.Error("a wait past the budget was allowed")
	}
	if none := (mailbox.RetryBudget{MaxWait: time.Minute}); none.Allow(time.Second, false) {
		t.Error("MaxRetries 0 allowed a counted retry")
	}
}
