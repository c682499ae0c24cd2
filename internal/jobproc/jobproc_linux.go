package jobproc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Supported: this platform has per-thread priorities and a parent-death
// signal, which Run needs.
const Supported = true

// Self is the path that runs this very program, even if its file has been
// replaced or removed since it started.
const Self = "/proc/self/exe"

// lowerThread adds by to the calling thread's niceness (at most 19): the
// niceness the process started with, its parent's. With idle it also puts
// the thread in the SCHED_IDLE class, and says whether it could: a seccomp
// profile may refuse sched_setattr. Any thread may lower its own priority
// so; none may raise it back without privileges.
func lowerThread(by int, idle bool) (idleSet bool, err error) {
	// getpriority(2) answers 20 minus the niceness.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return false, fmt.Errorf("lower the job process's priority: %w", err)
	}
	nice := min(19, 20-p+by)
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, 0, nice); err != nil {
		return false, fmt.Errorf("lower the job process's priority: %w", err)
	}
	if !idle {
		return false, nil
	}
	err = unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOSYS):
		return false, nil
	}
	return false, fmt.Errorf("lower the job process's priority: %w", err)
}

// keepParent sets the parent-death signal (SIGKILL) of the calling thread
// (Linux sends it for any thread of a child whose parent dies) and fails if
// the parent is no longer ppid.
func keepParent(ppid string) error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("job process: parent-death signal: %w", err)
	}
	if strconv.Itoa(os.Getppid()) != ppid {
		return fmt.Errorf("job process: its parent %s is gone", ppid)
	}
	return nil
}

func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
