package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/bot/storetest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// testLease is the tests' LeaseTTL: shorter than the default, so that they
// wait less, and long enough that a process of the test is not taken for
// dead on a loaded machine (a holder gives up 4/5 of it after its last
// refresh).
const testLease = 3 * time.Second

// delivery is a job as a handler of one process saw it, with what taking
// the mailbox's lock gave.
type delivery struct {
	who string
	job bot.Job
	err error
}

// lockingHandler takes the lock of mailbox m, as the bot's run does, and
// reports each delivery; it holds the lock until release is closed when
// hold is set, else releases it and returns.
func lockingHandler(who string, locker *redisstore.Locker, got chan<- delivery, hold bool, release <-chan struct{}) func(context.Context, bot.Job) error {
	return func(ctx context.Context, j bot.Job) error {
		lk, err := locker.Obtain(ctx, "mailbox:m", time.Minute)
		got <- delivery{who, j, err}
		if err != nil {
			return nil
		}
		if hold {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		_ = lk.Release(context.WithoutCancel(ctx))
		return nil
	}
}

func receive(t *testing.T, got <-chan delivery, within time.Duration) delivery {
	t.Helper()
	select {
	case d := <-got:
		return d
	case <-time.After(within):
		t.Fatalf("no delivery within %s", within)
		return delivery{}
	}
}

// TestJobOfADeadProcessResumesElsewhere: process A runs a job, holding the
// mailbox's lock, and is slow: process B gets neither the job nor the lock,
// however many sweeps go by. Then A dies (its lease is no longer kept): B
// gets the job once A's lease has lapsed, within a few sweeps, and takes
// the lock over.
func TestJobOfADeadProcessResumesElsewhere(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	name := prefix + "jobs"
	locker := redisstore.NewLocker(rdb, prefix)
	got := make(chan delivery, 4)
	release := make(chan struct{})
	defer close(release)

	// A's lease is held here, as serve holds its job process's.
	tokenA := redisstore.NewLeaseToken()
	a := newQueueWith(t, rdb, redisstore.QueueConfig{Name: name, Concurrency: 1, LeaseTTL: testLease, Lease: tokenA})
	leaseCtx, die := context.WithCancel(ctx)
	defer die()
	held, leaseDone := make(chan struct{}), make(chan error, 1)
	go func() { leaseDone <- a.HoldLease(leaseCtx, tokenA, func() { close(held) }) }()
	<-held
	storetest.Start(t, a, lockingHandler("A", locker, got, true, release))
	x := bot.Job{Type: bot.JobRun, ID: "run:x:1", RequestID: "x", Seq: 1}
	if err := a.Enqueue(ctx, x); err != nil {
		t.Fatal(err)
	}
	if d := receive(t, got, storetest.WaitFor); d.who != "A" || d.err != nil {
		t.Fatalf("first delivery: %+v, want A with the lock", d)
	}

	b := newQueueWith(t, rdb, redisstore.QueueConfig{Name: name, Concurrency: 1, LeaseTTL: testLease})
	storetest.Start(t, b, lockingHandler("B", locker, got, false, nil))
	y := bot.Job{Type: bot.JobRun, ID: "run:y:1", RequestID: "y", Seq: 1}
	if err := b.Enqueue(ctx, y); err != nil {
		t.Fatal(err)
	}
	if d := receive(t, got, storetest.WaitFor); d.who != "B" || d.job.ID != y.ID || !errors.Is(d.err, bot.ErrLocked) {
		t.Fatalf("B's delivery while A is slow: %+v, want y refused the lock", d)
	}
	// Slow is not dead: two leases' worth of sweeps leave x with A.
	select {
	case d := <-got:
		t.Fatalf("delivered again while its process is alive: %+v", d)
	case <-time.After(2 * testLease):
	}

	die()
	if err := <-leaseDone; err != nil {
		t.Fatalf("HoldLease = %v after its context ended", err)
	}
	died := time.Now()
	d := receive(t, got, testLease+10*time.Second)
	took := time.Since(died)
	if d.who != "B" || d.job.ID != x.ID || d.err != nil {
		t.Fatalf("after A died: %+v, want x to B with the lock taken over", d)
	}
	// The dead process's calls in flight get the lease's time to land.
	if took < testLease-50*time.Millisecond {
		t.Errorf("x resumed %s after A died, before A's lease (%s) lapsed", took, testLease)
	}
	t.Logf("x resumed %s after A's lease stopped being kept (lease %s)", took.Round(time.Millisecond), testLease)
	storetest.WaitEmpty(t, b)
	select {
	case d := <-got:
		t.Errorf("a further delivery: %+v", d)
	default:
	}
}

// TestResumeGivesUpOnAJobThatKillsItsProcess: a job whose owner died is
// handed back ten times; the eleventh time it is left to asynq's own
// lease recoverer, which counts it as a failure.
func TestResumeGivesUpOnAJobThatKillsItsProcess(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	q := newQueueWith(t, rdb, redisstore.QueueConfig{Name: prefix + "jobs"})
	p := "asynq:{" + q.Name() + "}:"
	if err := q.Enqueue(ctx, bot.Job{Type: bot.JobRun, ID: "run:p:1", RequestID: "p", Seq: 1}); err != nil {
		t.Fatal(err)
	}
	for i := range 11 {
		want := 1
		if i == 10 {
			want = 0
		}
		// Taken by a process that then dies: pending → active, its owner's
		// lease gone.
		if err := rdb.LMove(ctx, p+"pending", p+"active", "RIGHT", "LEFT").Err(); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		rdb.ZAdd(ctx, p+"lease", redis.Z{Score: float64(time.Now().Add(30 * time.Second).Unix()), Member: "run:p:1"})
		rdb.HSet(ctx, p+"mailboxbot:owners", "run:p:1", "ghost/1/dead")
		n, err := q.Resume(ctx)
		if err != nil || n != want {
			t.Fatalf("round %d: Resume = %d, %v; want %d", i, n, err, want)
		}
		if want == 0 {
			break
		}
		if st := rdb.HGet(ctx, p+"t:run:p:1", "state").Val(); st != "pending" {
			t.Errorf("round %d: state %q after Resume, want pending", i, st)
		}
	}
	if n := rdb.LLen(ctx, p+"active").Val(); n != 1 {
		t.Errorf("%d active after the 11th death, want the job left to asynq's lease", n)
	}
	if n := rdb.HLen(ctx, p+"mailboxbot:owners").Val(); n != 0 {
		t.Errorf("%d owners left, want the dead one forgotten", n)
	}
	rdb.Del(ctx, p+"active") // asynq does not delete a queue with active jobs
}

// TestLostLeaseStopsTheJobs: a process whose lease disappears (taken for
// dead: its jobs may run elsewhere) cancels its jobs at once and Run
// returns ErrLeaseLost.
func TestLostLeaseStopsTheJobs(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	q := newQueueWith(t, rdb, redisstore.QueueConfig{Name: prefix + "jobs", LeaseTTL: testLease})
	started, cancelled := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- q.Run(ctx, func(ctx context.Context, _ bot.Job) error {
			close(started)
			<-ctx.Done()
			close(cancelled)
			return ctx.Err()
		})
	}()
	if err := q.Enqueue(ctx, bot.Job{Type: bot.JobRun, ID: "run:l:1", RequestID: "l", Seq: 1}); err != nil {
		t.Fatal(err)
	}
	<-started
	keys := rdb.Keys(ctx, "asynq:{"+q.Name()+"}:mailboxbot:alive:*").Val()
	if len(keys) != 1 {
		t.Fatalf("leases: %q, want Run's own", keys)
	}
	rdb.Del(ctx, keys[0])
	select {
	case <-cancelled:
	case <-time.After(5 * testLease):
		t.Fatal("the job's context was not cancelled after its lease was lost")
	}
	select {
	case err := <-done:
		if !errors.Is(err, redisstore.ErrLeaseLost) {
			t.Errorf("Run = %v, want ErrLeaseLost", err)
		}
	case <-time.After(storetest.WaitFor):
		t.Fatal("Run did not return after its lease was lost")
	}
}

// TestResumeHandsBackAJobWithoutOwner: a running job that no process
// claims (its process died between taking it and recording itself) is
// handed back once it has had no owner for the lease's time, not before.
func TestResumeHandsBackAJobWithoutOwner(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	q := newQueueWith(t, rdb, redisstore.QueueConfig{Name: prefix + "jobs", LeaseTTL: testLease})
	p := "asynq:{" + q.Name() + "}:"
	if err := q.Enqueue(ctx, bot.Job{Type: bot.JobRun, ID: "run:u:1", RequestID: "u", Seq: 1}); err != nil {
		t.Fatal(err)
	}
	if err := rdb.LMove(ctx, p+"pending", p+"active", "RIGHT", "LEFT").Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if n, err := q.Resume(ctx); err != nil || n != 0 {
			t.Fatalf("sweep %d right after it was taken: Resume = %d, %v; want 0", i, n, err)
		}
	}
	// As if the lease's time had passed since the first sweep saw it.
	since, _ := rdb.HGet(ctx, p+"mailboxbot:unowned", "run:u:1").Int64()
	if since == 0 {
		t.Fatal("the sweep did not note the job without owner")
	}
	rdb.HSet(ctx, p+"mailboxbot:unowned", "run:u:1", since-int64(testLease/time.Second))
	if n, err := q.Resume(ctx); err != nil || n != 1 {
		t.Fatalf("Resume after the lease's time = %d, %v; want 1", n, err)
	}
	if n := rdb.LLen(ctx, p+"pending").Val(); n != 1 {
		t.Errorf("%d pending, want the job back", n)
	}
	if n := rdb.HLen(ctx, p+"mailboxbot:unowned").Val(); n != 0 {
		t.Errorf("%d unowned entries left", n)
	}
}
