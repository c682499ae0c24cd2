package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/storetest"
)

// TestQueueLatency: 0 for an empty queue and for a job scheduled for
// later; the wait of a due job while no worker runs; 0 again once a
// worker has run it.
func TestQueueLatency(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, 1)
	if d, err := q.Latency(ctx); err != nil || d != 0 {
		t.Fatalf("latency of a queue never used = %v, %v; want 0", d, err)
	}
	if err := q.Enqueue(ctx, bot.Job{Type: bot.JobRun, ID: "later", At: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if d, err := q.Latency(ctx); err != nil || d != 0 {
		t.Fatalf("latency with only a job scheduled for later = %v, %v; want 0", d, err)
	}
	if err := q.Enqueue(ctx, bot.Job{Type: bot.JobRun, ID: "due"}); err != nil {
		t.Fatal(err)
	}
	first, err := q.Latency(ctx)
	if err != nil || first <= 0 || first > time.Minute {
		t.Fatalf("latency of a due job nobody runs = %v, %v; want its wait so far", first, err)
	}
	if again, err := q.Latency(ctx); err != nil || again < first {
		t.Fatalf("latency went from %v to %v (%v) while the job still waits", first, again, err)
	}
	ran := make(chan struct{}, 2)
	storetest.Start(t, q, func(_ context.Context, j bot.Job) error {
		if j.ID == "due" {
			ran <- struct{}{}
		}
		return nil
	})
	select {
	case <-ran:
	case <-time.After(storetest.WaitFor):
		t.Fatal("the due job did not run")
	}
	for end := time.Now().Add(storetest.WaitFor); ; time.Sleep(20 * time.Millisecond) {
		d, err := q.Latency(ctx)
		if err == nil && d == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("latency %v, %v after the job ran; want 0", d, err)
		}
	}
}
