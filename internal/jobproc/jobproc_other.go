//go:build !linux

package jobproc

import (
	"errors"
	"syscall"
)

// Supported: this platform has per-thread priorities and a parent-death
// signal.
const Supported = false

func lowerOwnPriority(int) error {
	return errors.New("a job process at a lower priority needs Linux")
}

func childAttr() *syscall.SysProcAttr { return nil }
