//go:build !linux

package jobproc

import (
	"errors"
	"os"
	"syscall"
)

// Supported is false: Run needs per-thread priorities and a parent-death
// signal, which only Linux is known here to have.
const Supported = false

// Self is the path of this program (os.Executable's, where there is no
// /proc/self/exe).
var Self = os.Args[0]

func lowerThread(int, bool) (bool, error) {
	return false, errors.New("a job process at a lower priority needs Linux")
}

func keepParent(string) error { return nil }

func childAttr() *syscall.SysProcAttr { return nil }
