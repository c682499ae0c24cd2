// Package testlog is a log sink for tests: a buffer that goroutines may
// write to while a test reads it, to assert on what was (or was not) logged.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer is a concurrency-safe bytes.Buffer.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
