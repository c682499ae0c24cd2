package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

const waitFor = 5 * time.Second // how long a test waits for a delivery

// newQueue returns a Queue on a fresh queue name, deleted at the end.
func newQueue(t *testing.T, concurrency int) (*redisstore.Queue, *redis.Client) {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	q, err := redisstore.NewQueue(rdb, redisstore.QueueConfig{
		Name:                     prefix + "jobs",
		Concurrency:              concurrency,
		TaskCheckInterval:        50 * time.Millisecond,
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		ShutdownTimeout:          2 * time.Second,
		MaxRetry:                 3,
		Logger:                   slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// asynq's keys live outside the test prefix: asynq:{name}:...
		err := asynq.NewInspectorFromRedisClient(rdb).DeleteQueue(q.Name(), true)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Errorf("delete queue %s: %v", q.Name(), err)
		}
		// DeleteQueue leaves the statistics counters behind.
		if err := redistest.DeletePrefix(context.Background(), rdb, "asynq:{"+q.Name()+"}:"); err != nil {
			t.Errorf("delete keys of queue %s: %v", q.Name(), err)
		}
		q.Close()
	})
	return q, rdb
}

// run starts q.Run and returns a stop func that cancels it and checks that
// Run returns nil in time. Cleanup stops it too.
func run(t *testing.T, q *redisstore.Queue, handle func(context.Context, bot.Job) error) (stop func()) {
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

// deliveries is a handler that passes every job to a channel.
func deliveries() (chan bot.Job, func(context.Context, bot.Job) error) {
	ch := make(chan bot.Job, 100)
	return ch, func(_ context.Context, j bot.Job) error { ch <- j; return nil }
}

func receive(t *testing.T, ch <-chan bot.Job) bot.Job {
	t.Helper()
	select {
	case j := <-ch:
		return j
	case <-time.After(waitFor):
		t.Fatalf("no job delivered within %v", waitFor)
		return bot.Job{}
	}
}

// waitEmpty polls until the queue holds nothing (the last job is done).
func waitEmpty(t *testing.T, q *redisstore.Queue) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		n, err := q.Depth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue still holds %d jobs after %v", n, waitFor)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestQueueDeliversPayload(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, 2)
	ch, handle := deliveries()
	run(t, q, handle)
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
	if got := receive(t, ch); !reflect.DeepEqual(got, want) {
		t.Errorf("delivered\n %+v\nwant\n %+v", got, want)
	}
	click := bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: "r1", Approve: true, User: "U222", TeamID: "T1", ActionTS: "1.2"}}
	if err := q.Enqueue(ctx, click); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, ch); !reflect.DeepEqual(got, click) {
		t.Errorf("delivered\n %+v\nwant\n %+v", got, click)
	}
}

func TestQueueSameIDOnce(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, 1)
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
	ch, handle := deliveries()
	run(t, q, handle)
	if got := receive(t, ch); got.ID != job.ID {
		t.Fatalf("first delivery %+v, want %s", got, job.ID)
	}
	if got := receive(t, ch); got.RequestID != "marker" {
		t.Fatalf("second delivery %+v, want the marker: the duplicate was delivered", got)
	}
	// Once done, the id is free again.
	waitEmpty(t, q)
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, ch); got.ID != job.ID {
		t.Errorf("re-enqueued job not delivered: got %+v", got)
	}
}

func TestQueueProcessAt(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, 2)
	type delivery struct {
		job bot.Job
		at  time.Time
	}
	ch := make(chan delivery, 10)
	run(t, q, func(_ context.Context, j bot.Job) error { ch <- delivery{j, time.Now()}; return nil })
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
		case <-time.After(waitFor):
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
}

func TestQueueRetryAfter(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, 2)
	var attempts []time.Time
	var mu sync.Mutex
	done := make(chan struct{})
	run(t, q, func(_ context.Context, j bot.Job) error {
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
	case <-time.After(waitFor):
		t.Fatal("job not retried")
	}
	mu.Lock()
	defer mu.Unlock()
	// Not early; late by at most about a second (asynq's whole seconds).
	if gap := attempts[1].Sub(attempts[0]); gap < 200*time.Millisecond || gap > 1500*time.Millisecond {
		t.Errorf("retried after %v, want 200ms..1.5s", gap)
	}
	waitEmpty(t, q) // succeeded, not archived
}

func TestQueueJobWaitsForWorker(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, 2)
	// A worker ran and stopped (a restart) ...
	ch1, handle1 := deliveries()
	stop := run(t, q, handle1)
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
	ch2, handle2 := deliveries()
	run(t, q, handle2)
	if got := receive(t, ch2); !reflect.DeepEqual(got, job) {
		t.Errorf("delivered %+v, want %+v", got, job)
	}
	select {
	case j := <-ch1:
		t.Errorf("stopped worker got %+v", j)
	default:
	}
	waitEmpty(t, q)
}

func TestQueueShutdownLetsJobFinish(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, 2)
	started := make(chan struct{})
	release := make(chan struct{})
	finished := make(chan error, 1)
	var calls atomic.Int32
	stop := run(t, q, func(ctx context.Context, j bot.Job) error {
		calls.Add(1)
		close(started)
		<-release
		finished <- ctx.Err()
		return nil
	})
	if err := q.Enqueue(ctx, bot.Job{Type: bot.JobRun, ID: "run:r1:1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(waitFor):
		t.Fatal("job not started")
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Run returned while a job was in progress")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-finished; err != nil {
		t.Errorf("job context cancelled by the shutdown: %v", err)
	}
	select {
	case <-stopped:
	case <-time.After(waitFor):
		t.Fatal("Run did not return after the job finished")
	}
	if n, err := q.Depth(ctx); err != nil || n != 0 {
		t.Errorf("Depth after a finished job = %d, %v; want 0 (not handed back)", n, err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times", n)
	}
}

func TestQueueBadPayloadArchived(t *testing.T) {
	ctx := context.Background()
	q, rdb := newQueue(t, 1)
	client := asynq.NewClientFromRedisClient(rdb)
	if _, err := client.EnqueueContext(ctx, asynq.NewTask("run", []byte("{not json")), asynq.Queue(q.Name())); err != nil {
		t.Fatal(err)
	}
	calls := make(chan bot.Job, 1)
	run(t, q, func(_ context.Context, j bot.Job) error { calls <- j; return nil })
	waitEmpty(t, q)
	info, err := asynq.NewInspectorFromRedisClient(rdb).GetQueueInfo(q.Name())
	if err != nil {
		t.Fatal(err)
	}
	if info.Archived != 1 {
		t.Errorf("archived = %d, want 1", info.Archived)
	}
	select {
	case j := <-calls:
		t.Errorf("handler called with %+v", j)
	default:
	}
}

func TestRetryDelay(t *testing.T) {
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute} {
		if n == 7 {
			n = 40 // no overflow far out
		}
		got := redisstore.RetryDelay(n, errors.New("boom"), nil)
		if hi := want + want/4 + time.Second; got < want || got > hi {
			t.Errorf("RetryDelay(%d) = %v, want %v..%v", n, got, want, hi)
		}
	}
	wrapped := fmt.Errorf("step: %w", &bot.RetryAfterError{Err: errors.New("429"), After: 42 * time.Second})
	if got := redisstore.RetryDelay(3, wrapped, nil); got < 42*time.Second || got > 43*time.Second {
		t.Errorf("RetryDelay(RetryAfter 42s) = %v, want 42s..43s", got)
	}
}

// An archived job (its retries ran out) must not block its id for good:
// the same work queued again runs again.
func TestQueueArchivedIDIsReplaced(t *testing.T) {
	ctx := context.Background()
	q, rdb := newQueue(t, 1)
	var calls atomic.Int32
	ran := make(chan struct{}, 2)
	run(t, q, func(_ context.Context, j bot.Job) error {
		ran <- struct{}{}
		if calls.Add(1) == 1 {
			return fmt.Errorf("broken for good: %w", asynq.SkipRetry) // archived at once
		}
		return nil
	})
	j := bot.Job{Type: bot.JobRun, ID: "run:r9:1", RequestID: "r9", Seq: 1}
	if err := q.Enqueue(ctx, j); err != nil {
		t.Fatal(err)
	}
	<-ran
	deadline := time.Now().Add(waitFor)
	for {
		info, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo(q.Name(), j.ID)
		if err == nil && info.State == asynq.TaskStateArchived {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not archived: %v %v", info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := q.Enqueue(ctx, j); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-time.After(waitFor):
		t.Fatal("the archived job's id blocked the new job")
	}
	waitEmpty(t, q)
}

// A delay the handler asks for is not a failure: it does not use up the
// retries (MaxRetry is 3 here), so waiting for a lock never archives a job.
func TestQueueRetryAfterDoesNotUseUpRetries(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, 1)
	var calls atomic.Int32
	done := make(chan struct{})
	run(t, q, func(_ context.Context, j bot.Job) error {
		if calls.Add(1) <= 4 {
			return &bot.RetryAfterError{Err: bot.ErrLocked, After: 10 * time.Millisecond}
		}
		close(done)
		return nil
	})
	if err := q.Enqueue(ctx, bot.Job{Type: bot.JobRun, ID: "run:r8:1", RequestID: "r8", Seq: 1}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(4 * waitFor):
		t.Fatalf("job stopped after %d attempts", calls.Load())
	}
	waitEmpty(t, q)
}

// TestQueueWorkers: the job slots of the processes running the queue, none
// before Run and after it returns.
func TestQueueWorkers(t *testing.T) {
	q, _ := newQueue(t, 3)
	ctx := context.Background()
	if n, err := q.Workers(ctx); err != nil || n != 0 {
		t.Fatalf("before Run: %d slots, %v; want 0", n, err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- q.Run(runCtx, func(context.Context, bot.Job) error { return nil }) }()
	deadline := time.Now().Add(waitFor)
	n := 0
	for n != 3 && time.Now().Before(deadline) {
		var err error
		if n, err = q.Workers(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n != 3 {
		t.Errorf("while running with concurrency 3: %d slots", n)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, err := q.Workers(ctx); err != nil || n != 0 {
		t.Errorf("after Run returned: %d slots, %v; want 0", n, err)
	}
}
