// Package jobproc runs a child process at a lower CPU priority and keeps it
// running: serve starts its job workers this way, so that on a busy machine
// the kernel gives the CPU to the process that answers Slack first (Go has
// no goroutine priorities, and one Go process shares its processors and its
// garbage collector among all its goroutines).
//
// The child dies with its parent, even on kill -9 (Linux's parent-death
// signal), and sits in a process group of its own, so that a terminal's
// Ctrl-C reaches the parent only, which stops the child with SIGTERM when
// Run's context ends.
package jobproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Config is the child and how to keep it.
type Config struct {
	Path string // the executable
	// Name is the child's argv[0], what ps shows; default Path.
	Name string
	Args []string // its arguments, without the program name
	Env  []string // its whole environment
	// Nice is how much lower the child's priority is than the parent's, in
	// steps of niceness, 1–19; the child's niceness is the parent's plus
	// Nice, at most 19. The child sets it itself, first thing: see Child.
	Nice int
	// Idle puts the child in Linux's idle scheduling class (SCHED_IDLE)
	// as well: against the other threads of its CPU group (the
	// container's cgroup, or the login session) it weighs 3 to their 1024
	// (about 0.3%), and a waking thread of the parent takes the processor
	// from it at once. With Nice alone the child keeps a larger share
	// (about a tenth at +10), and a waking thread may wait for the
	// scheduler's next turn.
	Idle bool
	// Files are open in the child from file descriptor 3 on. They must stay
	// open for as long as Run runs (a restarted child gets them again).
	Files          []*os.File
	Stdout, Stderr io.Writer
	// StopTimeout is how long the child may take to exit after SIGTERM
	// before it is killed. Default 30s.
	StopTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before a child that exited
	// is started again; it doubles at each exit and starts over once a
	// child ran for MaxBackoff. Defaults 1s and 30s.
	MinBackoff, MaxBackoff time.Duration
	// MaxQuickExits is how many children in a row may exit within
	// MaxBackoff of their start before Run gives up and returns an error
	// (a child that cannot run is a fault to show, not to hide behind
	// restarts). Default 5.
	MaxQuickExits int
	Logger        *slog.Logger
	// Started, when set, is told each child's process id once it runs.
	Started func(pid int)
	// Lease, when set, is held for each child for as long as it runs, so
	// that others can tell it is alive: Run calls it before it starts a
	// child and starts the child once Lease has called held with the
	// lease's token, which the child finds in its environment (EnvLease).
	// Its context ends once the child has exited. If Lease returns while the
	// child runs, the lease is lost and the child is killed (SIGKILL) at
	// once: a child never runs on a lease that others may take for lapsed.
	// A Lease that returns before it calls held fails that start.
	Lease func(ctx context.Context, held func(token string)) error
}

// EnvLease is set in the child's environment to its lease's token
// (Config.Lease).
const EnvLease = "MAILBOXBOT_JOB_PROCESS_LEASE"

// Run starts the child and starts it again whenever it exits, until ctx is
// done; it then sends the child SIGTERM, kills it after StopTimeout, and
// returns nil once it has exited. It returns an error when Nice is out of
// range, on a platform without per-thread priorities (Supported), when the
// first child cannot be started, and when MaxQuickExits children in a row
// exited soon after they started. A later failure to start is logged and
// tried again.
func Run(ctx context.Context, c Config) error {
	if c.StopTimeout <= 0 {
		c.StopTimeout = 30 * time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(30*time.Second, c.MinBackoff)
	}
	if c.MaxQuickExits <= 0 {
		c.MaxQuickExits = 5
	}
	if c.Name == "" {
		c.Name = c.Path
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Nice < 1 || c.Nice > 19 {
		return fmt.Errorf("job process niceness %d: want 1 to 19", c.Nice)
	}
	if !Supported {
		return errors.New("a job process at a lower priority needs Linux")
	}
	prio := strconv.Itoa(c.Nice)
	if c.Idle {
		prio += ",idle"
	}
	c.Env = append(c.Env[:len(c.Env):len(c.Env)], EnvPriority+"="+prio)
	errc := make(chan error, 1)
	// Linux sends the parent-death signal when the thread that forked the
	// child ends, not the process: the children are started from one
	// goroutine locked to its thread for as long as they may run.
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		errc <- supervise(ctx, c)
	}()
	return <-errc
}

// EnvPriority is set in the child's environment to how much it is to
// lower its priority: the niceness to add, and ",idle" for SCHED_IDLE.
// The child adds ";set,ppid=PARENT" (and ",noidle") once it has.
const EnvPriority = "MAILBOXBOT_JOB_PROCESS_PRIORITY"

// Child reports whether this process is a child started by Run (getenv is
// os.Getenv). If so, the first time, it lowers the calling thread's
// priority as Run asked and executes this program again on that thread
// (the same arguments; the environment says it is done): every thread of
// the new image descends from that one and starts at its priority.
// Lowering the threads of a running Go program one by one could miss one
// being created. A child calls Child first thing; it returns, in the
// program executed again, a warning to log when SCHED_IDLE was refused
// (a seccomp profile can refuse it) and only the niceness was lowered.
func Child(getenv func(string) string) (child bool, warning string, err error) {
	v := getenv(EnvPriority)
	if v == "" {
		return false, "", nil
	}
	if want, done, ok := strings.Cut(v, ";set,ppid="); ok {
		// Executed again. A thread other than the first may have run the
		// exec, and the parent-death signal was the first thread's: set it
		// again, then check that the parent did not die in between.
		ppid, noidle := strings.CutSuffix(done, ",noidle")
		if err := keepParent(ppid); err != nil {
			return true, "", err
		}
		if noidle {
			return true, fmt.Sprintf("the job process could not enter the SCHED_IDLE class and runs at niceness +%s only", strings.TrimSuffix(want, ",idle")), nil
		}
		return true, "", nil
	}
	nice, idle := strings.CutSuffix(v, ",idle")
	n, err := strconv.Atoi(nice)
	if err != nil || n < 1 || n > 19 {
		return true, "", fmt.Errorf("%s=%q: want 1 to 19, and ,idle or not", EnvPriority, v)
	}
	runtime.LockOSThread() // the exec runs on the thread lowered
	idleSet, err := lowerThread(n, idle)
	if err != nil {
		return true, "", err
	}
	mark := ";set,ppid=" + strconv.Itoa(os.Getppid())
	if idle && !idleSet {
		mark += ",noidle"
	}
	env := os.Environ()
	for i, kv := range env {
		if strings.HasPrefix(kv, EnvPriority+"=") {
			env[i] = EnvPriority + "=" + v + mark
		}
	}
	return true, "", fmt.Errorf("lower the job process's priority: %w", syscall.Exec(Self, os.Args, env))
}

func supervise(ctx context.Context, c Config) error {
	backoff, quick := c.MinBackoff, 0
	for first := true; ; first = false {
		cmd := &exec.Cmd{Path: c.Path, Args: append([]string{c.Name}, c.Args...), Env: c.Env,
			Stdout: c.Stdout, Stderr: c.Stderr, ExtraFiles: c.Files, SysProcAttr: childAttr()}
		lease, err := holdLease(ctx, c.Lease)
		if err == nil {
			if lease.token != "" {
				cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], EnvLease+"="+lease.token)
			}
			if err = cmd.Start(); err != nil {
				lease.end()
			}
		}
		started := time.Now()
		if err != nil {
			if first {
				return fmt.Errorf("start job process: %w", err)
			}
			c.Logger.Error("job process: cannot start it; trying again", "err", err, "in", backoff.String())
		} else {
			if c.Started != nil {
				c.Started(cmd.Process.Pid)
			}
			c.Logger.Info("job process started", "pid", cmd.Process.Pid, "nice", "+"+strconv.Itoa(c.Nice), "sched_idle", c.Idle)
			err := wait(ctx, cmd, c.StopTimeout, lease.lost, c.Logger)
			lease.end()
			if ctx.Err() != nil {
				if err != nil {
					c.Logger.Warn("job process stopped", "pid", cmd.Process.Pid, "err", err)
				} else {
					c.Logger.Info("job process stopped", "pid", cmd.Process.Pid)
				}
				return nil
			}
			if time.Since(started) >= c.MaxBackoff {
				backoff, quick = c.MinBackoff, 0
			}
			if quick++; quick >= c.MaxQuickExits {
				return fmt.Errorf("job process exited %d times in a row within %s of its start, the last time with %s; its log says why",
					quick, c.MaxBackoff, exitErr(err))
			}
			c.Logger.Error("job process exited; jobs wait in the queue until it runs again",
				"pid", cmd.Process.Pid, "err", exitErr(err), "restart_in", backoff.String())
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, c.MaxBackoff)
	}
}

// wait waits for the child to exit, or, once ctx is done, stops it; when
// its lease is lost, it kills it.
func wait(ctx context.Context, cmd *exec.Cmd, stopTimeout time.Duration, lost <-chan error, log *slog.Logger) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case err := <-lost:
		log.Error("job process's lease lost: killing it, its jobs resume elsewhere", "pid", cmd.Process.Pid, "err", err)
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("killed: lease lost: %v", err)
	case <-ctx.Done():
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("killed: still running %s after SIGTERM", stopTimeout)
	}
}

// heldLease is a child's lease while Config.Lease holds it.
type heldLease struct {
	token string
	lost  <-chan error // Lease returned while the child runs
	end   func()       // ends Lease, once the child has exited, and waits for it
}

// holdLease calls lease (if any) and waits until it holds the lease.
func holdLease(ctx context.Context, lease func(context.Context, func(string)) error) (heldLease, error) {
	if lease == nil {
		return heldLease{end: func() {}}, nil
	}
	// The lease outlives ctx: it ends when the child has exited.
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	tokens := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- lease(lctx, func(token string) { tokens <- token }) }()
	select {
	case token := <-tokens:
		lost := make(chan error, 1)
		finished := make(chan struct{})
		go func() {
			err := <-done
			if lctx.Err() == nil {
				lost <- fmt.Errorf("lease returned: %v", err)
			}
			close(finished)
		}()
		return heldLease{token: token, lost: lost, end: func() { cancel(); <-finished }}, nil
	case err := <-done:
		cancel()
		return heldLease{}, fmt.Errorf("job process lease: %v", err)
	}
}

func exitErr(err error) string {
	if err == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	return err.Error()
}
