// Package faults schedules injected failures for the fake Microsoft
// servers: the next n requests fail, or every k-th one does. It decides
// only which request fails and how; each fake writes its own error body.
package faults

import "sync"

// Fault is one injected failure.
type Fault struct {
	Status     int    // HTTP status, e.g. 429 or 503
	RetryAfter string // the Retry-After header; "" for none
	Body       string // the body; "" lets the fake write its usual error body
}

// Injector is safe for concurrent use; its zero value injects nothing.
type Injector struct {
	mu    sync.Mutex
	next  []Fault
	every int
	evF   Fault
	seen  int
}

// FailNext makes the next n requests fail with f.
func (i *Injector) FailNext(n int, f Fault) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for range n {
		i.next = append(i.next, f)
	}
}

// FailEvery makes every k-th request from now on (the k-th, the 2k-th, ...)
// fail with f; k <= 0 turns it off. FailNext takes precedence.
func (i *Injector) FailEvery(k int, f Fault) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.every, i.evF, i.seen = k, f, 0
}

// Take returns the failure for the current request, if any.
func (i *Injector) Take() (Fault, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if len(i.next) > 0 {
		f := i.next[0]
		i.next = i.next[1:]
		return f, true
	}
	if i.every > 0 {
		i.seen++
		if i.seen%i.every == 0 {
			return i.evF, true
		}
	}
	return Fault{}, false
}
