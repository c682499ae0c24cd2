package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/handlers"
	"github.com/mailboxbot/mailboxbot/handlers/command"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/internal/metrics"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// appConfig is what serve and demo hand to newApp: the same assembly runs
// against real or sandboxed parts.
type appConfig struct {
	Redis     redis.UniversalClient
	Prefix    string
	Queue     redisstore.QueueConfig
	Directory mailbox.Directory
	Exchange  mailbox.Exchange
	Slack     *slack.Client
	// Socket, when set, receives Slack's requests over Socket Mode (as well
	// as HTTP, which keeps serving /healthz and /readyz).
	Socket *socketmode.Client
	// Metrics, when set, counts and times what the bot does (GET /metrics).
	Metrics *metrics.Metrics
	// MetricsListener, when set, is where GET /metrics is served, on a
	// server of its own (MAILBOXBOT_METRICS_ADDR), and not beside Slack's
	// routes; nil serves it with them.
	MetricsListener net.Listener
	// HTTPClient posts to Slack's response_url.
	HTTPClient *http.Client
	// EdgeOnly: this process takes Slack's requests and queues them but
	// runs no jobs (MAILBOXBOT_WORKERS=0); processes with workers run them.
	EdgeOnly bool
	// JobProcess, when set, runs this process's jobs in a second process
	// (serve's job process, see jobproc) until its context is done, in
	// place of this process's own queue worker.
	JobProcess func(context.Context) error
	// JobsOnly: this process is serve's job process. It runs the jobs and
	// serves its metrics (to serve) on its listener; Slack's requests go
	// to serve.
	JobsOnly bool

	SigningSecret, TeamID, AppID string

	Approvers      []string
	Policy         map[mailbox.Kind]string
	Requesters     map[mailbox.Kind][]string
	ExtraApprovers map[mailbox.Kind][]string
	Admins         []string
	ReminderAt     float64
	// ApprovalsRequired and Escalate: two-person approval and escalation
	// (bot.Config).
	ApprovalsRequired map[mailbox.Kind]int
	Escalate          bool
	// RatePerUser is each user's commands for a change, and members, per
	// minute (0: no limit); BatchMax the most mailboxes in one command (0:
	// the parser's).
	RatePerUser, BatchMax int
	AuditChannel          string
	ApprovalTimeout       time.Duration
	VerifyTimeout         time.Duration
	VerifyDelay           time.Duration
	VerifyMaxDelay        time.Duration
	MailboxWaitTimeout    time.Duration
	RetryWindow           time.Duration
	UndoWindow            time.Duration // 0: bot.DefaultUndoWindow; negative: off
	ReconcileEvery        time.Duration
	// Retention is how long finished requests and audit entries are kept
	// (0: forever); SweepEvery how often serve looks (0: sweepEvery).
	Retention, SweepEvery time.Duration

	// LeaverRemoveAccess and LeaverManagerAccess are what a conversion to
	// shared does when the requester does not say (bot.Config).
	LeaverRemoveAccess, LeaverManagerAccess bool

	Now    func() time.Time
	Logger *slog.Logger
}

// rateLimit is the per-user limit of c in Redis, or nil for none.
func rateLimit(c appConfig) bot.RateLimiter {
	if c.RatePerUser <= 0 {
		return nil
	}
	return redisstore.NewRateLimiter(c.Redis, c.Prefix, c.RatePerUser, time.Minute)
}

// app is the bot assembled: the Slack edge, the lifecycle, the queue worker
// and the reconciler.
type app struct {
	svc       *bot.Service
	store     *redisstore.Store
	queue     *redisstore.Queue
	handler   http.Handler
	edge      *handlers.Server
	socket    *handlers.Socket
	log       *slog.Logger
	reconcile time.Duration
	edgeOnly  bool
	jobs      func(context.Context) error // a job process; nil: the queue worker runs here (unless edgeOnly)
	jobsOnly  bool
	sweep     *sweeper
	sweepEach time.Duration
	metricsLn net.Listener // a.metrics is served here; nil: with a.handler
	metrics   http.Handler
}

func newApp(c appConfig) (*app, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ReconcileEvery <= 0 {
		c.ReconcileEvery = time.Minute
	}
	store := redisstore.NewStore(c.Redis, c.Prefix)
	if c.Queue.Logger == nil {
		c.Queue.Logger = c.Logger
	}
	queue, err := redisstore.NewQueue(c.Redis, c.Queue)
	if err != nil {
		return nil, err
	}
	slk := notify.New(notify.Config{Client: c.Slack, HTTPClient: c.HTTPClient, Logger: c.Logger, Now: c.Now})
	dir := mailbox.CacheSkus(c.Directory, mailbox.SkuCacheTTL, c.Now)
	svc, err := bot.New(bot.Config{
		Store: store, Queue: queue, Locker: redisstore.NewLocker(c.Redis, c.Prefix),
		Notifier: slk, Slack: slk,
		Planner:    &mailbox.Planner{Directory: dir, Exchange: c.Exchange, Now: c.Now},
		Executor:   &mailbox.Executor{Directory: dir, Exchange: c.Exchange},
		Approvers:  c.Approvers,
		Policy:     c.Policy,
		Requesters: c.Requesters, ExtraApprovers: c.ExtraApprovers, Admins: c.Admins, ReminderAt: c.ReminderAt,
		ApprovalsRequired: c.ApprovalsRequired, Escalate: c.Escalate,
		Batches: store, BatchNotifier: slk,
		People: c.Directory,
		Members: func(ctx context.Context, mbx string) (mailbox.Mailbox, []mailbox.Member, error) {
			return mailbox.Members(ctx, c.Exchange, mbx)
		},
		AuditChannel:       c.AuditChannel,
		ApprovalTimeout:    c.ApprovalTimeout,
		VerifyTimeout:      c.VerifyTimeout,
		VerifyDelay:        c.VerifyDelay,
		VerifyMaxDelay:     c.VerifyMaxDelay,
		MailboxWaitTimeout: c.MailboxWaitTimeout,
		RetryWindow:        c.RetryWindow,
		UndoWindow:         c.UndoWindow,
		Now:                c.Now,
		Logger:             c.Logger,
		Observer:           observer(c.Metrics),
		RateLimit:          rateLimit(c),
		BatchMax:           c.BatchMax,

		LeaverRemoveAccess: c.LeaverRemoveAccess, LeaverManagerAccess: c.LeaverManagerAccess,
	})
	if err != nil {
		return nil, err
	}
	policy, err := bot.ResolvePolicy(c.Policy) // the help shows the policy the bot applies
	if err != nil {
		return nil, err
	}
	var sock *handlers.Socket
	ready := store.Ping
	edgeMetrics := metricsHandler(c.Metrics)
	if c.MetricsListener != nil {
		edgeMetrics = nil
	}
	h := handlers.New(handlers.Config{
		Verifier: &handlers.Verifier{Secret: c.SigningSecret, Now: c.Now},
		TeamID:   c.TeamID, AppID: c.AppID,
		Bot:            svc,
		Ready:          func(ctx context.Context) error { return ready(ctx) },
		Replier:        slk,
		Policy:         policy,
		Approvals:      command.Approvals{Required: c.ApprovalsRequired, Escalate: c.Escalate},
		BatchMax:       c.BatchMax,
		Home:           svc,
		Metrics:        ackMetrics(c.Metrics),
		MetricsHandler: edgeMetrics,
		Views:          slk,
		Checker:        svc,
		Logger:         c.Logger,
	})
	if c.Metrics != nil && !c.JobsOnly { // the job process's metrics are served with serve's
		c.Metrics.QueueDepth(withTimeout(time.Second, queue.Depth))
		c.Metrics.QueueWorkers(withTimeout(time.Second, queue.Workers))
		c.Metrics.QueueLatency(func() (time.Duration, error) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return queue.Latency(ctx)
		})
		c.Metrics.RedisUp(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return store.Ping(ctx)
		})
	}
	if c.Socket != nil {
		sock = handlers.NewSocket(handlers.SocketConfig{Client: c.Socket, Server: h,
			Seen: redisstore.NewDeduper(c.Redis, c.Prefix, 0), Logger: c.Logger})
		ready = func(ctx context.Context) error {
			if err := sock.Ready(); err != nil {
				return err
			}
			return store.Ping(ctx)
		}
	}
	a := &app{svc: svc, store: store, queue: queue, handler: h.Handler(), edge: h, socket: sock, log: c.Logger,
		reconcile: c.ReconcileEvery, edgeOnly: c.EdgeOnly, jobs: c.JobProcess, jobsOnly: c.JobsOnly,
		sweep:     &sweeper{store: store, locker: redisstore.NewLocker(c.Redis, c.Prefix), retention: c.Retention, now: c.Now, log: c.Logger},
		sweepEach: cmp.Or(c.SweepEvery, sweepEvery)}
	if c.MetricsListener != nil && !c.JobsOnly {
		mux := http.NewServeMux()
		if h := metricsHandler(c.Metrics); h != nil {
			mux.Handle("GET /metrics", h)
		}
		a.metricsLn, a.metrics = c.MetricsListener, mux
	}
	if c.JobsOnly {
		a.handler, a.socket = metricsHandler(c.Metrics), nil
		if a.handler == nil {
			a.handler = http.NotFoundHandler()
		}
	}
	return a, nil
}

// run serves HTTP on ln (and the metrics on theirs) and works the queue
// until ctx is done. Then it stops taking requests, lets HTTP requests in
// flight finish, and lets the jobs in progress finish or hands them back to
// the queue.
func (a *app) run(parent context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	servers := map[*http.Server]net.Listener{httpServer(ctx, a.handler): ln}
	if a.metricsLn != nil {
		servers[httpServer(ctx, a.metrics)] = a.metricsLn
		a.log.Info("metrics listening", "addr", a.metricsLn.Addr().String())
	}
	errc := make(chan error, 3+len(servers))
	var wg sync.WaitGroup
	if a.socket != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.socket.Run(ctx); err != nil {
				errc <- fmt.Errorf("socket mode: %w", err)
			}
		}()
	}
	for srv, ln := range servers {
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http %s: %w", ln.Addr(), err)
			}
		})
	}
	if a.edgeOnly {
		a.log.Warn("MAILBOXBOT_WORKERS=0: this process takes Slack's requests and queues them, and runs no jobs; " +
			"run at least one mailboxbot serve with workers on the same Redis, or nothing will be done")
		wg.Add(1)
		go func() {
			defer wg.Done()
			watchWorkers(ctx, a.queue.Workers, workerCheckEvery, a.log)
		}()
	} else if a.jobs != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.jobs(ctx); err != nil {
				errc <- err
			}
		}()
	} else {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.queue.Run(ctx, a.svc.Handle); err != nil {
				errc <- fmt.Errorf("queue: %w", err)
			}
		}()
	}
	wg.Go(func() {
		if !a.jobsOnly { // serve reconciles; its job process need not
			a.reconcileLoop(ctx)
		}
	})
	wg.Go(func() {
		if !a.jobsOnly { // serve sweeps, one replica at a time
			a.sweep.loop(ctx, a.sweepEach)
		}
	})
	if a.jobsOnly {
		a.log.Info("job process running", "metrics", ln.Addr().String())
	} else {
		a.log.Info("mailboxbot listening", "addr", ln.Addr().String())
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		a.log.Error("stopping after a failure", "err", err)
	}
	a.log.Info("shutting down: no new requests; finishing work in progress")
	shutdownCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	for srv, ln := range servers {
		if e := srv.Shutdown(shutdownCtx); e != nil {
			a.log.Warn("http shutdown", "addr", ln.Addr().String(), "err", e)
		}
	}
	cancel() // the queue hands back what it cannot finish; the reconciler stops
	wg.Wait()
	a.edge.Wait()
	a.log.Info("stopped")
	return err
}

// httpServer serves h with the bot's timeouts; its requests' contexts
// outlive ctx, so that those in flight at shutdown finish.
func httpServer(ctx context.Context, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// workerCheckEvery is how often an edge-only process checks that some
// process runs jobs.
const workerCheckEvery = 30 * time.Second

// watchWorkers runs in a process that runs no jobs (MAILBOXBOT_WORKERS=0):
// every `every` it reads how many job slots other processes give the
// queue. With none, what Slack asks is queued and waits: each check logs
// an error until some come (an alert on error logs fires), and a line
// when they come back.
func watchWorkers(ctx context.Context, slots func(context.Context) (int, error), every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	missing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		check, cancel := context.WithTimeout(ctx, every)
		n, err := slots(check)
		cancel()
		switch {
		case err != nil:
			if ctx.Err() == nil {
				log.Warn("cannot tell whether any mailboxbot serve runs jobs", "err", err)
			}
		case n == 0:
			missing = true
			log.Error("no mailboxbot serve with workers runs on this Redis: requests are queued and wait; start one (MAILBOXBOT_WORKERS > 0)")
		case missing:
			missing = false
			log.Info("a mailboxbot serve with workers runs again: queued requests go on", "slots", n)
		}
	}
}

// withTimeout binds f to a context of its own, ended after d.
func withTimeout(d time.Duration, f func(context.Context) (int, error)) func() (int, error) {
	return func() (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		return f(ctx)
	}
}

// reconcileLoop queues approved work whose job may have been lost, at start
// and then every a.reconcile.
func (a *app) reconcileLoop(ctx context.Context) {
	repeat(ctx, a.reconcile, func() {
		if n, err := a.svc.Reconcile(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("reconcile failed", "err", err)
		} else if n > 0 {
			a.log.Info("reconcile: in-flight requests checked", "count", n)
		}
	})
}

// The metrics as the bot and the handlers want them: nil interfaces, not
// typed nils, when there are none.
func observer(m *metrics.Metrics) bot.Observer {
	if m == nil {
		return nil
	}
	return m
}

func ackMetrics(m *metrics.Metrics) interface {
	Ack(route string, next http.Handler) http.Handler
} {
	if m == nil {
		return nil
	}
	return m
}

func metricsHandler(m *metrics.Metrics) http.Handler {
	if m == nil {
		return nil
	}
	return m.Handler()
}
