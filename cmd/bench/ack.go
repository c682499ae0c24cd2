package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/cmd/internal/sandboxworld"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
)

const secret = sandboxworld.SigningSecret

// ackBench measures acknowledgement latency of `mailboxbot serve` against
// a baseline, alternating the two in rounds, and the bot's memory.
func ackBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ack", flag.ContinueOnError)
	rate := fs.Float64("rate", 500, "requests a second")
	dur := fs.Duration("duration", 10*time.Second, "length of one measured run")
	rounds := fs.Int("rounds", 5, "rounds of baseline then bot; medians are over rounds")
	pending := fs.Int("pending", 20, "pending requests the clicks go to")
	workers := fs.Int("workers", 10, "MAILBOXBOT_WORKERS: jobs the bot runs at once")
	split := fs.Bool("split", false, "two serve processes: one with MAILBOXBOT_WORKERS=0 takes the requests, one with -workers and MAILBOXBOT_JOB_PROCESS=off runs the jobs")
	workerNice := fs.Int("worker-nice", 0, "with -split: the niceness the job-running process runs at")
	worldNice := fs.Int("world-nice", 0, "the niceness of the sandbox world (this process: the fake Slack and Microsoft servers), set once the bot, Redis, the baseline and the generator run")
	extra := map[string]string{}
	fs.Func("env", "NAME=VALUE added to every serve's environment (repeatable), e.g. GOMAXPROCS=4", func(v string) error {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return fmt.Errorf("want NAME=VALUE, not %q", v)
		}
		if k == "MAILBOXBOT_WORKERS" {
			return fmt.Errorf("set MAILBOXBOT_WORKERS with -workers")
		}
		extra[k] = val
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	n := int(*rate * dur.Seconds())
	users := *pending + n/2**rounds + n/2 + 10 // every command names a mailbox not asked for yet
	fmt.Printf("ack: %d rounds of %s at %.0f/s (%d requests a run): half /convert-mailbox of a new mailbox, half Approve clicks by a non-approver; %d workers\n",
		*rounds, *dur, *rate, n, *workers)
	cfg := clusterConfig{Users: users, Replicas: 1, Env: map[string]string{"MAILBOXBOT_WORKERS": strconv.Itoa(*workers)}}
	for k, v := range extra {
		cfg.Env[k] = v
		for _, w := range []string{"TOKEN", "SECRET", "PASSWORD", "KEY", "REDIS_URL"} {
			if strings.Contains(k, w) {
				v = "(value not shown)"
			}
		}
		fmt.Printf("serve's environment adds %s=%s\n", k, v)
	}
	if *split {
		fmt.Printf("split: the requests go to a serve with MAILBOXBOT_WORKERS=0; the jobs run in a second serve (nice %d)\n", *workerNice)
		cfg.Replicas = 2
		cfg.Replica = func(i int) (map[string]string, int) {
			if i == 0 {
				return map[string]string{"MAILBOXBOT_WORKERS": "0"}, 0
			}
			// nice(1) lowers this whole serve: it keeps its jobs in its own process.
			return map[string]string{"MAILBOXBOT_JOB_PROCESS": "off"}, *workerNice
		}
	}
	c, err := newCluster(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.close()
	bot := c.replicas[0]

	base, stopBase, err := startBaseline(ctx, c.redis.addr)
	if err != nil {
		return err
	}
	defer stopBase()

	// The requests the clicks go to.
	addrs := make([]string, *pending)
	for i := range addrs {
		addrs[i] = userUPN(i)
	}
	if err := ask(ctx, c, addrs, 8); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	asks, err := approvals(wctx, c.world.Slack, approver, *pending)
	cancel()
	if err != nil {
		return err
	}
	var targets []slacktest.Entry
	for _, e := range asks {
		targets = append(targets, e)
	}
	if err := c.settle(ctx); err != nil {
		return err
	}
	idle, err := rssKiB(bot.cmd.Process.Pid)
	if err != nil {
		return err
	}

	next := *pending
	shots := func() ([]shot, error) {
		out := make([]shot, n)
		for i := range out {
			if i%2 == 0 {
				out[i] = commandShot(c.world.Slack, requester, userUPN(next))
				next++
				continue
			}
			sh, err := clickShot(c.world.Slack, stranger, targets[i/2%len(targets)], "approve")
			if err != nil {
				return nil, err
			}
			out[i] = sh
		}
		return out, nil
	}
	gen, err := startGenerator()
	if err != nil {
		return err
	}
	defer gen.close()
	if *worldNice != 0 {
		// The fakes stand for Slack and Microsoft, which in production do
		// not share the bot's CPU; at a lower priority they take less of it.
		if err := reniceSelf(*worldNice); err != nil {
			return err
		}
		fmt.Printf("the sandbox world runs at nice %d\n", *worldNice)
	}
	// Warm both up: connections, and the bot's first jobs.
	warm, err := shots()
	if err != nil {
		return err
	}
	if _, err := gen.fire([]string{base}, warm[:n/10], *rate); err != nil {
		return err
	}
	if _, err := gen.fire([]string{bot.url()}, warm[:n/10], *rate); err != nil {
		return err
	}
	if err := c.settle(ctx); err != nil {
		return err
	}

	var baseP99, botP99, ratios []float64
	var rssLoad []int64
	for r := range *rounds {
		sh, err := shots()
		if err != nil {
			return err
		}
		b, err := gen.fire([]string{base}, sh, *rate)
		if err != nil {
			return err
		}
		fmt.Printf("round %d baseline  %s\n", r+1, b)

		stopSampling := sampleRSS(bot.cmd.Process.Pid, &rssLoad)
		m, err := gen.fire([]string{bot.url()}, sh, *rate)
		stopSampling()
		if err != nil {
			return err
		}
		fmt.Printf("round %d mailboxbot %s  p99 ratio %.2f\n", r+1, m, m.pct(0.99).Seconds()/b.pct(0.99).Seconds())
		if m.failed > 0 || b.failed > 0 {
			return fmt.Errorf("round %d: %d bot and %d baseline requests failed", r+1, m.failed, b.failed)
		}
		baseP99 = append(baseP99, b.pct(0.99).Seconds())
		botP99 = append(botP99, m.pct(0.99).Seconds())
		ratios = append(ratios, m.pct(0.99).Seconds()/b.pct(0.99).Seconds())
		// The bot's queued work finishes before the next baseline run.
		if err := c.settle(ctx); err != nil {
			return err
		}
	}
	after, _ := rssKiB(bot.cmd.Process.Pid)
	fmt.Printf("\nmedian p99: baseline %.2fms, mailboxbot %.2fms; ratio of medians %.2f, median of ratios %.2f (target ≤ 2)\n",
		median(baseP99)*1000, median(botP99)*1000, median(botP99)/median(baseP99), median(ratios))
	fmt.Printf("mailboxbot RSS (serve and its job process): idle %.1f MiB; under load median %.1f MiB, max %.1f MiB; after the runs %.1f MiB\n",
		mib(idle), mib(median(rssLoad)), mib(maxOf(rssLoad)), mib(after))
	return nil
}

// reniceSelf sets the niceness of every thread of this process (Linux
// keeps it per thread; threads started later inherit their creator's).
// Processes started afterwards inherit it too.
func reniceSelf(n int) error {
	for range 2 { // again, for threads started meanwhile
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); err != nil {
				return fmt.Errorf("renice thread %d: %w", tid, err)
			}
		}
	}
	return nil
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

func maxOf(xs []int64) int64 {
	var m int64
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// sampleRSS appends pid's RSS to out every 250ms until stopped.
func sampleRSS(pid int, out *[]int64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if v, err := rssKiB(pid); err == nil {
					*out = append(*out, v)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// settle waits until the bot's queue has nothing pending or running for
// a second.
func (c *cluster) settle(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Minute)
	quiet := 0
	for time.Now().Before(deadline) {
		busy, err := c.queueBusy(ctx)
		if err != nil {
			return err
		}
		if busy == 0 {
			quiet++
			if quiet >= 5 {
				return nil
			}
		} else {
			quiet = 0
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the bot's queue did not empty in 10 minutes")
}

// startBaseline runs the baseline server in a child process (this program,
// "baseline" command) so that it runs as the bot does: a process of its
// own, reached over loopback.
func startBaseline(ctx context.Context, redisAddr string) (string, func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(os.Args[0], "baseline", addr, redisAddr)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	for range 250 {
		if resp, err := http.Get("http://" + addr + "/ready"); err == nil {
			resp.Body.Close()
			return "http://" + addr, stop, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("baseline did not start")
}

// baseline is the minimal handler: verify Slack's signature, one Redis
// SET, answer 200.
func baseline(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("baseline LISTEN_ADDR REDIS_ADDR")
	}
	rdb := redis.NewClient(&redis.Options{Addr: args[1]})
	var seq atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		ts := r.Header.Get("X-Slack-Request-Timestamp")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
			http.Error(w, "stale", http.StatusUnauthorized)
			return
		}
		mac := hmac.New(sha256.New, []byte(secret))
		io.WriteString(mac, "v0:"+ts+":")
		mac.Write(body)
		want := "v0=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Slack-Signature"))) {
			http.Error(w, "signature", http.StatusUnauthorized)
			return
		}
		if err := rdb.Set(r.Context(), "bench:baseline:"+strconv.FormatInt(seq.Add(1)%1000, 10), ts, time.Minute).Err(); err != nil {
			http.Error(w, "redis", http.StatusInternalServerError)
			return
		}
	})
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		return err
	}
	return http.Serve(ln, mux)
}
