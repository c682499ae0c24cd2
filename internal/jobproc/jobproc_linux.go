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

// lowerOwnPriority adds by to the niceness of every thread of this process
// (at most 19), and with idle puts each in the SCHED_IDLE class: the
// niceness the process started with (its parent's) is the calling
// thread's. Linux keeps both per thread, and a new thread takes its
// creator's: the threads are read again until no new one appears. Any
// thread may lower its own priority so; none may raise it back without
// privileges.
func lowerOwnPriority(by int, idle bool) error {
	// getpriority(2) answers 20 minus the niceness.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return fmt.Errorf("lower the job process's priority: %w", err)
	}
	nice := min(19, 20-p+by)
	done := map[int]bool{}
	for {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("lower the job process's priority: %w", err)
		}
		fresh := false
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || done[tid] {
				continue
			}
			fresh = true
			err = syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice)
			if err == nil && idle {
				err = unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE, Nice: int32(nice)}, 0)
			}
			if err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("lower the job process's priority: %w", err)
			}
			done[tid] = true
		}
		if !fresh {
			return nil
		}
	}
}

func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
