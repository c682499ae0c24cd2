package redisstore

import (
	"errors"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
)

func TestRetryDelayAlignsToSeconds(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 700_000_000, time.UTC)
	ra := &bot.RetryAfterError{Err: errors.New("busy"), After: 200 * time.Millisecond}
	// 10:00:00.9 rounds up to 10:00:01, what asynq's whole seconds can hold.
	if got, want := retryDelay(now, 0, ra), 300*time.Millisecond; got != want {
		t.Errorf("retryDelay(RetryAfter 200ms at .7) = %v, want %v", got, want)
	}
	ra.After = 2 * time.Second
	if got, want := retryDelay(now.Truncate(time.Second), 5, ra), 2*time.Second; got != want {
		t.Errorf("retryDelay(RetryAfter 2s on a whole second) = %v, want %v", got, want)
	}
	for range 100 {
		d := retryDelay(now, 2, errors.New("boom"))
		if at := now.Add(d); at.Nanosecond() != 0 || d < 4*time.Second || d > 6*time.Second {
			t.Fatalf("retryDelay(n=2) = %v (retry at %v), want 4s..6s ending on a whole second", d, at)
		}
	}
}

func TestCeilSecond(t *testing.T) {
	whole := time.Date(2025, 3, 4, 10, 0, 5, 0, time.UTC)
	for in, want := range map[time.Time]time.Time{
		whole:                whole,
		whole.Add(1):         whole.Add(time.Second),
		whole.Add(-1):        whole,
		whole.Add(999999999): whole.Add(time.Second),
	} {
		if got := ceilSecond(in); !got.Equal(want) {
			t.Errorf("ceilSecond(%v) = %v, want %v", in, got, want)
		}
	}
}
