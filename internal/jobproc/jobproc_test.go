//go:build linux

package jobproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/procstat"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
)

// envChild makes the test binary act as a child (or a parent) of the kind
// its value names instead of running the tests.
const envChild = "JOBPROC_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(envChild) {
	case "":
		os.Exit(m.Run())
	case "wait": // exits 0 on SIGTERM, saying so
		// Child runs on a thread other than the first, as it may in a
		// program that started goroutines before: the parent-death signal
		// must survive an exec from there.
		runtime.LockOSThread()
		res := make(chan error)
		go func() {
			child, _, err := Child(os.Getenv)
			if !child && err == nil {
				err = errors.New("not a child")
			}
			res <- err
		}()
		if err := <-res; err != nil {
			fmt.Println("child:", err)
			os.Exit(8)
		}
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		if f := os.NewFile(3, "fd3"); f != nil {
			fmt.Fprintln(f, "hello from fd 3")
			f.Close()
		}
		<-ch
		fmt.Println("child: SIGTERM")
		os.Exit(0)
	case "deaf": // ignores SIGTERM
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("child: deaf")
		time.Sleep(time.Minute)
		os.Exit(0)
	case "lease": // prints its lease, then waits
		fmt.Println("child: lease", os.Getenv(EnvLease))
		time.Sleep(time.Minute)
		os.Exit(0)
	case "fail":
		os.Exit(3)
	case "parent": // runs a "wait" child and prints its pid
		cfg := Config{Path: os.Args[0], Env: append(os.Environ(), envChild+"=wait"), Nice: 10,
			Started: func(pid int) { fmt.Println(pid) }}
		_ = Run(context.Background(), cfg)
		os.Exit(0)
	}
	os.Exit(9)
}

func childConfig(kind string, log *testlog.Buffer) Config {
	return Config{Path: os.Args[0], Env: append(os.Environ(), envChild+"="+kind), Nice: 10,
		Stdout: log, Stderr: log, MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(log, nil))}
}

// schedIdle is SCHED_IDLE as /proc/pid/stat's field 41 (policy) shows it.
const schedIdle = "5"

func TestChildRunsAtItsNicenessAndStopsOnSIGTERM(t *testing.T) {
	log := &testlog.Buffer{}
	pids := make(chan int, 4)
	cfg := childConfig("wait", log)
	cfg.Idle = true
	cfg.Started = func(pid int) { pids <- pid }
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cfg.Files = []*os.File{w}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	pid := <-pids
	w.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil || line != "hello from fd 3\n" {
		t.Fatalf("fd 3 of the child: %q, %v", line, err)
	}
	own, _ := strconv.Atoi(procstat.Field(os.Getpid(), procstat.Nice))
	want := strconv.Itoa(min(19, own+10))
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		if nice := procstat.Field(tid, procstat.Nice); nice != want {
			t.Errorf("niceness of the child's thread %d: %q, want %s (this process's %d + 10)", tid, nice, want, own)
		}
		if policy := procstat.Field(tid, procstat.Policy); policy != schedIdle {
			t.Errorf("scheduling policy of the child's thread %d: %s, want SCHED_IDLE (%s)", tid, policy, schedIdle)
		}
	}
	if len(tasks) < 2 {
		t.Errorf("the child has %d threads", len(tasks))
	}
	if pgrp := procstat.Field(pid, procstat.Pgrp); pgrp != strconv.Itoa(pid) {
		t.Errorf("child's process group %s, want its own (%d)", pgrp, pid)
	}
	if now, _ := strconv.Atoi(procstat.Field(os.Getpid(), procstat.Nice)); now != own {
		t.Errorf("the parent's own niceness changed from %d to %d", own, now)
	}
	if policy := procstat.Field(os.Getpid(), procstat.Policy); policy == schedIdle {
		t.Errorf("the parent's own scheduling policy changed to SCHED_IDLE")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "child: SIGTERM") {
		t.Errorf("child was not stopped with SIGTERM:\n%s", log)
	}
	if !procstat.Gone(pid) {
		t.Errorf("child %d still runs after Run returned", pid)
	}
	select {
	case p := <-pids:
		t.Errorf("a second child (%d) was started", p)
	default:
	}
}

// TestChildThatKeepsExitingIsStartedAgainThenGivenUp: a child that exits
// is started again after a doubling wait; one that exits soon after every
// start makes Run give up with an error that says how it exited.
func TestChildThatKeepsExitingIsStartedAgainThenGivenUp(t *testing.T) {
	log := &testlog.Buffer{}
	var mu sync.Mutex
	var starts []time.Time
	cfg := childConfig("fail", log)
	cfg.MaxBackoff, cfg.MaxQuickExits = 10*time.Second, 4
	cfg.Started = func(int) { mu.Lock(); starts = append(starts, time.Now()); mu.Unlock() }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := Run(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), "exited 4 times in a row") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Run = %v, want it to give up after 4 quick exits, with the exit status", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(starts) != 4 {
		t.Fatalf("%d starts, want 4", len(starts))
	}
	for i, wait := range []time.Duration{10, 20, 40} {
		if gap := starts[i+1].Sub(starts[i]); gap < wait*time.Millisecond {
			t.Errorf("start %d came %s after the one before, want at least %dms", i+2, gap, wait)
		}
	}
	if n := strings.Count(log.String(), "exit status 3"); n != 3 {
		t.Errorf("%d exits logged, want 3 (the 4th is Run's error):\n%s", n, log)
	}
}

func TestChildThatIgnoresSIGTERMIsKilled(t *testing.T) {
	log := &testlog.Buffer{}
	pids := make(chan int, 1)
	cfg := childConfig("deaf", log)
	cfg.StopTimeout = 200 * time.Millisecond
	cfg.Started = func(pid int) { pids <- pid }
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	pid := <-pids
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), "child: deaf"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the child did not start ignoring SIGTERM:\n%s", log)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10s after its context ended")
	}
	if !procstat.Gone(pid) {
		t.Errorf("child %d still runs", pid)
	}
	if !strings.Contains(log.String(), "killed") {
		t.Errorf("the kill is not logged:\n%s", log)
	}
}

// TestChildDiesWithItsParent kills a parent running at niceness 5 more
// than this process with SIGKILL: its child, at 10 more than its parent,
// dies with it.
func TestChildDiesWithItsParent(t *testing.T) {
	nice, err := exec.LookPath("nice")
	if err != nil {
		t.Skip("no nice(1) to start the parent with")
	}
	parent := exec.Command(nice, "-n", "5", os.Args[0])
	parent.Env = append(os.Environ(), envChild+"=parent")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		parent.Process.Kill()
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(strings.TrimSpace(line))
	if child == 0 || procstat.Gone(child) {
		t.Fatalf("no child running: %q", line)
	}
	own, _ := strconv.Atoi(procstat.Field(os.Getpid(), procstat.Nice))
	want := strconv.Itoa(min(19, own+15))
	for deadline := time.Now().Add(5 * time.Second); procstat.Field(child, procstat.Nice) != want; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("the child's niceness is %s, want %s: its parent's (%d+5) + 10", procstat.Field(child, procstat.Nice), want, own)
			break
		}
	}
	if policy := procstat.Field(child, procstat.Policy); policy == schedIdle {
		t.Errorf("the child is SCHED_IDLE without Config.Idle")
	}
	parent.Process.Kill() // SIGKILL: the parent cannot pass anything on
	parent.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for !procstat.Gone(child) {
		if time.Now().After(deadline) {
			syscall.Kill(child, syscall.SIGKILL)
			t.Fatalf("child %d still runs 5s after its parent was killed", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNicenessOutOfRange(t *testing.T) {
	for _, n := range []int{0, -1, 20} {
		cfg := childConfig("wait", &testlog.Buffer{})
		cfg.Nice = n
		if err := Run(context.Background(), cfg); err == nil {
			t.Errorf("niceness %d accepted", n)
		}
	}
}

func TestWrongPathIsAnError(t *testing.T) {
	cfg := childConfig("wait", &testlog.Buffer{})
	cfg.Path = "/nonexistent/mailboxbot"
	if err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "start job process") {
		t.Errorf("err = %v", err)
	}
}

// TestChildRefusesABadPriority; the values a child sees after its exec
// are tested through real children above (their parent-death signal set
// again from a thread other than the first).
func TestChildRefusesABadPriority(t *testing.T) {
	for _, v := range []string{"20,idle", "0", "ten", "10,idle,idle"} {
		if _, _, err := Child(func(string) string { return v }); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
	if child, _, err := Child(func(string) string { return "" }); child || err != nil {
		t.Errorf("no %s: child %v, %v", EnvPriority, child, err)
	}
}

// TestChildRunsOnlyWhileItsLeaseIsHeld: each child is started once its
// lease is held, finds the lease's token in its environment, and is killed
// at once when the lease is lost; the lease of a child ends once it has
// exited, and a new child gets a new lease.
func TestChildRunsOnlyWhileItsLeaseIsHeld(t *testing.T) {
	log := &testlog.Buffer{}
	pids := make(chan int, 4)
	cfg := childConfig("lease", log)
	cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 10*time.Millisecond
	cfg.Started = func(pid int) { pids <- pid }
	type lease struct {
		token string
		lose  chan struct{}
		ended chan int // the pids still running when the lease ended: none
	}
	leases := make(chan *lease, 4)
	n := 0
	cfg.Lease = func(ctx context.Context, held func(string)) error {
		n++
		l := &lease{token: fmt.Sprintf("token-%d", n), lose: make(chan struct{}), ended: make(chan int, 1)}
		leases <- l
		held(l.token)
		select {
		case <-ctx.Done():
			close(l.ended)
			return nil
		case <-l.lose:
			return errors.New("not refreshed in time")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	first, pid := <-leases, <-pids
	waitLog(t, log, "child: lease token-1")
	close(first.lose)
	for deadline := time.Now().Add(5 * time.Second); !procstat.Gone(pid); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d still runs 5s after its lease was lost", pid)
		}
	}
	second, pid2 := <-leases, <-pids
	if pid2 == pid {
		t.Fatal("no new child")
	}
	waitLog(t, log, "child: lease token-2")
	if !strings.Contains(log.String(), "lease lost") {
		t.Errorf("the kill is not logged:\n%s", log)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !procstat.Gone(pid2) {
		t.Errorf("child %d still runs after Run returned", pid2)
	}
	select {
	case <-second.ended:
	default:
		t.Error("the second child's lease did not end with it")
	}
}

func waitLog(t *testing.T, log *testlog.Buffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), want); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", want, log)
		}
	}
}
