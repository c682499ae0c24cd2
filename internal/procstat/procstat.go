// Package procstat reads a process's or thread's /proc/PID/stat (Linux),
// for the tests that check what the job process runs as.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// Fields of /proc/PID/stat, counted from 1 as in proc(5).
const (
	State  = 3
	Pgrp   = 5
	Nice   = 19
	Policy = 41 // 0 SCHED_OTHER, 5 SCHED_IDLE
)

// Field is field n of /proc/pid/stat ("" when the process is gone). pid
// may be a thread id.
func Field(pid, n int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	rest := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if n < 3 || n-3 >= len(rest) {
		return ""
	}
	return rest[n-3]
}

// Gone reports whether pid has exited (a zombie counts as exited).
func Gone(pid int) bool {
	s := Field(pid, State)
	return s == "" || s == "Z"
}
