package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/jobproc"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// envTestMain makes the test binary run main() instead of the tests, so a
// test can start `mailboxbot serve` as a real process and signal it.
const envTestMain = "MAILBOXBOT_TEST_MAIN"

func TestMain(m *testing.M) {
	// serve's job process is this program started again: the test binary,
	// which then runs serve too.
	if os.Getenv(envTestMain) == "1" || os.Getenv(jobproc.EnvPriority) != "" {
		main() // exits non-zero on failure
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// shutdownDeadline bounds a stop: HTTP requests in flight get 10s, then
// jobs in progress get the queue's 10s before they are handed back.
const shutdownDeadline = 20 * time.Second

// slowExchange is the tenant, as Exchange sees it, where Set-Mailbox waits
// until released. It then makes the change even if the caller has gone,
// as Exchange may: the bot cannot know, and must not make it twice.
type slowExchange struct {
	*sandbox.Tenant
	arrived     chan struct{} // closed when the first Set-Mailbox -Type arrives
	release     chan struct{}
	arrivedOnce sync.Once
}

func (s *slowExchange) SetMailboxType(ctx context.Context, id string, typ mailbox.MailboxType) error {
	s.arrivedOnce.Do(func() { close(s.arrived) })
	<-s.release
	return s.Tenant.SetMailboxType(context.WithoutCancel(ctx), id, typ)
}

// process is `mailboxbot serve` running as a child process.
type process struct {
	cmd  *exec.Cmd
	done chan error
}

// start runs `mailboxbot serve` in a child process with w's environment
// and waits until it is ready.
func (w *world) start(log *testlog.Buffer) *process {
	w.t.Helper()
	env := []string{envTestMain + "=1", "SSL_CERT_FILE=" + os.Getenv("SSL_CERT_FILE")}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range w.env {
		env = append(env, k+"="+v)
	}
	p := &process{cmd: exec.Command(os.Args[0], "serve"), done: make(chan error, 1)}
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = env, log, log
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	w.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(w.botURL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			w.t.Fatalf("serve exited: %v\nlog:\n%s", err, log.String())
		default:
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("serve not ready after 20s\nlog:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// terminate sends SIGTERM and returns how long the process took to exit,
// failing the test unless it exits 0 within shutdownDeadline.
func (p *process) terminate(t *testing.T, log *testlog.Buffer) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\nlog:\n%s", err, log.String())
		}
	case <-time.After(shutdownDeadline + 5*time.Second):
		t.Fatalf("serve still runs %s after SIGTERM\nlog:\n%s", shutdownDeadline+5*time.Second, log.String())
	}
	return time.Since(start)
}

// TestSIGTERMHandsBackAndResumes sends SIGTERM to `mailboxbot serve`, a
// real process, while Exchange is still answering its Set-Mailbox: the
// process exits 0 within the deadline having handed the job back, its step
// not recorded as done; a new process completes the conversion, and each
// change is made once.
func TestSIGTERMHandsBackAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs `mailboxbot serve` as a child process and waits out its 10s shutdown deadline")
	}
	w := newWorld(t, 0)
	slow := &slowExchange{Tenant: w.tenant, arrived: make(chan struct{}), release: make(chan struct{})}
	w.exo = exchangetest.New(slow, exchangetest.Options{TenantID: e2eTenant})
	t.Cleanup(w.exo.Close) // after the release below: Close waits for the held call
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(slow.release) }) }
	t.Cleanup(release)
	w.env["EXCHANGE_URL"] = w.exo.URL()
	// The jobs run in a job process, which the SIGTERM reaches through
	// serve: at niceness +10, not the default SCHED_IDLE, which the other
	// packages' tests on the same cores could starve past the deadlines.
	w.env["MAILBOXBOT_JOB_PROCESS"] = "nice"

	opt, err := redis.ParseURL(w.env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	store := redisstore.NewStore(rdb, w.env["MAILBOXBOT_REDIS_PREFIX"])
	queue := "asynq:{" + strings.TrimSuffix(w.env["MAILBOXBOT_REDIS_PREFIX"], ":") + "}:"

	log := &testlog.Buffer{}
	first := w.start(log)
	w.command("U0RITA", "alice@contoso.com")
	ask := w.waitFor("Maria's approval DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, "[Approve]")
	})
	w.click("U0MARIA", ask, "approve")
	select {
	case <-slow.arrived:
	case <-time.After(30 * time.Second):
		t.Fatalf("Set-Mailbox never reached Exchange\nlog:\n%s", log.String())
	}

	if jobproc.Supported && !strings.Contains(log.String(), `"process":"jobs"`) {
		t.Fatalf("the job did not run in serve's job process\nlog:\n%s", log.String())
	}
	took := first.terminate(t, log)
	t.Logf("first process stopped %s after SIGTERM", took.Round(time.Millisecond))
	if took < 5*time.Second {
		t.Errorf("stopped after %s: it did not wait for the step in flight", took)
	}

	// Handed back: the step ran once and is not done; the job waits in
	// the queue for the next process.
	ctx := context.Background()
	r := onlyRequest(t, store)
	if r.State != bot.StateRunning {
		t.Errorf("request is %s after the stop, want %s", r.State, bot.StateRunning)
	}
	for _, st := range r.Steps {
		if st.Name == mailbox.StepConvertToShared && (st.Status == mailbox.Done || st.Attempts != 1) {
			t.Errorf("convert step after the stop: status %q, %d attempts; want not done, 1 attempt", st.Status, st.Attempts)
		}
	}
	if n := rdb.LLen(ctx, queue+"pending").Val(); n != 1 {
		t.Errorf("%d jobs pending after the stop, want the run handed back", n)
	}
	if n := rdb.LLen(ctx, queue+"active").Val(); n != 0 {
		t.Errorf("%d jobs still active after the stop", n)
	}
	if strings.Contains(strings.Join(transcriptTexts(w.slack), "\n"), "is done") {
		t.Fatal("finished before the restart; the test proves nothing")
	}

	// Exchange finishes the change its caller gave up on; a new process
	// takes the job back and completes the request without redoing it.
	release()
	second := w.start(log)
	// The first process may have stopped with the step still inside
	// Exchange: then its mailbox lock was never released, and the new
	// process waits until the dead holder's job lease has lapsed (5 s after
	// it exited) before it takes the lock over — the time the call it left
	// inside Exchange gets to land.
	lctx, lcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer lcancel()
	if _, err := w.slack.WaitForEntry(lctx, func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done")
	}); err != nil {
		t.Fatalf("the restarted process did not finish the request: %v", err)
	}
	eachChangeOnce(t, w.tenant, "alice@contoso.com", 4) // sessions, sign-in, type, license
	if r := onlyRequest(t, store); r.State != bot.StateSucceeded {
		t.Errorf("request is %s, want %s", r.State, bot.StateSucceeded)
	}
	second.terminate(t, log)
	w.assertNoSecrets(log.String())
}

func onlyRequest(t *testing.T, store *redisstore.Store) *bot.Request {
	t.Helper()
	rs, err := store.List(context.Background(), bot.ListQuery{})
	if err != nil || len(rs) != 1 {
		t.Fatalf("requests in the store: %d, %v", len(rs), err)
	}
	return rs[0]
}
