package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/internal/jobproc"
	"github.com/mailboxbot/mailboxbot/internal/metrics"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange"
	"github.com/mailboxbot/mailboxbot/mailbox/graph"
)

// serve runs the bot against the real Slack, Microsoft and Redis named by
// the environment.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: serve takes no arguments; configuration comes from the environment", errUsage)
	}
	// serve's job process lowers its own priority first of all.
	child, warning, err := jobproc.Child(getenv)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	if child {
		log = log.With("process", "jobs")
		if warning != "" {
			log.Warn(warning + "; it keeps a share of the CPU when serve is busy (MAILBOXBOT_JOB_PROCESS=nice)")
		}
	} else if cfg.jobProcess() {
		log = log.With("process", "serve")
	}
	rdb, raddr, err := newRedis(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = rdb.Ping(pingCtx).Err()
	cancel()
	if err != nil {
		check := "REDIS_URL"
		if cfg.sentinel() {
			check = "MAILBOXBOT_REDIS_SENTINEL_ADDRS, MAILBOXBOT_REDIS_SENTINEL_MASTER, REDIS_URL"
			err = sentinelProblem(ctx, cfg, err)
		}
		if cfg.cluster() {
			check = "MAILBOXBOT_REDIS_CLUSTER_ADDRS, REDIS_URL"
			err = clusterProblem(ctx, cfg, err)
		}
		return fmt.Errorf("cannot reach Redis at %s: %v (check %s and that the server runs)", raddr, err, check)
	}
	hc := &http.Client{Transport: outboundTransport(cfg.Workers), Timeout: 2 * time.Minute}
	cred, err := azureCredential(cfg, hc)
	if err != nil {
		return fmt.Errorf("Azure credential: %w", err)
	}
	m := metrics.New()
	// One client per service, so that each call is counted by service and
	// status; each keeps the proxy settings of hc's transport.
	via := func(rt http.RoundTripper) *http.Client { return &http.Client{Transport: rt, Timeout: hc.Timeout} }
	slackHC := via(m.SlackTransport(hc.Transport))
	dir, err := graph.New(graph.Config{BaseURL: cfg.GraphURL, Credential: cred, HTTPClient: via(m.Transport("graph", hc.Transport)), Logger: log})
	if err != nil {
		return fmt.Errorf("Graph client: %w", err)
	}
	exo, err := exchange.New(exchange.Config{BaseURL: cfg.ExchangeURL, TenantID: cfg.AzureTenantID, Credential: cred, HTTPClient: via(m.Transport("exchange", hc.Transport)), Logger: log})
	if err != nil {
		return fmt.Errorf("Exchange client: %w", err)
	}
	ac := appConfig{
		Redis: rdb, Prefix: cfg.storePrefix(),
		Queue:     redisstore.QueueConfig{Name: strings.TrimSuffix(cfg.KeyPrefix, ":"), Concurrency: cfg.Workers, TaskCheckInterval: 200 * time.Millisecond, Lease: getenv(jobproc.EnvLease), Logger: log},
		Directory: dir, Exchange: exo,
		Slack:         slack.New(cfg.SlackBotToken, slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionHTTPClient(via(notify.DropEchoes(slackHC.Transport)))),
		Socket:        socketClient(cfg, hc),
		HTTPClient:    slackHC,
		EdgeOnly:      cfg.Workers == 0,
		Metrics:       m,
		SigningSecret: cfg.SlackSigningSecret, TeamID: cfg.SlackTeamID, AppID: cfg.SlackAppID,
		Approvers: cfg.Approvers, AuditChannel: cfg.AuditChannel, Policy: cfg.policy(),
		Requesters: cfg.requesters(), ExtraApprovers: cfg.extraApprovers(), Admins: trimmed(cfg.Admins), ReminderAt: cfg.reminderAt(),
		ApprovalsRequired: cfg.approvalsRequired(), Escalate: cfg.Escalate,
		RatePerUser: cfg.RatePerUser, BatchMax: cfg.BatchMax,
		LeaverRemoveAccess: cfg.LeaverRemoveAccess, LeaverManagerAccess: cfg.LeaverManagerAccess,
		ApprovalTimeout: cfg.ApprovalTimeout, VerifyTimeout: cfg.VerifyTimeout, VerifyDelay: cfg.VerifyDelay,
		MailboxWaitTimeout: cfg.MailboxWait, RetryWindow: retryWindow(cfg.RetryWindow),
		UndoWindow: retryWindow(cfg.UndoWindow),
		Retention:  cfg.Retention,
		Logger:     log,
	}
	var ln net.Listener
	if child {
		ac.JobsOnly, ac.Socket = true, nil
		if ln, err = net.FileListener(os.NewFile(3, "metrics")); err != nil {
			return fmt.Errorf("the job process takes its metrics listener from mailboxbot serve, which starts it: %w", err)
		}
	} else {
		lease, err := redisstore.NewQueue(rdb, ac.Queue)
		if err != nil {
			return err
		}
		if ac.JobProcess, err = jobProcess(cfg, getenv, m, lease, stderr, log); err != nil {
			return err
		}
		if cfg.MetricsAddr != "" {
			if ac.MetricsListener, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
				return fmt.Errorf("MAILBOXBOT_METRICS_ADDR: %w", err)
			}
			defer ac.MetricsListener.Close()
		}
		if ln, err = net.Listen("tcp", cfg.ListenAddr); err != nil {
			return fmt.Errorf("LISTEN_ADDR: %w", err)
		}
	}
	defer ln.Close()
	a, err := newApp(ac)
	if err != nil {
		return err
	}
	return a.run(ctx, ln)
}

// jobNice is how much nicer than serve its job process runs.
const jobNice = 10

// jobStopTimeout is how long serve's job process may take to stop: the
// queue's 10 s for the jobs in progress, and some.
const jobStopTimeout = 30 * time.Second

// jobProcess is how serve runs its jobs in a second process at a lower CPU
// priority (MAILBOXBOT_JOB_PROCESS), so that on a busy machine the kernel
// gives serve's answers to Slack the CPU first; nil when the jobs run in
// serve's own process (or nowhere, with MAILBOXBOT_WORKERS=0). The job
// process is this program again, `serve` with the same settings; it serves
// its metrics to serve on a loopback listener opened here, which m
// includes in serve's /metrics. serve holds the job process's lease on q
// (redisstore's resume.go), at its own priority.
func jobProcess(cfg Config, getenv func(string) string, m *metrics.Metrics, q *redisstore.Queue, out io.Writer, log *slog.Logger) (func(context.Context) error, error) {
	if cfg.Workers > 0 && cfg.JobProcess != "off" && !jobproc.Supported {
		log.Warn("MAILBOXBOT_JOB_PROCESS: a job process at a lower priority needs Linux; the jobs run in this process")
	}
	if !cfg.jobProcess() {
		return nil, nil
	}
	env, err := childEnv(os.Environ(), getenv)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("job process's metrics listener: %w", err)
	}
	f, err := ln.(*net.TCPListener).File() // a copy of the socket, which each job process is given
	ln.Close()
	if err != nil {
		return nil, fmt.Errorf("job process's metrics listener: %w", err)
	}
	m.Include("http://"+ln.Addr().String()+"/metrics", &http.Client{Transport: &http.Transport{}, Timeout: 2 * time.Second})
	return func(ctx context.Context) error {
		defer f.Close()
		return jobproc.Run(ctx, jobproc.Config{
			Path: jobproc.Self, Name: "mailboxbot-jobs", Args: []string{"serve"}, Env: env,
			Nice: jobNice, Idle: cfg.JobProcess == "idle",
			Files: []*os.File{f}, Stdout: out, Stderr: out, StopTimeout: jobStopTimeout, Logger: log,
			Started: m.JobProcessStarted,
			Lease: func(ctx context.Context, held func(string)) error {
				token := redisstore.NewLeaseToken()
				return q.HoldLease(ctx, token, func() { held(token) })
			},
		})
	}, nil
}

// childEnv is the job process's environment: this process's, without any
// of serve's settings in it, and then the settings as getenv gives them
// (getenv need not be os.Getenv). A setting that getenv leaves empty stays
// empty: a stray SLACK_BOT_TOKEN in the environment must not meet the
// SLACK_BOT_TOKEN_FILE that serve was given.
func childEnv(environ []string, getenv func(string) string) ([]string, error) {
	names, err := settingNames()
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{jobproc.EnvPriority: true, jobproc.EnvLease: true}
	var set []string
	for _, k := range names {
		drop[k] = true
		if v := getenv(k); v != "" {
			set = append(set, k+"="+v)
		}
	}
	var out []string
	for _, kv := range environ {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			out = append(out, kv)
		}
	}
	return append(out, set...), nil
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// retryWindow maps a window setting (MAILBOXBOT_RETRY_WINDOW,
// MAILBOXBOT_UNDO_WINDOW, where 0 turns it off) to bot.Config, where 0
// means the default and a negative value turns it off.
func retryWindow(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// socketClient is the Socket Mode client when SLACK_APP_TOKEN is set. Its
// connection to Slack is outbound, so no public URL is needed.
func socketClient(cfg Config, hc *http.Client) *socketmode.Client {
	if cfg.SlackAppToken == "" {
		return nil
	}
	api := slack.New(cfg.SlackBotToken, slack.OptionAppLevelToken(cfg.SlackAppToken),
		slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionHTTPClient(hc))
	return socketmode.New(api)
}

// outboundTransport carries the calls to Slack, Entra, Graph and Exchange:
// http.DefaultTransport's settings (the proxy from the environment, HTTP/2
// where the server offers it, its timeouts), keeping an idle connection to
// each host for every job that may call it. net/http keeps two by default:
// with more jobs than that calling one host, a call past the second closed
// its connection after the answer and the next call opened a new one, with
// a TLS handshake each time.
func outboundTransport(workers int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2*workers + 8 // a job may wait on two calls; the edge and the Home tab call too
	t.MaxIdleConns = 0                    // no limit across hosts: five at most (Slack's API and response_url, Entra, Graph, Exchange)
	return t
}
