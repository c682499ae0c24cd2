package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/bot/storetest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// newQueue returns a Queue on a fresh queue name, deleted at the end.
func newQueue(t *testing.T, concurrency int) (*redisstore.Queue, *redis.Client) {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	return newQueueWith(t, rdb, redisstore.QueueConfig{Name: prefix + "jobs", Concurrency: concurrency}), rdb
}

// newQueueWith returns a Queue with cfg and the tests' intervals; its
// queue is deleted at the end.
func newQueueWith(t *testing.T, rdb redis.UniversalClient, cfg redisstore.QueueConfig) *redisstore.Queue {
	t.Helper()
	cfg.TaskCheckInterval, cfg.DelayedTaskCheckInterval = 50*time.Millisecond, 50*time.Millisecond
	cfg.ShutdownTimeout, cfg.MaxRetry = 2*time.Second, 3
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	q, err := redisstore.NewQueue(rdb, cfg)
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
	return q
}

func TestQueueContract(t *testing.T) {
	storetest.RunQueue(t, func(t *testing.T, concurrency int) storetest.Worker {
		q, _ := newQueue(t, concurrency)
		return q
	})
}

func TestQueueShutdownLetsJobFinish(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, 2)
	started := make(chan struct{})
	release := make(chan struct{})
	finished := make(chan error, 1)
	var calls atomic.Int32
	stop := storetest.Start(t, q, func(ctx context.Context, j bot.Job) error {
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
	case <-time.After(storetest.WaitFor):
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
	case <-time.After(storetest.WaitFor):
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
	storetest.Start(t, q, func(_ context.Context, j bot.Job) error { calls <- j; return nil })
	storetest.WaitEmpty(t, q)
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
	storetest.Start(t, q, func(_ context.Context, j bot.Job) error {
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
	deadline := time.Now().Add(storetest.WaitFor)
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
	case <-time.After(storetest.WaitFor):
		t.Fatal("the archived job's id blocked the new job")
	}
	storetest.WaitEmpty(t, q)
}

// A delay the handler asks for is not a failure: it does not use up the
// retries (MaxRetry is 3 here), so waiting for a lock never archives a job.
func TestQueueRetryAfterDoesNotUseUpRetries(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, 1)
	var calls atomic.Int32
	done := make(chan struct{})
	storetest.Start(t, q, func(_ context.Context, j bot.Job) error {
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
	case <-time.After(4 * storetest.WaitFor):
		t.Fatalf("job stopped after %d attempts", calls.Load())
	}
	storetest.WaitEmpty(t, q)
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
	deadline := time.Now().Add(storetest.WaitFor)
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
