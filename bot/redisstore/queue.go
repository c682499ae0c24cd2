package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
)

// QueueConfig configures a Queue. Zero values take the defaults shown.
type QueueConfig struct {
	// Name is the asynq queue; its keys are "asynq:{Name}:...". Default
	// "mailboxbot". Tests use a unique name.
	Name string
	// Concurrency is how many jobs Run handles at once. Default 4.
	Concurrency int
	// TaskCheckInterval is how often an idle worker polls for ready jobs.
	// Default 1s; tests and the demo use ~50ms.
	TaskCheckInterval time.Duration
	// DelayedTaskCheckInterval is how often jobs scheduled for later (At, or
	// a retry) are moved to ready. Default 1s.
	DelayedTaskCheckInterval time.Duration
	// ShutdownTimeout is how long Run waits, once its context is done, for
	// jobs in progress to finish before handing them back to the queue.
	// Default 10s.
	ShutdownTimeout time.Duration
	// MaxRetry is how many times a failing job is retried before it is
	// archived (kept in Redis, visible to asynq tooling, not run again).
	// Default 25; negative: never retried.
	MaxRetry int
	// LeaseTTL is how long after the last sign of life of a process that
	// runs jobs its jobs are handed back to the queue (resume.go). Default
	// 5s.
	LeaseTTL time.Duration
	// Lease is the token of the lease that another process holds for this
	// one (serve for its job process: HoldLease); empty: Run holds one of
	// its own.
	Lease string
	// Logger receives the queue's messages; asynq's own debug and info
	// messages go at Debug. Default slog.Default().
	Logger *slog.Logger
}

// Defaults of QueueConfig.
const (
	DefaultQueueName       = "mailboxbot"
	defaultConcurrency     = 4
	defaultCheckInterval   = time.Second
	defaultShutdownTimeout = 10 * time.Second
	defaultMaxRetry        = 25
	maxRetryBackoff        = time.Minute
	firstRetryBackoff      = time.Second
)

// Queue implements bot.Queue on asynq: jobs are kept in Redis until a
// handler returns nil for them, so they survive restarts. A job enqueued
// while no Run is active waits for the next one.
type Queue struct {
	rdb       redis.UniversalClient
	cfg       QueueConfig
	client    *asynq.Client
	inspector *asynq.Inspector
	log       *slog.Logger
}

var _ bot.Queue = (*Queue)(nil)

// NewQueue returns a Queue on rdb. It does not talk to Redis.
func NewQueue(rdb redis.UniversalClient, cfg QueueConfig) (*Queue, error) {
	if rdb == nil {
		return nil, errors.New("new queue: nil redis client")
	}
	if cfg.Name == "" {
		cfg.Name = DefaultQueueName
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = defaultConcurrency
	}
	if cfg.TaskCheckInterval <= 0 {
		cfg.TaskCheckInterval = defaultCheckInterval
	}
	if cfg.DelayedTaskCheckInterval <= 0 {
		cfg.DelayedTaskCheckInterval = defaultCheckInterval
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = defaultShutdownTimeout
	}
	switch {
	case cfg.MaxRetry == 0:
		cfg.MaxRetry = defaultMaxRetry
	case cfg.MaxRetry < 0:
		cfg.MaxRetry = 0
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = defaultLeaseTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Queue{
		rdb:       rdb,
		cfg:       cfg,
		client:    asynq.NewClientFromRedisClient(rdb),
		inspector: asynq.NewInspectorFromRedisClient(rdb),
		log:       cfg.Logger.With("queue", cfg.Name),
	}, nil
}

// Name returns the asynq queue name.
func (q *Queue) Name() string { return q.cfg.Name }

// Enqueue stores j for a handler. A job whose ID is still held by the queue
// (waiting, scheduled, running or waiting for a retry) is not enqueued again,
// and that is not an error; once it has succeeded the ID is free, and an
// archived job (its retries ran out) is replaced. So a handler that schedules a follow-up of
// its own job needs a new ID (put bot.Job.Seq in it). A job with At in the future runs no earlier than At, and up
// to about a second after it (asynq keeps such times in whole seconds).
func (q *Queue) Enqueue(ctx context.Context, j bot.Job) error {
	if j.Type == "" {
		return errors.New("enqueue: job without a type")
	}
	payload, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("enqueue %s job: %w", j.Type, err)
	}
	opts := []asynq.Option{asynq.Queue(q.cfg.Name), asynq.MaxRetry(q.cfg.MaxRetry)}
	if j.ID != "" {
		opts = append(opts, asynq.TaskID(j.ID))
	}
	if !j.At.IsZero() {
		opts = append(opts, asynq.ProcessAt(ceilSecond(j.At)))
	}
	task := asynq.NewTask(string(j.Type), payload)
	_, err = q.client.EnqueueContext(ctx, task, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) && q.replaceArchived(j.ID) {
		_, err = q.client.EnqueueContext(ctx, task, opts...)
	}
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		q.log.Debug("job already queued", "job", j.ID, "request", j.RequestID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("enqueue %s job %s: %w", j.Type, j.ID, err)
	}
	return nil
}

// replaceArchived deletes the task with id when it is archived (its retries
// ran out), so that its id does not block the same work from being queued
// again for good. It reports whether it deleted one.
func (q *Queue) replaceArchived(id string) bool {
	info, err := q.inspector.GetTaskInfo(q.cfg.Name, id)
	if err != nil || info.State != asynq.TaskStateArchived {
		return false
	}
	if err := q.inspector.DeleteTask(q.cfg.Name, id); err != nil {
		q.log.Warn("could not replace an archived job", "job", id, "err", err)
		return false
	}
	q.log.Warn("archived job replaced by a new one", "job", id, "last_err", info.LastErr)
	return true
}

// isFailure counts an error toward archiving the job, except a delay the
// handler asked for (RetryAfter: waiting for a lock or a deadline), which
// may recur any number of times.
func isFailure(err error) bool {
	var ra interface{ RetryAfter() time.Duration }
	return !errors.As(err, &ra)
}

// Run handles jobs with handle until ctx is done, then stops taking jobs,
// waits up to ShutdownTimeout for those in progress (their context is not
// cancelled by ctx; it is at the end of the wait) and hands back those that
// have not finished. It returns nil after a clean shutdown.
//
// A job whose handler returns an error is retried later: after RetryAfter()
// when the error has that method (bot.RetryAfterError), else after 1s, 2s,
// 4s ... up to a minute, with jitter. A job whose payload cannot be decoded
// is archived at once.
func (q *Queue) Run(ctx context.Context, handle func(context.Context, bot.Job) error) error {
	if handle == nil {
		return errors.New("run queue: nil handler")
	}
	base, lost := context.WithCancelCause(context.WithoutCancel(ctx))
	defer lost(nil)
	token, leaseDone := q.cfg.Lease, make(chan error, 1)
	if token == "" {
		token = NewLeaseToken()
		held := make(chan struct{})
		lctx, release := context.WithCancel(context.WithoutCancel(ctx))
		defer func() { release(); <-leaseDone }()
		go func() { leaseDone <- q.HoldLease(lctx, token, func() { close(held) }) }()
		select {
		case err := <-leaseDone:
			leaseDone <- err
			return fmt.Errorf("start queue %s: %w", q.cfg.Name, err)
		case <-held:
		}
	}
	alive := q.aliveKey(token)
	srv := asynq.NewServerFromRedisClient(q.rdb, asynq.Config{
		Concurrency:              q.cfg.Concurrency,
		BaseContext:              func() context.Context { return base },
		Queues:                   map[string]int{q.cfg.Name: 1},
		TaskCheckInterval:        q.cfg.TaskCheckInterval,
		DelayedTaskCheckInterval: q.cfg.DelayedTaskCheckInterval,
		ShutdownTimeout:          q.cfg.ShutdownTimeout,
		RetryDelayFunc:           RetryDelay,
		IsFailure:                isFailure,
		ErrorHandler:             asynq.ErrorHandlerFunc(q.logFailure),
		Logger:                   slogAdapter{q.log},
		LogLevel:                 asynq.DebugLevel, // filtered by the slog handler instead
	})
	err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var j bot.Job
		if err := json.Unmarshal(t.Payload(), &j); err != nil {
			return fmt.Errorf("decode %s job: %v: %w", t.Type(), err, asynq.SkipRetry)
		}
		id, _ := asynq.GetTaskID(ctx)
		q.own(ctx, id, token)
		err := handle(withOwner(ctx, alive), j)
		q.disown(ctx, id, token, err == nil)
		return err
	}))
	if err != nil {
		return fmt.Errorf("start queue %s: %w", q.cfg.Name, err)
	}
	q.log.Info("queue worker started", "concurrency", q.cfg.Concurrency, "lease", token)
	select {
	case <-ctx.Done():
	case err = <-leaseDone:
		// Taken for dead: the jobs may run elsewhere already. Stop them now,
		// not after ShutdownTimeout.
		q.log.Error("job lease lost: stopping the jobs in progress", "err", err)
		lost(err)
		leaseDone <- err
	}
	srv.Shutdown()
	q.log.Info("queue worker stopped")
	if err != nil {
		return fmt.Errorf("queue %s: %w", q.cfg.Name, err)
	}
	return nil
}

// logFailure logs a failed job: at Info when the handler asked for a retry
// after a delay, at Warn for another error that will be retried, at Error
// when the job is archived.
func (q *Queue) logFailure(ctx context.Context, t *asynq.Task, err error) {
	var j bot.Job
	_ = json.Unmarshal(t.Payload(), &j)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	attrs := []any{"job_type", t.Type(), "job", j.ID, "request", j.RequestID,
		"retried", retried, "max_retry", maxRetry, "err", err}
	if retried >= maxRetry || errors.Is(err, asynq.SkipRetry) {
		q.log.Error("job failed for good, archived", attrs...)
		return
	}
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		q.log.Info("job deferred", append(attrs, "retry_after", ra.RetryAfter())...)
		return
	}
	q.log.Warn("job failed, will retry", attrs...)
}

// RetryDelay is the queue's asynq.RetryDelayFunc: the error's RetryAfter()
// when it has one, else 1s, 2s, 4s ... capped at a minute, each with a
// jitter of up to +25%; n is how many times the job was retried. asynq
// keeps retry times in whole seconds, rounded down, so the delay is
// stretched to the next whole second: a retry is never early, and up to a
// second late. It reads time.Now because asynq adds the delay to it.
func RetryDelay(n int, err error, _ *asynq.Task) time.Duration {
	return retryDelay(time.Now(), n, err)
}

func retryDelay(now time.Time, n int, err error) time.Duration {
	var d time.Duration
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		d = max(ra.RetryAfter(), 0)
	} else {
		d = maxRetryBackoff
		if n >= 0 && n < 6 {
			d = min(firstRetryBackoff<<n, maxRetryBackoff)
		}
		d += rand.N(d/4 + 1)
	}
	return ceilSecond(now.Add(d)).Sub(now)
}

// ceilSecond rounds t up to a whole second. asynq stores the times of
// scheduled jobs and retries as Unix seconds, rounded down, and runs a job
// once that second has begun; a job for ceilSecond(t) runs no earlier
// than t.
func ceilSecond(t time.Time) time.Time {
	if u := t.Truncate(time.Second); !u.Equal(t) {
		return u.Add(time.Second)
	}
	return t
}

// Depth returns how many jobs the queue holds that are yet to run or
// finish: waiting, scheduled, running or waiting for a retry (not the
// archived ones, which will not run again). 0 for a queue never used.
func (q *Queue) Depth(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	info, err := q.inspector.GetQueueInfo(q.cfg.Name)
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("queue %s depth: %w", q.cfg.Name, err)
	}
	return info.Size - info.Archived, nil
}

// Workers returns how many job slots the running queue servers (processes
// in Run, on any host) give this queue: 0 when none runs, and jobs queued
// wait. A server that stopped without saying so counts until its
// heartbeat expires in Redis (asynq: 10 seconds).
func (q *Queue) Workers(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	servers, err := q.inspector.Servers()
	if err != nil {
		return 0, fmt.Errorf("queue %s servers: %w", q.cfg.Name, err)
	}
	n := 0
	for _, s := range servers {
		if _, serves := s.Queues[q.cfg.Name]; serves && s.Status == "active" {
			n += s.Concurrency
		}
	}
	return n, nil
}

// Close releases the queue. The Redis client is the caller's to close.
func (q *Queue) Close() error { return nil }

// slogAdapter makes a *slog.Logger an asynq.Logger. asynq's debug and info
// messages go at Debug; Fatal is logged at Error and does not exit.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) log(level slog.Level, args []any) {
	ctx := context.Background()
	if a.l.Enabled(ctx, level) {
		a.l.Log(ctx, level, fmt.Sprint(args...), "component", "asynq")
	}
}

func (a slogAdapter) Debug(args ...any) { a.log(slog.LevelDebug, args) }
func (a slogAdapter) Info(args ...any)  { a.log(slog.LevelDebug, args) }
func (a slogAdapter) Warn(args ...any)  { a.log(slog.LevelWarn, args) }
func (a slogAdapter) Error(args ...any) { a.log(slog.LevelError, args) }
func (a slogAdapter) Fatal(args ...any) { a.log(slog.LevelError, args) }
