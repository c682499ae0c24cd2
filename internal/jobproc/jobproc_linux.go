package jobproc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// Supported: this platform has per-thread priorities and a parent-death
// signal.
const Supported = true

// lowerOwnPriority sets the niceness of every thread of this process. Linux
// keeps one per thread, and a new thread takes its creator's: the threads
// are read again until no new one appears.
func lowerOwnPriority(nice int) error {
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
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice); err != nil && !errors.Is(err, syscall.ESRCH) {
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
