package storetest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Worker is a bot.Queue with what the suite needs besides Enqueue: the
// worker loop that hands jobs to a handler, and the count of jobs held
// (redisstore.Queue has both).
type Worker interface {
	bot.Queue
	// Run handles jobs with handle until ctx is done, and returns nil after
	// a clean stop.
	Run(ctx context.Context, handle func(context.Context, bot.Job) error) error
	// Depth counts the jobs yet to run or finish.
	Depth(ctx context.Context) (int, error)
}

// WaitFor is how long the suite waits for a delivery.
const WaitFor = 5 * time.Second

// Start starts q.Run and returns a stop func that cancels it and checks that
// Run returns nil in time. Cleanup stops it too.
func Start(t *testing.T, q Worker, handle func(context.Context, bot.Job) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx, handle) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v, want nil after cancel", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Run did not return within 10s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// Deliveries is a handler that passes every job to a channel.
func Deliveries() (chan bot.Job, func(context.Context, bot.Job) error) {
	ch := make(chan bot.Job, 100)
	return ch, func(_ context.Context, j bot.Job) error { ch <- j; return nil }
}

// Receive returns the next job of ch; it fails t when none comes within WaitFor.
func Receive(t *testing.T, ch <-chan bot.Job) bot.Job {
	t.Helper()
	select {
	case j := <-ch:
		return j
	case <-time.After(WaitFor):
		t.Fatalf("no job delivered within %v", WaitFor)
		return bot.Job{}
	}
}

// WaitEmpty polls until the queue holds nothing (the last job is done).
func WaitEmpty(t *testing.T, q Worker) {
	t.Helper()
	deadline := time.Now().Add(WaitFor)
	for {
		n, err := q.Depth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue still holds %d jobs after %v", n, WaitFor)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// RunQueue runs the contract of bot.Queue: a job is delivered as it was
// enqueued, once per ID while it is held, no earlier than its At, again
// after its handler failed (after the RetryAfter it asked for), and to the
// next worker when none ran. newQueue returns an empty queue whose Run
// handles concurrency jobs at once; it is called once per subtest.
func RunQueue(t *testing.T, newQueue func(t *testing.T, concurrency int) Worker) {
	t.Run("DeliversPayload", func(t *testing.T) {
		ctx := context.Background()
		q := newQueue(t, 2)
		ch, handle := Deliveries()
		Start(t, q, handle)
		want := bot.Job{
			Type:      bot.JobCommand,
			ID:        "cmd-1",
			RequestID: "r1",
			Seq:       2,
			Command: &bot.Command{
				Op:   mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"},
				User: "U111", TeamID: "T1", Channel: "C1", ResponseURL: "https://hooks.slack.com/commands/T1/1/abc",
			},
		}
		if err := q.Enqueue(ctx, want); err != nil {
			t.Fatal(err)
		}
		if got := Receive(t, ch); !reflect.DeepEqual(got, want) {
			t.Errorf("delivered\n %+v\nwant\n %+v", got, want)
		}
		click := bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: "r1", Approve: true, User: "U222", TeamID: "T1", ActionTS: "1.2"}}
		if err := q.Enqueue(ctx, click); err != nil {
			t.Fatal(err)
		}
		if got := Receive(t, ch); !reflect.DeepEqual(got, click) {
			t.Errorf("delivered\n %+v\nwant\n %+v", got, click)
		}
	})

	t.Run("SameIDOnce", func(t *testing.T) {
		ctx := context.Background()
		q := newQueue(t, 1)
		job := bot.Job{Type: bot.JobExpire, ID: "expire:r1", RequestID: "r1"}
		for range 3 {
			if err := q.Enqueue(ctx, job); err != nil {
				t.Fatalf("Enqueue of a queued id: %v, want nil (no-op)", err)
			}
		}
		if n, err := q.Depth(ctx); err != nil || n != 1 {
			t.Fatalf("Depth = %d, %v; want 1", n, err)
		}
		// With one worker and a FIFO queue, the marker comes after anything
		// enqueued before it.
		if err := q.Enqueue(ctx, bot.Job{Type: bot.JobRun, RequestID: "marker"}); err != nil {
			t.Fatal(err)
		}
		ch, handle := Deliveries()
		Start(t, q, handle)
		if got := Receive(t, ch); got.ID != job.ID {
			t.Fatalf("first delivery %+v, want %s", got, job.ID)
		}
		if got := Receive(t, ch); got.RequestID != "marker" {
			t.Fatalf("second delivery %+v, want the marker: the duplicate was delivered", got)
		}
		// Once done, the id is free again.
		WaitEmpty(t, q)
		if err := q.Enqueue(ctx, job); err != nil {
			t.Fatal(err)
		}
		if got := Receive(t, ch); got.ID != job.ID {
			t.Errorf("re-enqueued job not delivered: got %+v", got)
		}
	})

	t.Run("NotBeforeAt", func(t *testing.T) {
		ctx := context.Background()
		q := newQueue(t, 2)
		type delivery struct {
			job bot.Job
			at  time.Time
		}
		ch := make(chan delivery, 10)
		Start(t, q, func(_ context.Context, j bot.Job) error { ch <- delivery{j, time.Now()}; return nil })
		at := time.Now().Add(300 * time.Millisecond)
		if err := q.Enqueue(ctx, bot.Job{Type: bot.JobExpire, ID: "expire:r1", At: at}); err != nil {
			t.Fatal(err)
		}
		if err := q.Enqueue(ctx, bot.Job{Type: bot.JobRun, ID: "now", At: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		var got []delivery
		for range 2 {
			select {
			case d := <-ch:
				got = append(got, d)
			case <-time.After(WaitFor):
				t.Fatalf("deliveries so far %+v; want 2", got)
			}
		}
		if got[0].job.ID != "now" || got[1].job.ID != "expire:r1" {
			t.Fatalf("delivered %s then %s; want the past job first", got[0].job.ID, got[1].job.ID)
		}
		if got[1].at.Before(at) {
			t.Errorf("job for %v delivered early, at %v", at.Format(time.StampMilli), got[1].at.Format(time.StampMilli))
		}
		if !got[1].job.At.Equal(at) {
			t.Errorf("job At = %v, want %v", got[1].job.At, at)
		}
	})

	t.Run("RetryAfter", func(t *testing.T) {
		ctx := context.Background()
		q := newQueue(t, 2)
		var attempts []time.Time
		var mu sync.Mutex
		done := make(chan struct{})
		Start(t, q, func(_ context.Context, j bot.Job) error {
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, time.Now())
			if len(attempts) == 1 {
				return &bot.RetryAfterError{Err: errors.New("throttled"), After: 200 * time.Millisecond}
			}
			close(done)
			return nil
		})
		if err := q.Enqueue(ctx, bot.Job{Type: bot.JobRun, ID: "run:r1:1", RequestID: "r1", Seq: 1}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(WaitFor):
			t.Fatal("job not retried")
		}
		mu.Lock()
		defer mu.Unlock()
		// Not early; late by at most about a second (asynq's whole seconds).
		if gap := attempts[1].Sub(attempts[0]); gap < 200*time.Millisecond || gap > 1500*time.Millisecond {
			t.Errorf("retried after %v, want 200ms..1.5s", gap)
		}
		WaitEmpty(t, q) // succeeded, not archived
	})

	t.Run("JobWaitsForWorker", func(t *testing.T) {
		ctx := context.Background()
		q := newQueue(t, 2)
		// A worker ran and stopped (a restart) ...
		ch1, handle1 := Deliveries()
		stop := Start(t, q, handle1)
		stop()
		// ... a job arrives while none runs ...
		job := bot.Job{Type: bot.JobClick, ID: "click:1.2", Click: &bot.Click{RequestID: "r1", User: "U222"}}
		if err := q.Enqueue(ctx, job); err != nil {
			t.Fatal(err)
		}
		if n, err := q.Depth(ctx); err != nil || n != 1 {
			t.Fatalf("Depth with no worker = %d, %v; want 1", n, err)
		}
		// ... and the next worker gets it.
		ch2, handle2 := Deliveries()
		Start(t, q, handle2)
		if got := Receive(t, ch2); !reflect.DeepEqual(got, job) {
			t.Errorf("delivered %+v, want %+v", got, job)
		}
		select {
		case j := <-ch1:
			t.Errorf("stopped worker got %+v", j)
		default:
		}
		WaitEmpty(t, q)
	})

	t.Run("FailedJobRetried", func(t *testing.T) {
		ctx := context.Background()
		q := newQueue(t, 1)
		ch, deliver := Deliveries()
		var mu sync.Mutex
		failed := false
		Start(t, q, func(ctx context.Context, j bot.Job) error {
			mu.Lock()
			first := !failed
			failed = true
			mu.Unlock()
			if first {
				return errors.New("the handler failed")
			}
			return deliver(ctx, j)
		})
		job := bot.Job{Type: bot.JobRun, ID: "run:r2:1", RequestID: "r2", Seq: 1}
		if err := q.Enqueue(ctx, job); err != nil {
			t.Fatal(err)
		}
		if got := Receive(t, ch); !reflect.DeepEqual(got, job) {
			t.Errorf("retried %+v, want %+v", got, job)
		}
		WaitEmpty(t, q)
	})
}
