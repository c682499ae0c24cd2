package main

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
)

// resumeBound is issue 17's bound: a job whose worker was killed runs
// again within 10 seconds. Expected here: the lease's 5s (the dead
// process's calls in flight get that long to land), a sweep (every 1s),
// the job process's restart (1s) and its first poll: 6–7s. The rest is
// slack for a 2-core machine shared with other tests.
const resumeBound = 10 * time.Second

// slowConversion is a world whose Exchange holds the first Set-Mailbox
// -Type until released, running serve with its jobs in a job process.
type slowConversion struct {
	*world
	slow    *slowExchange
	release func()
	rdb     *redis.Client
	store   *redisstore.Store
	queue   string // asynq's key prefix of the bot's queue
	log     *testlog.Buffer
	proc    *process
}

func newSlowConversion(t *testing.T) *slowConversion {
	w := jobProcessWorld(t)
	slow := &slowExchange{Tenant: w.tenant, arrived: make(chan struct{}), release: make(chan struct{})}
	w.exo = exchangetest.New(slow, exchangetest.Options{TenantID: e2eTenant})
	t.Cleanup(w.exo.Close)
	var once sync.Once
	release := func() { once.Do(func() { close(slow.release) }) }
	t.Cleanup(release)
	w.env["EXCHANGE_URL"] = w.exo.URL()
	w.env["MAILBOXBOT_JOB_PROCESS"] = "nice" // see TestServeRunsJobsInAJobProcess
	opt, err := redis.ParseURL(w.env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	prefix := w.env["MAILBOXBOT_REDIS_PREFIX"]
	c := &slowConversion{world: w, slow: slow, release: release, rdb: rdb, store: redisstore.NewStore(rdb, prefix),
		queue: "asynq:{" + strings.TrimSuffix(prefix, ":") + "}:", log: &testlog.Buffer{}}
	c.proc = w.start(c.log)
	w.command("U0RITA", "alice@contoso.com")
	ask := w.waitFor("Maria's approval DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, "[Approve]")
	})
	w.click("U0MARIA", ask, "approve")
	select {
	case <-slow.arrived:
	case <-time.After(30 * time.Second):
		t.Fatalf("Set-Mailbox never reached Exchange\nlog:\n%s", c.log.String())
	}
	return c
}

// convertAttempts is how many times the request's convert step started.
func (c *slowConversion) convertAttempts() int {
	for _, st := range onlyRequest(c.t, c.store).Steps {
		if st.Name == mailbox.StepConvertToShared {
			return st.Attempts
		}
	}
	c.t.Fatal("no convert step")
	return 0
}

// finish waits for the report that the request is done, and checks that
// each change was made once.
func (c *slowConversion) finish() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := c.slack.WaitForEntry(ctx, func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done")
	}); err != nil {
		c.t.Fatalf("the request did not finish: %v\nlog:\n%s", err, c.log.String())
	}
	eachChangeOnce(c.t, c.tenant, "alice@contoso.com", 4) // sessions, sign-in, type, license
	if r := onlyRequest(c.t, c.store); r.State != bot.StateSucceeded {
		c.t.Errorf("request is %s, want %s", r.State, bot.StateSucceeded)
	}
}

// TestKilledJobProcessResumesWithinTenSeconds kills serve's job process
// with SIGKILL while its Set-Mailbox is inside Exchange, which then makes
// the change anyway, as Exchange may. The job runs again within 10 s, in
// the job process serve starts again, taking over the dead one's mailbox
// lock (without waiting for its 1-minute TTL), and each change is made
// once.
func TestKilledJobProcessResumesWithinTenSeconds(t *testing.T) {
	c := newSlowConversion(t)
	child := c.jobProcess(c.log, 1)
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	c.release() // the dead caller's change lands, within the lease
	for c.convertAttempts() < 2 {
		if time.Since(killed) > 2*resumeBound {
			t.Fatalf("the job did not run again within %s of the kill\nlog:\n%s", 2*resumeBound, c.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(killed)
	t.Logf("the job ran again %s after its job process was killed", took.Round(time.Millisecond))
	if took > resumeBound {
		t.Errorf("the job ran again %s after the kill, want within %s", took.Round(time.Millisecond), resumeBound)
	}
	if c.jobProcess(c.log, 2) == child {
		t.Error("no new job process")
	}
	c.finish()
	c.proc.terminate(t, c.log)
}

// TestJobDeliveredAgainWhileItsWorkerIsSlow: the queue delivers a job a
// second time while its first worker is alive, only slow (its Set-Mailbox
// held by Exchange), as asynq does when a starved worker misses its own
// 30-second lease. The second delivery finds the mailbox locked by a live
// holder and waits; nothing runs twice.
func TestJobDeliveredAgainWhileItsWorkerIsSlow(t *testing.T) {
	c := newSlowConversion(t)
	ctx := context.Background()
	ids := c.rdb.LRange(ctx, c.queue+"active", 0, -1).Val()
	if len(ids) != 1 {
		t.Fatalf("active jobs: %q, want the run", ids)
	}
	// asynq's requeue, as its recoverer (or ours) would on a lapsed lease.
	id := ids[0]
	p := c.rdb.TxPipeline()
	p.LRem(ctx, c.queue+"active", 0, id)
	p.ZRem(ctx, c.queue+"lease", id)
	p.RPush(ctx, c.queue+"pending", id)
	p.HSet(ctx, c.queue+"t:"+id, "state", "pending")
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(c.log.String(), "mailbox is locked by another worker") {
		select {
		case <-time.After(30 * time.Second):
			t.Fatalf("the second delivery did not meet the lock\nlog:\n%s", c.log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n := c.convertAttempts(); n != 1 {
		t.Errorf("convert step started %d times while the first worker holds it", n)
	}
	c.release()
	c.finish()
	// The second delivery comes back after its wait for the lock, finds
	// the request done, and ends.
	deadline := time.Now().Add(time.Minute)
	for c.rdb.ZCard(ctx, c.queue+"retry").Val()+c.rdb.LLen(ctx, c.queue+"pending").Val()+c.rdb.LLen(ctx, c.queue+"active").Val() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the queue did not drain\nlog:\n%s", c.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	eachChangeOnce(t, c.tenant, "alice@contoso.com", 4)
	if n := c.convertAttempts(); n != 1 {
		t.Errorf("convert step started %d times, want 1", n)
	}
	c.proc.terminate(t, c.log)
}
